/** Bad input from DATEV and TAPI: a clear error where the user acted, nothing crashes, nothing else disturbed. */
import { describe, expect, it } from 'vitest';
import type { TelephonyEvent } from '../../src/telephony/port';
import { LINEERR } from '../../src/telephony/tapiConstants';
import { makeWorld } from '../support/world';

const isFailure = (hr: number): boolean => (hr >>> 0) >= 0x80000000;

const BAD_DIALS: [string, Record<string, unknown>][] = [
  ['no number at all', {}],
  ['an empty number', { CalledNumber: '' }],
  ['letters only', { CalledNumber: 'Zentrale' }],
  ['kilobytes of text', { CalledNumber: '0891234567 '.repeat(1000) }],
  ['a number of the wrong type', { CalledNumber: 891234567 }],
  ['null', { CalledNumber: null }],
  ['too many digits', { CalledNumber: '1'.repeat(30) }],
];

/** A world whose DATEV may take 1 s per notification, with a call from Müller connected for 5 s. */
async function connectedCall(): Promise<{ w: Awaited<ReturnType<typeof makeWorld>>; id: number }> {
  const w = await makeWorld({ config: { datevTimeoutMs: 1000 } });
  const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
  await w.settle();
  await w.tapi.pbx.answer(id);
  await w.settle();
  await w.advance(5000);
  return { w, id };
}

/**
 * DATEV dials; the TSP sends the call's first states before its LINE_REPLY (and, given `reportedAs`,
 * reports the called number in that form); then the call is answered and hung up.
 */
async function dialWithReplyAfterStates(dial: Record<string, string>, reportedAs?: string) {
  const w = await makeWorld({ start: false });
  const onEvent = w.tapi.port.onEvent.bind(w.tapi.port);
  let reply: TelephonyEvent | undefined;
  w.tapi.port.onEvent = (listener) =>
    onEvent((e) => {
      if (e.type === 'reply' && e.hCall !== undefined && reply === undefined) {
        reply = e; // delivered after the call's first states
        return;
      }
      listener(e);
    });
  if (reportedAs !== undefined) {
    const getCallInfo = w.tapi.port.getCallInfo.bind(w.tapi.port);
    w.tapi.port.getCallInfo = async (h) => {
      const i = await getCallInfo(h);
      return { ...i, called: { ...i.called, number: reportedAs } };
    };
  }
  await w.app.start();
  await w.settle();
  const r = await w.datev.driver.dial(dial);
  await w.settle();
  (w.tapi as unknown as { emit(e: unknown): void }).emit(reply);
  await w.settle();
  const callId = await w.tapi.pbx.lastCallId();
  await w.tapi.pbx.answer(callId);
  await w.tapi.pbx.hangup(callId);
  await w.settle();
  return { w, r };
}

describe('bad input', () => {
  it.each(BAD_DIALS)('Dial with %s (dialAnswer "checked") fails with an error HRESULT, a clear dialog and a log line; nothing is dialled', async (_label, data) => {
    const w = await makeWorld({ config: { dialAnswer: 'checked' } });
    const r = await w.datev.driver.dial(data as never);
    await w.settle();
    expect(isFailure(r.hresult)).toBe(true);
    expect(w.tapi.requests.some((q) => q.fn === 'lineMakeCallW')).toBe(false);
    expect(w.methods()).toEqual([]);
    const msg = w.openDialogs().find((d) => d.text.includes('kann'));
    expect(msg?.text).toMatch(/DATEV hat einen Anruf angefordert, der nicht gewählt werden kann/);
    expect(w.log.has('warn', 'DATEV Dial rejected')).toBe(true);
    // and the next good Dial works
    const ok = await w.datev.driver.dial({ CalledNumber: '089 1234567' });
    await w.settle();
    expect(ok.hresult).toBe(0);
    expect(w.tapi.requests.filter((q) => q.fn === 'lineMakeCallW')).toHaveLength(1);
  });

  it.each(BAD_DIALS)('Dial with %s (dialAnswer "immediate", the default): DATEV has its CallID at once, the call is reported failed under it, a clear dialog; nothing is dialled', async (_label, data) => {
    const w = await makeWorld();
    const r = await w.datev.driver.dial(data as never);
    await w.settle();
    expect(r.hresult).toBe(0);
    expect(r.callId).not.toBe('');
    expect(w.tapi.requests.some((q) => q.fn === 'lineMakeCallW')).toBe(false);
    // DATEV's CallID does not dangle: the attempt is in DATEV's list as a call that did not happen
    expect(w.datev.received.map((n) => [n.method, n.data.CallID, n.data.CallState])).toEqual([
      ['NewCall', r.callId, 1],
      ['CallStateChanged', r.callId, 0], // eCSAbsence
    ]);
    const msg = w.openDialogs().find((d) => d.text.includes('kann'));
    expect(msg?.text).toMatch(/DATEV hat einen Anruf angefordert, der nicht gewählt werden kann/);
    expect(w.log.has('warn', 'DATEV Dial cannot be placed')).toBe(true);
    const ok = await w.datev.driver.dial({ CalledNumber: '089 1234567' });
    await w.settle();
    expect(ok.hresult).toBe(0);
    expect(w.tapi.requests.filter((q) => q.fn === 'lineMakeCallW')).toHaveLength(1);
  });

  it('understands numbers with notes and decorations', async () => {
    const w = await makeWorld();
    await w.datev.driver.dial({ CalledNumber: '+49 (0)89 123 45-67 (Zentrale, nur vormittags)' });
    await w.settle();
    expect(w.tapi.requests.find((q) => q.fn === 'lineMakeCallW')?.dest).toBe('+49891234567');
  });

  it('Drop and GetCallData for unknown CallIDs are logged and harmless', async () => {
    const w = await makeWorld();
    expect((await w.datev.driver.drop({ CallID: 'does-not-exist' })).hresult).toBe(0);
    expect((await w.datev.driver.drop({})).hresult).toBe(0);
    const q = await w.datev.driver.getCallData('does-not-exist');
    expect(isFailure(q.hresult)).toBe(false);
    expect(w.log.has('warn', 'DATEV Drop for an unknown CallID')).toBe(true);
    expect(w.log.has('warn', 'GetCallData for an unknown CallID')).toBe(true);
    expect(w.tapi.requests.some((r) => r.fn === 'lineDrop')).toBe(false);
  });

  it('Drop for a call that already ended does nothing', async () => {
    const w = await makeWorld();
    const { callId } = await w.datev.driver.dial({ CalledNumber: '089 1234567' });
    await w.settle();
    await w.tapi.pbx.hangup(await w.tapi.pbx.lastCallId());
    await w.settle();
    const drops = () => w.tapi.requests.filter((r) => r.fn === 'lineDrop').length;
    expect(drops()).toBe(1); // the program clearing the disconnected call it owns (to IDLE)
    await w.datev.driver.drop({ CallID: callId });
    await w.settle();
    expect(drops()).toBe(1);
  });

  it('TAPI events for unknown calls are ignored', async () => {
    const w = await makeWorld();
    const emit = (w.tapi as unknown as { emit(e: unknown): void }).emit.bind(w.tapi);
    emit({ type: 'callState', hCall: 0xdead, state: 'DISCONNECTED', mode: 1, privilege: 0 });
    emit({ type: 'callInfo', hCall: 0xbeef, changed: 0x8000, info: {} });
    emit({ type: 'reply', requestId: 4242, result: 0 });
    await w.settle();
    expect(w.methods()).toEqual([]);
    expect(w.log.has('debug', 'unknown call')).toBe(true);
  });

  it('a call whose info cannot be read is still reported (without number)', async () => {
    const w = await makeWorld({ config: { lookupBudgetMs: 100 } });
    await w.tapi.pbx.failNext('lineGetCallInfoW', 'sync', 0x80000018);
    await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    await w.advance(100);
    expect(w.methods()).toEqual(['NewCall:1']);
    expect(w.log.has('warn', 'lineGetCallInfo failed')).toBe(true);
  });

  it('DATEV not running: calls go on; the call is delivered as a journal entry once DATEV is there and the call is over', async () => {
    const w = await makeWorld({ datevRunning: false });
    const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    expect(w.openDialogs()).toHaveLength(1);
    expect(w.app.notifier.stats.droppedAbsent).toBe(1);
    expect(w.log.has('info', 'DATEV ist nicht gestartet')).toBe(true);
    await w.datev.driver.start();
    await w.advance(5000);
    expect(w.app.status().datevPresent).toBe(true);
    expect(w.methods()).toEqual([]); // no lone CallStateChanged, no NewJournal during the call
    await w.advance(10_000);
    await w.tapi.pbx.hangup(id, 'CANCELLED');
    await w.settle();
    expect(w.methods()).toEqual(['NewJournal:0']);
    const j = w.datev.received[0]!.data;
    const entry = w.journal.entries()[0]!;
    expect(j.CallID).not.toBe(entry.callId);
    expect(j).toMatchObject({ SyncID: '', Direction: 1, AdressatenId: '4711', Adressatenname: 'Müller & Söhne GmbH', CalledNumber: '089/1234567', Note: '' });
    expect((j.Begin as Date).getTime()).toBe(Date.parse(entry.ringAt));
    expect((j.End as Date).getTime() - (j.Begin as Date).getTime()).toBe(15_000);
    expect(entry).toMatchObject({ datev: 'journal', journalCallId: j.CallID });
    expect(w.app.status().journalWaiting).toBe(0);
  });

  it('a DATEV that refuses NewCall gets nothing more of that call live; it gets it as a journal entry; the next call is reported live', async () => {
    const w = await makeWorld();
    await w.datev.driver.failNextNotification(0x80004005);
    const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    await w.tapi.pbx.hangup(id);
    await w.settle();
    expect(w.methods()).toEqual(['NewJournal:0']);
    const warn = w.log.entries.find((e) => e.level === 'warn' && e.message.startsWith('DATEV NewCall failed'));
    expect(warn?.meta?.hresult).toBe('0x80004005');
    const next = await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    await w.tapi.pbx.hangup(next);
    await w.settle();
    expect(w.methods()).toEqual(['NewJournal:0', 'NewCall:1', 'CallStateChanged:0']);
  });

  it('a call whose TSP lost its end: checked with TAPI after 5 min, ended for DATEV, and the journal goes on; a long call TAPI still has stays', async () => {
    const w = await makeWorld();
    const lost = await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    await w.tapi.pbx.answer(lost);
    await w.settle();
    const long = await w.tapi.pbx.incoming('201', '+49 30 987654');
    await w.settle();
    await w.tapi.pbx.answer(long);
    await w.settle();
    await w.advance(30_000);
    w.tapi.endUnreported(lost); // the PBX ended it; no DISCONNECTED / IDLE reaches the program
    const endedAt = w.clock.now().getTime();
    await w.advance(4 * 60_000);
    expect(w.app.calls.activeCalls()).toHaveLength(2); // not before 5 min
    for (let i = 0; i < 3; i++) await w.advance(60_000);
    expect(w.app.calls.activeCalls().map((c) => c.CalledNumber)).toEqual(['+49 30 987654']);
    expect(w.log.has('warn', 'never reported it')).toBe(true);
    const ends = w.datev.received.filter((n) => n.method === 'CallStateChanged' && n.data.CallState === 3);
    expect(ends).toHaveLength(1);
    expect((ends[0]!.data.End as Date).getTime()).toBeGreaterThan(endedAt);
    // the long call goes on until its own end, and then the journal is free again
    for (let i = 0; i < 30; i++) await w.advance(60_000);
    expect(w.app.calls.activeCalls()).toHaveLength(1);
    await w.tapi.pbx.hangup(long);
    await w.settle();
    expect(w.app.calls.activeCalls()).toHaveLength(0);
  });

  it('a call TAPI no longer knows (lineGetCallStatus: INVALCALLHANDLE) ends at the check; a check that fails otherwise is tried again at the next round', async () => {
    const w = await makeWorld();
    const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    await w.tapi.pbx.answer(id);
    await w.settle();
    await w.tapi.pbx.failNext('lineGetCallStatus', 'sync', LINEERR.OPERATIONFAILED!); // the first check of the call fails
    for (let i = 0; i < 6; i++) await w.advance(60_000);
    expect(w.log.has('debug', 'checking a long call with TAPI failed')).toBe(true);
    expect(w.app.calls.activeCalls()).toHaveLength(1);
    await w.tapi.pbx.failNext('lineGetCallStatus', 'sync', LINEERR.INVALCALLHANDLE!);
    await w.advance(60_000);
    expect(w.app.calls.activeCalls()).toHaveLength(0);
    expect(w.log.has('warn', 'TAPI has the call IDLE but never reported it')).toBe(true);
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:2', 'CallStateChanged:3']);
  });

  it('DATEV restarted during a call: the old CallID is not sent to the new DATEV; the call follows as a journal entry', async () => {
    const w = await makeWorld();
    const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    await w.tapi.pbx.answer(id);
    await w.settle();
    await w.datev.driver.stop();
    await w.datev.driver.start();
    await w.advance(60_000);
    await w.tapi.pbx.hangup(id);
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:2', 'NewJournal:3']);
    const gone = w.log.entries.find((e) => e.level === 'warn' && e.message.includes('(gone)'));
    expect(gone?.meta?.datevRun).toBe(1); // the run the call was meant for (the new one is run 2)
    const [newCall, , journal] = w.datev.received;
    expect(journal!.data.CallID).not.toBe(newCall!.data.CallID);
    expect((journal!.data.End as Date).getTime() - (journal!.data.Begin as Date).getTime()).toBe(60_000);
  });

  it('a DATEV that hangs in NewCall past datevTimeoutMs: the call waits for its answer and then goes on in order', async () => {
    const w = await makeWorld({ config: { datevTimeoutMs: 1000 } });
    await w.datev.driver.hangNotifications(3000, 1);
    const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    await w.tapi.pbx.hangup(id);
    await w.settle();
    await w.advance(1000); // the bound: NewCall is given up for now, its thread is stuck
    expect(w.app.notifier.stats.timeouts).toBe(1);
    expect(w.app.status().datevHangs).toBe(true);
    expect(w.methods()).toEqual([]);
    await w.advance(2000); // DATEV answers NewCall after all
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);
    expect(w.app.status().datevHangs).toBe(false);
  });

  it('a DATEV that answers the end of a call after the program gave up on it (15 min): the call is live in DATEV, not also a journal entry', async () => {
    const { w, id } = await connectedCall();
    await w.datev.driver.hangNotifications(15 * 60_000, 1);
    await w.tapi.pbx.hangup(id);
    await w.settle();
    for (let i = 0; i < 40; i++) await w.advance(250); // the bound passes: DATEV hangs
    for (let i = 0; i < 11; i++) await w.advance(60_000); // past the 10 min the program waits: kept for the journal
    expect(w.journal.entries()[0]?.datev).toBe('pending');
    for (let i = 0; i < 10; i++) await w.advance(60_000); // DATEV answers after 15 min
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:2', 'CallStateChanged:3']);
    expect(w.journal.entries()[0]?.datev).toBe('live');
    expect(w.log.has('warn', 'was taken after all')).toBe(true);
  });

  it('a program thread blocked past every bound while DATEV answered in time: the call is not held or sent twice, and later calls still reach DATEV', async () => {
    const { w, id } = await connectedCall();
    await w.datev.driver.hangNotifications(800, 1); // DATEV takes the end within the bound …
    await w.tapi.pbx.hangup(id);
    await w.settle();
    // … but the program's thread was blocked for 7 s: after such a block the expired timers run before
    // the results that came in meanwhile (libuv's order), so the safety bound fires first
    w.clock.advance(7000);
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:2', 'CallStateChanged:3']);
    expect(w.app.calls.waitingForDatev).toBe(0);
    expect(w.journal.entries()[0]?.datev).toBe('live');
    // DATEV closes; a missed call meanwhile reaches it as a journal entry when it is back
    await w.datev.driver.stop();
    await w.advance(10_000);
    const missed = await w.tapi.pbx.incoming('201', '+49 40 5555555');
    await w.settle();
    await w.advance(3000);
    await w.tapi.pbx.hangup(missed, 'NOANSWER');
    await w.settle();
    await w.datev.driver.start();
    for (let i = 0; i < 3; i++) await w.advance(60_000);
    expect(w.datev.received.filter((n) => n.method === 'NewJournal')).toHaveLength(1);
  });

  it('a program thread blocked past every bound while DATEV hung in the end of a call: the end reaches DATEV once', async () => {
    const { w, id } = await connectedCall();
    await w.datev.driver.hangNotifications(3000, 1);
    await w.tapi.pbx.hangup(id);
    await w.settle();
    w.clock.advance(7000); // the program's thread blocked for 7 s: its safety bound fires before what came in meanwhile
    await w.settle();
    for (let i = 0; i < 5; i++) await w.advance(60_000);
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:2', 'CallStateChanged:3']);
    expect(w.datev.received.filter((n) => n.method === 'NewJournal')).toHaveLength(0);
    expect(w.journal.entries()[0]?.datev).toBe('live');
  });

  it('a DATEV that hangs on every notification thread: calls wait (held) and catch up in order when DATEV answers again', async () => {
    const w = await makeWorld({ config: { datevTimeoutMs: 1000 } });
    await w.datev.driver.hangNotifications(5000, 4);
    const calls: number[] = [];
    for (let i = 0; i < 6; i++) {
      calls.push(await w.tapi.pbx.incoming('201', `+49 89 100000${i}`));
      await w.settle();
      await w.advance(1000);
    }
    expect(w.app.notifier.stats.stalled).toBeGreaterThanOrEqual(1);
    expect(w.app.status().waitingForDatev).toBeGreaterThanOrEqual(1);
    expect(w.app.status().datevHangs).toBe(true);
    for (const id of calls) await w.tapi.pbx.hangup(id);
    await w.settle();
    await w.advance(30_000);
    // every call reached DATEV once, each as NewCall then Absence, nothing of a call before its NewCall
    const byCall = new Map<string, string[]>();
    for (const n of w.datev.received) byCall.set(String(n.data.CallID), [...(byCall.get(String(n.data.CallID)) ?? []), `${n.method}:${n.data.CallState}`]);
    expect(byCall.size).toBe(6);
    for (const seq of byCall.values()) expect(seq).toEqual(['NewCall:1', 'CallStateChanged:0']);
    expect(w.app.status().waitingForDatev).toBe(0);
    expect(w.app.status().datevHangs).toBe(false);
  });

  it('registration in the ROT failing is shown and logged; telephony still starts', async () => {
    const w = await makeWorld({ start: false });
    await w.datev.port.register({ dial: () => undefined, drop: () => undefined, getCallData: () => undefined });
    await w.app.start();
    await w.settle();
    expect(w.app.status().datevRegistered).toBe(false);
    expect(w.app.status().line).toBe('open');
    expect(w.openDialogs().some((d) => d.text.includes('Registrierung fehlgeschlagen'))).toBe(true);
  });

  it('dialogs that cannot be shown do not stop the call flow', async () => {
    const w = await makeWorld();
    w.dialogs.failShow = true;
    const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    await w.tapi.pbx.hangup(id);
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);
    expect(w.log.has('warn', 'dialog cannot be shown')).toBe(true);
  });
});

describe('races and TAPI restarts', () => {
  it('TAPI re-initialises while a Dial waits for its LINE_REPLY: the Dial fails at once, not after the reply timeout', async () => {
    const w = await makeWorld({ config: { tapiReplyTimeoutMs: 15_000 } });
    const makeCall = w.tapi.port.makeCall;
    w.tapi.port.makeCall = async () => 999; // its reply never comes (the re-init voids it)
    await w.datev.driver.dial({ CalledNumber: '089 1234567' });
    await w.settle();
    w.tapi.port.makeCall = makeCall;
    w.tapi.reinit();
    await w.settle();
    await w.advance(100);
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);
    expect(w.openDialogs().some((d) => d.text.includes('LINEERR_REINIT'))).toBe(true);
  });

  it('TAPI re-initialises with calls in progress: DATEV gets their end, and a reused handle is a new call', async () => {
    const w = await makeWorld();
    const ringing = await w.tapi.pbx.incoming('201', '+49 89 1234567');
    const talking = await w.tapi.pbx.incoming('201', '+49 30 7654321');
    await w.settle();
    await w.tapi.pbx.answer(talking);
    await w.settle();
    expect(w.app.calls.activeCalls()).toHaveLength(2);
    const cutAt = w.clock.now().getTime();
    w.tapi.reinit();
    await w.settle();
    await w.advance(16_000); // not announced again after the re-init (callReattachMs): over as of the cut
    expect(w.datev.received.filter((n) => n.data.CallState !== 1).every((n) => n.data.CallState === 2 || (n.data.End as Date).getTime() === cutAt)).toBe(true);
    const byCall = new Map<string, string[]>();
    for (const n of w.datev.received) byCall.set(String(n.data.CallID), [...(byCall.get(String(n.data.CallID)) ?? []), `${n.method}:${n.data.CallState}`]);
    expect([...byCall.values()].sort()).toEqual([
      ['NewCall:1', 'CallStateChanged:0'],
      ['NewCall:1', 'CallStateChanged:2', 'CallStateChanged:3'],
    ]);
    expect(w.app.calls.activeCalls()).toEqual([]);
    expect(w.log.has('warn', 'TAPI re-initialises')).toBe(true);
    expect(w.app.status().line).toBe('open');
    // the TSP hands out a handle of an old call again: it is a new call, not the old one
    const emit = (w.tapi as unknown as { emit(e: unknown): void }).emit.bind(w.tapi);
    const oldHandle = [...new Set(w.log.entries.map((e) => e.meta?.hCall).filter((h): h is number => typeof h === 'number'))][0]!;
    emit({ type: 'newCall', hLine: 1, hCall: oldHandle, addressId: 0, privilege: 1 });
    emit({ type: 'callState', hCall: oldHandle, state: 'OFFERING', mode: 1, privilege: 1 });
    await w.settle();
    await w.advance(1000);
    // the TSP's old handle
    const fresh = w.datev.received.slice(5);
    expect(fresh.map((n) => `${n.method}:${n.data.CallState}`)).toEqual(['NewCall:1']);
    expect(byCall.has(String(fresh[0]!.data.CallID))).toBe(false);
    expect(ringing).not.toBe(talking);
  });

  it('a lineMakeCall whose LINE_REPLY and states come only after the timeout does not become a second call in DATEV; the late call is hung up', async () => {
    const w = await makeWorld({ start: false, config: { tapiReplyTimeoutMs: 1000 } });
    // hold back the LINE_REPLY of the next lineMakeCall and the states of its call
    const held: TelephonyEvent[] = [];
    let holding = true;
    let lateHandle: number | undefined;
    const onEvent = w.tapi.port.onEvent.bind(w.tapi.port);
    w.tapi.port.onEvent = (listener) =>
      onEvent((e) => {
        if (holding && e.type === 'reply' && e.hCall !== undefined) lateHandle = e.hCall;
        if (holding && lateHandle !== undefined && (e.type === 'reply' || ('hCall' in e && e.hCall === lateHandle))) {
          held.push(e);
          return;
        }
        listener(e);
      });
    await w.app.start();
    await w.settle();
    const r = await w.datev.driver.dial({ CalledNumber: '089 1234567', SyncID: 'SYNC-7' });
    expect(r.hresult).toBe(0);
    await w.settle();
    await w.advance(1000); // no LINE_REPLY in time: the call failed for the user and DATEV
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);
    expect(w.openDialogs().some((d) => d.text.includes('keine Antwort von TAPI'))).toBe(true);
    // now the late call's states, then its LINE_REPLY
    holding = false;
    const emit = (w.tapi as unknown as { emit(e: unknown): void }).emit.bind(w.tapi);
    for (const e of [...held.filter((x) => x.type !== 'reply'), ...held.filter((x) => x.type === 'reply')]) emit(e);
    await w.settle();
    await w.advance(1000);
    expect(held.length).toBeGreaterThanOrEqual(2);
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);
    expect((await w.tapi.pbx.requests()).filter((q) => q.fn === 'lineDrop')).toHaveLength(1);
    expect(w.log.has('warn', 'appeared after all; it is hung up')).toBe(true);
  });

  it('a lineMakeCall whose states come before its LINE_REPLY is one call, reported once with DATEV\'s SyncID', async () => {
    const { w, r } = await dialWithReplyAfterStates({ CalledNumber: '089 1234567', SyncID: 'SYNC-8' });
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:2', 'CallStateChanged:3']);
    expect(new Set(w.datev.received.map((n) => n.data.CallID))).toEqual(new Set([r.callId]));
    expect(w.datev.received.every((n) => n.data.SyncID === 'SYNC-8')).toBe(true);
  });

  it('a lineMakeCall whose states come before its LINE_REPLY with the number in another form is still one call; nothing stays in progress', async () => {
    // the TSP reports the called number nationally, the program dialled it internationally
    const { w, r } = await dialWithReplyAfterStates({ CalledNumber: '+49 89 1234567', SyncID: 'SYNC-9' }, '0891234567');
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:2', 'CallStateChanged:3']);
    expect(new Set(w.datev.received.map((n) => n.data.CallID))).toEqual(new Set([r.callId]));
    expect(w.app.calls.activeCalls()).toEqual([]);
  });

  it('a number the user dials on the phone shortly after a Dial of it failed (no LINE_REPLY) is the user\'s own call: not hung up, reported to DATEV', async () => {
    const w = await makeWorld({ config: { tapiReplyTimeoutMs: 2000 } });
    const makeCall = w.tapi.port.makeCall;
    w.tapi.port.makeCall = async () => 999; // a request id whose reply never arrives
    await w.datev.driver.dial({ CalledNumber: '089 1234567' });
    await w.settle();
    await w.advance(2000);
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);
    w.tapi.port.makeCall = makeCall;
    await w.advance(30_000);
    const own = w.tapi.dialFromPhone('201', '+49891234567'); // as the program dialled it
    await w.tapi.pbx.ringback(own);
    await w.settle();
    expect(w.tapi.requests.filter((q) => q.fn === 'lineDrop')).toEqual([]);
    await w.tapi.pbx.answer(own);
    await w.tapi.pbx.hangup(own);
    await w.settle();
    expect(w.methods().slice(2)).toEqual(['NewCall:1', 'CallStateChanged:2', 'CallStateChanged:3']);
  });

  it('a click on "Annehmen" that races the caller hanging up shows no error for the ended call', async () => {
    const w = await makeWorld();
    const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    const dialog = w.openDialogs()[0]!;
    // the caller hangs up in the PBX; the program has not handled that event yet when the user clicks
    const hangup = w.tapi.pbx.hangup(id);
    await w.dialogs.user.click(dialog.id, 'Annehmen');
    await hangup;
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);
    expect(w.openDialogs().filter((d) => d.text.includes('fehlgeschlagen'))).toEqual([]);
    expect(w.log.has('info', 'not needed any more')).toBe(true);
  });
});
