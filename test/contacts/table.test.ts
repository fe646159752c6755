/**
 * The compact contact table (src/contacts/table): its columns, the id hash, the linear sort, and the
 * matching semantics, checked against the Map-based PhoneIndex (the rules of README "Who is calling"),
 * for fresh builds and for incremental refreshes.
 */
import { describe, expect, it } from 'vitest';
import { DATA_SOURCE_ADRESSATEN } from '../../src/datev/callData';
import type { AddresseeRecord, PhoneRecord } from '../../src/contacts/datevconnect/records';
import { checkNumberRules, parseStoredNumber } from '../../src/contacts/numbers';
import { PhoneIndex } from '../../src/contacts/phoneIndex';
import { Slicer } from '../../src/contacts/slicer';
import { AddresseeTable } from '../../src/contacts/table/addresseeTable';
import { TableBuilder } from '../../src/contacts/table/builder';
import { Grow, isGuid, lowerBound, packGuid, packTimestamp, SparseBuilder, unpackGuid, unpackTimestamp, Utf8Builder } from '../../src/contacts/table/columns';
import { hashText, IdBuilder, IdHash, IdQuery } from '../../src/contacts/table/ids';
import { sortEntries } from '../../src/contacts/table/radixSort';
import { prng } from '../../fakes/datevconnect/data';

const rules = checkNumberRules({});
const G = (n: number): string => `a0000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const TS = '2024-01-15T09:30:00.000';

function rec(id: string, name: string, phones: (string | PhoneRecord)[], o: { active?: boolean; timestamp?: string } = {}): AddresseeRecord {
  return { id, name, active: o.active ?? true, timestamp: o.timestamp ?? TS, phones: phones.map((p) => (typeof p === 'string' ? { raw: p } : p)) };
}

async function build(records: AddresseeRecord[], slicer = new Slicer(0)): Promise<AddresseeTable> {
  const b = new TableBuilder(rules);
  for (const r of records) b.add(r);
  return b.finish(slicer);
}

const view = (t: AddresseeTable | PhoneIndex, e164: string): unknown => {
  const m = t.find(e164);
  return m && { kind: m.kind, contacts: m.contacts.map((c) => `${c.id}|${c.name}|${c.dataSource}|${c.number}`) };
};

/** What the Map-based index (the previous DATEVconnect index) answers for the same records. */
function reference(records: AddresseeRecord[]): PhoneIndex {
  const ix = new PhoneIndex();
  for (const r of records) {
    const who = { id: r.id, name: r.name, dataSource: DATA_SOURCE_ADRESSATEN };
    for (const p of r.phones) {
      const n = parseStoredNumber(p.raw, rules) ?? parseStoredNumber(p.raw, rules, p.std);
      if (n) ix.add(r.id, n.e164, who, p.raw || p.std || '', (r.active ? 4 : 0) + (p.mgmt ? 2 : 0) + (p.main ? 1 : 0), n.switchboardBase);
    }
  }
  return ix;
}

describe('table columns', () => {
  it('Grow and Utf8Builder grow, append runs and give tight copies', () => {
    const g = new Grow((n) => new Uint32Array(n), 1);
    for (let i = 0; i < 100; i++) g.push(i);
    g.append(new Uint32Array([7, 8, 9]), 1, 3);
    g.set(0, 42);
    expect(g.get(0)).toBe(42);
    expect([...g.done()].slice(-3)).toEqual([99, 8, 9]);
    const b = new Utf8Builder(1);
    for (const s of ['', 'Weiß, Jörg', '€ 😀', 'x'.repeat(5000)]) b.push(s);
    const col = b.done();
    expect([0, 1, 2, 3].map((i) => col.get(i))).toEqual(['', 'Weiß, Jörg', '€ 😀', 'x'.repeat(5000)]);
    const c = new Utf8Builder(1);
    c.push('vorher');
    c.pushRun(col, 1, 3);
    c.pushRun(col, 2, 2);
    expect([0, 1, 2].map((i) => c.done().get(i))).toEqual(['vorher', 'Weiß, Jörg', '€ 😀']);
  });

  it('sparse strings and lowerBound', () => {
    const s = new SparseBuilder();
    s.push(3, 'drei');
    s.push(10, 'zehn');
    const d = s.done();
    expect([d.get(3), d.get(10), d.get(4), d.get(0), d.get(11)]).toEqual(['drei', 'zehn', undefined, undefined, undefined]);
    expect(lowerBound(new Float64Array([1, 2, 2, 5]), 2)).toBe(1);
    expect(lowerBound(new Float64Array([1, 2, 2, 5]), 6)).toBe(4);
    expect(lowerBound(new Uint32Array(0), 1)).toBe(0);
  });

  it('GUIDs as 16 bytes; other ids are not GUIDs', () => {
    const id = '16b9d6d3-117b-4553-b0b0-3659eb0279d7';
    const out = new Uint8Array(20);
    packGuid(id, out, 2);
    expect(unpackGuid(out, 2)).toBe(id);
    expect(isGuid(id)).toBe(true);
    for (const other of ['16B9D6D3-117B-4553-B0B0-3659EB0279D7', '16b9d6d3117b4553b0b03659eb0279d7', '007130', '', `${id} `]) expect(isGuid(other)).toBe(false);
  });

  it('timestamps in DATEV form as numbers, anything else stays text', () => {
    expect(unpackTimestamp(packTimestamp(TS))).toBe(TS);
    expect(packTimestamp('2024-12-31T23:59:59.999')).toBe(Date.UTC(2024, 11, 31, 23, 59, 59, 999));
    for (const odd of ['', '2024-01-15T09:30:00', '2024-01-15 09:30:00.000', '2024-02-30T00:00:00.000', '2024-01-15T09:30:00.000Z', '2024-13-01T00:00:00.000']) {
      expect(packTimestamp(odd)).toBeNaN();
    }
  });
});

describe('id hash', () => {
  it('finds GUID and text ids, points a repeated id at its new row, grows', () => {
    const ids = new IdBuilder();
    const hash = new IdHash(ids, 0);
    const q = new IdQuery();
    const all: string[] = [];
    for (let i = 0; i < 500; i++) all.push(i % 7 === 0 ? `text-${i}` : G(i));
    all.push('16B9D6D3-117B-4553-B0B0-3659EB0279D7'); // upper case: kept as text
    all.forEach((id, row) => {
      expect(hash.put(q.set(id), row)).toBe(-1);
      ids.push(q);
    });
    all.forEach((id, row) => expect(hash.find(q.set(id))).toBe(row));
    expect(all.map((_, r) => ids.idAt(r))).toEqual(all);
    expect(hash.find(q.set(G(9999)))).toBe(-1);
    expect(hash.find(q.set('text-1'))).toBe(-1);
    ids.push(q.set(G(1)));
    expect(hash.put(q, all.length)).toBe(1);
    expect(hash.find(q.set(G(1)))).toBe(all.length);
    expect(ids.hashAt(0)).toBe(hashText('text-0'));
    const col = ids.done();
    expect(col.idAt(7)).toBe('text-7');
    expect(col.is(7, q.set('text-7'))).toBe(true);
    expect(col.is(8, q.set('text-7'))).toBe(false);
    expect(col.is(8, q.set(G(8)))).toBe(true);
    expect(col.is(7, q.set(G(7)))).toBe(false);
    expect(hash.byteLength).toBeGreaterThanOrEqual(4 * 2 * all.length);
  });
});

describe('sortEntries', () => {
  it('orders by key, then score descending, then input order, like a comparison sort', async () => {
    const rand = prng(5);
    const n = 40_000;
    const keys = new Float64Array(n);
    const phones = new Uint32Array(n);
    const scores = new Uint8Array(n);
    const pool = [1, 4989123450, 999_999_999_999_999, 2 ** 32, 2 ** 32 + 1, 2 ** 48 + 65535, 65536, 65535];
    for (let i = 0; i < n; i++) {
      keys[i] = i % 3 === 0 ? pool[i % pool.length]! : Math.floor(rand() * 1e15);
      phones[i] = i;
      scores[i] = Math.floor(rand() * 8);
    }
    const slicer = new Slicer(0);
    const out = await sortEntries(keys, phones, n, scores, slicer);
    const expected = [...Array(n).keys()].sort((a, b) => keys[a]! - keys[b]! || scores[b]! - scores[a]! || a - b);
    expect([...out.phones]).toEqual(expected);
    expect([...out.keys]).toEqual(expected.map((i) => keys[i]));
    expect(slicer.yieldCount).toBeGreaterThan(0);
    expect((await sortEntries(keys, phones, 0, scores, slicer)).keys.length).toBe(0);
  });
});

describe('AddresseeTable', () => {
  it('exact matches with several contacts per number: active, management phone, main number, then order', async () => {
    const t = await build([
      rec(G(1), 'Inaktiv GmbH', [{ raw: '030 1234567', main: true, mgmt: true }], { active: false }),
      rec(G(2), 'Erste', ['030 1234567']),
      rec(G(3), 'Haupt', [{ raw: '030/123 45 67', main: true }]),
      rec(G(4), 'Zweite', ['+49 30 1234567']),
      rec(G(5), 'Chef', [{ raw: '0049 30 1234567', mgmt: true }]),
    ]);
    expect(view(t, '+49301234567')).toEqual({
      kind: 'exact',
      contacts: [`${G(5)}|Chef|DATEV_Adressaten|0049 30 1234567`, `${G(3)}|Haupt|DATEV_Adressaten|030/123 45 67`, `${G(2)}|Erste|DATEV_Adressaten|030 1234567`, `${G(4)}|Zweite|DATEV_Adressaten|+49 30 1234567`, `${G(1)}|Inaktiv GmbH|DATEV_Adressaten|030 1234567`],
    });
    expect(t.size).toBe(5);
    expect(t.find('+49301234568')).toBeNull();
    expect(t.find('kein Schlüssel')).toBeNull();
    expect(t.find('+0301234567')).toBeNull();
  });

  it('one entry per addressee and number: the better ranked phone counts, on a tie the first', async () => {
    const t = await build([
      rec(G(1), 'A', ['089 1111111', { raw: '+49 89 1111111', main: true }, '0049 89 1111111']),
      rec(G(2), 'B', ['089 2222222', '+49 89 2222222']),
    ]);
    expect(view(t, '+49891111111')).toEqual({ kind: 'exact', contacts: [`${G(1)}|A|DATEV_Adressaten|+49 89 1111111`] });
    expect(view(t, '+49892222222')).toEqual({ kind: 'exact', contacts: [`${G(2)}|B|DATEV_Adressaten|089 2222222`] });
    expect(t.size).toBe(2);
    expect(t.phones).toBe(5);
  });

  it('the same id again replaces the addressee (the last one counts)', async () => {
    const t = await build([rec(G(1), 'Alt', ['089 1111111']), rec(G(2), 'Bleibt', ['089 3333333']), rec(G(1), 'Neu', ['089 2222222'], { timestamp: '2024-02-01T00:00:00.000' })]);
    expect(t.rows).toBe(2);
    expect(t.find('+49891111111')).toBeNull();
    expect(view(t, '+49892222222')).toEqual({ kind: 'exact', contacts: [`${G(1)}|Neu|DATEV_Adressaten|089 2222222`] });
    expect(view(t, '+49893333333')).toEqual({ kind: 'exact', contacts: [`${G(2)}|Bleibt|DATEV_Adressaten|089 3333333`] });
    await t.prepareRowOf(new Slicer(0));
    expect(t.timestampAt(t.rowOf(G(1)))).toBe('2024-02-01T00:00:00.000');
    expect(t.size).toBe(2);
  });

  it('switchboard "…-0": direct dials with 1 to 5 more digits, the longest base first, exact numbers before', async () => {
    const t = await build([
      rec(G(1), 'Muster GmbH', ['089 12345-0']),
      rec(G(2), 'Konzern', ['+49 89 1234-0']),
      rec(G(3), 'Durchwahl', ['089 12345-17']),
    ]);
    const sw = (n: string): string | undefined => {
      const m = t.find(n);
      return m?.kind === 'switchboard' ? m.contacts.map((c) => c.name).join() : m ? `exact:${m.contacts.map((c) => c.name).join()}` : undefined;
    };
    expect(sw('+4989123451')).toBe('Muster GmbH'); // 1 digit
    expect(sw('+498912345123')).toBe('Muster GmbH');
    expect(sw('+49891234512345')).toBe('Muster GmbH'); // 5 digits
    expect(sw('+4989123459')).toBe('Muster GmbH');
    expect(sw('+498912345')).toBe('Muster GmbH'); // the base itself
    expect(sw('+4989123450')).toBe('exact:Muster GmbH');
    expect(sw('+498912345017')).toBe('Muster GmbH');
    expect(sw('+4989123451717')).toBe('Muster GmbH');
    expect(sw('+498912345179')).toBe('Muster GmbH'); // not the "-17" entry: exact only
    expect(sw('+49891234517')).toBe('exact:Durchwahl');
    expect(sw('+4989123451')).toBe('Muster GmbH'); // both bases fit: the longer one
    expect(sw('+49891234999')).toBe('Konzern');
    expect(sw('+4989123499999')).toBe('Konzern'); // 5 digits after +49891234
    expect(sw('+49891234999999')).toBeUndefined(); // 6 digits: not a direct dial
    expect(sw('+49891')).toBeUndefined();
  });

  it('bases shorter than 6 digits are never indexed', async () => {
    const t = await build([rec(G(1), 'Winzig', ['+43 1 2345-0'])]);
    expect(t.c.boardKey.length).toBe(0);
    expect(t.find('+431234517')).toBeNull();
    expect(t.find('+43123450')).toMatchObject({ kind: 'exact' });
  });

  it('number_standardized where the text is not a number; unusable entries are counted and kept', async () => {
    const t = await build([rec(G(1), 'Homepage', [{ raw: 'siehe Homepage', std: '00498912345678' }, { raw: 'unbekannt' }, { raw: '', std: '00431234567' }, { raw: '089 7654321', std: '0049897654321' }])]);
    expect(view(t, '+498912345678')).toEqual({ kind: 'exact', contacts: [`${G(1)}|Homepage|DATEV_Adressaten|siehe Homepage`] });
    expect(view(t, '+431234567')).toEqual({ kind: 'exact', contacts: [`${G(1)}|Homepage|DATEV_Adressaten|00431234567`] });
    expect(t.unusable).toBe(1);
    expect(t.unusable).toBe(1);
    expect(t.phonesOf(0)).toEqual([
      { raw: 'siehe Homepage', std: '00498912345678', main: false, mgmt: false },
      { raw: 'unbekannt', main: false, mgmt: false },
      { raw: '', std: '00431234567', main: false, mgmt: false },
      { raw: '089 7654321', main: false, mgmt: false }, // std not kept where the text is a number
    ]);
  });

  it('ids that are no GUIDs, odd timestamps, names with any characters', async () => {
    const t = await build([rec('007130', 'Sparkasse „Süd“ 😀', ['089 5554433'], { timestamp: 'gestern' }), rec(G(2), 'Zweite', ['089 5554434'], { timestamp: '' }), rec(G(3), 'Dritte', [], { timestamp: '2025-03-01T08:00:00.123' })]);
    expect(t.find('+49895554433')!.contacts[0]).toEqual({ id: '007130', name: 'Sparkasse „Süd“ 😀', dataSource: DATA_SOURCE_ADRESSATEN, number: '089 5554433' });
    expect([0, 1, 2].map((r) => t.timestampAt(r))).toEqual(['gestern', '', '2025-03-01T08:00:00.123']);
    expect(t.maxTimestamp()).toBe('gestern'); // text sorts after digits, as before (string comparison)
    await t.prepareRowOf(new Slicer(0));
    expect([t.rowOf('007130'), t.rowOf(G(3)), t.rowOf('nix')]).toEqual([0, 2, -1]);
    expect(t.activeAt(0)).toBe(true);
    expect((await build([])).maxTimestamp()).toBe('');
    expect(() => AddresseeTable.empty('X').rowOf('a')).toThrow(/prepareRowOf/);
  });

  it('matches exactly like the Map-based index on random data (numbers shared, switchboards, odd entries)', async () => {
    const { records, queries } = randomData(11, 600);
    const t = await build(records);
    const ref = reference(records);
    for (const q of queries) expect(view(t, q), q).toEqual(view(ref, q));
    expect(t.size).toBe(ref.size);
  });

  it('an incremental refresh (rows removed, changed, added) gives what a fresh build gives', async () => {
    const { records, queries } = randomData(23, 500);
    const t = await build(records);
    const rand = prng(99);
    const removed = new Set<string>();
    const changed: AddresseeRecord[] = [];
    for (const r of records) {
      const x = rand();
      if (x < 0.1) removed.add(r.id);
      else if (x < 0.2) changed.push({ ...r, name: `${r.name} (neu)`, phones: [...r.phones].reverse().slice(0, 2), timestamp: '2024-06-01T08:00:00.000' });
    }
    const added = randomData(77, 60).records.map((r, i) => ({ ...r, id: G(90_000 + i) }));
    const drop = new Set([...removed, ...changed.map((c) => c.id)]);
    const b = await TableBuilder.from(t, (row) => !drop.has(t.idAt(row)), rules, new Slicer(0));
    for (const r of [...changed, ...added]) b.add(r);
    const refreshed = await b.finish(new Slicer(0));
    const expected = [...records.filter((r) => !drop.has(r.id)), ...changed, ...added];
    const fresh = await build(expected);
    const ref = reference(expected);
    for (const q of [...queries, ...randomData(77, 60).queries]) {
      expect(view(refreshed, q), q).toEqual(view(fresh, q));
      expect(view(refreshed, q), q).toEqual(view(ref, q));
    }
    expect([refreshed.rows, refreshed.phones, refreshed.size, refreshed.unusable]).toEqual([fresh.rows, fresh.phones, fresh.size, fresh.unusable]);
    await refreshed.prepareRowOf(new Slicer(0));
    for (const id of removed) expect(refreshed.rowOf(id)).toBe(-1);
    for (const c of changed) expect(refreshed.nameAt(refreshed.rowOf(c.id))).toBe(c.name);
    expect(refreshed.maxTimestamp()).toBe('2024-06-01T08:00:00.000');
  });

  it('removing every row, or none', async () => {
    const { records, queries } = randomData(3, 50);
    const t = await build(records);
    const none = await (await TableBuilder.from(t, () => false, rules, new Slicer(0))).finish(new Slicer(0));
    expect([none.rows, none.phones, none.size]).toEqual([0, 0, 0]);
    const all = await (await TableBuilder.from(t, () => true, rules, new Slicer())).finish(new Slicer());
    for (const q of queries) expect(view(all, q)).toEqual(view(t, q));
  });

  it('works in slices: yielding at every check gives the same table as never yielding', async () => {
    const { records, queries } = randomData(8, 3000);
    const slow = new Slicer(0);
    const a = await build(records, slow);
    const b = await build(records, new Slicer(Infinity));
    expect(slow.yieldCount).toBeGreaterThan(3);
    for (const q of queries) expect(view(a, q)).toEqual(view(b, q));
    expect(a.byteLength).toBe(b.byteLength);
  });
});

/** Random addressees over a small pool of numbers in many spellings (shared numbers, switchboards, direct dials, junk). */
function randomData(seed: number, count: number): { records: AddresseeRecord[]; queries: string[] } {
  const rand = prng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
  const pool = Array.from({ length: Math.max(8, count >> 2) }, (_, i) => `${pick(['30', '89', '221', '6221', '171'])}${String(100000 + i * 37)}`);
  const spell = (n: string): string => pick([`0${n}`, `+49 ${n}`, `0049 ${n.slice(0, 3)} ${n.slice(3)}`, `(0${n.slice(0, 2)}) ${n.slice(2)} nur vormittags`]);
  const records: AddresseeRecord[] = [];
  for (let i = 0; i < count; i++) {
    const phones: PhoneRecord[] = [];
    const k = Math.floor(rand() * 4);
    for (let j = 0; j < k; j++) {
      const n = pick(pool);
      const x = rand();
      const raw = x < 0.15 ? `0${n}-0` : x < 0.25 ? `0${n}-${Math.floor(rand() * 1000)}` : x < 0.3 ? 'Fax folgt' : spell(n);
      phones.push({ raw, std: x > 0.27 && x < 0.3 ? `0049${n}` : undefined, main: rand() < 0.3 || undefined, mgmt: rand() < 0.1 || undefined });
    }
    records.push({ id: rand() < 0.05 ? `ID-${i}` : G(i), name: `Name ${i}`, active: rand() < 0.85, timestamp: TS, phones });
  }
  const queries: string[] = [];
  for (const n of pool) {
    queries.push(`+49${n}`, `+49${n}0`);
    for (let extra = 1; extra <= 6; extra++) queries.push(`+49${n}${'7'.repeat(extra)}`);
  }
  return { records, queries };
}
