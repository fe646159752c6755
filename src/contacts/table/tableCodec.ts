/**
 * The contact table on disk: the typed-array columns as they are in memory, so a restart reads them
 * without parsing (views on the file's bytes, no copy). Layout (little-endian):
 *   0  "WXDC"   4  format version (u32)   8  CRC-32 of bytes 12..end   12  header length (u32)
 *   16 header JSON {meta, lengths}, then each column at the next multiple of 8, in SECTIONS order.
 * A file that fails any check (magic, version, CRC, lengths, order, ranges) is rejected with a reason,
 * never half used.
 */
import { crc32 } from 'node:zlib';
import type { Slicer } from '../slicer';
import { SparseStrings, Utf8Column } from './columns';
import { AddresseeTable, type TableColumns } from './addresseeTable';
import { IdColumn } from './ids';

export const TABLE_FORMAT = 2;
const MAGIC = Buffer.from('WXDC', 'latin1');
const FIXED = 16;
const CRC_CHUNK = 1 << 20;
const CHECK_STEP = 8192;
/** Highest key: 15 digits. */
const MAX_KEY = 999_999_999_999_999;

export interface TableMeta {
  baseUrl: string;
  /** The number rules the keys were made with (numbersKey). */
  rules: string;
  lastFullCrawl: number;
  lastRefresh: number;
  deletionMark: string;
  dataSource: string;
}

type Kind = 'u8' | 'u32' | 'f64';
const SIZE: Record<Kind, number> = { u8: 1, u32: 4, f64: 8 };
const SECTIONS: readonly [string, Kind][] = [
  ['idGuids', 'u8'],
  ['idTextRows', 'u32'],
  ['idTextEnds', 'u32'],
  ['idTextBytes', 'u8'],
  ['nameEnds', 'u32'],
  ['nameBytes', 'u8'],
  ['tsMs', 'f64'],
  ['tsTextRows', 'u32'],
  ['tsTextEnds', 'u32'],
  ['tsTextBytes', 'u8'],
  ['rowFlags', 'u8'],
  ['phoneEnd', 'u32'],
  ['rawEnds', 'u32'],
  ['rawBytes', 'u8'],
  ['stdRows', 'u32'],
  ['stdEnds', 'u32'],
  ['stdBytes', 'u8'],
  ['phoneFlags', 'u8'],
  ['exactKey', 'f64'],
  ['exactPhone', 'u32'],
  ['boardKey', 'f64'],
  ['boardPhone', 'u32'],
];

function columnsOf(c: TableColumns): ArrayBufferView[] {
  return [
    c.ids.guids, c.ids.text.rows, c.ids.text.text.ends, c.ids.text.text.bytes,
    c.names.ends, c.names.bytes,
    c.tsMs, c.tsText.rows, c.tsText.text.ends, c.tsText.text.bytes,
    c.rowFlags, c.phoneEnd,
    c.raw.ends, c.raw.bytes, c.std.rows, c.std.text.ends, c.std.text.bytes, c.phoneFlags,
    c.exactKey, c.exactPhone, c.boardKey, c.boardPhone,
  ];
}

const align8 = (n: number): number => (n + 7) & ~7;

/** The file bytes of a table. */
export async function encodeTable(table: AddresseeTable, meta: TableMeta, slicer: Slicer): Promise<Buffer> {
  const cols = columnsOf(table.c);
  const lengths = cols.map((v, i) => v.byteLength / SIZE[SECTIONS[i]![1]]);
  const header = Buffer.from(JSON.stringify({ meta, lengths }), 'utf8');
  let size = align8(FIXED + header.length);
  const offsets = cols.map((v) => {
    const at = size;
    size = align8(size + v.byteLength);
    return at;
  });
  const out = Buffer.alloc(size);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(TABLE_FORMAT, 4);
  out.writeUInt32LE(header.length, 12);
  header.copy(out, FIXED);
  for (let i = 0; i < cols.length; i++) {
    const v = cols[i]!;
    out.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), offsets[i]);
    if (slicer.due()) await slicer.yield();
  }
  out.writeUInt32LE(await checksum(out, slicer), 8);
  return out;
}

async function checksum(buf: Buffer, slicer: Slicer): Promise<number> {
  let crc = 0;
  for (let at = 12; at < buf.length; at += CRC_CHUNK) {
    crc = crc32(buf.subarray(at, Math.min(buf.length, at + CRC_CHUNK)), crc);
    if (slicer.due()) await slicer.yield();
  }
  return crc;
}

export type DecodeResult = { ok: true; table: AddresseeTable; meta: TableMeta } | { ok: false; error: string };

/** True when the bytes start like a table file (of any version). */
export function isTableFile(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && MAGIC.equals(bytes.subarray(0, 4));
}

/** Reads a table file; the table's columns are views on `bytes` (copied once only if misaligned). */
export async function decodeTable(bytes: Buffer, slicer: Slicer): Promise<DecodeResult> {
  if (bytes.length < FIXED || !isTableFile(bytes)) return { ok: false, error: 'not a contact table file' };
  const version = bytes.readUInt32LE(4);
  if (version !== TABLE_FORMAT) return { ok: false, error: `contact table format ${version}, expected ${TABLE_FORMAT}` };
  if ((await checksum(bytes, slicer)) !== bytes.readUInt32LE(8)) return { ok: false, error: 'checksum mismatch (damaged file)' };
  const headerLength = bytes.readUInt32LE(12);
  if (FIXED + headerLength > bytes.length) return { ok: false, error: 'header beyond the end' };
  let header: { meta?: unknown; lengths?: unknown };
  try {
    header = JSON.parse(bytes.toString('utf8', FIXED, FIXED + headerLength)) as typeof header;
  } catch (e) {
    return { ok: false, error: `header: ${(e as Error).message}` };
  }
  const meta = header.meta;
  const lengths = header.lengths;
  if (!isMeta(meta)) return { ok: false, error: 'header: bad meta' };
  if (!Array.isArray(lengths) || lengths.length !== SECTIONS.length || !lengths.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    return { ok: false, error: 'header: bad lengths' };
  }
  const buf = bytes.byteOffset % 8 === 0 ? bytes : aligned(bytes);
  let at = align8(FIXED + headerLength);
  const views: (Uint8Array | Uint32Array | Float64Array)[] = [];
  for (let i = 0; i < SECTIONS.length; i++) {
    const kind = SECTIONS[i]![1];
    const n = lengths[i] as number;
    if (at + n * SIZE[kind] > buf.length) return { ok: false, error: `${SECTIONS[i]![0]} beyond the end` };
    const off = buf.byteOffset + at;
    views.push(kind === 'u8' ? new Uint8Array(buf.buffer, off, n) : kind === 'u32' ? new Uint32Array(buf.buffer, off, n) : new Float64Array(buf.buffer, off, n));
    at = align8(at + n * SIZE[kind]);
  }
  if (at !== buf.length) return { ok: false, error: 'trailing bytes' };
  const v = views as [Uint8Array, Uint32Array, Uint32Array, Uint8Array, Uint32Array, Uint8Array, Float64Array, Uint32Array, Uint32Array, Uint8Array, Uint8Array, Uint32Array, Uint32Array, Uint8Array, Uint32Array, Uint32Array, Uint8Array, Uint8Array, Float64Array, Uint32Array, Float64Array, Uint32Array];
  const text = (ends: Uint32Array, b: Uint8Array): Utf8Column => new Utf8Column(Buffer.from(b.buffer, b.byteOffset, b.byteLength), ends);
  const c: TableColumns = {
    ids: new IdColumn(v[0], new SparseStrings(v[1], text(v[2], v[3]))),
    names: text(v[4], v[5]),
    tsMs: v[6],
    tsText: new SparseStrings(v[7], text(v[8], v[9])),
    rowFlags: v[10],
    phoneEnd: v[11],
    raw: text(v[12], v[13]),
    std: new SparseStrings(v[14], text(v[15], v[16])),
    phoneFlags: v[17],
    exactKey: v[18],
    exactPhone: v[19],
    boardKey: v[20],
    boardPhone: v[21],
  };
  const problem = await checkColumns(c, slicer);
  if (problem) return { ok: false, error: problem };
  return { ok: true, table: new AddresseeTable(c, meta.dataSource), meta };
}

/** A copy in its own (8-aligned) memory. */
function aligned(bytes: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(copy);
  return copy;
}

function isMeta(v: unknown): v is TableMeta {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return (
    typeof m.baseUrl === 'string' &&
    typeof m.rules === 'string' &&
    typeof m.lastFullCrawl === 'number' &&
    typeof m.lastRefresh === 'number' &&
    typeof m.deletionMark === 'string' &&
    typeof m.dataSource === 'string'
  );
}

/** Every offset and index in range and every order as `find` needs it; a reason, or null when sound. */
async function checkColumns(c: TableColumns, slicer: Slicer): Promise<string | null> {
  const rows = c.phoneEnd.length;
  const phones = c.phoneFlags.length;
  if (c.ids.guids.length !== rows * 16 || c.names.count !== rows || c.tsMs.length !== rows || c.rowFlags.length !== rows) return 'row columns differ in length';
  if (c.raw.count !== phones) return 'phone columns differ in length';
  const checks: [string, () => Promise<boolean>][] = [
    ['phoneEnd', () => ascending(c.phoneEnd, phones, slicer, rows === 0 ? 0 : phones)],
    ['names', () => textSound(c.names, slicer)],
    ['raw', () => textSound(c.raw, slicer)],
    ['id text', () => sparseSound(c.ids.text, rows, slicer)],
    ['timestamp text', () => sparseSound(c.tsText, rows, slicer)],
    ['std', () => sparseSound(c.std, phones, slicer)],
    ['exact index', () => indexSound(c.exactKey, c.exactPhone, phones, slicer)],
    ['switchboard index', () => indexSound(c.boardKey, c.boardPhone, phones, slicer)],
  ];
  for (const [what, check] of checks) if (!(await check())) return `${what} out of order or out of range`;
  return null;
}

/** Non-decreasing, every value ≤ max; the last one equal to `last` when given. */
async function ascending(a: Uint32Array, max: number, slicer: Slicer, last?: number): Promise<boolean> {
  let prev = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    if (x < prev || x > max) return false;
    prev = x;
    if ((i & (CHECK_STEP - 1)) === 0 && slicer.due()) await slicer.yield();
  }
  return last === undefined || prev === last;
}

function textSound(t: Utf8Column, slicer: Slicer): Promise<boolean> {
  return ascending(t.ends, t.bytes.length, slicer, t.count === 0 ? 0 : t.bytes.length);
}

async function sparseSound(s: SparseStrings, rows: number, slicer: Slicer): Promise<boolean> {
  if (s.rows.length !== s.text.count) return false;
  for (let i = 0; i < s.rows.length; i++) if (s.rows[i]! >= rows || (i > 0 && s.rows[i]! <= s.rows[i - 1]!)) return false;
  return textSound(s.text, slicer);
}

async function indexSound(keys: Float64Array, phones: Uint32Array, phoneCount: number, slicer: Slicer): Promise<boolean> {
  if (keys.length !== phones.length) return false;
  let prev = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (!(k >= prev && k <= MAX_KEY && Number.isInteger(k)) || phones[i]! >= phoneCount) return false;
    prev = k;
    if ((i & (CHECK_STEP - 1)) === 0 && slicer.due()) await slicer.yield();
  }
  return true;
}
