/**
 * Contract of the journal store (src/journal/port.ts): the in-memory fake and the DPAPI file store
 * must both pass it — order, limits, read-only entries, and what survives a restart, a hard kill while
 * a record was written, a damaged record, a compaction and failing writes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Direction } from '../src/datev/callData';
import { copyEntry, type JournalContact, type JournalEntry, type JournalNote, type KeptEntry } from '../src/journal/entry';
import { COMPACT_SLACK } from '../src/journal/logStore';
import { JOURNAL_MAX_DAYS, JOURNAL_MAX_ENTRIES, type JournalStore } from '../src/journal/port';
import type { JournalHarness } from './harness';

const day = 86_400_000;
const now = new Date(2026, 11, 2, 12, 0, 0);

export function entry(n: number, endedAt: Date, overrides: Partial<JournalEntry> = {}): JournalEntry {
  const ring = new Date(endedAt.getTime() - 60_000);
  return {
    callId: `201-02122026-1200-${String(n).padStart(7, '0')}`,
    syncId: '',
    direction: Direction.eDirIncoming,
    number: `+49 89 ${1000000 + n}`,
    contact: { name: 'Müller & Söhne GmbH', id: '4711', dataSource: 'DATEV_Adressaten' },
    internal: false,
    ringAt: ring.toISOString(),
    connectedAt: new Date(ring.getTime() + 5000).toISOString(),
    endedAt: endedAt.toISOString(),
    datev: 'live',
    autoDeliver: true,
    attempts: 0,
    notes: [],
    ...overrides,
  };
}

const ago = (ms: number): Date => new Date(now.getTime() - ms);
const ids = (s: JournalStore): string[] => s.entries().map((e) => e.callId.slice(-3));

export function journalContract(name: string, makeHarness: () => Promise<JournalHarness>): void {
  describe(`JournalStore contract: ${name}`, () => {
    let h: JournalHarness;
    beforeEach(async () => {
      h = await makeHarness();
      await h.store.load(now);
    });
    afterEach(async () => {
      await h.dispose();
    });

    it('starts empty, keeps entries oldest first and replaces an entry by its CallID', async () => {
      expect(h.store.entries()).toEqual([]);
      h.store.put(entry(2, ago(1000)), now);
      h.store.put(entry(1, ago(5000)), now);
      expect(h.store.entries().map((e) => e.callId.slice(-1))).toEqual(['1', '2']);
      h.store.put(entry(1, ago(5000), { datev: 'pending' }), now);
      expect(h.store.entries()).toHaveLength(2);
      expect(h.store.get(entry(1, now).callId)?.datev).toBe('pending');
      expect(h.store.get('unknown')).toBeUndefined();
    });

    it('orders by hang-up time whatever the order of the puts (equal times: first put first), also after a restart', async () => {
      const offsets: [number, number][] = [
        [5, 50],
        [1, 10],
        [3, 30],
        [6, 30], // the same hang-up time as 3, put later
        [0, 0],
        [4, 40],
        [2, 20],
        [7, 60],
      ];
      for (const [n, s] of offsets) h.store.put(entry(n, ago(100_000 - s * 1000)), now);
      expect(ids(h.store)).toEqual(['000', '001', '002', '003', '006', '004', '005', '007']);
      h.store.put(entry(3, ago(100_000 - 30_000), { datev: 'pending' }), now); // a change keeps the place
      h.store.put(entry(1, ago(100_000 - 45_000)), now); // a later hang-up time moves it
      const expected = ['000', '002', '003', '006', '004', '001', '005', '007'];
      expect(ids(h.store)).toEqual(expected);
      await h.store.flush();
      const again = await h.reopen(now);
      expect(ids(again)).toEqual(expected);
      expect(again.entries()).toEqual(h.store.entries());
    });

    it('hands out read-only entries: a change throws and never reaches the store; a changed copy put back does', () => {
      const mine = entry(1, now, { notes: [{ text: 'Rückruf', at: now.toISOString(), state: 'pending', attempts: 0 }] });
      h.store.put(mine, now);
      mine.datev = 'failed'; // the store keeps its own copy
      mine.notes[0]!.state = 'failed';
      const got = h.store.get(mine.callId)!;
      expect(() => ((got as JournalEntry).datev = 'failed')).toThrow(TypeError);
      expect(() => ((got.notes[0] as JournalNote).state = 'delivered')).toThrow(TypeError);
      expect(() => (got.notes as JournalNote[]).push({ text: 'x', at: '', state: 'pending', attempts: 0 })).toThrow(TypeError);
      expect(() => ((got.contact as JournalContact).name = 'x')).toThrow(TypeError);
      expect(() => ((h.store.entries()[0] as JournalEntry).attempts = 9)).toThrow(TypeError);
      expect(h.store.get(mine.callId)).toMatchObject({ datev: 'live', contact: { name: 'Müller & Söhne GmbH' }, notes: [{ state: 'pending' }] });
      const changed = copyEntry(got);
      changed.notes[0]!.state = 'delivered';
      h.store.put(changed, now);
      expect(h.store.get(mine.callId)!.notes[0]!.state).toBe('delivered');
      expect(got.notes[0]!.state).toBe('pending'); // what was handed out before stays as it was
    });

    it('keeps everything across a restart: fields, notes, umlauts, states', async () => {
      const e = entry(7, ago(day), {
        syncId: 'SYNC-1',
        direction: Direction.eDirOutgoing,
        contact: { name: 'Ärztekammer Nürnberg', id: 'I-12', dataSource: 'DATEV_Institutionen' },
        datev: 'sending',
        journalCallId: '201-02122026-1200-0000099',
        attempts: 2,
        refusals: 1,
        notes: [{ text: 'Zeilen\nmit „Anführung“ & Umlauten äöü', at: now.toISOString(), state: 'sending', journalCallId: 'J-2', attempts: 1, refusals: 1 }],
      });
      const missed = entry(8, now, { connectedAt: undefined, datev: 'pending', autoDeliver: false });
      delete missed.connectedAt;
      const goingOn = entry(9, now, { datev: 'open' }); // a call going on when this was written
      h.store.put(e, now);
      h.store.put(missed, now);
      h.store.put(goingOn, now);
      await h.store.flush();
      const again = await h.reopen(now);
      expect(again.entries()).toEqual([e, missed, goingOn]);
    });

    it(`keeps at most ${JOURNAL_MAX_ENTRIES} entries and none older than ${JOURNAL_MAX_DAYS} days: the oldest go, also at a restart`, async () => {
      h.store.put(entry(0, ago((JOURNAL_MAX_DAYS + 1) * day)), now);
      expect(h.store.entries()).toEqual([]);
      for (let i = 1; i <= JOURNAL_MAX_ENTRIES; i++) h.store.put(entry(i, ago((JOURNAL_MAX_ENTRIES + 5 - i) * 1000)), now);
      await h.store.flush();
      // five more, one write each: the log now holds records of more entries than are kept
      for (let i = JOURNAL_MAX_ENTRIES + 1; i <= JOURNAL_MAX_ENTRIES + 5; i++) {
        h.store.put(entry(i, ago((JOURNAL_MAX_ENTRIES + 5 - i) * 1000)), now);
        await h.store.flush();
      }
      const kept = h.store.entries();
      expect(kept).toHaveLength(JOURNAL_MAX_ENTRIES);
      expect(kept[0]!.callId).toBe(entry(6, now).callId);
      expect(h.store.get(entry(5, now).callId)).toBeUndefined();
      await h.store.flush();
      expect((await h.reopen(now)).entries()).toEqual(kept);
      const later = new Date(now.getTime() + JOURNAL_MAX_DAYS * day - 500_000);
      const again = await h.reopen(later);
      expect(again.entries()).toEqual(kept.filter((e) => Date.parse(e.endedAt) >= later.getTime() - JOURNAL_MAX_DAYS * day));
      expect(again.entries().length).toBeLessThan(JOURNAL_MAX_ENTRIES);
      expect(again.entries().length).toBeGreaterThan(0);
    });

    it('a record cut short by a hard kill is skipped: the entry keeps its version before it; later changes are kept', async () => {
      h.store.put(entry(1, ago(3000)), now);
      h.store.put(entry(2, ago(2000)), now);
      await h.store.flush();
      h.store.put(entry(2, ago(2000), { datev: 'journal' }), now);
      await h.store.flush();
      expect((await h.reopen(now)).get(entry(2, now).callId)?.datev).toBe('journal'); // the last record wins
      await h.disk.tearLast();
      const again = await h.reopen(now);
      expect(again.entries()).toEqual([entry(1, ago(3000)), entry(2, ago(2000))]);
      expect(h.log.has('warn', 'cut short')).toBe(true);
      // the next write must not be lost behind the torn record
      again.put(entry(3, ago(1000)), now);
      await again.flush();
      expect((await h.reopen(now)).entries()).toEqual([entry(1, ago(3000)), entry(2, ago(2000)), entry(3, ago(1000))]);
    });

    it('a damaged record in the middle is skipped and logged; the records after it and later changes are kept', async () => {
      for (let i = 1; i <= 4; i++) {
        h.store.put(entry(i, ago(10_000 - i)), now);
        await h.store.flush();
      }
      const before = await h.disk.records();
      await h.disk.corrupt(before - 3); // entry 2's only record
      const again = await h.reopen(now);
      expect(ids(again)).toEqual(['001', '003', '004']);
      expect(h.log.has('warn', '1 damaged records')).toBe(true);
      again.put(entry(5, ago(1)), now);
      await again.flush();
      expect(ids(await h.reopen(now))).toEqual(['001', '003', '004', '005']);
    });

    it('compaction: a log with far more records than entries is rewritten with exactly the live entries', async () => {
      // one entry the time limit drops before the compaction: it must not come back from the old log
      h.store.put(entry(99, ago(JOURNAL_MAX_DAYS * day - 60_000)), now);
      const live = 20;
      for (let i = 0; i < live; i++) h.store.put(entry(i, ago(50_000 - i)), now);
      await h.store.flush();
      const later = new Date(now.getTime() + 3_600_000);
      let most = 0;
      for (let round = 0; round < 20; round++) {
        for (let i = 0; i < live; i++) h.store.put(entry(i, ago(50_000 - i), { attempts: round }), later);
        await h.store.flush();
        most = Math.max(most, await h.disk.records());
      }
      // and changes after the last compaction, on top of it
      for (let i = 0; i < live; i += 2) h.store.put(entry(i, ago(50_000 - i), { attempts: 100 + i }), later);
      await h.store.flush();
      expect(h.store.get(entry(99, now).callId)).toBeUndefined();
      expect(most).toBeGreaterThan(2 * live);
      expect(await h.disk.records()).toBeLessThanOrEqual(2 * live + COMPACT_SLACK);
      expect(await h.disk.records()).toBeGreaterThanOrEqual(live);
      const kept = h.store.entries();
      expect(kept).toHaveLength(live);
      expect((await h.reopen(later)).entries()).toEqual(kept);
      expect((await h.reopen(now)).entries()).toEqual(kept);
    });

    it('changes made while the log is rewritten are kept', async () => {
      for (let i = 0; i < 10; i++) h.store.put(entry(i, ago(50_000 - i)), now);
      await h.store.flush(); // the log exists: the next rewrite is a compaction
      const hold = h.disk.holdNextRewrite();
      let began = false;
      void hold.begun.then(() => (began = true));
      for (let round = 0; !began; round++) {
        for (let i = 0; i < 10; i++) h.store.put(entry(i, ago(50_000 - i), { attempts: round }), now);
        await Promise.race([hold.begun, h.store.flush()]);
        expect(round).toBeLessThan(100);
      }
      // the compaction has its snapshot and waits: change old entries, add new ones
      h.store.put(entry(3, ago(50_000 - 3), { datev: 'journal', attempts: 1000 }), now);
      for (let i = 10; i < 15; i++) h.store.put(entry(i, ago(40_000 - i)), now);
      const flushed = h.store.flush();
      hold.release();
      await flushed;
      const kept = h.store.entries();
      expect(kept).toHaveLength(15);
      expect(h.store.get(entry(3, now).callId)).toMatchObject({ datev: 'journal', attempts: 1000 });
      expect((await h.reopen(now)).entries()).toEqual(kept);
    });

    it('flush after many puts without a pause: everything is on disk, each entry in its last version', async () => {
      for (let k = 0; k < 3000; k++) h.store.put(entry(k % 300, ago(400_000 - (k % 300) * 1000), { attempts: Math.floor(k / 300) }), now);
      await h.store.flush();
      const again = await h.reopen(now);
      expect(again.entries()).toEqual(h.store.entries());
      expect(again.entries()).toHaveLength(300);
      expect(again.entries().every((e: KeptEntry) => e.attempts === 9)).toBe(true);
    });

    it('a failing write never throws into put: flush rejects, it is logged once, and everything is written when the disk works again', async () => {
      h.store.put(entry(1, ago(3000)), now);
      await h.store.flush();
      await h.disk.failWrites(true);
      h.store.put(entry(2, ago(2000)), now);
      await expect(h.store.flush()).rejects.toThrow();
      h.store.put(entry(3, ago(1000)), now);
      await expect(h.store.flush()).rejects.toThrow();
      expect(h.log.entries.filter((e) => e.level === 'error')).toHaveLength(1);
      expect(ids(h.store)).toEqual(['001', '002', '003']);
      await h.disk.failWrites(false);
      h.store.put(entry(4, ago(500)), now);
      await h.store.flush();
      expect(h.log.has('info', 'written again')).toBe(true);
      expect(ids(await h.reopen(now))).toEqual(['001', '002', '003', '004']);
    });
  });
}
