import { describe, expect, it } from 'vitest';
import { currentData, newRecord, step, type CallEvent, type CallRecord, type Notification } from '../../src/calls/callRecord';
import { CallState, Direction, emptyCallData } from '../../src/datev/callData';

const t0 = new Date(2026, 10, 26, 9, 30, 0);
const at = (s: number): Date => new Date(t0.getTime() + s * 1000);

function rec(announceable = true, reportable = true): CallRecord {
  return newRecord({ ...emptyCallData(), CallID: 'C1', SyncID: 'S1', Direction: Direction.eDirIncoming, CalledNumber: '+49891234567' }, { announceable, reportable });
}

function run(events: CallEvent[], r = rec()): { record: CallRecord; out: Notification[] } {
  const out: Notification[] = [];
  let cur = r;
  for (const e of events) {
    const s = step(cur, e);
    cur = s.record;
    out.push(...s.notifications);
  }
  return { record: cur, out };
}

const names = (out: Notification[]): string[] => out.map((n) => `${n.method}:${CallState[n.data.CallState]}`);

/** The sequences DATEV allows (datev-cti.md §3.2), CallAdressatChanged aside. */
function allowed(out: Notification[]): boolean {
  const seq = names(out.filter((n) => n.method !== 'CallAdressatChanged')).join(' ');
  return [
    '',
    'NewCall:eCSOffered',
    'NewCall:eCSOffered CallStateChanged:eCSConnected',
    'NewCall:eCSOffered CallStateChanged:eCSConnected CallStateChanged:eCSFinished',
    'NewCall:eCSOffered CallStateChanged:eCSAbsence',
  ].includes(seq);
}

describe('call state machine', () => {
  it('answered call: Offered → Connected → Finished with the documented Begin/End', () => {
    const { out } = run([
      { type: 'ringing', at: at(0) },
      { type: 'connected', at: at(5) },
      { type: 'ended', at: at(65) },
    ]);
    expect(names(out)).toEqual(['NewCall:eCSOffered', 'CallStateChanged:eCSConnected', 'CallStateChanged:eCSFinished']);
    expect(out[0]!.data.Begin).toEqual(at(0));
    expect(out[0]!.data.End).toEqual(at(0));
    expect(out[1]!.data.Begin).toEqual(at(5));
    expect(out[1]!.data.End).toEqual(at(5));
    expect(out[2]!.data.Begin).toEqual(at(5));
    expect(out[2]!.data.End).toEqual(at(65));
    for (const n of out) {
      expect(n.data.CallID).toBe('C1');
      expect(n.data.SyncID).toBe('S1');
    }
  });

  it('missed call: Offered → Absence with Begin = ring start, End = hang-up', () => {
    const { out, record } = run([
      { type: 'ringing', at: at(0) },
      { type: 'ended', at: at(20) },
    ]);
    expect(names(out)).toEqual(['NewCall:eCSOffered', 'CallStateChanged:eCSAbsence']);
    expect(out[1]!.data.Begin).toEqual(at(0));
    expect(out[1]!.data.End).toEqual(at(20));
    expect(record.reported).toBe('absence');
  });

  it('a call first seen connected gets NewCall(Offered) and then Connected', () => {
    const { out } = run([{ type: 'connected', at: at(3) }]);
    expect(names(out)).toEqual(['NewCall:eCSOffered', 'CallStateChanged:eCSConnected']);
    expect(out[0]!.data.Begin).toEqual(at(3));
  });

  it('a call first seen ended is reported as missed', () => {
    expect(names(run([{ type: 'ended', at: at(3) }]).out)).toEqual(['NewCall:eCSOffered', 'CallStateChanged:eCSAbsence']);
  });

  it('ignores duplicates and states that arrive out of order', () => {
    const { out } = run([
      { type: 'ringing', at: at(0) },
      { type: 'ringing', at: at(1) },
      { type: 'connected', at: at(2) },
      { type: 'ringing', at: at(3) },
      { type: 'connected', at: at(4) },
      { type: 'ended', at: at(9) },
      { type: 'connected', at: at(10) },
      { type: 'ended', at: at(11) },
    ]);
    expect(names(out)).toEqual(['NewCall:eCSOffered', 'CallStateChanged:eCSConnected', 'CallStateChanged:eCSFinished']);
    expect(out[2]!.data.End).toEqual(at(9));
  });

  it('holds NewCall back until announce, then catches up in one allowed sequence', () => {
    const r = rec(false);
    const early = run([{ type: 'ringing', at: at(0) }, { type: 'connected', at: at(2) }], r);
    expect(early.out).toEqual([]);
    const later = run([{ type: 'announce' }], early.record);
    expect(names(later.out)).toEqual(['NewCall:eCSOffered', 'CallStateChanged:eCSConnected']);
    expect(later.out[0]!.data.Begin).toEqual(at(0));
    expect(later.out[1]!.data.Begin).toEqual(at(2));
  });

  it('sends CallAdressatChanged for a contact found after NewCall, keeping CallID and SyncID', () => {
    const { out } = run([
      { type: 'ringing', at: at(0) },
      { type: 'contact', contact: { Adressatenname: 'Müller', AdressatenId: '4711', DataSource: 'DATEV_Adressaten', CalledNumber: '089/1234567' } },
    ]);
    expect(out.map((n) => n.method)).toEqual(['NewCall', 'CallAdressatChanged']);
    expect(out[1]!.data).toMatchObject({ CallID: 'C1', SyncID: 'S1', AdressatenId: '4711', CalledNumber: '089/1234567', CallState: CallState.eCSOffered });
  });

  it('does not send CallAdressatChanged before NewCall, for the same contact, or after the end', () => {
    const contact = { Adressatenname: 'Müller', AdressatenId: '4711', DataSource: 'DATEV_Adressaten' };
    const before = run([{ type: 'contact', contact }], rec(false));
    expect(before.out).toEqual([]);
    expect(before.record.data.AdressatenId).toBe('4711');
    const same = run([{ type: 'announce' }, { type: 'ringing', at: at(0) }, { type: 'contact', contact }], before.record);
    expect(same.out.map((n) => n.method)).toEqual(['NewCall']);
    const after = run([{ type: 'ended', at: at(1) }, { type: 'contact', contact: { ...contact, AdressatenId: '4712' } }], same.record);
    expect(after.out.map((n) => n.method)).toEqual(['CallStateChanged']);
  });

  it('reports nothing for calls that are not reportable', () => {
    const { out, record } = run([{ type: 'ringing', at: at(0) }, { type: 'ended', at: at(1) }], rec(true, false));
    expect(out).toEqual([]);
    expect(record.reported).toBe('none');
    expect(record.observed).toBe('ended');
  });

  it('keeps End >= Begin even when the clock went backwards', () => {
    const { out } = run([{ type: 'ringing', at: at(10) }, { type: 'ended', at: at(5) }]);
    expect(out[1]!.data.End.getTime()).toBeGreaterThanOrEqual(out[1]!.data.Begin.getTime());
  });

  it('currentData tells the state DATEV would expect at every point', () => {
    let r = rec();
    expect(currentData(r).CallState).toBe(CallState.eCSOffered);
    r = step(r, { type: 'connected', at: at(1) }).record;
    expect(currentData(r).CallState).toBe(CallState.eCSConnected);
    r = step(r, { type: 'ended', at: at(2) }).record;
    expect(currentData(r).CallState).toBe(CallState.eCSFinished);
    let m = rec();
    m = step(m, { type: 'ended', at: at(2) }).record;
    expect(currentData(m).CallState).toBe(CallState.eCSAbsence);
    expect(currentData(rec(false, false)).CallState).toBe(CallState.eCSOffered);
    const unreported = step(rec(true, false), { type: 'ended', at: at(1) }).record;
    expect(currentData(unreported).CallState).toBe(CallState.eCSAbsence);
  });

  it('emits only allowed sequences for every order of up to 6 events (exhaustive)', () => {
    const pool: CallEvent[] = [
      { type: 'ringing', at: at(1) },
      { type: 'connected', at: at(2) },
      { type: 'ended', at: at(3) },
      { type: 'announce' },
      { type: 'contact', contact: { Adressatenname: 'A', AdressatenId: '1', DataSource: 'DATEV_Adressaten' } },
      { type: 'contact', contact: { Adressatenname: 'B', AdressatenId: '2', DataSource: 'DATEV_Adressaten' } },
    ];
    let checked = 0;
    const walk = (prefix: CallEvent[], depth: number): void => {
      if (depth === 0) return;
      for (const e of pool) {
        const seq = [...prefix, e];
        for (const start of [rec(true), rec(false)]) {
          const { out } = run(seq, start);
          checked++;
          if (!allowed(out)) throw new Error(`forbidden: ${names(out).join(' ')} for ${seq.map((x) => x.type).join(',')}`);
          for (const n of out) expect(n.data.End.getTime()).toBeGreaterThanOrEqual(n.data.Begin.getTime());
        }
        walk(seq, depth - 1);
      }
    };
    walk([], 6);
    expect(checked).toBeGreaterThan(50_000);
  });
});
