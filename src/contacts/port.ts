/**
 * Contacts port: DATEV contacts by phone number. In-memory fake: fakes/contacts.
 * The real directory (DATEVconnect + learned + CSV) lives in src/contacts/directory.
 * Contract: contracts/contacts.contract.ts.
 */
import type { Resolution } from './ambiguity';
import type { DirectoryStatus } from './directory';

export interface Contact {
  /** DATEV's id → AdressatenId */
  id: string;
  /** Display name → Adressatenname */
  name: string;
  /** DATEV_Adressaten, DATEV_Institutionen, or another source name. */
  dataSource: string;
  /** The number as stored at the source (what DATEV shows), e.g. "089/123 45-67". */
  number: string;
}

export interface ContactsPort {
  /**
   * All contacts matching this number, best match first; [] when none, when the number is anonymous,
   * internal or too short. Never throws for bad input. `number` as the phone system reports it (it may
   * carry the outside-line prefix).
   */
  lookup(number: string): Promise<Contact[]>;
  /**
   * Remember a number → contact pair that DATEV told us (from Dial). `number` as typed in DATEV (never
   * with the outside-line prefix); a source that keeps choices also takes it as the choice for that
   * number. Optional for read-only sources.
   */
  learn?(number: string, contact: Contact): Promise<void>;
  /**
   * Remember a number → contact pair the user made („Kontakt zuordnen…“ in the call list). `number` as
   * the phone system reported it (it may carry the outside-line prefix). Optional.
   */
  learnFromCall?(number: string, contact: Contact): Promise<void>;
  /**
   * Called after the source's index changed (a crawl or refresh finished), so calls in progress
   * without a contact can be looked up again. Returns the unsubscribe function.
   */
  onIndexUpdated?(listener: () => void): () => void;
  /** Lookup plus the source's ambiguity rule and remembered choices (when the source keeps them). */
  resolve?(number: string): Promise<Resolution>;
  /** Remember the user's pick among several contacts for this number (as the phone system reports it). */
  rememberChoice?(number: string, contact: Pick<Contact, 'id' | 'dataSource'>): Promise<void>;
  /** What the sources know now (index size, last crawl, last error), for the status file and support. Optional. */
  status?(): DirectoryStatus;
  /** Settles once the sources have loaded what they keep on disk (not a crawl). Optional. */
  started?(): Promise<void>;
  /**
   * Contacts whose name contains every word of `text` (case-insensitive), at most `limit`, sorted by
   * name; one per contact (not per number). For „Kontakt zuordnen…“ in the call list.
   */
  search?(text: string, limit: number): Promise<Contact[]>;
}
