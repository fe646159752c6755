/**
 * The journal as a file of the Windows user (`%LOCALAPPDATA%\Wildix\DatevCti\journal.json`, protected
 * with DPAPI like the contact cache): written atomically shortly after each change. A file that cannot
 * be read (missing, corrupt, another user's) starts an empty journal and is logged once; entries of an
 * unexpected shape are skipped.
 */
import { JsonFile, isRecord, type FileCodec } from '../contacts/jsonFile';
import type { Logger } from '../logging/logger';
import { copyEntry, type DatevHas, type JournalEntry, type JournalNote, type NoteState } from './entry';
import { withinLimits, type JournalStore } from './port';

/** The journal's file in the user's data folder (%LOCALAPPDATA%\Wildix\DatevCti). */
export const JOURNAL_FILE = 'journal.json';

interface JournalFile {
  version: 1;
  entries: unknown[];
}

const DATEV_HAS: readonly DatevHas[] = ['live', 'waiting', 'pending', 'sending', 'journal', 'failed', 'not-reported'];
const NOTE_STATES: readonly NoteState[] = ['pending', 'sending', 'delivered', 'failed'];

const isFile = (v: unknown): v is JournalFile => isRecord(v) && v.version === 1 && Array.isArray(v.entries);
const str = (v: unknown): v is string => typeof v === 'string';
const optStr = (v: unknown): boolean => v === undefined || typeof v === 'string';

function isNote(v: unknown): v is JournalNote {
  return isRecord(v) && str(v.text) && str(v.at) && NOTE_STATES.includes(v.state as NoteState) && optStr(v.journalCallId) && typeof v.attempts === 'number';
}

export function isEntry(v: unknown): v is JournalEntry {
  if (!isRecord(v)) return false;
  const c = v.contact;
  return (
    str(v.callId) &&
    str(v.syncId) &&
    typeof v.direction === 'number' &&
    str(v.number) &&
    (c === undefined || (isRecord(c) && str(c.name) && str(c.id) && str(c.dataSource))) &&
    typeof v.internal === 'boolean' &&
    str(v.ringAt) &&
    optStr(v.connectedAt) &&
    str(v.endedAt) &&
    DATEV_HAS.includes(v.datev as DatevHas) &&
    typeof v.autoDeliver === 'boolean' &&
    optStr(v.journalCallId) &&
    typeof v.attempts === 'number' &&
    Array.isArray(v.notes) &&
    v.notes.every(isNote)
  );
}

export class FileJournalStore implements JournalStore {
  private list: JournalEntry[] = [];
  private readonly file: JsonFile<JournalFile>;
  private writing: Promise<void> = Promise.resolve();
  private scheduled = false;
  private failedOnce = false;

  constructor(
    path: string,
    private readonly log: Logger,
    codec?: FileCodec,
  ) {
    this.file = new JsonFile(path, isFile, codec);
  }

  async load(now: Date): Promise<void> {
    const r = await this.file.read();
    if (!r.ok) {
      if (!r.missing) this.log.warn(`journal ${this.file.path} cannot be read (${r.error ?? 'unknown'}); starting an empty journal`);
      this.list = [];
      return;
    }
    const good = r.value.entries.filter(isEntry);
    if (good.length !== r.value.entries.length) this.log.warn(`journal: ${r.value.entries.length - good.length} entries of an unexpected shape skipped`);
    this.list = withinLimits(good, now);
  }

  entries(): JournalEntry[] {
    return this.list.map(copyEntry);
  }

  get(callId: string): JournalEntry | undefined {
    const e = this.list.find((x) => x.callId === callId);
    return e ? copyEntry(e) : undefined;
  }

  put(entry: JournalEntry, now: Date): void {
    this.list = withinLimits([...this.list.filter((x) => x.callId !== entry.callId), copyEntry(entry)], now);
    this.schedule();
  }

  flush(): Promise<void> {
    return this.writing;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.writing = this.writing
      .catch(() => undefined)
      .then(() => new Promise<void>((r) => setImmediate(r)))
      .then(async () => {
        this.scheduled = false;
        try {
          await this.file.write({ version: 1, entries: this.list });
          this.failedOnce = false;
        } catch (e) {
          if (!this.failedOnce) this.log.error(`journal ${this.file.path} cannot be written: ${(e as Error).message}`);
          this.failedOnce = true;
          throw e;
        }
      });
  }
}
