/**
 * Addressee ids of the compact table: GUIDs as 16 bytes, anything else as text (sparse), and an
 * open-addressing hash (one Int32 per slot) from id to row for the refresh's "do we have it?".
 */
import type { Slicer } from '../slicer';
import { isGuid, packGuid, SparseBuilder, SparseStrings, Grow, u8, unpackGuid } from './columns';

/** An id prepared for hashing and comparing. */
export class IdQuery {
  readonly guid = new Uint8Array(16);
  isGuid = false;
  text = '';
  hash = 0;

  set(id: string): this {
    this.text = id;
    this.isGuid = isGuid(id);
    if (this.isGuid) {
      packGuid(id, this.guid, 0);
      this.hash = hashBytes(this.guid, 0);
    } else this.hash = hashText(id);
    return this;
  }
}

/** FNV-1a over 16 bytes. */
export function hashBytes(b: Uint8Array, at: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < 16; i++) h = Math.imul(h ^ b[at + i]!, 0x01000193);
  return h >>> 0;
}

/** FNV-1a over UTF-16 code units (text ids). */
export function hashText(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Read access to ids by row. */
export interface IdReader {
  readonly rows: number;
  idAt(row: number): string;
  hashAt(row: number): number;
  /** True when `row` carries the id `q`. */
  is(row: number, q: IdQuery): boolean;
}

/** Immutable id column. */
export class IdColumn implements IdReader {
  constructor(
    /** 16 bytes per row (zero for text rows). */
    readonly guids: Uint8Array,
    /** Rows whose id is not a GUID. */
    readonly text: SparseStrings,
  ) {}

  get rows(): number {
    return this.guids.length >>> 4;
  }

  idAt(row: number): string {
    if (this.text.count > 0) {
      const t = this.text.get(row);
      if (t !== undefined) return t;
    }
    return unpackGuid(this.guids, row << 4);
  }

  hashAt(row: number): number {
    if (this.text.count > 0) {
      const t = this.text.get(row);
      if (t !== undefined) return hashText(t);
    }
    return hashBytes(this.guids, row << 4);
  }

  is(row: number, q: IdQuery): boolean {
    if (!q.isGuid) return this.text.get(row) === q.text;
    const at = row << 4;
    for (let i = 0; i < 16; i++) if (this.guids[at + i] !== q.guid[i]) return false;
    return this.text.count === 0 || this.text.get(row) === undefined;
  }
}

/** Growing id column (rows appended in order). */
export class IdBuilder implements IdReader {
  readonly guids: Grow<Uint8Array> = u8(4096);
  readonly text = new SparseBuilder();
  private textRows = new Map<number, string>();

  get rows(): number {
    return this.guids.length >>> 4;
  }

  push(q: IdQuery): void {
    const row = this.rows;
    this.guids.reserve(16);
    if (q.isGuid) this.guids.append(q.guid, 0, 16);
    else {
      for (let i = 0; i < 16; i++) this.guids.push(0);
      this.text.push(row, q.text);
      this.textRows.set(row, q.text);
    }
  }

  /** Appends rows `from..to-1` of `col` (GUID bytes in one copy). */
  pushRun(col: IdColumn, from: number, to: number): void {
    const first = this.rows;
    this.guids.append(col.guids, from << 4, to << 4);
    if (col.text.count === 0) return;
    for (let r = from; r < to; r++) {
      const t = col.text.get(r);
      if (t !== undefined) {
        this.text.push(first + r - from, t);
        this.textRows.set(first + r - from, t);
      }
    }
  }

  idAt(row: number): string {
    return this.textRows.get(row) ?? unpackGuid(this.guids.raw(), row << 4);
  }

  hashAt(row: number): number {
    const t = this.textRows.get(row);
    return t !== undefined ? hashText(t) : hashBytes(this.guids.raw(), row << 4);
  }

  is(row: number, q: IdQuery): boolean {
    const t = this.textRows.get(row);
    if (!q.isGuid) return t === q.text;
    if (t !== undefined) return false;
    const b = this.guids.raw();
    const at = row << 4;
    for (let i = 0; i < 16; i++) if (b[at + i] !== q.guid[i]) return false;
    return true;
  }

  done(): IdColumn {
    return new IdColumn(this.guids.done(), this.text.done());
  }
}

const EMPTY = -1;

/** id → row over an IdReader; open addressing with linear probing, capacity a power of two, at most half full. */
export class IdHash {
  private slots: Int32Array;
  private used = 0;

  constructor(
    private ids: IdReader,
    expected = ids.rows,
  ) {
    let cap = 64;
    while (cap < expected * 2) cap *= 2;
    this.slots = new Int32Array(cap).fill(EMPTY);
  }

  /** Hashes all rows of `ids` (the caller knows they are distinct), pausing when the slice is used up. */
  static async build(ids: IdReader, slicer: Slicer): Promise<IdHash> {
    const h = new IdHash(ids);
    for (let r = 0; r < ids.rows; r++) {
      h.insert(ids.hashAt(r), r);
      if ((r & 1023) === 0 && slicer.due()) await slicer.yield();
    }
    return h;
  }

  get byteLength(): number {
    return this.slots.byteLength;
  }

  /** Reads ids from `ids` from now on (the same rows in the same order, e.g. a builder's finished column). */
  rebind(ids: IdReader): this {
    this.ids = ids;
    return this;
  }

  /** The row with id `q`, or -1. */
  find(q: IdQuery): number {
    const mask = this.slots.length - 1;
    for (let i = q.hash & mask; ; i = (i + 1) & mask) {
      const row = this.slots[i]!;
      if (row === EMPTY) return -1;
      if (this.ids.is(row, q)) return row;
    }
  }

  /** Points `q` at `row`; returns the row it pointed at before, or -1. */
  put(q: IdQuery, row: number): number {
    const mask = this.slots.length - 1;
    for (let i = q.hash & mask; ; i = (i + 1) & mask) {
      const old = this.slots[i]!;
      if (old === EMPTY) break;
      if (this.ids.is(old, q)) {
        this.slots[i] = row;
        return old;
      }
    }
    this.insert(q.hash, row);
    return -1;
  }

  /** Adds a row whose id is not in the hash yet. */
  insert(hash: number, row: number): void {
    if ((this.used + 1) * 2 > this.slots.length) this.grow();
    const mask = this.slots.length - 1;
    let i = hash & mask;
    while (this.slots[i] !== EMPTY) i = (i + 1) & mask;
    this.slots[i] = row;
    this.used++;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2).fill(EMPTY);
    this.used = 0;
    for (const row of old) if (row !== EMPTY) this.insert(this.ids.hashAt(row), row);
  }
}
