/**
 * Journal port: the local journal of the calls of this Windows user, kept across restarts.
 * Real store: src/journal/fileStore.ts (DPAPI-protected append-only file). Fake: fakes/journal (the same
 * store over an in-memory "disk"). Contract: contracts/journal.contract.ts.
 *
 * Costs: put and get are independent of the number of entries kept (apart from work proportional to
 * the one entry); entries() copies the list of references (for the call list and the start, not for
 * every change).
 */
import type { KeptEntry } from './entry';

/** At most this many entries, none older than this: the oldest go first. */
export const JOURNAL_MAX_ENTRIES = 1000;
export const JOURNAL_MAX_DAYS = 14;

export interface JournalStore {
  /** Reads what was kept, within the limits at `now` (a missing or unreadable store is empty; never throws). Once, before use. */
  load(now: Date): Promise<void>;
  /** Every entry, oldest first by hang-up time (equal times: in the order they were first put). Read-only. */
  entries(): readonly KeptEntry[];
  /** The entry with this CallID (read-only; `copyEntry` it to change it). */
  get(callId: string): KeptEntry | undefined;
  /**
   * Adds or replaces the entry with this CallID (the store keeps its own copy); applies the limits at
   * `now` (the oldest go). Persists soon, in the order of the puts; never throws (a failing write is
   * logged once and retried).
   */
  put(entry: KeptEntry, now: Date): void;
  /** Resolves when everything put so far is persisted; rejects when writing it failed (the store keeps it and tries again). */
  flush(): Promise<void>;
}
