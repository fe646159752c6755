/**
 * In-memory number index: E.164 key → contacts, plus company switchboard bases ("…-0" entries) that
 * match direct dials of the same company. Entries are grouped by owner so a source can replace them.
 */
import type { Contact } from './port';

export type MatchKind = 'exact' | 'switchboard';

export interface IndexMatch {
  kind: MatchKind;
  contacts: Contact[];
}

interface Entry {
  owner: string;
  contact: Contact;
  score: number;
}

/** At most this many digits may follow a switchboard base (direct-dial extension length). */
export const MAX_DDI_DIGITS = 5;
/** A switchboard base needs at least this many characters ("+" and 6 digits). */
const MIN_BASE_LENGTH = 7;

export class PhoneIndex {
  private readonly exact = new Map<string, Entry[]>();
  private readonly boards = new Map<string, Entry[]>();
  private readonly owners = new Map<string, string[]>();
  private numbers = 0;

  /** Number of indexed (exact) phone entries. */
  get size(): number {
    return this.numbers;
  }

  /**
   * Adds a contact's number. Higher `score` sorts first among contacts with the same number.
   * The same owner/contact id with the same number is kept once (highest score).
   */
  add(owner: string, e164: string, contact: Contact, score = 0, switchboardBase?: string): void {
    const keys = this.owners.get(owner) ?? [];
    if (insert(this.exact, e164, { owner, contact, score })) {
      this.numbers++;
      keys.push('=' + e164);
    }
    if (switchboardBase !== undefined && switchboardBase.length >= MIN_BASE_LENGTH && insert(this.boards, switchboardBase, { owner, contact, score })) {
      keys.push('~' + switchboardBase);
    }
    this.owners.set(owner, keys);
  }

  /** Removes everything an owner added. */
  remove(owner: string): void {
    const keys = this.owners.get(owner);
    if (!keys) return;
    this.owners.delete(owner);
    for (const k of keys) {
      const map = k[0] === '=' ? this.exact : this.boards;
      const key = k.slice(1);
      const list = map.get(key);
      if (!list) continue;
      const kept = list.filter((e) => e.owner !== owner);
      if (k[0] === '=') this.numbers -= list.length - kept.length;
      if (kept.length === 0) map.delete(key);
      else map.set(key, kept);
    }
  }

  has(owner: string): boolean {
    return this.owners.has(owner);
  }

  /** Exact matches; else the contacts of the longest switchboard base that prefixes the number. */
  find(e164: string): IndexMatch | null {
    const exact = this.exact.get(e164);
    if (exact) return { kind: 'exact', contacts: exact.map((e) => e.contact) };
    for (let extra = 0; extra <= MAX_DDI_DIGITS; extra++) {
      const base = e164.slice(0, e164.length - extra);
      if (base.length < MIN_BASE_LENGTH) break;
      const hit = this.boards.get(base);
      if (hit) return { kind: 'switchboard', contacts: hit.map((e) => e.contact) };
    }
    return null;
  }

  clear(): void {
    this.exact.clear();
    this.boards.clear();
    this.owners.clear();
    this.numbers = 0;
  }
}

function insert(map: Map<string, Entry[]>, key: string, entry: Entry): boolean {
  const { contact, score } = entry;
  const list = map.get(key);
  if (!list) {
    map.set(key, [entry]);
    return true;
  }
  const same = list.findIndex((e) => e.contact.id === contact.id && e.contact.dataSource === contact.dataSource && e.contact.name === contact.name);
  if (same >= 0) {
    if (list[same]!.score >= score) return false;
    list.splice(same, 1);
  }
  let at = list.findIndex((e) => e.score < score);
  if (at < 0) at = list.length;
  list.splice(at, 0, entry);
  return same < 0;
}
