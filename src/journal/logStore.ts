/**
 * The journal store over an append-only log of records: one record per changed entry, the last record
 * of a CallID wins. The entries live in memory in hang-up order (HangupOrder); each put is written
 * behind it — batched, in the order of the puts, never in the call path. When the log holds much more
 * than the live entries (more than 2 × live + COMPACT_SLACK records) it is rewritten with just the live
 * entries, atomically (the RecordLog keeps the old log whole until the new one is complete); puts made
 * while its records are made are appended to the old log at once, puts made while it is written to the
 * new log after it. A write that fails is logged once and tried again after a
 * pause (at once by flush()); the entries stay in memory meanwhile. flush() resolves when everything
 * put before it is in the log and a compaction that was due has finished.
 *
 * Per put: work proportional to the one entry (a frozen copy, later its JSON); a rewrite costs
 * O(live entries) once per ≥ live + COMPACT_SLACK records appended, so amortised O(1) per put too.
 */
import type { Logger } from '../logging/logger';
import { Slicer } from '../contacts/slicer';
import type { Clock } from '../util/clock';
import { keepEntry, type KeptEntry } from './entry';
import { HangupOrder } from './order';
import { JOURNAL_MAX_DAYS, JOURNAL_MAX_ENTRIES, type JournalStore } from './port';
import { entryOf, recordOf } from './record';

/** What a log holds. */
export interface LogContents {
  /** The records that could be read, in the order they were written. */
  records: string[];
  /** Records that could not be read (damaged), not counting a torn last one. */
  damaged: number;
  /** The last record was cut short (the program ended while writing it); it is not among `records`. */
  torn: boolean;
  /** Records can be appended as it is (false: missing, unreadable or torn — the next write rewrites it). */
  appendable: boolean;
  /** Why the log could not be read at all (undefined when it was missing or fine). */
  problem?: string;
}

/** Where the records are kept: the DPAPI file (src/journal/fileLog.ts) or memory (fakes/journal). */
export interface RecordLog {
  /** For messages (the file's path). */
  readonly name: string;
  /** Never throws: what cannot be read is counted or reported in `problem`. */
  read(): Promise<LogContents>;
  /** Appends records after the last one. Rejects with the I/O error (the log may then end in a torn record). */
  append(records: readonly string[]): Promise<void>;
  /** Replaces the whole log with these records, atomically. Rejects with the I/O error (the old log is unchanged). */
  rewrite(records: readonly string[]): Promise<void>;
}

/** The log is rewritten when it holds more than 2 × the live entries + this many records. */
export const COMPACT_SLACK = 100;
/** After a failed write the next try waits this long, doubled after each failure up to RETRY_MAX_MS. */
export const RETRY_FIRST_MS = 1000;
export const RETRY_MAX_MS = 60_000;

/** A timer that does not keep the process alive (the store's retry must not delay the exit). */
function backgroundTimer(fn: () => void, ms: number): () => void {
  const t = setTimeout(fn, ms);
  t.unref();
  return () => clearTimeout(t);
}

interface Waiter {
  upTo: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class LogJournalStore implements JournalStore {
  /** An entry DATEV should still get and that the limits drop is lost for DATEV: said, with its CallID. */
  private readonly order = new HangupOrder(undefined, undefined, (e) => {
    const owed = e.datev === 'pending' || e.datev === 'sending' || e.datev === 'waiting' || e.datev === 'failed' || e.datev === 'open' || e.datev === 'unended' || e.notes.some((n) => n.state !== 'delivered');
    if (owed) this.logger.warn(`journal: a call DATEV does not have yet is dropped by the journal's limits (${JOURNAL_MAX_ENTRIES} calls, ${JOURNAL_MAX_DAYS} days); it will not reach DATEV`, { callId: e.callId, endedAt: e.endedAt, datev: e.datev });
  });
  /** The latest version of each entry changed since it was last written, in the order of first change. */
  private pending = new Map<string, KeptEntry>();
  /** Records in the log, readable or not. */
  private records = 0;
  /** The log takes appends (false: missing, unreadable, torn, or an append failed — the next write rewrites it). */
  private appendable = false;
  /** After a failed compaction, the next one waits until the log holds this many records. */
  private compactFloor = 0;
  /** Puts so far, and how many of them are on disk. */
  private puts = 0;
  private written = 0;
  private writing = false;
  private waiters: Waiter[] = [];
  private failures = 0;
  /** Cancels the pending retry after a failure (set while one waits). */
  private retryTimer: (() => void) | undefined;
  private readonly setTimer: (fn: () => void, ms: number) => () => void;

  /** `timers`, `slicer`: for tests (default: real timers that do not keep the process alive; slices of time). */
  constructor(
    private readonly log: RecordLog,
    private readonly logger: Logger,
    timers?: Clock,
    private readonly slicer: () => Slicer = () => new Slicer(),
  ) {
    this.setTimer = timers ? (fn, ms) => timers.setTimeout(fn, ms) : backgroundTimer;
  }

  async load(now: Date): Promise<void> {
    const c = await this.log.read();
    if (c.problem) this.logger.warn(`journal ${this.log.name} cannot be read (${c.problem}); starting an empty journal`);
    // last record per CallID wins; the order of first appearance decides between equal hang-up times
    const latest = new Map<string, KeptEntry>();
    let bad = c.damaged;
    const slicer = this.slicer();
    for (const r of c.records) {
      const e = entryOf(r);
      if (e) latest.set(e.callId, e);
      else bad++;
      if (slicer.due()) await slicer.yield();
    }
    if (bad > 0) this.logger.warn(`journal ${this.log.name}: ${bad} damaged records or entries of an unexpected shape skipped`);
    if (c.torn) this.logger.warn(`journal ${this.log.name}: the last record was cut short (the program ended while writing it) and is skipped`);
    this.order.reset(latest.values(), now);
    this.pending = new Map();
    this.records = c.records.length + c.damaged;
    this.appendable = c.appendable;
    this.compactFloor = 0;
    this.kick(); // a log far larger than its live entries is compacted in the background
  }

  entries(): readonly KeptEntry[] {
    return this.order.list();
  }

  get(callId: string): KeptEntry | undefined {
    return this.order.get(callId);
  }

  put(entry: KeptEntry, now: Date): void {
    const kept = keepEntry(entry);
    this.puts++;
    if (this.order.put(kept, now)) this.pending.set(kept.callId, kept);
    else this.pending.delete(kept.callId); // older than the limits: nothing to write
    this.kick();
  }

  flush(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ upTo: this.puts, resolve, reject });
      if (this.retryTimer) {
        this.retryTimer();
        this.retryTimer = undefined;
      }
      this.kick();
    });
  }

  private compactionDue(): boolean {
    return this.records > Math.max(2 * this.order.size + COMPACT_SLACK, this.compactFloor);
  }

  /** Starts the writer unless it runs or waits to try again after a failure. */
  private kick(): void {
    if (this.writing || this.retryTimer) return;
    if (this.pending.size === 0 && !this.compactionDue()) {
      this.settle(this.puts);
      return;
    }
    this.writing = true;
    queueMicrotask(() => void this.drain());
  }

  /** Writes until nothing is left; every step writes what was put before it began. */
  private async drain(): Promise<void> {
    try {
      for (;;) {
        const upTo = this.puts;
        let wrote: boolean;
        if (this.pending.size > 0 && !this.appendable) wrote = await this.rewrite(true);
        else if (this.compactionDue()) wrote = await this.rewrite(false);
        else if (this.pending.size > 0) wrote = await this.append();
        else break;
        // flush() also waits for a compaction that is due (a quiet log after it: tests, the stop)
        if (wrote && !this.compactionDue()) this.settle(upTo);
      }
      this.settle(this.puts);
      if (this.failures > 0) this.logger.info(`journal ${this.log.name} written again after ${this.failures} failed attempts`);
      this.failures = 0;
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      this.failures++;
      if (this.failures === 1) this.logger.error(`journal ${this.log.name} cannot be written: ${err.message}; the entries are kept in memory and written when it works again`);
      for (const w of this.waiters.splice(0)) w.reject(err);
      const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.min(10, this.failures - 1));
      this.retryTimer = this.setTimer(() => {
        this.retryTimer = undefined;
        this.kick();
      }, delay);
    } finally {
      this.writing = false;
    }
  }

  private settle(upTo: number): void {
    this.written = Math.max(this.written, upTo);
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.upTo <= this.written) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  /** Takes the pending entries; `restore` puts them back (behind nothing: newer versions put meanwhile win). */
  private take(): Map<string, KeptEntry> {
    const taken = this.pending;
    this.pending = new Map();
    return taken;
  }

  private restore(taken: Map<string, KeptEntry>): void {
    this.pending = new Map([...taken, ...this.pending]);
  }

  private async append(): Promise<boolean> {
    const taken = this.take();
    const batch: string[] = [];
    // an entry dropped by the limits meanwhile is not written (a load drops it again anyway)
    for (const e of taken.values()) if (this.order.get(e.callId) === e) batch.push(recordOf(e));
    if (batch.length === 0) return true;
    try {
      await this.log.append(batch);
    } catch (e) {
      this.appendable = false; // the log may end in a torn record now
      this.restore(taken);
      throw e;
    }
    this.records += batch.length;
    return true;
  }

  /**
   * Writes the live entries as a new log. `needed`: the log cannot take appends, so a failure is a write
   * failure; else it is a compaction, and a failure only puts the next one off (appends go on).
   */
  private async rewrite(needed: boolean): Promise<boolean> {
    // the live entries' records, made in slices (entries are frozen: a changed one is a new object); while
    // the work pauses, a compaction appends what is put meanwhile to the old log, which stays whole until
    // the new one replaces it — a change never waits for a compaction (a hard kill meanwhile keeps it)
    const prepared = new Map<KeptEntry, string>();
    const slicer = this.slicer();
    for (const e of this.order.list()) {
      prepared.set(e, recordOf(e));
      if (slicer.due()) {
        await slicer.yield();
        if (!needed && this.pending.size > 0) await this.append();
      }
    }
    // the new log: every entry live now, in its version of now (those changed meanwhile made anew)
    const lines = this.order.list().map((e) => prepared.get(e) ?? recordOf(e));
    const taken = this.take(); // all in the new log; puts from now on are appended to it
    try {
      await this.log.rewrite(lines);
    } catch (e) {
      this.restore(taken);
      if (needed) throw e;
      this.compactFloor = this.records + COMPACT_SLACK;
      this.logger.warn(`journal ${this.log.name} cannot be compacted (${(e as Error).message}); tried again later`);
      return false;
    }
    this.records = lines.length;
    this.appendable = true;
    this.compactFloor = 0;
    return true;
  }
}
