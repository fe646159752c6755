/**
 * Loads the config file. A missing file means defaults. A broken file or key never stops the program
 * and is never silent: each problem names the file, the key and what is allowed, and only that key
 * falls back to its default.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
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

type Shape = Record<string, z.ZodType>;

function unwrapObject(t: z.ZodType): z.ZodObject | undefined {
  let cur: z.ZodType = t;
  for (let i = 0; i < 5; i++) {
    if (cur instanceof z.ZodObject) return cur;
    if (cur instanceof z.ZodDefault) cur = cur.unwrap() as z.ZodType;
    else return undefined;
  }
  return undefined;
}

function allowed(t: z.ZodType): string {
  const issues = t.safeParse(Symbol('probe')).error?.issues ?? [];
  const first = issues[0];
  if (first && 'values' in first && Array.isArray(first.values)) return `erlaubt / allowed: ${first.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return '';
}

function validate(shape: Shape, input: Record<string, unknown>, defaults: Record<string, unknown>, file: string, prefix: string, problems: ConfigProblem[]): Record<string, unknown> {
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
      out[key] = validate(obj.shape as Shape, value as Record<string, unknown>, defaults[key] as Record<string, unknown>, file, path, problems);
      continue;
    }
    const r = schema.safeParse(value);
    if (r.success) out[key] = r.data;
    else {
      const hint = allowed(schema) || r.error.issues.map((i) => i.message).join('; ');
      problems.push({ file, key: path, message: `ungültiger Wert / invalid value ${JSON.stringify(value)?.slice(0, 60)}: ${hint}; Standard / default ${JSON.stringify(defaults[key])} wird verwendet / is used` });
    }
  }
  return out;
}

export function parseConfig(text: string, file: string): { config: Config; problems: ConfigProblem[] } {
  const defaults = defaultConfig();
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    return {
      config: defaults,
      problems: [{ file, key: '(Datei / file)', message: `kein gültiges JSON / not valid JSON: ${(e as Error).message}; alle Standardwerte werden verwendet / all defaults are used` }],
    };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return { config: defaults, problems: [{ file, key: '(Datei / file)', message: 'erwartet ein JSON-Objekt / expected a JSON object; alle Standardwerte / all defaults' }] };
  }
  const problems: ConfigProblem[] = [];
  const merged = validate(configSchema.shape as Shape, json as Record<string, unknown>, defaults as unknown as Record<string, unknown>, file, '', problems);
  return { config: configSchema.parse(merged), problems };
}

export function loadConfig(file: string, read: (f: string) => string = (f) => readFileSync(f, 'utf8')): LoadedConfig {
  let text: string;
  try {
    text = read(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { config: defaultConfig(), problems: [], found: false };
    return {
      config: defaultConfig(),
      problems: [{ file, key: '(Datei / file)', message: `nicht lesbar / cannot be read (${code ?? (e as Error).message}); alle Standardwerte / all defaults` }],
      found: true,
    };
  }
  return { ...parseConfig(text, file), found: true };
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}: ${p.key}: ${p.message}`;
}
