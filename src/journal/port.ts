/**
 * Journal port: the local journal of the calls of this Windows user, kept across restarts.
 * Real store: src/journal/fileStore.ts (DPAPI-protected file). Fake: fakes/journal.
 * Contract: contracts/journal.contract.ts.
 */
import type { JournalEntry } from './entry';

/** At most this many entries, none older than this: the oldest go first. */
export const JOURNAL_MAX_ENTRIES = 1000;
export const JOURNAL_MAX_DAYS = 14;

export interface JournalStore {
  /** Reads what was kept, within the limits at `now` (a missing or unreadable store is empty; never throws). Once, before use. */
  load(now: Date): Promise<void>;
  /** Every entry, oldest first (by hang-up time). */
  entries(): JournalEntry[];
  get(callId: string): JournalEntry | undefined;
  /** Adds or replaces the entry with this CallID; applies the limits (`now`); persists soon. */
  put(entry: JournalEntry, now: Date): void;
  /** Resolves when everything put so far is persisted (rejects with the store's error). */
  flush(): Promise<void>;
}

/** The entries to keep: none older than JOURNAL_MAX_DAYS (by hang-up), at most JOURNAL_MAX_ENTRIES, oldest first. */
export function withinLimits(entries: JournalEntry[], now: Date): JournalEntry[] {
  const oldest = now.getTime() - JOURNAL_MAX_DAYS * 86_400_000;
  const kept = entries.filter((e) => Date.parse(e.endedAt) >= oldest).sort((a, b) => Date.parse(a.endedAt) - Date.parse(b.endedAt));
  return kept.length > JOURNAL_MAX_ENTRIES ? kept.slice(kept.length - JOURNAL_MAX_ENTRIES) : kept;
}
