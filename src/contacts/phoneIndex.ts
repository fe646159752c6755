/**
 * Small mutable number index (learned numbers, the manual CSV list): E.164 key → contacts, plus company
 * switchboard bases ("…-0" entries) that match direct dials of the same company. Entries are grouped by
 * owner so a source can replace them. The large DATEVconnect index is the compact table
 * (table/addresseeTable.ts) with the same matching rules.
 */
import type { Contact } from './port';

export type MatchKind = 'exact' | 'switchboard';

export interface IndexMatch {
  kind: MatchKind;
  contacts: Contact[];
}

/** Who a number belongs to (share one object for all numbers of a contact). */
export type Who = Pick<Contact, 'id' | 'name' | 'dataSource'>;

class Entry {
  constructor(
    readonly owner: string,
    readonly who: Who,
    readonly number: string,
    readonly score: number,
  ) {}

  contact(): Contact {
    return { id: this.who.id, name: this.who.name, dataSource: this.who.dataSource, number: this.number };
  }

  same(o: Entry): boolean {
    return this.who.id === o.who.id && this.who.dataSource === o.who.dataSource && this.who.name === o.who.name;
  }
}

type Slot = Entry | Entry[];
/** E.164 without "+" as a number: at most 15 digits, exact in a double, far smaller than a string key. */
type Key = number;
type Keys = Key | Key[];

/** At most this many digits may follow a switchboard base (direct-dial extension length). */
export const MAX_DDI_DIGITS = 5;
/** A switchboard base needs at least 6 digits. */
export const MIN_BASE = 100_000;

export class PhoneIndex {
  private readonly exact = new Map<Key, Slot>();
  private readonly boards = new Map<Key, Slot>();
  private readonly exactKeys = new Map<string, Keys>();
  private readonly boardKeys = new Map<string, Keys>();
  private numbers = 0;

  /** Number of indexed (exact) phone entries. */
  get size(): number {
    return this.numbers;
  }

  /**
   * Adds a contact's number (`number` as stored at the source). Higher `score` sorts first among
   * contacts with the same number; the same contact with the same number is kept once (highest score).
   */
  add(owner: string, e164: string, who: Who, number: string, score = 0, switchboardBase?: string): void {
    const entry = new Entry(owner, who, number, score);
    const key = toKey(e164);
    if (key === null) return;
    if (insert(this.exact, key, entry)) {
      this.numbers++;
      addKey(this.exactKeys, owner, key);
    }
    if (switchboardBase !== undefined && switchboardBase.length > 6) {
      const base = toKey(switchboardBase);
      if (base !== null && insert(this.boards, base, entry)) addKey(this.boardKeys, owner, base);
    }
  }

  /** Removes everything an owner added. */
  remove(owner: string): void {
    this.numbers -= removeOwner(this.exact, this.exactKeys, owner);
    removeOwner(this.boards, this.boardKeys, owner);
  }

  /** Every contact of the index once (with one of its numbers). */
  *contacts(): Iterable<Contact> {
    const seen = new Set<string>();
    for (const slot of this.exact.values()) {
      for (const e of Array.isArray(slot) ? slot : [slot]) {
        const k = `${e.who.dataSource}\u0000${e.who.id}\u0000${e.who.name}`;
        if (seen.has(k)) continue;
        seen.add(k);
        yield e.contact();
      }
    }
  }

  has(owner: string): boolean {
    return this.exactKeys.has(owner) || this.boardKeys.has(owner);
  }

  /** Exact matches; else the contacts of the longest switchboard base that prefixes the number. */
  find(e164: string): IndexMatch | null {
    const key = toKey(e164);
    if (key === null) return null;
    const exact = this.exact.get(key);
    if (exact) return { kind: 'exact', contacts: contacts(exact) };
    if (this.boards.size === 0) return null;
    let base = key;
    for (let extra = 0; extra <= MAX_DDI_DIGITS && base >= MIN_BASE; extra++) {
      const hit = this.boards.get(base);
      if (hit) return { kind: 'switchboard', contacts: contacts(hit) };
      base = Math.floor(base / 10);
    }
    return null;
  }

  clear(): void {
    this.exact.clear();
    this.boards.clear();
    this.exactKeys.clear();
    this.boardKeys.clear();
    this.numbers = 0;
  }
}

/** "+4989…" → 4989…; null when not "+" and 1-15 digits. */
export function toKey(e164: string): Key | null {
  if (!/^\+[1-9]\d{0,14}$/.test(e164)) return null;
  return Number(e164.slice(1));
}

function contacts(slot: Slot): Contact[] {
  return Array.isArray(slot) ? slot.map((e) => e.contact()) : [slot.contact()];
}

function addKey(map: Map<string, Keys>, owner: string, key: Key): void {
  const have = map.get(owner);
  if (have === undefined) map.set(owner, key);
  else if (Array.isArray(have)) have.push(key);
  else map.set(owner, [have, key]);
}

/** Removes the owner's entries from `map`; returns how many entries went. */
function removeOwner(map: Map<Key, Slot>, keysByOwner: Map<string, Keys>, owner: string): number {
  const keys = keysByOwner.get(owner);
  if (keys === undefined) return 0;
  keysByOwner.delete(owner);
  let removed = 0;
  for (const key of Array.isArray(keys) ? keys : [keys]) {
    const slot = map.get(key);
    if (slot === undefined) continue;
    const list = Array.isArray(slot) ? slot : [slot];
    const kept = list.filter((e) => e.owner !== owner);
    removed += list.length - kept.length;
    if (kept.length === 0) map.delete(key);
    else map.set(key, kept.length === 1 ? kept[0]! : kept);
  }
  return removed;
}

function insert(map: Map<Key, Slot>, key: Key, entry: Entry): boolean {
  const slot = map.get(key);
  if (slot === undefined) {
    map.set(key, entry);
    return true;
  }
  const list = Array.isArray(slot) ? slot : [slot];
  const same = list.findIndex((e) => e.same(entry));
  if (same >= 0) {
    if (list[same]!.score >= entry.score) return false;
    list.splice(same, 1);
  }
  let at = list.findIndex((e) => e.score < entry.score);
  if (at < 0) at = list.length;
  list.splice(at, 0, entry);
  map.set(key, list.length === 1 ? list[0]! : list);
  return same < 0;
}
