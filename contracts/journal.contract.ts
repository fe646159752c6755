/**
 * Contract of the journal store (src/journal/port.ts): the in-memory fake and the DPAPI file store
 * must both pass it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Direction } from '../src/datev/callData';
import type { JournalEntry } from '../src/journal/entry';
import { JOURNAL_MAX_DAYS, JOURNAL_MAX_ENTRIES } from '../src/journal/port';
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
      h.store.put(entry(2, new Date(now.getTime() - 1000)), now);
      h.store.put(entry(1, new Date(now.getTime() - 5000)), now);
      expect(h.store.entries().map((e) => e.callId.slice(-1))).toEqual(['1', '2']);
      h.store.put(entry(1, new Date(now.getTime() - 5000), { datev: 'pending' }), now);
      expect(h.store.entries()).toHaveLength(2);
      expect(h.store.get(entry(1, now).callId)?.datev).toBe('pending');
      expect(h.store.get('unknown')).toBeUndefined();
    });

    it('hands out copies: changing a returned entry changes nothing in the store', () => {
      h.store.put(entry(1, now, { notes: [{ text: 'Rückruf', at: now.toISOString(), state: 'pending', attempts: 0 }] }), now);
      const got = h.store.get(entry(1, now).callId)!;
      got.datev = 'failed';
      got.notes[0]!.state = 'delivered';
      got.contact!.name = 'x';
      expect(h.store.get(got.callId)).toMatchObject({ datev: 'live', contact: { name: 'Müller & Söhne GmbH' }, notes: [{ state: 'pending' }] });
    });

    it('keeps everything across a restart: fields, notes, umlauts, states', async () => {
      const e = entry(7, new Date(now.getTime() - day), {
        syncId: 'SYNC-1',
        direction: Direction.eDirOutgoing,
        contact: { name: 'Ärztekammer Nürnberg', id: 'I-12', dataSource: 'DATEV_Institutionen' },
        datev: 'sending',
        journalCallId: '201-02122026-1200-0000099',
        attempts: 2,
        notes: [{ text: 'Zeilen\nmit „Anführung“ & Umlauten äöü', at: now.toISOString(), state: 'sending', journalCallId: 'J-2', attempts: 1 }],
      });
      const missed = entry(8, now, { connectedAt: undefined, datev: 'pending', autoDeliver: false });
      delete missed.connectedAt;
      h.store.put(e, now);
      h.store.put(missed, now);
      await h.store.flush();
      const again = await h.reopen(now);
      expect(again.entries()).toEqual([e, missed]);
    });

    it(`keeps at most ${JOURNAL_MAX_ENTRIES} entries and none older than ${JOURNAL_MAX_DAYS} days: the oldest go`, async () => {
      h.store.put(entry(0, new Date(now.getTime() - (JOURNAL_MAX_DAYS + 1) * day)), now);
      expect(h.store.entries()).toEqual([]);
      for (let i = 1; i <= JOURNAL_MAX_ENTRIES + 5; i++) h.store.put(entry(i, new Date(now.getTime() - (JOURNAL_MAX_ENTRIES + 5 - i) * 1000)), now);
      const kept = h.store.entries();
      expect(kept).toHaveLength(JOURNAL_MAX_ENTRIES);
      expect(kept[0]!.callId).toBe(entry(6, now).callId);
      await h.store.flush();
      const later = new Date(now.getTime() + JOURNAL_MAX_DAYS * day + 500_000);
      const again = await h.reopen(later);
      expect(again.entries().length).toBeLessThan(JOURNAL_MAX_ENTRIES);
      for (const e of again.entries()) expect(Date.parse(e.endedAt)).toBeGreaterThanOrEqual(later.getTime() - JOURNAL_MAX_DAYS * day);
    });
  });
}
