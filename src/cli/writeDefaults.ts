/**
 * `--write-defaults <file> [--ui-level N] NAME=VALUE…`: what the installer runs to pre-seed settings.
 * Checks the properties against the config schema (src/config/installerProperties.ts) and merges the
 * given ones into the defaults file key by key (keys not given stay as they were; nothing given: the
 * file is left alone). Any bad property: nothing is written, exit 1, and the reason goes to stderr, to
 * %TEMP%\wildix-datev-cti-setup.log and — in an interactive install (UI level > 2) — to a message box,
 * so the MSI fails with a message, not with a broken program.
 */
import * as fs from 'node:fs';
import { dirname } from 'node:path';
import { checkProperties } from '../config/installerProperties';

export const SETUP_LOG_NAME = 'wildix-datev-cti-setup.log';
/** How long the error box of an interactive install waits for OK before the install fails anyway. */
export const ERROR_BOX_TIMEOUT_MS = 300_000;

export interface WriteDefaultsRequest {
  file: string;
  assignments: string[];
  /** The installer's UILevel (2 = silent, 5 = full UI); > 2 shows errors in a message box. */
  uiLevel?: number;
}

export interface DefaultsFiles {
  /** Throws with code ENOENT when missing. */
  read(file: string): string;
  /** Writes the whole file (creating its folder), replacing it only when complete. */
  write(file: string, text: string): void;
  append(file: string, text: string): void;
}

export interface WriteDefaultsIo {
  out: (text: string) => void;
  err: (text: string) => void;
  files: DefaultsFiles;
  /** Where the setup log goes (%TEMP%\wildix-datev-cti-setup.log); undefined: none. */
  setupLog?: string;
  now: () => Date;
  /** A message box (Windows); undefined: none. */
  message?: (title: string, text: string) => Promise<void>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `over` merged into `base` key by key (nested sections too). */
export function mergeDeep(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObject(v) && isObject(out[k]) ? mergeDeep(out[k], v) : v;
  return out;
}

function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export async function writeDefaults(req: WriteDefaultsRequest, io: WriteDefaultsIo): Promise<number> {
  const log = (lines: string[]): void => {
    if (!io.setupLog) return;
    try {
      io.files.append(io.setupLog, lines.map((l) => `${stamp(io.now())} ${l}\r\n`).join(''));
    } catch {
      // the setup log is a help, never a reason to fail
    }
  };
  const fail = async (lines: string[]): Promise<number> => {
    for (const l of lines) io.err(l);
    log(lines);
    if (io.message && (req.uiLevel ?? 0) > 2) {
      await io.message('Wildix CTI für DATEV – Installation', lines.join('\n\n')).catch(() => undefined);
    }
    return 1;
  };

  const checked = checkProperties(req.assignments);
  if (checked.errors.length > 0) {
    return fail([
      `Installation abgebrochen: ungültige Eigenschaft(en) / installation stopped: invalid propert${checked.errors.length === 1 ? 'y' : 'ies'} (${req.file} unverändert / unchanged)`,
      ...checked.errors.map((e) => `  ${e}`),
    ]);
  }
  if (checked.taken.length === 0) {
    const line = `Keine Voreinstellungen angegeben / no defaults given: ${req.file} bleibt wie es ist / stays as it is`;
    io.out(line);
    log([line]);
    return 0;
  }

  let existing: Record<string, unknown> = {};
  let note = '';
  let oldText: string | undefined;
  try {
    oldText = io.files.read(req.file);
    const parsed: unknown = JSON.parse(oldText.replace(/^\uFEFF/, ''));
    if (isObject(parsed)) existing = parsed;
    else note = ' (die alte Datei war kein JSON-Objekt und wurde ersetzt / the old file was not a JSON object and was replaced)';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      note = ` (die alte Datei war nicht lesbar und wurde ersetzt / the old file could not be read and was replaced: ${(e as Error).message})`;
    }
  }
  if (note && oldText !== undefined) {
    // the administrator's other settings in it are not lost: kept beside it
    try {
      io.files.write(`${req.file}.old`, oldText);
      note += `; alter Inhalt / old content: ${req.file}.old`;
    } catch {
      // replaced all the same: the new defaults matter more than a copy of a broken file
    }
  }
  const merged = mergeDeep(existing, checked.values);
  try {
    io.files.write(req.file, `${JSON.stringify(merged, null, 2)}\n`);
  } catch (e) {
    return fail([
      `Voreinstellungen konnten nicht geschrieben werden / defaults could not be written: ${req.file}: ${(e as Error).message}`,
      `  Ordner / folder: ${dirname(req.file)}`,
    ]);
  }
  const line = `Voreinstellungen geschrieben / defaults written: ${req.file}: ${checked.taken.join(' ')}${note}`;
  io.out(line);
  log([line]);
  return 0;
}

/** The real files: the defaults file is written to a temporary file next to it, then renamed over it. */
export function nodeDefaultsFiles(): DefaultsFiles {
  return {
    read: (file) => fs.readFileSync(file, 'utf8'),
    write: (file, text) => {
      fs.mkdirSync(dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      try {
        fs.writeFileSync(tmp, text, 'utf8');
        fs.renameSync(tmp, file);
      } catch (e) {
        fs.rmSync(tmp, { force: true });
        throw e;
      }
    },
    append: (file, text) => fs.appendFileSync(file, text, 'utf8'),
  };
}
