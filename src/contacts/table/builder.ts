/**
 * Builds an AddresseeTable: from DATEVconnect records (numbers parsed here, one addressee at a time,
 * so a crawl never holds the records), or from an existing table minus some rows (an incremental
 * refresh: unchanged rows are copied as bytes, their numbers are not parsed again). `finish` sorts the
 * index in linear time and pauses when its time slice is used up.
 */
import { DATA_SOURCE_ADRESSATEN } from '../../datev/callData';
import type { AddresseeRecord } from '../datevconnect/records';
import { parseStoredNumber, type NumberRules } from '../numbers';
import { MIN_BASE, toKey } from '../phoneIndex';
import type { Slicer } from '../slicer';
import { f64, packTimestamp, SparseBuilder, u32, u8, Utf8Builder, lowerBound } from './columns';
import { AddresseeTable, PHONE_MAIN, PHONE_MGMT, PHONE_USABLE, ROW_ACTIVE, scoreOf } from './addresseeTable';
import { IdBuilder, IdHash, IdQuery } from './ids';
import { sortEntries } from './radixSort';

/** Marks a row replaced by a later one with the same id (dropped by `finish`). */
const ROW_DEAD = 0x80;
/** Work items between two looks at the clock. */
const STEP = 2048;

export class TableBuilder {
  private readonly ids = new IdBuilder();
  private readonly hash: IdHash;
  private readonly names = new Utf8Builder(64 * 1024);
  private readonly tsMs = f64(1024);
  private readonly tsText = new SparseBuilder();
  private readonly rowFlags = u8(1024);
  private readonly phoneEnd = u32(1024);
  private readonly raw = new Utf8Builder(64 * 1024);
  private readonly std = new SparseBuilder();
  private readonly phoneFlags = u8(2048);
  private readonly exactKey = f64(2048);
  private readonly exactPhone = u32(2048);
  private readonly boardKey = f64(256);
  private readonly boardPhone = u32(256);
  private readonly q = new IdQuery();
  private dead = 0;

  constructor(
    private readonly rules: NumberRules,
    private readonly dataSource = DATA_SOURCE_ADRESSATEN,
    /** Addressees expected (sizes the id hash once instead of growing it). */
    expectedRows = 0,
  ) {
    this.hash = new IdHash(this.ids, expectedRows);
  }

  get rows(): number {
    return this.phoneEnd.length;
  }

  /** A builder holding `table`'s rows for which `keep(row)` is true (copied in runs, not parsed again). */
  static async from(table: AddresseeTable, keep: (row: number) => boolean, rules: NumberRules, slicer: Slicer): Promise<TableBuilder> {
    const b = new TableBuilder(rules, table.dataSource, table.rows);
    const phoneMap = new Int32Array(table.phones).fill(-1);
    for (let r = 0; r < table.rows; ) {
      if (!keep(r)) {
        r++;
        continue;
      }
      let end = r + 1;
      while (end < table.rows && end - r < STEP && keep(end)) end++;
      b.copyRows(table, r, end, phoneMap);
      r = end;
      if (slicer.due()) await slicer.yield();
    }
    const t = table.c;
    await copyEntries(t.exactKey, t.exactPhone, phoneMap, b.exactKey, b.exactPhone, slicer);
    await copyEntries(t.boardKey, t.boardPhone, phoneMap, b.boardKey, b.boardPhone, slicer);
    return b;
  }

  private copyRows(t: AddresseeTable, from: number, to: number, phoneMap: Int32Array): void {
    const c = t.c;
    const row0 = this.rows;
    this.ids.pushRun(c.ids, from, to);
    for (let r = row0; r < row0 + to - from; r++) this.hash.insert(this.ids.hashAt(r), r);
    this.names.pushRun(c.names, from, to);
    this.tsMs.append(c.tsMs, from, to);
    copySparse(c.tsText.rows, (i) => c.tsText.text.get(i), from, to, row0 - from, this.tsText);
    this.rowFlags.append(c.rowFlags, from, to);
    const p0 = t.phoneStart(from);
    const p1 = c.phoneEnd[to - 1]!;
    const delta = this.raw.count - p0;
    for (let r = from; r < to; r++) this.phoneEnd.push(c.phoneEnd[r]! + delta);
    this.raw.pushRun(c.raw, p0, p1);
    this.phoneFlags.append(c.phoneFlags, p0, p1);
    copySparse(c.std.rows, (i) => c.std.text.get(i), p0, p1, delta, this.std);
    for (let p = p0; p < p1; p++) phoneMap[p] = p + delta;
  }

  /** Adds an addressee and parses its numbers; an id added before is replaced (the last one counts). */
  add(rec: AddresseeRecord): void {
    const row = this.rows;
    const before = this.hash.put(this.q.set(rec.id), row);
    if (before >= 0) {
      this.rowFlags.set(before, this.rowFlags.get(before) | ROW_DEAD);
      this.dead++;
    }
    this.ids.push(this.q);
    this.names.push(rec.name);
    const ms = packTimestamp(rec.timestamp);
    this.tsMs.push(ms);
    if (Number.isNaN(ms)) this.tsText.push(row, rec.timestamp);
    const rowFlags = rec.active ? ROW_ACTIVE : 0;
    this.rowFlags.push(rowFlags);
    const exact0 = this.exactKey.length;
    const board0 = this.boardKey.length;
    for (const p of rec.phones) {
      const phone = this.raw.count;
      let n = parseStoredNumber(p.raw, this.rules);
      // number_standardized is kept only where the typed text cannot be read (saves memory and disk)
      const keepStd = n === null && typeof p.std === 'string' && p.std !== '';
      if (n === null && keepStd) n = parseStoredNumber(null, this.rules, p.std);
      const key = n ? toKey(n.e164) : null;
      let flags = (p.main ? PHONE_MAIN : 0) | (p.mgmt ? PHONE_MGMT : 0);
      if (key !== null) flags |= PHONE_USABLE;
      this.raw.push(p.raw);
      if (keepStd) this.std.push(phone, p.std!);
      this.phoneFlags.push(flags);
      if (key === null) continue;
      const score = scoreOf(rowFlags, flags);
      this.addEntry(this.exactKey, this.exactPhone, exact0, key, phone, score, rowFlags);
      const base = n!.switchboardBase !== undefined ? toKey(n!.switchboardBase) : null;
      if (base !== null && base >= MIN_BASE) this.addEntry(this.boardKey, this.boardPhone, board0, base, phone, score, rowFlags);
    }
    this.phoneEnd.push(this.raw.count);
  }

  /** One entry per addressee and key: a second phone with the same number only counts when it ranks higher. */
  private addEntry(keys: typeof this.exactKey, phones: typeof this.exactPhone, from: number, key: number, phone: number, score: number, rowFlags: number): void {
    for (let i = from; i < keys.length; i++) {
      if (keys.get(i) !== key) continue;
      if (scoreOf(rowFlags, this.phoneFlags.get(phones.get(i))) < score) phones.set(i, phone);
      return;
    }
    keys.push(key);
    phones.push(phone);
  }

  /** The finished table (the builder is used up). */
  async finish(slicer: Slicer): Promise<AddresseeTable> {
    const rowFlags = this.rowFlags.raw();
    const phoneEnd = this.phoneEnd.raw();
    const phoneFlags = this.phoneFlags.raw();
    const scores = new Uint8Array(this.phoneFlags.length);
    for (let r = 0, p = 0; r < this.rows; r++) {
      for (const end = phoneEnd[r]!; p < end; p++) scores[p] = scoreOf(rowFlags[r]!, phoneFlags[p]!);
      if ((r & (STEP - 1)) === 0 && slicer.due()) await slicer.yield();
    }
    const exact = await sortEntries(this.exactKey.raw(), this.exactPhone.raw(), this.exactKey.length, scores, slicer);
    const board = await sortEntries(this.boardKey.raw(), this.boardPhone.raw(), this.boardKey.length, scores, slicer);
    await slicer.tick();
    const ids = this.ids.done();
    const names = this.names.done();
    const tsMs = this.tsMs.done();
    const tsText = this.tsText.done();
    await slicer.tick();
    const raw = this.raw.done();
    const std = this.std.done();
    await slicer.tick();
    const table = new AddresseeTable(
      {
        ids,
        names,
        tsMs,
        tsText,
        rowFlags: this.rowFlags.done(),
        phoneEnd: this.phoneEnd.done(),
        raw,
        std,
        phoneFlags: this.phoneFlags.done(),
        exactKey: exact.keys,
        exactPhone: exact.phones,
        boardKey: board.keys,
        boardPhone: board.phones,
      },
      this.dataSource,
      this.dead === 0 ? this.hash.rebind(ids) : undefined,
    );
    if (this.dead === 0) return table;
    // ids that came again: copy the live rows into a fresh table
    const alive = this.rowFlags.raw().map((f) => (f & ROW_DEAD ? 0 : 1));
    const flags = table.c.rowFlags;
    for (let r = 0; r < flags.length; r++) flags[r]! &= ~ROW_DEAD;
    return (await TableBuilder.from(table, (r) => alive[r] === 1, this.rules, slicer)).finish(slicer);
  }
}

/** Copies the sparse strings whose row is in `[from, to)`, moved by `delta`. */
function copySparse(rows: Uint32Array, text: (i: number) => string, from: number, to: number, delta: number, out: SparseBuilder): void {
  for (let i = lowerBound(rows, from); i < rows.length && rows[i]! < to; i++) out.push(rows[i]! + delta, text(i));
}

/** Keeps the entries whose phone was kept, renumbered; their order stays (they are sorted). */
async function copyEntries(
  keys: Float64Array,
  phones: Uint32Array,
  phoneMap: Int32Array,
  outKeys: ReturnType<typeof f64>,
  outPhones: ReturnType<typeof u32>,
  slicer: Slicer,
): Promise<void> {
  outKeys.reserve(keys.length);
  outPhones.reserve(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const p = phoneMap[phones[i]!]!;
    if (p >= 0) {
      outKeys.push(keys[i]!);
      outPhones.push(p);
    }
    if ((i & (STEP - 1)) === 0 && slicer.due()) await slicer.yield();
  }
}
