/**
 * In-memory contacts: numbers are compared by their national significant digits (German numbers:
 * "+49 89 1234567", "0049 89 1234567" and "089/1234567" are the same). Enough for the core's tests;
 * the real matching lives in src/contacts.
 */
import type { Contact, ContactsPort } from '../../src/contacts/port';

export function digitsKey(number: string): string {
  let d = number.replace(/\(0\)/g, '').replace(/[^0-9+]/g, '');
  if (d.startsWith('+')) d = '00' + d.slice(1);
  if (d.startsWith('0049')) d = d.slice(4);
  else if (d.startsWith('00')) return d;
  else if (d.startsWith('0')) d = d.slice(1);
  return d;
}

export class MemoryContacts implements ContactsPort {
  private readonly byKey = new Map<string, Contact[]>();
  /** Milliseconds each lookup takes (to test lookup budgets). */
  delayMs = 0;
  lookups = 0;

  constructor(contacts: Contact[] = []) {
    this.seed(contacts);
  }

  private readonly listeners = new Set<() => void>();

  /** Adds contacts and tells onIndexUpdated listeners, like a finished crawl. */
  seed(contacts: Contact[]): void {
    for (const c of contacts) this.add(c.number, c);
    for (const l of this.listeners) l();
  }

  onIndexUpdated(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async lookup(number: string): Promise<Contact[]> {
    this.lookups++;
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    const key = digitsKey(number);
    if (key.length < 5) return [];
    return (this.byKey.get(key) ?? []).map((c) => ({ ...c }));
  }

  async learn(number: string, contact: Contact): Promise<void> {
    this.add(number, contact);
  }

  async search(text: string, limit: number): Promise<Contact[]> {
    const words = text.toLocaleLowerCase('de').split(/\s+/).filter(Boolean);
    if (words.length === 0) return [];
    const seen = new Map<string, Contact>();
    for (const list of this.byKey.values()) {
      for (const c of list) {
        const name = c.name.toLocaleLowerCase('de');
        if (words.every((w) => name.includes(w))) seen.set(`${c.dataSource}:${c.id}`, c);
      }
    }
    return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name, 'de')).slice(0, limit).map((c) => ({ ...c }));
  }

  private add(number: string, contact: Contact): void {
    const key = digitsKey(number);
    if (key.length < 5) return;
    const list = this.byKey.get(key) ?? [];
    const i = list.findIndex((c) => c.id === contact.id && c.dataSource === contact.dataSource);
    if (i >= 0) list.splice(i, 1);
    list.push({ ...contact });
    this.byKey.set(key, list);
  }
}
