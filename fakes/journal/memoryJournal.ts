/**
 * In-memory journal store. `reopen()` gives a second store over what this one "persisted" (as after a
 * restart of the program); `failWrites` makes flush() fail like a full disk.
 */
import { copyEntry, type JournalEntry } from '../../src/journal/entry';
import { withinLimits, type JournalStore } from '../../src/journal/port';

export class MemoryJournal implements JournalStore {
  failWrites = false;
  private list: JournalEntry[] = [];

  constructor(private readonly persisted: { entries: JournalEntry[] } = { entries: [] }) {}

  async load(now: Date): Promise<void> {
    this.list = withinLimits(this.persisted.entries.map(copyEntry), now);
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
    if (!this.failWrites) this.persisted.entries = this.list.map(copyEntry);
  }

  async flush(): Promise<void> {
    if (this.failWrites) throw new Error('disk full');
  }

  /** A new store over what was persisted (the program restarted). */
  reopen(): MemoryJournal {
    return new MemoryJournal(this.persisted);
  }
}
