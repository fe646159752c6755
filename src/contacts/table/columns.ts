/**
 * Column storage for the compact contact table: growable typed arrays while building, and immutable
 * string columns (UTF-8 bytes + end offsets) instead of one JS string per value. A JS string costs
 * 16-24 bytes of header plus its characters; here a value costs its UTF-8 bytes plus 4.
 */

type NumericArray = Uint8Array | Uint32Array | Float64Array;

/** A typed array that grows by doubling (builders only). */
export class Grow<T extends NumericArray> {
  private buf: T;
  length = 0;

  constructor(
    private readonly make: (n: number) => T,
    initial = 256,
  ) {
    this.buf = make(Math.max(16, initial));
  }

  push(v: number): void {
    if (this.length === this.buf.length) this.reserve(1);
    this.buf[this.length++] = v;
  }

  get(i: number): number {
    return this.buf[i]!;
  }

  set(i: number, v: number): void {
    this.buf[i] = v;
  }

  /** Appends `src[from, to)`. */
  append(src: T, from: number, to: number): void {
    const n = to - from;
    this.reserve(n);
    (this.buf as Uint8Array).set((src as Uint8Array).subarray(from, to), this.length);
    this.length += n;
  }

  /** Makes room for `n` more values. */
  reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = this.make(cap);
    (next as Uint8Array).set((this.buf as Uint8Array).subarray(0, this.length));
    this.buf = next;
  }

  /** The live backing array (valid until the next push). */
  raw(): T {
    return this.buf;
  }

  /** A tight copy of the values. */
  done(): T {
    return this.buf.slice(0, this.length) as T;
  }
}

export const u8 = (n = 256): Grow<Uint8Array> => new Grow((k) => new Uint8Array(k), n);
export const u32 = (n = 256): Grow<Uint32Array> => new Grow((k) => new Uint32Array(k), n);
export const f64 = (n = 256): Grow<Float64Array> => new Grow((k) => new Float64Array(k), n);

/** Immutable strings: value i is `bytes[ends[i-1] .. ends[i])` (UTF-8). */
export class Utf8Column {
  constructor(
    readonly bytes: Buffer,
    readonly ends: Uint32Array,
  ) {}

  get count(): number {
    return this.ends.length;
  }

  start(i: number): number {
    return i === 0 ? 0 : this.ends[i - 1]!;
  }

  get(i: number): string {
    return this.bytes.toString('utf8', this.start(i), this.ends[i]!);
  }
}

export class Utf8Builder {
  private bytes: Buffer;
  private used = 0;
  readonly ends = u32();

  constructor(initialBytes = 4096) {
    this.bytes = Buffer.allocUnsafeSlow(initialBytes);
  }

  get count(): number {
    return this.ends.length;
  }

  push(s: string): void {
    this.reserve(Buffer.byteLength(s, 'utf8'));
    this.used += this.bytes.write(s, this.used, 'utf8');
    this.ends.push(this.used);
  }

  /** Appends values `from..to-1` of `col` (one copy for the whole run). */
  pushRun(col: Utf8Column, from: number, to: number): void {
    if (to <= from) return;
    const start = col.start(from);
    const end = col.ends[to - 1]!;
    this.reserve(end - start);
    col.bytes.copy(this.bytes, this.used, start, end);
    const delta = this.used - start;
    this.ends.reserve(to - from);
    for (let i = from; i < to; i++) this.ends.push(col.ends[i]! + delta);
    this.used += end - start;
  }

  done(): Utf8Column {
    const bytes = Buffer.allocUnsafeSlow(this.used);
    this.bytes.copy(bytes, 0, 0, this.used);
    return new Utf8Column(bytes, this.ends.done());
  }

  private reserve(n: number): void {
    if (this.used + n <= this.bytes.length) return;
    let cap = this.bytes.length * 2;
    while (cap < this.used + n) cap *= 2;
    const next = Buffer.allocUnsafeSlow(cap);
    this.bytes.copy(next, 0, 0, this.used);
    this.bytes = next;
  }
}

/** Strings for a few rows only (`rows` ascending): the exceptions of a compact column. */
export class SparseStrings {
  constructor(
    readonly rows: Uint32Array,
    readonly text: Utf8Column,
  ) {}

  get count(): number {
    return this.rows.length;
  }

  /** The string of `row`, or undefined when the row has none. */
  get(row: number): string | undefined {
    const i = lowerBound(this.rows, row);
    return i < this.rows.length && this.rows[i] === row ? this.text.get(i) : undefined;
  }
}

export class SparseBuilder {
  readonly rows = u32(16);
  readonly text = new Utf8Builder(256);

  /** Rows must come in ascending order. */
  push(row: number, s: string): void {
    this.rows.push(row);
    this.text.push(s);
  }

  done(): SparseStrings {
    return new SparseStrings(this.rows.done(), this.text.done());
  }
}

/** First index whose value is ≥ `v` in an ascending array. */
export function lowerBound(a: Uint32Array | Float64Array, v: number, from = 0, to = a.length): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX2 = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** DATEV ids are lower-case GUIDs: 16 bytes instead of a 36-character string. */
export function isGuid(s: string): boolean {
  return s.length === 36 && GUID.test(s);
}

/** Writes the 16 bytes of a GUID (checked with isGuid) at `out[at..at+16)`. */
export function packGuid(s: string, out: Uint8Array, at: number): void {
  let k = 0;
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(i);
    if (c === 45) continue; // '-'
    const v = c <= 57 ? c - 48 : c - 87;
    if ((k & 1) === 0) out[at + (k >> 1)] = v << 4;
    else out[at + (k >> 1)]! |= v;
    k++;
  }
}

export function unpackGuid(bytes: Uint8Array, at: number): string {
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    s += HEX2[bytes[at + i]!]!;
  }
  return s;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$/;

/**
 * DATEV's timestamp "2024-01-15T09:30:00.000" (no zone) as a number (read as UTC, only to store it
 * compactly), or NaN when the text has another form (then it is kept as text).
 */
export function packTimestamp(s: string): number {
  if (!TIMESTAMP.test(s)) return NaN;
  const ms = Date.parse(s + 'Z');
  return Number.isFinite(ms) && unpackTimestamp(ms) === s ? ms : NaN;
}

export function unpackTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23);
}
