/**
 * Numbers DATEV told us: every Dial carries number, AdressatenId, Adressatenname and DataSource
 * (institutions included). Kept per user on disk and used for later calls from/to that number.
 */
import { JsonFile, isRecord, type FileCodec } from './jsonFile';
import type { Logger } from './logger';
import { parseStoredNumber, type NumberRules } from './numbers';
import { PhoneIndex, type IndexMatch } from './phoneIndex';
import type { Contact } from './port';

interface LearnedEntry {
  e164: string;
  base?: string;
  contact: Contact;
  /** Epoch ms of the last Dial that taught it. */
  at: number;
}

interface LearnedFile {
  version: 1;
  entries: LearnedEntry[];
}

function isContact(v: unknown): v is Contact {
  return isRecord(v) && typeof v.id === 'string' && typeof v.name === 'string' && typeof v.dataSource === 'string' && typeof v.number === 'string';
}

function isLearnedFile(v: unknown): v is LearnedFile {
  return (
    isRecord(v) &&
    v.version === 1 &&
    Array.isArray(v.entries) &&
    v.entries.every((e) => isRecord(e) && typeof e.e164 === 'string' && typeof e.at === 'number' && isContact(e.contact) && (e.base === undefined || typeof e.base === 'string'))
  );
}

export interface LearnedStoreOptions {
  file: string;
  rules: NumberRules;
  logger: Logger;
  now: () => Date;
  codec?: FileCodec;
  /** Oldest entries are forgotten beyond this many. */
  maxEntries?: number;
}

export class LearnedStore {
  private readonly file: JsonFile<LearnedFile>;
  private readonly entries = new Map<string, LearnedEntry>();
  private readonly index = new PhoneIndex();
  private readonly maxEntries: number;

  constructor(private readonly opts: LearnedStoreOptions) {
    this.file = new JsonFile(opts.file, isLearnedFile, opts.codec);
    this.maxEntries = opts.maxEntries ?? 20000;
  }

  get size(): number {
    return this.entries.size;
  }

  async load(): Promise<void> {
    const r = await this.file.read();
    if (!r.ok) {
      if (!r.missing) this.opts.logger.warn('Gelernte Rufnummern nicht lesbar, beginne leer / learned numbers unreadable, starting empty', { file: this.opts.file, error: r.error });
      return;
    }
    for (const e of r.value.entries) this.put(e);
  }

  /** Remembers a number → contact pair from DATEV. Returns false (and stores nothing) for unusable input. */
  async learn(number: string, contact: Contact): Promise<boolean> {
    if (typeof number !== 'string' || !isContact(contact) || contact.id.trim() === '' || contact.name.trim() === '') return false;
    const parsed = parseStoredNumber(number, this.opts.rules);
    if (!parsed) return false;
    this.put({ e164: parsed.e164, base: parsed.switchboardBase, contact: { ...contact, number }, at: this.opts.now().getTime() });
    this.trim();
    try {
      await this.file.write({ version: 1, entries: [...this.entries.values()] });
    } catch (e) {
      this.opts.logger.warn('Gelernte Rufnummern nicht gespeichert / could not save learned numbers', { file: this.opts.file, error: String(e) });
    }
    return true;
  }

  find(e164: string): IndexMatch | null {
    return this.index.find(e164);
  }

  /** Forgets everything learned for these DATEV ids (e.g. addressees deleted in DATEV). */
  forgetIds(ids: ReadonlySet<string>): number {
    let n = 0;
    for (const [owner, e] of this.entries) {
      if (ids.has(e.contact.id)) {
        this.entries.delete(owner);
        this.index.remove(owner);
        n++;
      }
    }
    return n;
  }

  private put(e: LearnedEntry): void {
    const owner = `${e.e164}|${e.contact.dataSource}|${e.contact.id}`;
    this.index.remove(owner);
    this.entries.delete(owner);
    this.entries.set(owner, e);
    this.index.add(owner, e.e164, e.contact, e.contact.number, e.at, e.base);
  }

  private trim(): void {
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.index.remove(oldest);
    }
  }
}
