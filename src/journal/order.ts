/**
 * The kept entries in hang-up order, with an index by CallID. Nothing is re-sorted or scanned on a
 * change: an entry that ended after the others (nearly every one) goes at the end, an earlier one is
 * placed by binary search, and the limits drop entries from the old end. Equal hang-up times keep the
 * order in which the entries were first put (or first read at a load).
 */
import type { KeptEntry } from './entry';
import { JOURNAL_MAX_DAYS, JOURNAL_MAX_ENTRIES } from './port';

const DAY_MS = 86_400_000;
/** Dropped slots at the front are given back once there are this many and they are at least half. */
const RECLAIM = 1024;

interface Slot {
  entry: KeptEntry;
  /** Hang-up time (ms). */
  at: number;
  /** Order of the first put, for equal hang-up times. */
  seq: number;
}

const precedes = (a: Slot, b: Slot): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

export class HangupOrder {
  /** Oldest first from `head` on; the slots before `head` were dropped. */
  private slots: (Slot | undefined)[] = [];
  private head = 0;
  private readonly byId = new Map<string, Slot>();
  private seq = 0;

  constructor(
    private readonly maxEntries = JOURNAL_MAX_ENTRIES,
    private readonly maxDays = JOURNAL_MAX_DAYS,
    /** Hears of every entry the limits drop (not of one replaced by its newer version). */
    private readonly onDrop: (entry: KeptEntry) => void = () => undefined,
  ) {}

  get size(): number {
    return this.byId.size;
  }

  get(callId: string): KeptEntry | undefined {
    return this.byId.get(callId)?.entry;
  }

  /** Every entry, oldest first (a new array of the kept entries). */
  list(): KeptEntry[] {
    const out = new Array<KeptEntry>(this.slots.length - this.head);
    for (let i = this.head; i < this.slots.length; i++) out[i - this.head] = this.slots[i]!.entry;
    return out;
  }

  /** Replaces everything (a load): `entries` with distinct CallIDs in the order they were first written. Sorts once. */
  reset(entries: Iterable<KeptEntry>, now: Date): void {
    this.slots = [];
    this.head = 0;
    this.byId.clear();
    this.seq = 0;
    const cutoff = this.cutoff(now);
    for (const entry of entries) {
      const slot: Slot = { entry, at: Date.parse(entry.endedAt), seq: ++this.seq };
      if (!(slot.at >= cutoff)) {
        this.onDrop(entry);
        continue;
      }
      this.slots.push(slot);
      this.byId.set(entry.callId, slot);
    }
    this.slots.sort((a, b) => a!.at - b!.at || a!.seq - b!.seq);
    this.trim(now);
  }

  /** Adds or replaces the entry with its CallID and applies the limits at `now`. False when it is not kept (too old). */
  put(entry: KeptEntry, now: Date): boolean {
    const at = Date.parse(entry.endedAt);
    const old = this.byId.get(entry.callId);
    let slot: Slot;
    if (old && old.at === at) {
      old.entry = entry;
      slot = old;
    } else {
      if (old) this.remove(old);
      slot = { entry, at, seq: old ? old.seq : ++this.seq };
      if (!(at >= this.cutoff(now))) {
        this.onDrop(entry); // older than the limits already (a clock that jumped): not kept
        return false; // NaN too
      }
      this.insert(slot);
      this.byId.set(entry.callId, slot);
    }
    this.trim(now);
    return this.byId.get(entry.callId) === slot;
  }

  private cutoff(now: Date): number {
    return now.getTime() - this.maxDays * DAY_MS;
  }

  private insert(slot: Slot): void {
    const last = this.slots.length > this.head ? this.slots[this.slots.length - 1]! : undefined;
    if (!last || precedes(last, slot)) {
      this.slots.push(slot);
      return;
    }
    this.slots.splice(this.lowerBound(slot), 0, slot);
  }

  private remove(slot: Slot): void {
    const i = this.lowerBound(slot);
    if (this.slots[i] !== slot) throw new Error('journal order: entry not where it belongs'); // cannot happen
    if (i === this.head) this.dropFirst();
    else this.slots.splice(i, 1);
    this.byId.delete(slot.entry.callId);
  }

  /** The first index from `head` whose slot does not precede `slot`. */
  private lowerBound(slot: Slot): number {
    let lo = this.head;
    let hi = this.slots.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (precedes(this.slots[mid]!, slot)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private trim(now: Date): void {
    const cutoff = this.cutoff(now);
    while (this.head < this.slots.length && (this.byId.size > this.maxEntries || this.slots[this.head]!.at < cutoff)) {
      const dropped = this.slots[this.head]!.entry;
      this.byId.delete(dropped.callId);
      this.dropFirst();
      this.onDrop(dropped);
    }
  }

  private dropFirst(): void {
    this.slots[this.head++] = undefined;
    if (this.head >= RECLAIM && this.head * 2 >= this.slots.length) {
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
  }
}
