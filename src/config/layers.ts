/**
 * The settings in effect, in layers: built-in defaults, then the machine-wide defaults file, then the
 * user-wide defaults file (both written by the installer from its properties), then the user's own
 * config.json. Each file overrides the layers below it key by key; a broken key or file is reported
 * (with its file) and leaves the value of the layer below in place. The source of every key is kept
 * for --diagnose.
 */
import { defaultConfig, type Config } from './schema';
import { loadConfigFile, type LoadedConfig, type ReadFile } from './load';

export type LayerKind = 'machine' | 'user' | 'config';

export interface ConfigLayer {
  kind: LayerKind;
  file: string;
  found: boolean;
}

export interface LayeredConfig extends LoadedConfig {
  /** Every file consulted, lowest first. */
  layers: ConfigLayer[];
  /** Dotted key path → where its value comes from (a file, or a command-line option); absent = built-in default. */
  sources: Record<string, string>;
}

export interface LayerFiles {
  machineDefaults: string;
  userDefaults: string;
  config: string;
  /** The user named `config` (--config): its absence is a problem, not "use the defaults". */
  configRequired?: boolean;
}

export function loadLayeredConfig(files: LayerFiles, read?: ReadFile): LayeredConfig {
  let config: Config = defaultConfig();
  const problems: LoadedConfig['problems'] = [];
  const layers: ConfigLayer[] = [];
  const sources: Record<string, string> = {};
  const order: [LayerKind, string][] = [
    ['machine', files.machineDefaults],
    ['user', files.userDefaults],
    ['config', files.config],
  ];
  for (const [kind, file] of order) {
    const r = loadConfigFile(file, config, read, kind === 'config' && files.configRequired === true);
    config = r.config;
    problems.push(...r.problems);
    layers.push({ kind, file, found: r.found });
    for (const k of r.keys) sources[k] = file;
  }
  return { config, problems, found: layers[2]!.found, layers, sources };
}

/** Every leaf key of the config as a dotted path, in schema order. */
export function leafKeys(value: unknown = defaultConfig(), prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => leafKeys(v, prefix ? `${prefix}.${k}` : k));
}

/** The value at a dotted path. */
export function valueAt(config: Config, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], config);
}
