/**
 * Loads the config file. A missing file means defaults. A broken file or key never stops the program
 * and is never silent: each problem names the file, the key and what is allowed, and only that key
 * falls back to its default.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import { configSchema, defaultConfig, type Config } from './schema';

export interface ConfigProblem {
  file: string;
  key: string;
  message: string;
}

export interface LoadedConfig {
  config: Config;
  problems: ConfigProblem[];
  /** True when the file existed. */
  found: boolean;
}

type Shape = Record<string, z.ZodMiniType>;

function unwrapObject(t: z.ZodMiniType): z.ZodMiniObject | undefined {
  let cur: z.ZodMiniType = t;
  for (let i = 0; i < 5; i++) {
    if (cur instanceof z.ZodMiniObject) return cur;
    if (cur instanceof z.ZodMiniDefault) cur = cur._zod.def.innerType as z.ZodMiniType;
    else return undefined;
  }
  return undefined;
}

function allowed(t: z.ZodMiniType): string {
  const issues = t.safeParse(Symbol('probe')).error?.issues ?? [];
  const first = issues[0];
  if (first && 'values' in first && Array.isArray(first.values)) return `erlaubt / allowed: ${first.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return '';
}

/**
 * Checks `input` key by key against `shape`, on top of `defaults` (the built-in defaults or a lower
 * layer). A valid key replaces the value below it and its path goes to `set`; a broken or unknown key
 * becomes a problem and leaves the value below it in place.
 */
function validate(shape: Shape, input: Record<string, unknown>, defaults: Record<string, unknown>, file: string, prefix: string, problems: ConfigProblem[], set: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(input)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const schema = shape[key];
    if (!schema) {
      problems.push({ file, key: path, message: `unbekannter Schlüssel / unknown key; bekannt / known: ${Object.keys(shape).join(', ')}` });
      continue;
    }
    const obj = unwrapObject(schema);
    if (obj && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = validate(obj.shape as Shape, value as Record<string, unknown>, defaults[key] as Record<string, unknown>, file, path, problems, set);
      continue;
    }
    const r = schema.safeParse(value);
    if (r.success) {
      out[key] = r.data;
      set.push(path);
    } else {
      const hint = allowed(schema) || r.error.issues.map((i) => i.message).join('; ');
      problems.push({ file, key: path, message: `ungültiger Wert / invalid value ${JSON.stringify(value)?.slice(0, 60)}: ${hint}; Standard / default ${JSON.stringify(defaults[key])} wird verwendet / is used` });
    }
  }
  return out;
}

export interface ParsedConfig {
  config: Config;
  problems: ConfigProblem[];
  /** The keys (dotted paths of leaves, e.g. "contacts.datevConnect.baseUrl") this file set. */
  keys: string[];
}

/** Parses one config file's text on top of `base` (default: the built-in defaults). */
export function parseConfig(text: string, file: string, base: Config = defaultConfig()): ParsedConfig {
  const defaults = base;
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    return {
      config: defaults,
      problems: [{ file, key: '(Datei / file)', message: `kein gültiges JSON / not valid JSON: ${(e as Error).message}; alle Standardwerte werden verwendet / all defaults are used` }],
      keys: [],
    };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return { config: defaults, problems: [{ file, key: '(Datei / file)', message: 'erwartet ein JSON-Objekt / expected a JSON object; alle Standardwerte / all defaults' }], keys: [] };
  }
  const problems: ConfigProblem[] = [];
  const keys: string[] = [];
  const merged = validate(configSchema.shape as Shape, json as Record<string, unknown>, defaults as unknown as Record<string, unknown>, file, '', problems, keys);
  return { config: configSchema.parse(merged), problems, keys };
}

export type ReadText = (file: string) => string;
const readUtf8: ReadText = (f) => readFileSync(f, 'utf8');

/** One config file on top of `base`; a missing file changes nothing (found: false). */
export function loadConfigFile(file: string, base: Config, read: ReadText = readUtf8): ParsedConfig & { found: boolean } {
  let text: string;
  try {
    text = read(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { config: base, problems: [], keys: [], found: false };
    return {
      config: base,
      problems: [{ file, key: '(Datei / file)', message: `nicht lesbar / cannot be read (${code ?? (e as Error).message}); alle Standardwerte / all defaults` }],
      keys: [],
      found: true,
    };
  }
  return { ...parseConfig(text, file, base), found: true };
}

export function loadConfig(file: string, read: ReadText = readUtf8): LoadedConfig {
  const r = loadConfigFile(file, defaultConfig(), read);
  return { config: r.config, problems: r.problems, found: r.found };
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}: ${p.key}: ${p.message}`;
}
