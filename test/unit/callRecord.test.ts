import { describe, expect, it } from 'vitest';
import {
  currentData,
  isComplete,
  isForDatev,
  newRecord,
  step,
  type CallEvent,
  type CallRecord,
  type Notification,
} from '../../src/calls/callRecord';
import { finalDatevState } from '../../src/calls/finalCall';
import { CallState, Direction, emptyCallData } from '../../src/datev/callData';

const undelivered = (r: CallRecord): boolean => r.observed === 'ended' && finalDatevState(r) === 'lost';

const t0 = new Date(2026, 10, 26, 9, 30, 0);
const at = (s: number): Date => new Date(t0.getTime() + s * 1000);

function rec(announceable = true, reportable = true): CallRecord {
  return newRecord({ ...emptyCallData(), CallID: 'C1', SyncID: 'S1', Direction: Direction.eDirIncoming, CalledNumber: '+49891234567' }, { announceable, reportable });
}

/** Feeds `events`; DATEV accepts every notification at once (generation 7) unless `accept` is false. */
function run(events: CallEvent[], r = rec(), accept = true): { record: CallRecord; out: Notification[] } {
  const out: Notification[] = [];
  let cur = r;
  const feed = (e: CallEvent): void => {
    const s = step(cur, e);
    cur = s.record;
    for (const n of s.notifications) {
      out.push(n);
      if (accept) feed({ type: 'delivered', generation: 7 });
    }
  };
  for (const e of events) feed(e);
  return { record: cur, out };
}

const names = (out: Notification[]): string[] => out.map((n) => `${n.method}:${CallState[n.data.CallState]}`);

describe('call state machine', () => {
  it('answered call: Offered → Connected → Finished with the documented Begin/End', () => {
    const { out, record } = run([
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
    expect(out.map((n) => n.last)).toEqual([false, false, true]);
    expect(out[0]!.generation).toBeUndefined();
    expect(out[1]!.generation).toBe(7);
    expect(isComplete(record)).toBe(true);
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

  it('a call without its CallID (not decided yet, e.g. its set-up failed half-way) never goes to DATEV', () => {
    const noId = newRecord({ ...emptyCallData(), Direction: Direction.eDirIncoming, CalledNumber: '+49891234567' }, { announceable: true, reportable: true });
    expect(run([{ type: 'ringing', at: at(0) }, { type: 'connected', at: at(1) }, { type: 'ended', at: at(2) }], noId).out).toEqual([]);
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
    const early = run([{ type: 'ringing', at: at(0) }, { type: 'connected', at: at(2) }], rec(false));
    expect(early.out).toEqual([]);
    const later = run([{ type: 'announce' }], early.record);
    expect(names(later.out)).toEqual(['NewCall:eCSOffered', 'CallStateChanged:eCSConnected']);
    expect(later.out[0]!.data.Begin).toEqual(at(0));
    expect(later.out[1]!.data.Begin).toEqual(at(2));
  });

  it('sends one notification at a time: the next only after DATEV accepted the previous one', () => {
    let r = rec();
    const first = step(r, { type: 'ringing', at: at(0) });
    expect(names(first.notifications)).toEqual(['NewCall:eCSOffered']);
    r = first.record;
    for (const e of [{ type: 'connected', at: at(1) }, { type: 'ended', at: at(2) }] as CallEvent[]) {
      const s = step(r, e);
      expect(s.notifications).toEqual([]);
      r = s.record;
    }
    const next = step(r, { type: 'delivered', generation: 3 });
    expect(names(next.notifications)).toEqual(['CallStateChanged:eCSConnected']);
    expect(next.notifications[0]!.generation).toBe(3);
    const last = step(next.record, { type: 'delivered', generation: 3 });
    expect(names(last.notifications)).toEqual(['CallStateChanged:eCSFinished']);
  });

  it('sends CallAdressatChanged for a contact found after NewCall, keeping CallID and SyncID', () => {
    const contact = { Adressatenname: 'Müller', AdressatenId: '4711', DataSource: 'DATEV_Adressaten' };
    const { out } = run([{ type: 'ringing', at: at(0) }, { type: 'contact', contact }]);
    expect(names(out)).toEqual(['NewCall:eCSOffered', 'CallAdressatChanged:eCSOffered']);
    expect(out[1]!.data).toMatchObject({ CallID: 'C1', SyncID: 'S1', AdressatenId: '4711', Adressatenname: 'Müller' });
  });

  it('a contact that changes while NewCall is in flight follows as CallAdressatChanged after DATEV took NewCall', () => {
    const contact = { Adressatenname: 'Müller', AdressatenId: '4711', DataSource: 'DATEV_Adressaten' };
    let s = step(rec(), { type: 'ringing', at: at(0) });
    expect(s.notifications[0]!.data.AdressatenId).toBe('');
    s = step(s.record, { type: 'contact', contact });
    expect(s.notifications).toEqual([]);
    s = step(s.record, { type: 'delivered', generation: 1 });
    expect(names(s.notifications)).toEqual(['CallAdressatChanged:eCSOffered']);
    expect(s.notifications[0]!.data.AdressatenId).toBe('4711');
  });

  it('does not send CallAdressatChanged before NewCall, for the same contact, or after the end', () => {
    const contact = { Adressatenname: 'Müller', AdressatenId: '4711', DataSource: 'DATEV_Adressaten' };
    const before = run([{ type: 'contact', contact }, { type: 'ringing', at: at(0) }]);
    expect(names(before.out)).toEqual(['NewCall:eCSOffered']);
    expect(before.out[0]!.data.AdressatenId).toBe('4711');
    const same = run([{ type: 'contact', contact }], before.record);
    expect(same.out).toEqual([]);
    const ended = run([{ type: 'ended', at: at(5) }], before.record);
    const after = run([{ type: 'contact', contact: { ...contact, AdressatenId: '9' } }], ended.record);
    expect(after.out).toEqual([]);
  });

  it('keeps End >= Begin and the times in order even when the clock went backwards', () => {
    const { out } = run([
      { type: 'ringing', at: at(10) },
      { type: 'connected', at: at(5) },
      { type: 'ended', at: at(1) },
    ]);
    expect(names(out)).toEqual(['NewCall:eCSOffered', 'CallStateChanged:eCSConnected', 'CallStateChanged:eCSFinished']);
    for (const n of out) expect(n.data.End.getTime()).toBeGreaterThanOrEqual(n.data.Begin.getTime());
    expect(out[1]!.data.Begin.getTime()).toBeGreaterThanOrEqual(out[0]!.data.Begin.getTime());
    expect(out[2]!.data.End.getTime()).toBeGreaterThanOrEqual(out[1]!.data.End.getTime());
  });

  it('a NewCall DATEV did not take (lost): nothing more of the call is sent; ended, it is undelivered', () => {
    let s = step(rec(), { type: 'ringing', at: at(0) });
    s = step(s.record, { type: 'undelivered', how: 'lost' });
    for (const e of [{ type: 'connected', at: at(1) }, { type: 'resume' }, { type: 'ended', at: at(9) }] as CallEvent[]) {
      s = step(s.record, e);
      expect(s.notifications).toEqual([]);
    }
    expect(s.record.link).toBe('lost');
    expect(undelivered(s.record)).toBe(true);
    expect(isComplete(s.record)).toBe(false);
  });

  it('a call whose notification was held (DATEV hangs) catches up on resume from what DATEV has', () => {
    let s = step(rec(), { type: 'ringing', at: at(0) });
    s = step(s.record, { type: 'delivered', generation: 2 });
    s = step(s.record, { type: 'connected', at: at(3) });
    expect(names(s.notifications)).toEqual(['CallStateChanged:eCSConnected']);
    s = step(s.record, { type: 'undelivered', how: 'held' });
    s = step(s.record, { type: 'ended', at: at(9) });
    expect(s.notifications).toEqual([]);
    expect(undelivered(s.record)).toBe(false);
    const resumed = run([{ type: 'resume' }], s.record);
    expect(names(resumed.out)).toEqual(['CallStateChanged:eCSConnected', 'CallStateChanged:eCSFinished']);
    expect(resumed.out[1]!.data.Begin).toEqual(at(3));
    expect(resumed.out[1]!.data.End).toEqual(at(9));
    expect(isComplete(resumed.record)).toBe(true);
  });

  it('answers and outcomes that do not belong to a notification in flight change nothing', () => {
    const r = run([{ type: 'ringing', at: at(0) }]).record;
    for (const e of [{ type: 'delivered', generation: 1 }, { type: 'undelivered', how: 'lost' }, { type: 'resume' }] as CallEvent[]) {
      const s = step(r, e);
      expect(s.notifications).toEqual([]);
      expect(s.record).toEqual(r);
    }
  });

  it('reports nothing for a call that is not reportable', () => {
    expect(run([{ type: 'ringing', at: at(0) }, { type: 'connected', at: at(1) }, { type: 'ended', at: at(2) }], rec(true, false)).out).toEqual([]);
  });

  it('reportUnanswered off: nothing while it rings; answered, NewCall and Connected together, then Finished', () => {
    const quiet = { ...rec(), reportUnanswered: false };
    const ringing = run([{ type: 'ringing', at: at(0) }], quiet);
    expect(ringing.out).toEqual([]);
    const { out, record } = run([{ type: 'connected', at: at(5) }, { type: 'ended', at: at(65) }], ringing.record);
    expect(names(out)).toEqual(['NewCall:eCSOffered', 'CallStateChanged:eCSConnected', 'CallStateChanged:eCSFinished']);
    expect(out[0]!.data.Begin).toEqual(at(0)); // it rang from 0 (Offered: the ring start)
    expect([out[1]!.data.Begin, out[2]!.data.End]).toEqual([at(5), at(65)]);
    expect(finalDatevState(record)).toBe('live');
  });
  it('reportUnanswered off: an unanswered call never goes to DATEV and is left out, not lost', () => {
    const { out, record } = run([{ type: 'ringing', at: at(0) }, { type: 'ended', at: at(30) }], { ...rec(), reportUnanswered: false });
    expect(out).toEqual([]);
    expect(finalDatevState(record)).toBe('not-reported');
    expect(isForDatev(record)).toBe(false);
  });
  it('taken at another phone while ringing: no notification of its own; Absence (End the disconnect, as for every Absence); a connect here undoes it', () => {
    const elsewhere = run([{ type: 'ringing', at: at(0) }, { type: 'elsewhere' }, { type: 'ended', at: at(240) }]);
    expect(names(elsewhere.out)).toEqual(['NewCall:eCSOffered', 'CallStateChanged:eCSAbsence']);
    expect([elsewhere.out[1]!.data.Begin, elsewhere.out[1]!.data.End]).toEqual([at(0), at(240)]);
    expect(elsewhere.record.takenElsewhere).toBe(true);
    const joined = run([{ type: 'ringing', at: at(0) }, { type: 'elsewhere' }, { type: 'connected', at: at(4) }, { type: 'ended', at: at(9) }]);
    expect(names(joined.out)).toEqual(['NewCall:eCSOffered', 'CallStateChanged:eCSConnected', 'CallStateChanged:eCSFinished']);
    expect(joined.record.takenElsewhere).toBeUndefined();
    // after a connect here, or after the end, another phone taking it changes nothing
    const talked = run([{ type: 'ringing', at: at(0) }, { type: 'connected', at: at(4) }, { type: 'elsewhere' }]);
    expect(talked.record.takenElsewhere).toBeUndefined();
  });
  it('currentData reflects what is known now (for GetCallData)', () => {
    const { record } = run([{ type: 'ringing', at: at(0) }, { type: 'connected', at: at(4) }]);
    expect(currentData(record)).toMatchObject({ CallState: CallState.eCSConnected, Begin: at(4), End: at(4) });
    const ended = run([{ type: 'ended', at: at(10) }], record).record;
    expect(currentData(ended)).toMatchObject({ CallState: CallState.eCSFinished, Begin: at(4), End: at(10) });
  });
});

// ---------------------------------------------------------------- every event order, depth-first

/**
 * Walks every sequence of events up to DEPTH from four starts (NewCall may go / waits for announce,
 * reportable or not), extending one state per tree edge (no replay). At every node it checks what DATEV
 * would have *received* (the notifications it accepted) against DATEV's rules:
 * - the order NewCall(Offered) → [Connected] → Finished | Absence; nothing before NewCall, nothing after
 *   the end; CallAdressatChanged only while the call is live in DATEV and only for a new contact;
 * - CallID/SyncID never change; End ≥ Begin; Begin/End as documented, never running backwards, even
 *   when the events' times do;
 * - at most one notification is in flight;
 * - liveness: once the call ended, was announced, DATEV took everything and nothing is held, DATEV has
 *   the end exactly once; a call DATEV lost and that ended is handed over as undelivered;
 * - a call that is not reportable never produces anything.
 */
type Ev = 'ring' | 'connect' | 'end' | 'clockBack' | 'announce' | 'contact' | 'elsewhere' | 'datevNumber' | 'sendToDatev' | 'delivered' | 'held' | 'lost' | 'gaveUp' | 'lateDelivered' | 'resume';

const ALPHABET: Ev[] = ['ring', 'connect', 'end', 'clockBack', 'announce', 'contact', 'elsewhere', 'datevNumber', 'sendToDatev', 'delivered', 'held', 'lost', 'gaveUp', 'lateDelivered', 'resume'];
const DEPTH = 6;
/** An observation more often than this in one sequence adds nothing new (a duplicate of a duplicate);
 * DATEV's answers (delivered/held/lost/resume) are not limited, they only occur when they can. */
const MAX_REPEATS = 2;
const LIMITED = new Set<Ev>(['ring', 'connect', 'end', 'clockBack', 'announce', 'contact', 'elsewhere', 'datevNumber', 'sendToDatev']);
/** 'contact' goes through these in turn (so changes, changes back and a contact cleared are covered). */
const CONTACTS = [
  { Adressatenname: 'A', AdressatenId: '1', DataSource: 'DATEV_Adressaten' },
  { Adressatenname: '', AdressatenId: '', DataSource: 'Wildix' },
  { Adressatenname: 'B', AdressatenId: '2', DataSource: 'DATEV_Institutionen' },
];

interface Datev {
  state: 'none' | 'offered' | 'connected' | 'ended';
  ends: number;
  lastBegin: number;
  lastEnd: number;
  contactId: string;
  /** Times the observations carried: ring start, connect, hang-up (for the Begin/End rules). */
}

interface Node {
  record: CallRecord;
  pending: Notification | undefined;
  /** The notification given up on without DATEV's answer (DATEV may still take it: 'lateDelivered'). */
  lateable?: Notification;
  datev: Datev;
  clock: number;
  /** 0 nothing seen, 1 ringing, 2 connected, 3 ended. */
  rank: number;
  lastObservedAt?: number;
  ringAt?: number;
  connectAt?: number;
  endAt?: number;
  emitted: number;
  contacts: number;
}

function fail(path: Ev[], what: string): never {
  throw new Error(`${what} after ${path.join(' ') || '(start)'}`);
}

/** DATEV receives `n`: is it allowed now? Returns DATEV's new view. */
function receive(d: Datev, n: Notification, node: Node, path: Ev[]): Datev {
  const data = n.data;
  if (data.CallID !== 'C1' || data.SyncID !== 'S1') fail(path, `${n.method} with another CallID/SyncID`);
  // NewCall may go to any DATEV; everything after it only to the DATEV that took it (generation 1 here)
  if (n.method === 'NewCall' ? n.generation !== undefined : n.generation !== 1) fail(path, `${n.method} not bound to the DATEV that took NewCall`);
  const begin = data.Begin.getTime();
  const end = data.End.getTime();
  if (end < begin) fail(path, `${n.method} with End < Begin`);
  if (begin < d.lastBegin || end < d.lastEnd) fail(path, `${n.method} with times running backwards`);
  const next = { ...d, lastBegin: begin, lastEnd: end, contactId: data.AdressatenId };
  // Begin/End as documented (a call first seen connected or ended rang at that moment)
  const ring = node.ringAt!;
  const connect = node.connectAt ?? ring;
  switch (data.CallState) {
    case CallState.eCSOffered:
      if (begin !== ring || end !== ring) fail(path, `Offered with Begin/End other than the ring start`);
      break;
    case CallState.eCSConnected:
      if (begin !== connect || end !== connect) fail(path, 'Connected with Begin/End other than the connect time');
      break;
    case CallState.eCSFinished:
      if (begin !== connect || end !== node.endAt) fail(path, 'Finished with Begin other than connect or End other than hang-up');
      break;
    case CallState.eCSAbsence:
      if (begin !== ring || end !== node.endAt) fail(path, 'Absence with Begin other than ring start or End other than hang-up');
      break;
  }
  switch (n.method) {
    case 'NewCall':
      if (d.state !== 'none' || data.CallState !== CallState.eCSOffered) fail(path, 'NewCall not first or not Offered');
      return { ...next, state: 'offered' };
    case 'CallAdressatChanged':
      if (d.state !== 'offered' && d.state !== 'connected') fail(path, 'CallAdressatChanged outside a live call');
      if (data.AdressatenId === d.contactId) fail(path, 'CallAdressatChanged for the contact DATEV has');
      return next;
    case 'CallStateChanged':
      if (data.CallState === CallState.eCSConnected && d.state === 'offered') return { ...next, state: 'connected' };
      if (data.CallState === CallState.eCSFinished && d.state === 'connected') return { ...next, state: 'ended', ends: d.ends + 1 };
      if (data.CallState === CallState.eCSAbsence && d.state === 'offered') return { ...next, state: 'ended', ends: d.ends + 1 };
      return fail(path, `CallStateChanged(${CallState[data.CallState]}) while DATEV has ${d.state}`);
    case 'NewJournal':
      return fail(path, 'NewJournal from the live call flow');
  }
}

function apply(node: Node, ev: Ev, path: Ev[]): Node | undefined {
  let clock = node.clock;
  let event: CallEvent;
  const n: Node = { ...node };
  switch (ev) {
    case 'clockBack':
      n.clock = clock - 7000;
      return n;
    case 'ring':
    case 'connect':
    case 'end': {
      clock += 1000;
      n.clock = clock;
      const type = ev === 'ring' ? 'ringing' : ev === 'connect' ? 'connected' : 'ended';
      event = { type, at: new Date(clock) };
      break;
    }
    case 'announce':
      event = { type: 'announce' };
      break;
    case 'elsewhere':
      if (path.includes('elsewhere')) return undefined; // a second one adds nothing
      event = { type: 'elsewhere' };
      break;
    case 'sendToDatev': // the DATEV-Klick: only matters for a call a filter holds back
      if (path.includes('sendToDatev') || (node.record.reportUnanswered !== false && !node.record.onlyDatevContacts)) return undefined;
      event = { type: 'sendToDatev' };
      break;
    case 'datevNumber':
      if (path.includes('datevNumber') || !node.record.onlyDatevContacts) return undefined; // only matters there
      event = { type: 'datevNumber', number: node.record.data.CalledNumber };
      break;
    case 'contact':
      event = { type: 'contact', contact: CONTACTS[node.contacts % CONTACTS.length]! };
      n.contacts = node.contacts + 1;
      break;
    case 'delivered':
      if (!node.pending) return undefined; // covered by the example test: a no-op without a notification in flight
      event = { type: 'delivered', generation: 1 };
      break;
    case 'held':
    case 'lost':
      if (!node.pending) return undefined;
      event = { type: 'undelivered', how: ev };
      break;
    case 'gaveUp': // the program stopped waiting for DATEV's answer
      if (!node.pending) return undefined;
      event = { type: 'undelivered', how: 'lost', unanswered: true };
      break;
    case 'lateDelivered': // … and DATEV took it after all
      if (!node.lateable || node.pending) return undefined;
      event = { type: 'delivered', generation: 1 };
      break;
    case 'resume':
      if (node.record.link !== 'held') return undefined;
      event = { type: 'resume' };
      break;
  }
  const s = step(node.record, event);
  n.record = s.record;
  // the times DATEV must see, worked out here from the events: each observation at its time but
  // never before an earlier one; duplicates and steps back (a ring after connect) are ignored
  if (ev === 'ring' || ev === 'connect' || ev === 'end') {
    const rank = { ring: 1, connect: 2, end: 3 }[ev];
    if (rank > node.rank) {
      const t = Math.max(clock, node.lastObservedAt ?? -Infinity);
      n.rank = rank;
      n.lastObservedAt = t;
      n.ringAt ??= t;
      if (ev === 'connect') n.connectAt = t;
      if (ev === 'end') n.endAt = t;
    }
  }
  if (ev === 'delivered') {
    n.datev = receive(node.datev, node.pending!, n, [...path, ev]);
    n.pending = undefined;
  }
  if (ev === 'lateDelivered') {
    n.datev = receive(node.datev, node.lateable!, n, [...path, ev]);
    n.lateable = undefined;
  }
  if (ev === 'gaveUp') n.lateable = node.pending;
  if (ev === 'held' || ev === 'lost' || ev === 'gaveUp') n.pending = undefined;
  if (s.notifications.length > 1) fail([...path, ev], 'more than one notification at once');
  if (ev === 'elsewhere' && s.notifications.length > 0) fail([...path, ev], 'a notification because another phone took the call');
  if (s.notifications[0]?.method === 'NewCall' && node.record.reportUnanswered === false && !s.record.wasConnected && !s.record.userReported) {
    fail([...path, ev], 'NewCall of an unanswered call with reportUnanswered off');
  }
  if (s.record.takenElsewhere && s.record.wasConnected) fail([...path, ev], 'taken elsewhere although connected here');
  const sent = s.notifications[0];
  if (sent?.method === 'NewCall' && node.record.onlyDatevContacts && !s.record.datevNumber && !s.record.userReported && !sent.data.DataSource.startsWith('DATEV_')) {
    fail([...path, ev], 'NewCall without a DATEV contact with reportCalls "contacts"');
  }
  if (s.notifications.length === 1) {
    if (n.pending) fail([...path, ev], 'a notification while another is in flight');
    n.pending = s.notifications[0];
    n.emitted++;
  }
  return n;
}

function checkNode(node: Node, path: Ev[]): void {
  const r = node.record;
  if (!r.reportable && node.emitted > 0) fail(path, 'a notification for a call that is not reported');
  if (node.datev.state !== 'none' && !isForDatev(r)) fail(path, 'DATEV has the call, but the program no longer counts it as DATEV\'s');
  if (node.datev.ends > 1) fail(path, 'the end reported twice');
  const announced = r.announceable;
  const quiet = !node.pending && r.link === 'live';
  if (node.datev.state !== 'none' && quiet && r.observed === 'ended' && node.datev.ends !== 1) {
    fail(path, 'the call ended and DATEV, which has it, took everything, but it does not have the end');
  }
  if (isForDatev(r) && announced && quiet && r.observed === 'ended' && node.datev.ends !== 1) {
    fail(path, 'the call ended, DATEV took everything, but DATEV does not have the end');
  }
  if (isForDatev(r) && announced && quiet && r.observed !== 'none' && node.datev.state === 'none') {
    fail(path, 'a call that was seen and announced is not in DATEV');
  }
  if (r.reportable && !isForDatev(r) && r.observed === 'ended' && finalDatevState(r) !== 'not-reported') {
    fail(path, 'an unanswered call held back (reportUnanswered off) is not left out');
  }
  if (r.link === 'lost' && r.observed === 'ended' && isForDatev(r) && node.datev.ends === 0 && !undelivered(r)) {
    fail(path, 'a lost, ended call is not handed over for later delivery');
  }
  if (undelivered(r) && node.datev.ends > 0) fail(path, 'a call DATEV has completely counted as undelivered');
}

describe('call state machine: every event order up to depth ' + DEPTH, () => {
  it('only ever lets DATEV receive allowed sequences, with correct times, and ends every finished call exactly once', () => {
    let nodes = 0;
    const path: Ev[] = [];
    const walk = (node: Node): void => {
      nodes++;
      checkNode(node, path);
      if (path.length === DEPTH) return;
      for (const ev of ALPHABET) {
        if (LIMITED.has(ev) && path.filter((p) => p === ev).length >= MAX_REPEATS) continue;
        const child = apply(node, ev, path);
        if (!child) continue;
        path.push(ev);
        walk(child);
        path.pop();
      }
    };
    const starts: CallRecord[] = [];
    for (const announceable of [true, false]) for (const reportable of [true, false]) starts.push(rec(announceable, reportable));
    starts.push({ ...rec(true, true), reportUnanswered: false }, { ...rec(false, true), reportUnanswered: false });
    starts.push({ ...rec(true, true), onlyDatevContacts: true }, { ...rec(false, true), onlyDatevContacts: true });
    for (const record of starts) {
      {
        walk({
          record,
          pending: undefined,
          datev: { state: 'none', ends: 0, lastBegin: -Infinity, lastEnd: -Infinity, contactId: '' },
          clock: t0.getTime(),
          rank: 0,
          emitted: 0,
          contacts: 0,
        });
      }
    }
    expect(nodes).toBeGreaterThan(100_000);
  });
});
