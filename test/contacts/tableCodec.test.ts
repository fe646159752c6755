/**
 * The contact table on disk (tableCodec): round trip, and every kind of damage rejected with a reason
 * (never half used); big JSON arrays parsed in pieces (jsonChunks) and the old JSON cache (legacyCache).
 */
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readLegacyCache, looksLikeJson } from '../../src/contacts/datevconnect/legacyCache';
import type { AddresseeRecord } from '../../src/contacts/datevconnect/records';
import { forEachArrayChunk, parseArrayInPieces, readObjectWithArray, writeObjectWithArray } from '../../src/contacts/jsonChunks';
import { checkNumberRules } from '../../src/contacts/numbers';
import { Slicer } from '../../src/contacts/slicer';
import { AddresseeTable } from '../../src/contacts/table/addresseeTable';
import { TableBuilder } from '../../src/contacts/table/builder';
import { decodeTable, encodeTable, isTableFile, TABLE_FORMAT, type TableMeta } from '../../src/contacts/table/tableCodec';

const rules = checkNumberRules({});
const meta: TableMeta = { baseUrl: 'http://localhost:58454', rules: '["DE",""]', lastFullCrawl: 1, lastRefresh: 2, deletionMark: '2024-01-15T09:30:00.000', dataSource: 'DATEV_Adressaten' };
const records: AddresseeRecord[] = [
  { id: 'a0000000-0000-4000-8000-000000000001', name: 'Muster Steuer GmbH', active: true, timestamp: '2024-01-15T09:30:00.000', phones: [{ raw: '+49 (0)89 12345-0', main: true }] },
  { id: '007130', name: 'Weiß, Jörg 😀', active: false, timestamp: 'gestern', phones: [{ raw: 'siehe Homepage', std: '00493012345678' }, { raw: 'nix' }] },
  { id: 'a0000000-0000-4000-8000-000000000003', name: 'Anna', active: true, timestamp: '2024-01-16T10:00:00.000', phones: [{ raw: '030/12345678', mgmt: true }] },
];

async function table(): Promise<AddresseeTable> {
  const b = new TableBuilder(rules);
  for (const r of records) b.add(r);
  return b.finish(new Slicer(0));
}

const answers = (t: AddresseeTable): unknown => ['+4989123450', '+49891234517', '+493012345678', '+4930999'].map((n) => t.find(n));

/** Writes a new CRC, as if the damage had happened before the file was sealed. */
function reseal(b: Buffer): Buffer {
  b.writeUInt32LE(crc32(b.subarray(12)), 8);
  return b;
}

describe('tableCodec', () => {
  it('round trip: same answers, rows, texts and settings; columns are views on the bytes', async () => {
    const t = await table();
    const bytes = await encodeTable(t, meta, new Slicer(0));
    expect(isTableFile(bytes)).toBe(true);
    expect(bytes.includes(Buffer.from('Muster Steuer GmbH'))).toBe(true); // plain here; DPAPI encrypts it on Windows (codec)
    const d = await decodeTable(bytes, new Slicer(0));
    if (!d.ok) throw new Error(d.error);
    expect(d.meta).toEqual(meta);
    expect(answers(d.table)).toEqual(answers(t));
    expect([d.table.rows, d.table.phones, d.table.size, d.table.unusable]).toEqual([3, 4, 3, 1]);
    expect([0, 1, 2].map((r) => [d.table.idAt(r), d.table.nameAt(r), d.table.timestampAt(r), d.table.activeAt(r)])).toEqual(records.map((r) => [r.id, r.name, r.timestamp, r.active]));
    expect(d.table.phonesOf(1)).toEqual(t.phonesOf(1));
    await d.table.prepareRowOf(new Slicer(0));
    expect(d.table.rowOf('007130')).toBe(1);
    expect(d.table.c.exactKey.buffer).toBe(bytes.buffer);
    expect(d.table.byteLength).toBeLessThan(bytes.length + 1024);
  });

  it('reads bytes that are not 8-aligned (copied once)', async () => {
    const bytes = await encodeTable(await table(), meta, new Slicer());
    const shifted = Buffer.alloc(bytes.length + 3);
    bytes.copy(shifted, 3);
    const d = await decodeTable(shifted.subarray(3), new Slicer());
    expect(d.ok && answers(d.table)).toEqual(answers(await table()));
  });

  it('an empty table round-trips', async () => {
    const empty = await new TableBuilder(rules).finish(new Slicer());
    const d = await decodeTable(await encodeTable(empty, meta, new Slicer()), new Slicer());
    expect(d.ok && [d.table.rows, d.table.size, d.table.find('+49891234567')]).toEqual([0, 0, null]);
  });

  it('rejects damaged, foreign and other-version files with a reason', async () => {
    const good = await encodeTable(await table(), meta, new Slicer());
    const copy = (): Buffer => Buffer.from(good);
    const reason = async (b: Buffer): Promise<string> => {
      const d = await decodeTable(b, new Slicer(0));
      return d.ok ? 'ok' : d.error;
    };
    const flipped = copy();
    flipped[flipped.length - 20]! ^= 0x40;
    expect(await reason(flipped)).toMatch(/checksum/);
    expect(await reason(good.subarray(0, good.length - 8))).toMatch(/checksum/);
    expect(await reason(Buffer.from('{"version":1}'))).toMatch(/not a contact table/);
    expect(await reason(good.subarray(0, 10))).toMatch(/not a contact table/);
    const version = copy();
    version.writeUInt32LE(TABLE_FORMAT + 1, 4);
    expect(await reason(version)).toMatch(new RegExp(`format ${TABLE_FORMAT + 1}`));
    const headerLength = copy();
    headerLength.writeUInt32LE(good.length, 12);
    expect(await reason(reseal(headerLength))).toMatch(/header beyond/);
    const header = (edit: (h: { meta: Record<string, unknown>; lengths: number[] }) => void): Buffer => {
      const b = copy();
      const len = b.readUInt32LE(12);
      const h = JSON.parse(b.toString('utf8', 16, 16 + len)) as { meta: Record<string, unknown>; lengths: number[] };
      edit(h);
      let text = Buffer.from(JSON.stringify(h));
      if (text.length > len) {
        h.meta.deletionMark = ''; // room for a longer edit
        text = Buffer.from(JSON.stringify(h));
      }
      if (text.length > len) throw new Error('edited header longer than the original');
      text.copy(b, 16);
      b.fill(0x20, 16 + text.length, 16 + len);
      return reseal(b);
    };
    expect(await reason(header((h) => (h.meta.baseUrl = 7)))).toMatch(/bad meta/);
    expect(await reason(header((h) => h.lengths.pop()))).toMatch(/bad lengths/);
    expect(await reason(header((h) => (h.lengths[0] = -1)))).toMatch(/bad lengths/);
    expect(await reason(header((h) => (h.lengths[21] = h.lengths[21]! + 1000)))).toMatch(/beyond the end/);
    expect(await reason(header((h) => (h.lengths[21] = 0)))).toMatch(/trailing bytes/);
    const brokenJson = copy();
    brokenJson.write('x', 16);
    expect(await reason(reseal(brokenJson))).toMatch(/header:/);
  });

  it('rejects a sealed file whose columns are inconsistent (never reads out of range)', async () => {
    const cases: [string, (t: AddresseeTable) => void, RegExp][] = [
      ['unsorted keys', (t) => t.c.exactKey.reverse(), /exact index/],
      ['fraction key', (t) => (t.c.exactKey[0] = 1.5), /exact index/],
      ['phone beyond the end', (t) => (t.c.exactPhone[0] = 99), /exact index/],
      ['switchboard phone beyond the end', (t) => (t.c.boardPhone[0] = 99), /switchboard index/],
      ['name offsets backwards', (t) => (t.c.names.ends[0] = 1000), /names/],
      ['phone ranges', (t) => (t.c.phoneEnd[2] = 3), /phoneEnd/],
      ['text id row beyond the rows', (t) => (t.c.ids.text.rows[0] = 9), /id text/],
      ['timestamp text rows', (t) => (t.c.tsText.rows[0] = 9), /timestamp text/],
      ['std rows', (t) => (t.c.std.rows[0] = 9), /std/],
      ['raw offsets', (t) => (t.c.raw.ends[3] = 1), /raw/],
    ];
    for (const [what, damage, expected] of cases) {
      const t = await table();
      damage(t);
      const d = await decodeTable(await encodeTable(t, meta, new Slicer()), new Slicer());
      expect(d.ok ? 'ok' : d.error, what).toMatch(expected);
    }
    const t = await table();
    const shorter = { ...t.c, tsMs: t.c.tsMs.subarray(1) };
    const d = await decodeTable(await encodeTable(new AddresseeTable(shorter, 'X'), meta, new Slicer()), new Slicer());
    expect(d.ok ? 'ok' : d.error).toMatch(/row columns/);
    const p = await table();
    const fewerPhones = { ...p.c, phoneFlags: p.c.phoneFlags.subarray(1) };
    const e = await decodeTable(await encodeTable(new AddresseeTable(fewerPhones, 'X'), meta, new Slicer()), new Slicer());
    expect(e.ok ? 'ok' : e.error).toMatch(/phone columns/);
  });
});

describe('JSON arrays in pieces', () => {
  const tricky = [{ a: 'x,y]}', b: [1, { c: '"\\' }] }, { s: 'Weiß 😀 €' }, [], 'text', 3, null, { e: {} }];

  it('gives the elements of a string or of bytes in order, piece by piece', async () => {
    const text = JSON.stringify(tricky);
    for (const input of [text, Buffer.from(text, 'utf8')]) {
      for (const size of [1, 5, 1000]) {
        const pieces: unknown[][] = [];
        const end = await forEachArrayChunk(input, 0, new Slicer(0), (items) => void pieces.push(items), size);
        expect(pieces.flat()).toEqual(tricky);
        expect(end).toBe(input.length);
        if (size === 1) expect(pieces.length).toBe(tricky.length);
      }
    }
    expect(await parseArrayInPieces(`  ${text} \n`, new Slicer(), (x) => x, 4)).toEqual(tricky.filter((x) => x !== null)); // null = skip
    expect(await parseArrayInPieces(text, new Slicer(), (x) => (typeof x === 'number' ? x : null))).toEqual([3]);
    expect(await parseArrayInPieces(' [ ] ', new Slicer(), (x) => x, 1)).toEqual([]);
  });

  it('an object with a big array: written and read back in pieces', async () => {
    const items = Array.from({ length: 1234 }, (_, i) => ({ n: i, s: `Wert ${i} „ü“` }));
    for (const [fields, list] of [[{ version: 1, note: 'x' }, items], [{}, items], [{ version: 1 }, []]] as const) {
      const bytes = await writeObjectWithArray(fields, 'entries', list, new Slicer(0), 100);
      expect(JSON.parse(bytes.toString('utf8'))).toEqual({ ...fields, entries: list });
      const seen: unknown[] = [];
      const r = await readObjectWithArray(bytes, 'entries', new Slicer(0), (x) => seen.push(x), 50);
      expect(r).toEqual({ fields, sawArray: true });
      expect(seen).toEqual(list);
    }
    expect(await readObjectWithArray(Buffer.from(' { } '), 'entries', new Slicer(), () => undefined)).toEqual({ fields: {}, sawArray: false });
  });

  it('throws SyntaxError on malformed text', async () => {
    for (const bad of ['{"a":1}', '[1,2', '[1}', '[1,,2]', '[1,2] x', 'x', '["offen]']) {
      await expect(parseArrayInPieces(bad, new Slicer(), (x) => x, 1), bad).rejects.toThrow(SyntaxError);
    }
    await expect(parseArrayInPieces('{"a":1}', new Slicer(), (x) => x)).rejects.toThrow(SyntaxError);
  });
});

describe('the old JSON cache', () => {
  const v1 = { version: 1, baseUrl: 'http://localhost:58454', lastFullCrawl: 5, lastRefresh: 6, deletionMark: 'm', addressees: records };

  it('streams its addressees and returns its settings, whatever the key order and spacing', async () => {
    for (const text of [JSON.stringify(v1), JSON.stringify({ addressees: records, deletionMark: 'm', extra: { x: [1, '}'] }, lastRefresh: 6, lastFullCrawl: 5, baseUrl: 'http://localhost:58454', version: 1 }, null, 2)]) {
      const seen: AddresseeRecord[] = [];
      const m = await readLegacyCache(Buffer.from(text), new Slicer(0), (r) => seen.push(r));
      expect(m).toEqual({ baseUrl: 'http://localhost:58454', lastFullCrawl: 5, lastRefresh: 6, deletionMark: 'm' });
      expect(seen).toEqual(records);
    }
    expect(looksLikeJson(Buffer.from(' \n{'))).toBe(true);
    expect(looksLikeJson(Buffer.from('WXDC'))).toBe(false);
  });

  it('rejects what is not a version 1 cache', async () => {
    const read = (v: unknown): Promise<unknown> => readLegacyCache(Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)), new Slicer(), () => undefined);
    await expect(read({ ...v1, version: 2 })).rejects.toThrow(/version 1/);
    await expect(read({ ...v1, addressees: undefined })).rejects.toThrow(/version 1/);
    await expect(read({ ...v1, addressees: [{ id: 1 }] })).rejects.toThrow(/unexpected shape/);
    await expect(read('[1]')).rejects.toThrow(SyntaxError);
    await expect(read('{1:2}')).rejects.toThrow(SyntaxError);
    await expect(read('{"a" 1}')).rejects.toThrow(SyntaxError);
    await expect(read('{"a":1 "b":2}')).rejects.toThrow(SyntaxError);
    await expect(read('{"a":tru')).rejects.toThrow(SyntaxError);
  });
});
