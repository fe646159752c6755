/**
 * Manual number list: a CSV file the user maintains for numbers DATEV does not have.
 * Format: one entry per line, `Nummer;Name;ID;DataSource` (ID and DataSource optional; fields may be
 * quoted with "…"; a header line and lines starting with # are ignored). UTF-8 or Windows-1252 (Excel).
 */
import { promises as fs } from 'node:fs';
import { DATA_SOURCE_ADRESSATEN, DATA_SOURCE_WILDIX } from '../datev/callData';
import type { Logger } from './logger';
import { parseStoredNumber, type NumberRules } from './numbers';
import { PhoneIndex, type IndexMatch } from './phoneIndex';
import type { Contact } from './port';
import { DEFAULT_SLICE_MS, Slicer } from './slicer';

export interface ManualListStatus {
  file: string;
  entries: number;
  /** Line numbers (1-based) that could not be used. */
  skippedLines: number[];
  error?: string;
}

export class ManualList {
  private index = new PhoneIndex();
  private stamp = '';
  private state: ManualListStatus;

  constructor(
    private readonly path: string,
    private readonly rules: NumberRules,
    private readonly logger: Logger,
    private readonly sliceMs = DEFAULT_SLICE_MS,
  ) {
    this.state = { file: path, entries: 0, skippedLines: [] };
  }

  status(): ManualListStatus {
    return { ...this.state, skippedLines: [...this.state.skippedLines] };
  }

  find(e164: string): IndexMatch | null {
    return this.index.find(e164);
  }

  /** Every contact of the list once. */
  contacts(): Iterable<Contact> {
    return this.index.contacts();
  }

  /** Reads the file when it changed since the last load. Returns true when the entries changed. */
  async reload(): Promise<boolean> {
    let stat;
    try {
      stat = await fs.stat(this.path);
    } catch (e) {
      return this.fail(`Datei nicht gefunden / file not found: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    const stamp = `${stat.mtimeMs}:${stat.size}`;
    if (stamp === this.stamp && this.state.error === undefined) return false;
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(this.path);
    } catch (e) {
      return this.fail(`Datei nicht lesbar / file unreadable: ${String(e)}`);
    }
    this.stamp = stamp;
    const { index, entries, skipped } = await parseManualCsv(decode(bytes), this.rules, new Slicer(this.sliceMs));
    this.index = index;
    this.state = { file: this.path, entries, skippedLines: skipped };
    if (skipped.length > 0) {
      this.logger.warn('Manuelle Nummernliste: Zeilen ohne gültige Rufnummer übersprungen / manual list: lines without a valid number skipped', { file: this.path, lines: skipped.slice(0, 20) });
    }
    this.logger.info('Manuelle Nummernliste geladen / manual list loaded', { file: this.path, entries });
    return true;
  }

  /**
   * The file cannot be read now. What was read before stays in use (a share that drops for a moment, a
   * save in progress): the list is checked every minute, and a gap must not lose its contacts.
   */
  private fail(error: string): boolean {
    if (this.state.error !== error) {
      const kept = this.state.entries > 0 ? `; the ${this.state.entries} entries read before stay in use` : '';
      this.logger.warn(`Manuelle Nummernliste nicht verfügbar, Pfad in der Konfiguration prüfen / manual list not available, check the configured path${kept}`, { file: this.path, error });
    }
    this.stamp = '';
    this.state = { ...this.state, error };
    return false;
  }
}

function decode(bytes: Buffer): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    text = new TextDecoder('windows-1252').decode(bytes);
  }
  return text.startsWith('\ufeff') ? text.slice(1) : text;
}

/** Splits one CSV line at `;` (or `,` when the line has no `;`), honouring "quoted" fields. */
export function splitCsvLine(line: string): string[] {
  const sep = line.includes(';') ? ';' : ',';
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === sep) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

/** Parses the list (each number through libphonenumber: thousands of lines take a while, so in slices). */
export async function parseManualCsv(text: string, rules: NumberRules, slicer = new Slicer()): Promise<{ index: PhoneIndex; entries: number; skipped: number[] }> {
  const index = new PhoneIndex();
  const skipped: number[] = [];
  let entries = 0;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (slicer.due()) await slicer.yield();
    const line = lines[i]!;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const [number = '', name = '', id = '', dataSource = ''] = splitCsvLine(line);
    if (i === 0 && !/\d/.test(number)) continue; // header
    const parsed = parseStoredNumber(number, rules);
    if (!parsed || name === '') {
      skipped.push(i + 1);
      continue;
    }
    const source = dataSource !== '' ? dataSource : id !== '' ? DATA_SOURCE_ADRESSATEN : DATA_SOURCE_WILDIX;
    index.add(`line:${i + 1}`, parsed.e164, { id, name, dataSource: source }, number, 0, parsed.switchboardBase);
    entries++;
  }
  return { index, entries, skipped };
}
