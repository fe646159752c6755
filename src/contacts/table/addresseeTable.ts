/**
 * The compact, immutable index of DATEV addressees and their phone numbers: a few typed arrays and
 * UTF-8 string columns instead of one object per addressee and number (50,000 addressees with 120,000
 * numbers take 6.7 MB instead of 38 MB, `npm run bench`). Built by TableBuilder, stored by tableCodec.
 *
 * Numbers are E.164 digits as float64 keys (15 digits are exact in a double). Matching:
 *   - exact: binary search in `exactKey` (sorted; per key best score first, then insertion order);
 *   - switchboard: a company's "…-0" entry is indexed under its base (the number without the 0) in
 *     `boardKey`; a caller matches the longest base that is the caller's number minus 0-5 trailing
 *     digits (never fewer than 6 digits, never just the last digits).
 */
import type { Contact } from '../port';
import type { Slicer } from '../slicer';
import { MAX_DDI_DIGITS, MIN_BASE, toKey, type IndexMatch } from '../phoneIndex';
import { lowerBound, SparseStrings, Utf8Column, unpackTimestamp } from './columns';
import { IdColumn, IdHash, IdQuery } from './ids';

/** Row flags. */
export const ROW_ACTIVE = 1;
/** Phone flags: DATEV's is_main_communication, is_management_phone, and "understood as a number". */
export const PHONE_MAIN = 1;
export const PHONE_MGMT = 2;
export const PHONE_USABLE = 4;

/** Rank among contacts sharing a number: active before inactive, then management phone, then main number. */
export function scoreOf(rowFlags: number, phoneFlags: number): number {
  return (rowFlags & ROW_ACTIVE ? 4 : 0) | (phoneFlags & PHONE_MGMT ? 2 : 0) | (phoneFlags & PHONE_MAIN ? 1 : 0);
}

export interface TableColumns {
  ids: IdColumn;
  names: Utf8Column;
  /** Timestamp per row (packTimestamp), NaN where `tsText` holds it. */
  tsMs: Float64Array;
  tsText: SparseStrings;
  rowFlags: Uint8Array;
  /** End (exclusive) of each row's phones; row r has phones `phoneEnd[r-1] .. phoneEnd[r]-1`. */
  phoneEnd: Uint32Array;
  /** data_content per phone, as typed in DATEV (what DATEV shows). */
  raw: Utf8Column;
  /** number_standardized, kept only for phones whose typed text was not understood. */
  std: SparseStrings;
  phoneFlags: Uint8Array;
  exactKey: Float64Array;
  exactPhone: Uint32Array;
  boardKey: Float64Array;
  boardPhone: Uint32Array;
}

export interface PhoneText {
  raw: string;
  std?: string;
  main: boolean;
  mgmt: boolean;
}

export class AddresseeTable {
  private hash: IdHash | null;
  private readonly q = new IdQuery();
  private unusableCount = -1;

  constructor(
    readonly c: TableColumns,
    readonly dataSource: string,
    hash?: IdHash,
  ) {
    this.hash = hash ?? null;
  }

  static empty(dataSource: string): AddresseeTable {
    const text = (): Utf8Column => new Utf8Column(Buffer.alloc(0), new Uint32Array(0));
    const sparse = (): SparseStrings => new SparseStrings(new Uint32Array(0), text());
    return new AddresseeTable(
      {
        ids: new IdColumn(new Uint8Array(0), sparse()),
        names: text(),
        tsMs: new Float64Array(0),
        tsText: sparse(),
        rowFlags: new Uint8Array(0),
        phoneEnd: new Uint32Array(0),
        raw: text(),
        std: sparse(),
        phoneFlags: new Uint8Array(0),
        exactKey: new Float64Array(0),
        exactPhone: new Uint32Array(0),
        boardKey: new Float64Array(0),
        boardPhone: new Uint32Array(0),
      },
      dataSource,
    );
  }

  /** Addressees. */
  get rows(): number {
    return this.c.phoneEnd.length;
  }

  /** Phone entries (including those that are no number). */
  get phones(): number {
    return this.c.phoneFlags.length;
  }

  /** Indexed numbers (one per contact and number). */
  get size(): number {
    return this.c.exactKey.length;
  }

  /** Phone entries that could not be understood as a number. */
  get unusable(): number {
    if (this.unusableCount < 0) {
      let n = 0;
      for (const f of this.c.phoneFlags) if ((f & PHONE_USABLE) === 0) n++;
      this.unusableCount = n;
    }
    return this.unusableCount;
  }

  /** Bytes held by the columns (and the id hash once built). */
  get byteLength(): number {
    const c = this.c;
    const col = (u: Utf8Column): number => u.bytes.length + u.ends.byteLength;
    const sparse = (s: SparseStrings): number => s.rows.byteLength + col(s.text);
    return (
      c.ids.guids.byteLength + sparse(c.ids.text) + col(c.names) + c.tsMs.byteLength + sparse(c.tsText) + c.rowFlags.byteLength + c.phoneEnd.byteLength +
      col(c.raw) + sparse(c.std) + c.phoneFlags.byteLength + c.exactKey.byteLength + c.exactPhone.byteLength + c.boardKey.byteLength + c.boardPhone.byteLength +
      (this.hash?.byteLength ?? 0)
    );
  }

  /** Exact matches; else the contacts of the longest switchboard base that prefixes the number. */
  find(e164: string): IndexMatch | null {
    const key = toKey(e164);
    if (key === null) return null;
    const { exactKey, exactPhone, boardKey, boardPhone } = this.c;
    const hit = lowerBound(exactKey, key);
    if (hit < exactKey.length && exactKey[hit] === key) return { kind: 'exact', contacts: this.collect(exactKey, exactPhone, hit, key) };
    if (boardKey.length === 0) return null;
    let base = key;
    for (let extra = 0; extra <= MAX_DDI_DIGITS && base >= MIN_BASE; extra++) {
      const at = lowerBound(boardKey, base);
      if (at < boardKey.length && boardKey[at] === base) return { kind: 'switchboard', contacts: this.collect(boardKey, boardPhone, at, base) };
      base = Math.floor(base / 10);
    }
    return null;
  }

  private collect(keys: Float64Array, phones: Uint32Array, from: number, key: number): Contact[] {
    const out: Contact[] = [];
    for (let i = from; i < keys.length && keys[i] === key; i++) out.push(this.contactOf(phones[i]!));
    return out;
  }

  /** The contact a phone entry belongs to, with that number as stored in DATEV. */
  contactOf(phone: number): Contact {
    const row = this.ownerOf(phone);
    return { id: this.idAt(row), name: this.nameAt(row), dataSource: this.dataSource, number: this.c.raw.get(phone) || (this.c.std.get(phone) ?? '') };
  }

  /** The row a phone entry belongs to. */
  ownerOf(phone: number): number {
    // first row whose end is beyond the phone
    const ends = this.c.phoneEnd;
    let lo = 0;
    let hi = ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ends[mid]! <= phone) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The contact of a row with its first usable number (as DATEV has it). */
  rowContact(row: number): Contact {
    const start = this.phoneStart(row);
    const end = this.c.phoneEnd[row]!;
    let number = '';
    for (let p = start; p < end && number === ''; p++) if (this.c.phoneFlags[p]! & PHONE_USABLE) number = this.c.raw.get(p) || (this.c.std.get(p) ?? '');
    return { id: this.idAt(row), name: this.nameAt(row), dataSource: this.dataSource, number };
  }

  idAt(row: number): string {
    return this.c.ids.idAt(row);
  }

  nameAt(row: number): string {
    return this.c.names.get(row);
  }

  activeAt(row: number): boolean {
    return (this.c.rowFlags[row]! & ROW_ACTIVE) !== 0;
  }

  timestampAt(row: number): string {
    const ms = this.c.tsMs[row]!;
    return Number.isNaN(ms) ? (this.c.tsText.get(row) ?? '') : unpackTimestamp(ms);
  }

  phoneStart(row: number): number {
    return row === 0 ? 0 : this.c.phoneEnd[row - 1]!;
  }

  /** The phone entries of a row as DATEV had them (std only where the text was not understood). */
  phonesOf(row: number): PhoneText[] {
    const out: PhoneText[] = [];
    for (let p = this.phoneStart(row); p < this.c.phoneEnd[row]!; p++) {
      const f = this.c.phoneFlags[p]!;
      const t: PhoneText = { raw: this.c.raw.get(p), main: (f & PHONE_MAIN) !== 0, mgmt: (f & PHONE_MGMT) !== 0 };
      const std = this.c.std.get(p);
      if (std !== undefined) t.std = std;
      out.push(t);
    }
    return out;
  }

  /** Builds the id hash `rowOf` needs (once; about 10 ms for 50,000 rows, in slices). */
  async prepareRowOf(slicer: Slicer): Promise<void> {
    this.hash ??= await IdHash.build(this.c.ids, slicer);
  }

  /** The row of an addressee id, or -1. Call `prepareRowOf` first. */
  rowOf(id: string): number {
    if (this.hash === null) throw new Error('AddresseeTable.rowOf before prepareRowOf');
    return this.hash.find(this.q.set(id));
  }

  /** The newest timestamp of all rows ("" when none). */
  maxTimestamp(): string {
    let ms = -Infinity;
    for (const v of this.c.tsMs) if (v > ms) ms = v;
    let max = ms === -Infinity ? '' : unpackTimestamp(ms);
    const text = this.c.tsText.text;
    for (let i = 0; i < text.count; i++) {
      const t = text.get(i);
      if (t > max) max = t;
    }
    return max;
  }
}
