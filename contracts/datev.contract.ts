/**
 * Contract of the DATEV bridge port (src/datev/port.ts). Any implementation — the in-memory fake or
 * the native COM adapter under Wine — must pass it. The suite only knows the harness.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CALL_ID_PATTERN } from '../src/calls/callIds';
import { CallState, Direction, type DatevCallData, type RawCallData } from '../src/datev/callData';
import { DatevError, type DatevRequestHandlers, type DialContext } from '../src/datev/port';
import type { DatevHarness } from './harness';

const isFailure = (hr: number): boolean => hr >>> 0 >= 0x80000000;

function sample(overrides: Partial<DatevCallData> = {}): DatevCallData {
  return {
    CallID: 'C-1',
    SyncID: 'SYNC-42',
    Direction: Direction.eDirIncoming,
    Begin: new Date(2026, 10, 26, 9, 30, 15),
    End: new Date(2026, 10, 26, 9, 31, 45),
    CallState: CallState.eCSOffered,
    Adressatenname: 'Müller & Söhne GmbH',
    AdressatenId: '4711',
    DataSource: 'DATEV_Adressaten',
    CalledNumber: '+49 89 1234567',
    Note: '',
    ...overrides,
  };
}

interface Recorder extends DatevRequestHandlers {
  dials: { data: RawCallData; ctx: DialContext }[];
  drops: RawCallData[];
  queries: RawCallData[];
}

function recorder(known: DatevCallData[] = []): Recorder {
  const r: Recorder = {
    dials: [],
    drops: [],
    queries: [],
    dial(data, ctx) {
      r.dials.push({ data, ctx });
      if (data.CalledNumber === 'throw') throw new Error('rejected by handler');
    },
    drop(data) {
      r.drops.push(data);
    },
    getCallData(data) {
      r.queries.push(data);
      return known.find((k) => k.CallID === data.CallID);
    },
  };
  return r;
}

function expectSameSecond(actual: unknown, expected: Date): void {
  expect(actual).toBeInstanceOf(Date);
  expect(Math.abs((actual as Date).getTime() - expected.getTime())).toBeLessThan(1000);
}

async function rejection(p: Promise<unknown>): Promise<DatevError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DatevError);
  return err as DatevError;
}

/** Polls `check` until it holds (bounded), for state that settles asynchronously. */
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 15000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function datevContract(name: string, makeHarness: () => Promise<DatevHarness>): void {
  describe(`DatevPort contract: ${name}`, () => {
    let h: DatevHarness;
    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await h.port.revoke();
      await h.dispose();
    });

    it('registers the CTI object in the ROT and revokes it (idempotently)', async () => {
      expect(await h.datev.isCtiRegistered()).toBe(false);
      await h.port.register(recorder());
      expect(await h.datev.isCtiRegistered()).toBe(true);
      expect((await h.port.health()).registered).toBe(true);
      await h.port.revoke();
      expect(await h.datev.isCtiRegistered()).toBe(false);
      await h.port.revoke();
      expect(await h.datev.isCtiRegistered()).toBe(false);
    });

    it('refuses a second registration with a DatevError and keeps the first one working', async () => {
      const first = recorder();
      await h.port.register(first);
      await expect(h.port.register(recorder())).rejects.toBeInstanceOf(DatevError);
      const r = await h.datev.dial({ CalledNumber: '0891234567' });
      expect(r.hresult).toBe(0);
      expect(first.dials).toHaveLength(1);
    });

    it('answers Dial with a CallID it minted in the program format and hands every field DATEV set to the handler', async () => {
      const rec = recorder();
      h.port.setCallIdPrefix('201');
      await h.port.register(rec);
      const r = await h.datev.dial({
        CalledNumber: '089/123 45-67',
        Adressatenname: 'Müller & Söhne GmbH',
        AdressatenId: '4711',
        DataSource: 'DATEV_Adressaten',
        SyncID: 'SYNC-1',
      });
      expect(r.hresult).toBe(0);
      expect(r.callId).toMatch(CALL_ID_PATTERN);
      expect(r.callId.startsWith('201-')).toBe(true);
      expect(rec.dials).toHaveLength(1);
      const { data, ctx } = rec.dials[0]!;
      expect(ctx).toEqual({ callId: r.callId, decided: false });
      expect(data.CalledNumber).toBe('089/123 45-67');
      expect(data.Adressatenname).toBe('Müller & Söhne GmbH');
      expect(data.AdressatenId).toBe('4711');
      expect(data.DataSource).toBe('DATEV_Adressaten');
      expect(data.SyncID).toBe('SYNC-1');
      const again = await h.datev.dial({ CalledNumber: '089/123 45-67' });
      expect(again.callId).not.toBe(r.callId);
    });

    it('fails Dial with an error HRESULT when the handler rejects it, and keeps serving', async () => {
      const rec = recorder();
      await h.port.register(rec);
      const bad = await h.datev.dial({ CalledNumber: 'throw' });
      expect(isFailure(bad.hresult)).toBe(true);
      const good = await h.datev.dial({ CalledNumber: '0301234567' });
      expect(good.hresult).toBe(0);
      expect(good.callId).not.toBe('');
    });

    it('answers Dial at once with dialAnswer "immediate": DATEV has its CallID before the program decides, the handler gets it as decided and its error stays with the program; "checked" waits again', async () => {
      const seen: { data: RawCallData; ctx: DialContext }[] = [];
      let release = (): void => undefined;
      const held = new Promise<void>((r) => (release = r));
      await h.port.register({
        dial: async (data, ctx) => {
          seen.push({ data, ctx });
          if (data.CalledNumber === 'throw') throw new Error('refused by the program');
          await held;
          throw new Error('refused after DATEV had its answer');
        },
        drop: () => undefined,
        getCallData: () => undefined,
      });
      h.port.setDialAnswer('immediate');
      await h.port.health(); // a port behind a process boundary has applied the mode before DATEV dials
      const r = await h.datev.dial({ CalledNumber: '0301234567', SyncID: 'SYNC-7' });
      expect(r.hresult).toBe(0);
      expect(r.callId).toMatch(CALL_ID_PATTERN);
      await eventually(async () => seen.length === 1, 'the Dial handler');
      expect(seen[0]!.ctx).toEqual({ callId: r.callId, decided: true });
      expect(seen[0]!.data.SyncID).toBe('SYNC-7');
      release();
      h.port.setDialAnswer('checked');
      await h.port.health();
      const bad = await h.datev.dial({ CalledNumber: 'throw' });
      expect(isFailure(bad.hresult)).toBe(true);
      expect(seen[1]!.ctx.decided).toBe(false);
    });

    it('survives malformed Dial data: empty, huge, wrongly typed, null', async () => {
      const rec = recorder();
      await h.port.register(rec);
      const cases: RawCallData[] = [
        {},
        { CalledNumber: 'x'.repeat(100_000) },
        { CalledNumber: 123456 as unknown as string },
        { CalledNumber: null, Adressatenname: null },
      ];
      for (const c of cases) {
        const r = await h.datev.dial(c);
        expect(r.hresult).toBe(0);
      }
      expect(rec.dials).toHaveLength(cases.length);
      expect(rec.dials[0]!.data.CalledNumber ?? null).toBeNull();
      expect(typeof rec.dials[1]!.data.CalledNumber).toBe('string');
      expect([123456, '123456']).toContain(rec.dials[2]!.data.CalledNumber);
      expect(rec.dials[3]!.data.CalledNumber ?? null).toBeNull();
    });

    it('hands Drop to the handler with the CallID', async () => {
      const rec = recorder();
      await h.port.register(rec);
      const r = await h.datev.drop({ CallID: 'CALL-9' });
      expect(r.hresult).toBe(0);
      await eventually(async () => rec.drops.length === 1, 'the Drop handler');
      expect(rec.drops.map((d) => d.CallID)).toEqual(['CALL-9']);
    });

    it('answers GetCallData with all 11 fields of a known call', async () => {
      const known = sample({ CallID: 'K-1', CallState: CallState.eCSConnected });
      await h.port.register(recorder([known]));
      const r = await h.datev.getCallData('K-1');
      expect(r.hresult).toBe(0);
      expect(r.data.CallID).toBe('K-1');
      expect(r.data.SyncID).toBe('SYNC-42');
      expect(r.data.Direction).toBe(Direction.eDirIncoming);
      expect(r.data.CallState).toBe(CallState.eCSConnected);
      expect(r.data.Adressatenname).toBe('Müller & Söhne GmbH');
      expect(r.data.AdressatenId).toBe('4711');
      expect(r.data.DataSource).toBe('DATEV_Adressaten');
      expect(r.data.CalledNumber).toBe('+49 89 1234567');
      expectSameSecond(r.data.Begin, known.Begin);
      expectSameSecond(r.data.End, known.End);
    });

    it('answers GetCallData for an unknown CallID without failing and without inventing data', async () => {
      await h.port.register(recorder());
      const r = await h.datev.getCallData('nope');
      expect(isFailure(r.hresult)).toBe(false);
      expect(r.data.CallID).toBe('nope');
      expect(r.data.AdressatenId ?? '').toBe('');
    });

    it('reports DATEV absent when it is not running', async () => {
      await h.datev.stop();
      expect(await h.port.isPresent()).toBe(false);
      const err = await rejection(h.port.notify('NewCall', sample()));
      expect(err.code).toBe('absent');
    });

    it('delivers all four notifications with all 11 fields, in order, and names the DATEV that took them', async () => {
      await h.datev.start();
      expect(await h.port.isPresent()).toBe(true);
      const offered = sample();
      const first = await h.port.notify('NewCall', offered);
      expect(first.generation).toBeGreaterThan(0);
      const second = await h.port.notify('CallStateChanged', sample({ CallState: CallState.eCSConnected }), { generation: first.generation });
      expect(second.generation).toBe(first.generation);
      await h.port.notify('CallAdressatChanged', sample({ AdressatenId: '4712', Adressatenname: 'Ärztekammer' }));
      await h.port.notify('NewJournal', sample({ CallID: 'J-1', SyncID: '', Note: 'Rückruf erbeten '.repeat(100), CallState: CallState.eCSFinished }));
      const got = await h.datev.notifications();
      expect(got.map((n) => n.method)).toEqual(['NewCall', 'CallStateChanged', 'CallAdressatChanged', 'NewJournal']);
      const d0 = got[0]!.data;
      expect(Object.keys(d0).sort()).toEqual(
        ['AdressatenId', 'Adressatenname', 'Begin', 'CallID', 'CallState', 'CalledNumber', 'DataSource', 'Direction', 'End', 'Note', 'SyncID'],
      );
      expect(d0.CallID).toBe('C-1');
      expect(d0.SyncID).toBe('SYNC-42');
      expect(d0.Direction).toBe(Direction.eDirIncoming);
      expect(d0.CallState).toBe(CallState.eCSOffered);
      expect(d0.Adressatenname).toBe('Müller & Söhne GmbH');
      expect(d0.CalledNumber).toBe('+49 89 1234567');
      expectSameSecond(d0.Begin, offered.Begin);
      expectSameSecond(d0.End, offered.End);
      expect(got[1]!.data.CallState).toBe(CallState.eCSConnected);
      expect(got[2]!.data.Adressatenname).toBe('Ärztekammer');
      expect(got[3]!.data.SyncID).toBe('');
      expect(got[3]!.data.Note).toBe('Rückruf erbeten '.repeat(100));
    });

    it('sends one call-data object per call, mutated for each notification, that DATEV can still read afterwards', async () => {
      await h.datev.start();
      await h.port.notify('NewCall', sample({ CallID: 'A' }));
      await h.port.notify('NewCall', sample({ CallID: 'B' }));
      await h.port.notify('CallStateChanged', sample({ CallID: 'A', CallState: CallState.eCSConnected }));
      await h.port.notify('CallStateChanged', sample({ CallID: 'A', CallState: CallState.eCSFinished }), { last: true });
      await h.port.notify('CallStateChanged', sample({ CallID: 'B', CallState: CallState.eCSAbsence }), { last: true });
      const got = await h.datev.notifications();
      const objectOf = (id: string): (number | undefined)[] => [...new Set(got.filter((n) => n.data.CallID === id).map((n) => n.object))];
      expect(objectOf('A')).toHaveLength(1);
      expect(objectOf('B')).toHaveLength(1);
      expect(objectOf('A')[0]).not.toBe(objectOf('B')[0]);
      expect(got.map((n) => n.data.CallState)).toEqual([
        CallState.eCSOffered,
        CallState.eCSOffered,
        CallState.eCSConnected,
        CallState.eCSFinished,
        CallState.eCSAbsence,
      ]);
      const again = await h.datev.reread();
      expect(again.map((o) => o.callId).sort()).toEqual(['A', 'B']);
      expect(again.every((o) => o.readable)).toBe(true);
    });

    it('keeps a SyncID DATEV writes into a call\'s object: the delivery names it, the call\'s later notifications carry it whatever the program sends, other calls are untouched', async () => {
      await h.datev.start();
      await h.datev.writeSyncIdDuringNextNotification('DATEV-SYNC-42');
      const first = await h.port.notify('NewCall', sample({ CallID: 'S', SyncID: '' }));
      expect(first.syncId).toBe('DATEV-SYNC-42');
      const next = await h.port.notify('CallStateChanged', sample({ CallID: 'S', SyncID: '', CallState: CallState.eCSConnected }));
      expect(next.syncId).toBe('DATEV-SYNC-42');
      const other = await h.port.notify('NewCall', sample({ CallID: 'T', SyncID: '' }));
      expect(other.syncId).toBeUndefined();
      await h.port.notify('CallStateChanged', sample({ CallID: 'S', SyncID: '', CallState: CallState.eCSFinished }), { last: true });
      const got = await h.datev.notifications();
      expect(got.map((n) => [n.data.CallID, n.data.SyncID])).toEqual([
        ['S', 'DATEV-SYNC-42'],
        ['S', 'DATEV-SYNC-42'],
        ['T', ''],
        ['S', 'DATEV-SYNC-42'],
      ]);
    });

    it('returns a typed COM error with the HRESULT when DATEV fails a call, then works again', async () => {
      await h.datev.start();
      await h.datev.failNextNotification(0x80004005);
      const err = await rejection(h.port.notify('NewCall', sample()));
      expect(err.code).toBe('com');
      expect((err.hresult ?? 0) >>> 0).toBe(0x80004005);
      await h.port.notify('NewCall', sample({ CallID: 'C-2' }));
      const got = await h.datev.notifications();
      expect(got.map((n) => n.data.CallID)).toContain('C-2');
    });

    it('retries a notification DATEV rejects because it is busy, and delivers it once', async () => {
      await h.datev.start();
      await h.datev.rejectNotifications(3);
      await h.port.notify('NewCall', sample({ CallID: 'busy' }));
      const got = await h.datev.notifications();
      expect(got.filter((n) => n.data.CallID === 'busy')).toHaveLength(1);
    });

    it('rejects a notification DATEV does not answer in time with "timeout" and reports its real outcome later', async () => {
      await h.datev.start();
      await h.datev.hangNotifications(h.notifyTimeoutMs * 2, 1);
      const err = await rejection(h.port.notify('NewCall', sample({ CallID: 'slow' })));
      expect(err.code).toBe('timeout');
      expect(err.ticket).toBeTypeOf('number');
      const late = await h.port.settled(err.ticket!);
      expect(late.generation).toBeGreaterThan(0);
      await h.port.notify('NewCall', sample({ CallID: 'after' }));
      const ids = (await h.datev.notifications()).map((n) => n.data.CallID);
      expect(ids).toEqual(['slow', 'after']);
      await eventually(async () => (await h.port.health()).stuck === 0, 'no stuck thread');
      expect((await h.port.health()).timeouts).toBeGreaterThanOrEqual(1);
    });

    it('does not call a DATEV that hangs on every thread ("stalled") and works again when DATEV answers', async () => {
      await h.datev.start();
      await h.datev.hangNotifications(h.notifyTimeoutMs * 3, h.threads);
      const hung = [];
      for (let i = 0; i < h.threads; i++) hung.push(await rejection(h.port.notify('NewCall', sample({ CallID: `hung-${i}` }))));
      expect(hung.map((e) => e.code)).toEqual(Array(h.threads).fill('timeout'));
      expect((await h.port.health()).stuck).toBe(h.threads);
      const stalled = await rejection(h.port.notify('NewCall', sample({ CallID: 'not-sent' })));
      expect(stalled.code).toBe('stalled');
      for (const e of hung) await h.port.settled(e.ticket!);
      await eventually(async () => (await h.port.health()).stuck === 0, 'the threads to come back');
      await h.port.notify('NewCall', sample({ CallID: 'again' }));
      // a DATEV that takes calls while it waits itself (an STA) may take two waiting calls in either order
      const ids = (await h.datev.notifications()).map((n) => String(n.data.CallID));
      expect(ids.slice(0, h.threads).sort()).toEqual(Array.from({ length: h.threads }, (_, i) => `hung-${i}`));
      expect(ids.slice(h.threads)).toEqual(['again']);
    });

    it('finds DATEV again after a restart, as a new generation, and sends nothing of an earlier call to it', async () => {
      await h.datev.start();
      const before = await h.port.notify('NewCall', sample({ CallID: 'before' }));
      await h.datev.stop();
      expect((await rejection(h.port.notify('NewCall', sample({ CallID: 'while-away' })))).code).toBe('absent');
      await h.datev.start();
      const gone = await rejection(h.port.notify('CallStateChanged', sample({ CallID: 'before', CallState: CallState.eCSAbsence }), { generation: before.generation }));
      expect(gone.code).toBe('gone');
      const after = await h.port.notify('NewCall', sample({ CallID: 'after' }));
      expect(after.generation).not.toBe(before.generation);
      const ids = (await h.datev.notifications()).map((n) => n.data.CallID);
      expect(ids).toContain('after');
      expect(ids).not.toContain('while-away');
      expect(ids.filter((x) => x === 'before')).toHaveLength(1);
    });

    it('names the DATEV that took a notification so that a later run of the program knows it again (datevId), and sends nothing meant for one DATEV to another', async () => {
      await h.datev.start();
      const a = await h.port.notify('NewCall', sample({ CallID: 'kept-1' }));
      expect(a.datevId).not.toBe('');
      const b = await h.port.notify('CallStateChanged', sample({ CallID: 'kept-1', CallState: CallState.eCSConnected }), { datevId: a.datevId });
      expect(b.datevId).toBe(a.datevId);
      const other = await rejection(h.port.notify('CallStateChanged', sample({ CallID: 'kept-1', CallState: CallState.eCSFinished }), { datevId: 'another DATEV' }));
      expect(other.code).toBe('gone');
      await h.datev.stop();
      await h.datev.start();
      const gone = await rejection(h.port.notify('CallStateChanged', sample({ CallID: 'kept-1', CallState: CallState.eCSFinished }), { datevId: a.datevId }));
      expect(gone.code).toBe('gone');
      const c = await h.port.notify('NewCall', sample({ CallID: 'kept-2' }));
      expect(c.datevId).not.toBe('');
      expect(c.datevId).not.toBe(a.datevId);
      const received = (await h.datev.notifications()).map((n) => [n.method, n.data.CallID, n.data.CallState]);
      expect(received).toEqual([
        ['NewCall', 'kept-1', CallState.eCSOffered],
        ['CallStateChanged', 'kept-1', CallState.eCSConnected],
        ['NewCall', 'kept-2', CallState.eCSOffered],
      ]);
    });

    it('a DATEV that restarts while a notification is inside it: the retry meets a new generation, so nothing more of the earlier call reaches the new DATEV', async () => {
      await h.datev.start();
      const before = await h.port.notify('NewCall', sample({ CallID: 'old-call' }));
      await h.datev.restartDuringNextNotification();
      const gone = await rejection(h.port.notify('CallStateChanged', sample({ CallID: 'old-call', CallState: CallState.eCSConnected }), { generation: before.generation }));
      expect(gone.code).toBe('gone');
      const again = await rejection(h.port.notify('CallStateChanged', sample({ CallID: 'old-call', CallState: CallState.eCSFinished }), { generation: before.generation }));
      expect(again.code).toBe('gone');
      const after = await h.port.notify('NewCall', sample({ CallID: 'new-call' }));
      expect(after.generation).not.toBe(before.generation);
      const received = (await h.datev.notifications()).map((n) => [n.method, n.data.CallID]);
      expect(received.filter(([, id]) => id === 'old-call')).toEqual([['NewCall', 'old-call']]);
      expect(received).toContainEqual(['NewCall', 'new-call']);
    });

    it('checks its own ROT entry, and rebuilds it so that DATEV can dial again', async () => {
      const rec = recorder();
      expect((await h.port.selfCheck()).healthy).toBe(false);
      await h.port.register(rec);
      expect(await h.port.selfCheck()).toMatchObject({ healthy: true });
      await h.port.rebuild();
      expect(await h.port.selfCheck()).toMatchObject({ healthy: true });
      expect((await h.port.health()).rebuilds).toBe(1);
      expect(await h.datev.isCtiRegistered()).toBe(true);
      const r = await h.datev.dial({ CalledNumber: '0891234567' });
      expect(r.hresult).toBe(0);
      expect(rec.dials).toHaveLength(1);
      await h.port.revoke();
      expect(await h.datev.isCtiRegistered()).toBe(false);
    });
  });
}
