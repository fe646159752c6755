/**
 * Numbers DATEV told us: every Dial carries number, AdressatenId, Adressatenname and DataSource
 * (institutions included). Kept per user on disk and used for later calls from/to that number.
 * Up to 20,000 entries (megabytes of JSON): read and written in pieces, never in one long block.
 */
import { readObjectWithArray, writeObjectWithArray } from './jsonChunks';
import { BlobFile, isRecord, type FileCodec } from './jsonFile';
import type { Logger } from './logger';
import { normalizeCaller, parseStoredNumber, type NumberRules, type StoredNumber } from './numbers';
import { PhoneIndex, type IndexMatch } from './phoneIndex';
import type { Contact } from './port';
import { DEFAULT_SLICE_MS, Slicer } from './slicer';

interface LearnedEntry {
  e164: string;
  base?: string;
  contact: Contact;
  /** Epoch ms of the last Dial that taught it. */
  at: number;
}

function isContact(v: unknown): v is Contact {
  return isRecord(v) && typeof v.id === 'string' && typeof v.name === 'string' && typeof v.dataSource === 'string' && typeof v.number === 'string';
}

function isLearnedEntry(e: unknown): e is LearnedEntry {
  return isRecord(e) && typeof e.e164 === 'string' && typeof e.at === 'number' && isContact(e.contact) && (e.base === undefined || typeof e.base === 'string');
}

export interface LearnedStoreOptions {
  file: string;
  rules: NumberRules;
  logger: Logger;
  now: () => Date;
  codec?: FileCodec;
  /** Oldest entries are forgotten beyond this many. */
  maxEntries?: number;
  /** Longest piece of work between two pauses for the event loop (default DEFAULT_SLICE_MS). */
  sliceMs?: number;
}

/** The learned numbers' file in the user's data folder (%LOCALAPPDATA%\Wildix\DatevCti). */
export const LEARNED_FILE = 'learned-contacts.json';

export class LearnedStore {
  private readonly file: BlobFile;
  private saving: Promise<void> = Promise.resolve();
  private readonly entries = new Map<string, LearnedEntry>();
  private readonly index = new PhoneIndex();
  private readonly maxEntries: number;

  constructor(private readonly opts: LearnedStoreOptions) {
    // months of learned numbers cannot be rebuilt: a file that cannot be read is kept, never overwritten
    this.file = new BlobFile(opts.file, opts.codec, { keepUnreadable: true, logger: opts.logger });
    this.maxEntries = opts.maxEntries ?? 20000;
  }

  get size(): number {
    return this.entries.size;
  }

  async load(): Promise<void> {
    const r = await this.file.read();
    const unreadable = (error: string | undefined, keptAs: string | undefined): void =>
      this.opts.logger.warn('Gelernte Rufnummern nicht lesbar, beginne leer; die Datei wird beim nächsten Speichern aufbewahrt / learned numbers unreadable, starting empty; the file is kept at the next save', { file: this.opts.file, keptAs, error });
    if (!r.ok) {
      if (!r.missing) unreadable(r.error, r.keptAs);
      return;
    }
    const slicer = this.slicer();
    const loaded: LearnedEntry[] = [];
    try {
      const { fields, sawArray } = await readObjectWithArray(r.value, 'entries', slicer, (e) => {
        if (!isLearnedEntry(e)) throw new TypeError('unexpected content');
        loaded.push(e);
      });
      if (fields.version !== 1 || !sawArray) throw new TypeError('unexpected content');
    } catch (e) {
      unreadable(String(e), this.file.rejectContent());
      return;
    }
    for (const e of loaded) {
      this.put(e);
      if (slicer.due()) await slicer.yield();
    }
  }

  /**
   * Remembers a number → contact pair from DATEV's Dial; `number` as typed in DATEV (never with the
   * outside-line prefix). Returns false (and stores nothing) for unusable input.
   */
  async learn(number: string, contact: Contact): Promise<boolean> {
    return this.learnKey(number, contact, () => parseStoredNumber(number, this.opts.rules));
  }

  /**
   * Remembers a number → contact pair the user made for a call; `number` as the phone system reported it
   * (it may carry the outside-line prefix). Returns false (and stores nothing) for unusable input.
   */
  async learnReported(number: string, contact: Contact): Promise<boolean> {
    return this.learnKey(number, contact, () => {
      const key = normalizeCaller(number, this.opts.rules);
      return key.ok ? { e164: key.e164 } : null;
    });
  }

  private async learnKey(number: string, contact: Contact, parse: () => StoredNumber | null): Promise<boolean> {
    if (typeof number !== 'string' || !isContact(contact) || contact.id.trim() === '' || contact.name.trim() === '') return false;
    const parsed = parse();
    if (!parsed) return false;
    this.put({ e164: parsed.e164, base: parsed.switchboardBase, contact: { ...contact, number }, at: this.opts.now().getTime() });
    this.trim();
    await this.save();
    return true;
  }

  /** Writes what is known now; saves run one after the other, each with the entries of its own start. */
  private save(): Promise<void> {
    this.saving = this.saving.then(async () => {
      try {
        await this.file.write(await writeObjectWithArray({ version: 1 }, 'entries', [...this.entries.values()], this.slicer()));
      } catch (e) {
        this.opts.logger.warn('Gelernte Rufnummern nicht gespeichert / could not save learned numbers', { file: this.opts.file, error: String(e) });
      }
    });
    return this.saving;
  }

  private slicer(): Slicer {
    return new Slicer(this.opts.sliceMs ?? DEFAULT_SLICE_MS);
  }

  find(e164: string): IndexMatch | null {
    return this.index.find(e164);
  }

  /** Every learned contact once. */
  contacts(): Iterable<Contact> {
    return this.index.contacts();
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
