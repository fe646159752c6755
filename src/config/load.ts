/**
 * Loads the config file. A missing file means defaults (unless the user named it with --config). A
 * broken file or key never stops the program and is never silent: each problem names the file, the key
 * and what is allowed, and only that key falls back to its default.
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

/** The key of a problem with the whole file rather than one of its keys. */
const WHOLE_FILE = '(Datei / file)';

/** The key's schema; only the shape's own keys (a key such as "constructor" or "__proto__" is unknown). */
function schemaOf(shape: Shape, key: string): z.ZodMiniType | undefined {
  return Object.hasOwn(shape, key) ? shape[key] : undefined;
}

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
    const schema = schemaOf(shape, key);
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
      problems: [{ file, key: WHOLE_FILE, message: `kein gültiges JSON / not valid JSON: ${(e as Error).message}; alle Standardwerte werden verwendet / all defaults are used` }],
      keys: [],
    };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return { config: defaults, problems: [{ file, key: WHOLE_FILE, message: 'erwartet ein JSON-Objekt / expected a JSON object; alle Standardwerte / all defaults' }], keys: [] };
  }
  const problems: ConfigProblem[] = [];
  const keys: string[] = [];
  const merged = validate(configSchema.shape as Shape, json as Record<string, unknown>, defaults as unknown as Record<string, unknown>, file, '', problems, keys);
  return { config: configSchema.parse(merged), problems, keys };
}

/** Reads a file's bytes (injectable for tests). */
export type ReadFile = (file: string) => Uint8Array;
const readBytes: ReadFile = (f) => readFileSync(f);

interface DecodedText {
  text: string;
  /** A problem when the file was not saved as Unicode. */
  problem?: ConfigProblem;
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

/**
 * A config file's text from its bytes. UTF-16 LE/BE with BOM (PowerShell 5 `Out-File`) and UTF-8 with or
 * without BOM are read as such; bytes that are not valid UTF-8 (PowerShell 5 `Set-Content`, Notepad's
 * "ANSI") are read as Windows-1252, the Western European ANSI code page, and that is reported: it is a
 * guess, and umlauts would otherwise silently become U+FFFD (a line name never found).
 */
function decodeConfigText(bytes: Uint8Array, file: string): DecodedText {
  if (startsWith(bytes, [0xff, 0xfe])) return { text: new TextDecoder('utf-16le').decode(bytes) };
  if (startsWith(bytes, [0xfe, 0xff])) return { text: new TextDecoder('utf-16be').decode(bytes) };
  const body = startsWith(bytes, [0xef, 0xbb, 0xbf]) ? bytes.subarray(3) : bytes; // a UTF-8 BOM
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(body) };
  } catch {
    return {
      text: new TextDecoder('windows-1252').decode(body),
      problem: { file, key: WHOLE_FILE, message: 'nicht als UTF-8 gespeichert, als Windows-1252 gelesen / not saved as UTF-8, read as Windows-1252; bitte als UTF-8 speichern / please save it as UTF-8' },
    };
  }
}

/** A file that could not be read leaves `base`; missing is a problem only when `required`. */
function unreadable(file: string, base: Config, e: unknown, required: boolean): ParsedConfig & { found: boolean } {
  const code = (e as NodeJS.ErrnoException).code;
  const result = (problems: ConfigProblem[], found: boolean) => ({ config: base, problems, keys: [], found });
  if (code !== 'ENOENT') return result([{ file, key: WHOLE_FILE, message: `nicht lesbar / cannot be read (${code ?? (e as Error).message}); alle Standardwerte / all defaults` }], true);
  if (!required) return result([], false);
  return result([{ file, key: WHOLE_FILE, message: 'nicht gefunden / not found (--config); Voreinstellungen und Standardwerte werden verwendet / defaults are used' }], false);
}

/**
 * One config file on top of `base`. A missing file changes nothing (found: false); it is a problem only
 * when `required` (the user named it with --config, so a typo in the path must not pass unnoticed).
 */
export function loadConfigFile(file: string, base: Config, read: ReadFile = readBytes, required = false): ParsedConfig & { found: boolean } {
  let bytes: Uint8Array;
  try {
    bytes = read(file);
  } catch (e) {
    return unreadable(file, base, e, required);
  }
  const decoded = decodeConfigText(bytes, file);
  const parsed = parseConfig(decoded.text, file, base);
  return { ...parsed, problems: [...(decoded.problem ? [decoded.problem] : []), ...parsed.problems], found: true };
}

export function loadConfig(file: string, read: ReadFile = readBytes): LoadedConfig {
  const r = loadConfigFile(file, defaultConfig(), read);
  return { config: r.config, problems: r.problems, found: r.found };
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}: ${p.key}: ${p.message}`;
}
