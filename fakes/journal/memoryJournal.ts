/**
 * The journal store over an in-memory "disk": the same log store as the file store
 * (src/journal/logStore.ts), with the records kept as lines of JSON in memory. `reopen()` gives a second
 * store over what this one persisted (as after a restart of the program); `failWrites` makes writes
 * fail like a full disk. The disk can also cut its last record short, damage one, and hold a rewrite
 * half-way (for the contract's crash and compaction cases).
 */
import { silentLogger, type Logger } from '../../src/logging/logger';
import type { Clock } from '../../src/util/clock';
import { LogJournalStore, type LogContents, type RecordLog } from '../../src/journal/logStore';
import type { Slicer } from '../../src/contacts/slicer';

export class MemoryDisk implements RecordLog {
  readonly name = 'memory';
  failWrites = false;
  /** Appends and rewrites tried so far (failed ones too). */
  writes = 0;
  /** Complete lines (each ended by a line break), then what a torn write left without one. */
  private lines: string[] = [];
  private tail = '';
  private exists = false;
  private held: { begun: () => void; released: Promise<void> } | undefined;
  private heldAppend: { begun: () => void; released: Promise<void> } | undefined;

  async read(): Promise<LogContents> {
    if (!this.exists) return { records: [], damaged: 0, torn: false, appendable: false };
    // a damaged line is not JSON of an entry: the store skips it
    return { records: [...this.lines], damaged: 0, torn: this.tail !== '', appendable: this.tail === '' };
  }

  async append(records: readonly string[]): Promise<void> {
    const held = this.heldAppend;
    if (held) {
      this.heldAppend = undefined;
      held.begun();
      await held.released;
    }
    this.writes++;
    if (this.failWrites) throw new Error('disk full');
    if (!this.exists) throw new Error('no log yet (it is rewritten first)');
    if (this.tail !== '') {
      // as in a file: the first new record continues the torn line
      this.lines.push(this.tail + records[0]!);
      this.tail = '';
      this.lines.push(...records.slice(1));
      return;
    }
    this.lines.push(...records);
  }

  async rewrite(records: readonly string[]): Promise<void> {
    const held = this.held;
    if (held) {
      this.held = undefined;
      held.begun();
      await held.released;
    }
    this.writes++;
    if (this.failWrites) throw new Error('disk full');
    this.lines = [...records];
    this.tail = '';
    this.exists = true;
  }

  /** A second disk with what this one holds now (a disk the process that was killed writes no more to). */
  copy(): MemoryDisk {
    const d = new MemoryDisk();
    d.lines = [...this.lines];
    d.tail = this.tail;
    d.exists = this.exists;
    return d;
  }

  /** Records on the disk, readable or not. */
  recordCount(): number {
    return this.lines.length + (this.tail === '' ? 0 : 1);
  }

  /** The last record is cut short, as by a hard kill while it was written. */
  tearLast(): void {
    const last = this.lines.pop();
    if (last !== undefined) this.tail = last.slice(0, Math.floor(last.length / 2));
  }

  /** The record at `index` is damaged. */
  corrupt(index: number): void {
    const line = this.lines[index];
    if (line !== undefined) this.lines[index] = '#'.repeat(line.length);
  }

  /** The next append waits, once it has begun, until `release()` (a slow disk). */
  holdNextAppend(): { begun: Promise<void>; release(): void } {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const begun = new Promise<void>((r) => (this.heldAppend = { begun: r, released }));
    return { begun, release };
  }

  /** The next rewrite waits, once it has begun, until `release()`. */
  holdNextRewrite(): { begun: Promise<void>; release(): void } {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const begun = new Promise<void>((r) => (this.held = { begun: r, released }));
    return { begun, release };
  }
}

export class MemoryJournal extends LogJournalStore {
  constructor(
    readonly disk: MemoryDisk = new MemoryDisk(),
    private readonly logTo: Logger = silentLogger,
    private readonly timers?: Clock,
    /** Where reading and compacting pause (default: slices of time; tests that replay a day pass stepSlicer). */
    private readonly slicing?: () => Slicer,
  ) {
    super(disk, logTo, timers, slicing);
  }

  get failWrites(): boolean {
    return this.disk.failWrites;
  }

  set failWrites(fail: boolean) {
    this.disk.failWrites = fail;
  }

  /** A new store over what was persisted (the program restarted); load() it before use. */
  reopen(): MemoryJournal {
    return new MemoryJournal(this.disk, this.logTo, this.timers, this.slicing);
  }

  /**
   * A new store over what was persisted at this moment, on a disk of its own (the program was killed:
   * whatever this store still had on its way — a batch, a compaction — never reaches the new one's disk).
   */
  reopenAfterKill(): MemoryJournal {
    return new MemoryJournal(this.disk.copy(), this.logTo, this.timers, this.slicing);
  }
}
