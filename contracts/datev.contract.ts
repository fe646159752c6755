/**
 * Contract of the DATEV bridge port (src/datev/port.ts). Any implementation — the in-memory fake or
 * the native COM adapter under Wine — must pass it. The suite only knows the harness.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallState, Direction, type DatevCallData, type RawCallData } from '../src/datev/callData';
import { DatevError, type DatevRequestHandlers } from '../src/datev/port';
import type { DatevHarness } from './harness';

const isFailure = (hr: number): boolean => (hr >>> 0) >= 0x80000000;

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
  dials: RawCallData[];
  drops: RawCallData[];
  queries: RawCallData[];
}

function recorder(known: DatevCallData[] = []): Recorder {
  let n = 0;
  const r: Recorder = {
    dials: [],
    drops: [],
    queries: [],
    dial(data) {
      r.dials.push(data);
      if (data.CalledNumber === 'throw') throw new Error('rejected by handler');
      return `CALL-${++n}`;
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

    it('hands Dial to the handler with every field DATEV set and writes the CallID back', async () => {
      const rec = recorder();
      await h.port.register(rec);
      const r = await h.datev.dial({
        CalledNumber: '089/123 45-67',
        Adressatenname: 'Müller & Söhne GmbH',
        AdressatenId: '4711',
        DataSource: 'DATEV_Adressaten',
        SyncID: 'SYNC-1',
      });
      expect(r).toEqual({ hresult: 0, callId: 'CALL-1' });
      expect(rec.dials).toHaveLength(1);
      const d = rec.dials[0]!;
      expect(d.CalledNumber).toBe('089/123 45-67');
      expect(d.Adressatenname).toBe('Müller & Söhne GmbH');
      expect(d.AdressatenId).toBe('4711');
      expect(d.DataSource).toBe('DATEV_Adressaten');
      expect(d.SyncID).toBe('SYNC-1');
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
      expect(rec.dials[0]!.CalledNumber ?? null).toBeNull();
      expect(typeof rec.dials[1]!.CalledNumber).toBe('string');
      expect([123456, '123456']).toContain(rec.dials[2]!.CalledNumber);
      expect(rec.dials[3]!.CalledNumber ?? null).toBeNull();
    });

    it('hands Drop to the handler with the CallID', async () => {
      const rec = recorder();
      await h.port.register(rec);
      const r = await h.datev.drop({ CallID: 'CALL-9' });
      expect(r.hresult).toBe(0);
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
      const err = await h.port.notify('NewCall', sample()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DatevError);
      expect((err as DatevError).code).toBe('absent');
    });

    it('delivers all four notifications with all 11 fields, in order', async () => {
      await h.datev.start();
      expect(await h.port.isPresent()).toBe(true);
      const offered = sample();
      await h.port.notify('NewCall', offered);
      await h.port.notify('CallStateChanged', sample({ CallState: CallState.eCSConnected }));
      await h.port.notify('CallAdressatChanged', sample({ AdressatenId: '4712', Adressatenname: 'Ärztekammer' }));
      await h.port.notify('NewJournal', sample({ CallID: 'J-1', SyncID: '', Note: 'Rückruf erbeten '.repeat(100), CallState: CallState.eCSFinished }));
      const got = await h.datev.notifications();
      expect(got.map((n) => n.method)).toEqual(['NewCall', 'CallStateChanged', 'CallAdressatChanged', 'NewJournal']);
      const first = got[0]!.data;
      expect(Object.keys(first).sort()).toEqual(
        ['AdressatenId', 'Adressatenname', 'Begin', 'CallID', 'CallState', 'CalledNumber', 'DataSource', 'Direction', 'End', 'Note', 'SyncID'],
      );
      expect(first.CallID).toBe('C-1');
      expect(first.SyncID).toBe('SYNC-42');
      expect(first.Direction).toBe(Direction.eDirIncoming);
      expect(first.CallState).toBe(CallState.eCSOffered);
      expect(first.Adressatenname).toBe('Müller & Söhne GmbH');
      expect(first.CalledNumber).toBe('+49 89 1234567');
      expectSameSecond(first.Begin, offered.Begin);
      expectSameSecond(first.End, offered.End);
      expect(got[1]!.data.CallState).toBe(CallState.eCSConnected);
      expect(got[2]!.data.Adressatenname).toBe('Ärztekammer');
      expect(got[3]!.data.SyncID).toBe('');
      expect(got[3]!.data.Note).toBe('Rückruf erbeten '.repeat(100));
    });

    it('returns a typed COM error with the HRESULT when DATEV fails a call, then works again', async () => {
      await h.datev.start();
      await h.datev.failNextNotification(0x80004005);
      const err = await h.port.notify('NewCall', sample()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DatevError);
      expect((err as DatevError).code).toBe('com');
      expect(((err as DatevError).hresult ?? 0) >>> 0).toBe(0x80004005);
      await h.port.notify('NewCall', sample({ CallID: 'C-2' }));
      const got = await h.datev.notifications();
      expect(got.map((n) => n.data.CallID)).toContain('C-2');
    });

    it('finds DATEV again after DATEV restarted', async () => {
      await h.datev.start();
      await h.port.notify('NewCall', sample({ CallID: 'before' }));
      await h.datev.stop();
      await expect(h.port.notify('NewCall', sample({ CallID: 'while-away' }))).rejects.toMatchObject({ code: 'absent' });
      await h.datev.start();
      await h.port.notify('NewCall', sample({ CallID: 'after' }));
      const ids = (await h.datev.notifications()).map((n) => n.data.CallID);
      expect(ids).toContain('after');
      expect(ids).not.toContain('while-away');
    });
  });
}
