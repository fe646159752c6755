/** Click-to-dial from DATEV, end to end on the fakes. */
import { describe, expect, it } from 'vitest';
import { CallState, Direction } from '../../src/datev/callData';
import { LINEERR } from '../../src/telephony/tapiConstants';
import { MemoryContacts } from '../../fakes/contacts/memoryContacts';
import { MUELLER, makeWorld, type World } from '../support/world';

async function dialMueller(w: World, extra: Record<string, string> = {}) {
  const r = await w.datev.driver.dial({
    CalledNumber: MUELLER.number,
    Adressatenname: MUELLER.name,
    AdressatenId: MUELLER.id,
    DataSource: 'DATEV_Adressaten',
    SyncID: 'SYNC-7',
    ...extra,
  });
  await w.settle();
  return r;
}

describe('outgoing call from DATEV (Dial)', () => {
  it('assigns a CallID at once, shows the dialog with "Auflegen" disabled, then enables it when TAPI has the call', async () => {
    const w = await makeWorld();
    let buttonAtShow: boolean | undefined;
    w.dialogs.onEvent((e) => {
      if (e.type === 'shown' && e.title.includes('Ausgehender Anruf')) buttonAtShow = e.detail?.includes('(gesperrt)');
    });
    const r = await dialMueller(w);
    expect(r.hresult).toBe(0);
    expect(r.callId).toMatch(/^201-26112026-0930-\d{7}$/);
    expect(buttonAtShow).toBe(true);
    const [dlg] = w.openDialogs();
    expect(dlg!.title).toBe('Wildix CTI – Ausgehender Anruf');
    expect(dlg!.text).toContain('Anruf an Müller & Söhne GmbH');
    expect(dlg!.buttons).toEqual([{ label: 'Auflegen', enabled: true }]);
    const made = w.tapi.requests.find((q) => q.fn === 'lineMakeCallW');
    expect(made?.dest).toBe('+49891234567');
  });

  it('reports the call with DATEV\'s CallID, SyncID and contact through to Finished, then closes the dialog', async () => {
    const w = await makeWorld();
    const { callId } = await dialMueller(w);
    const id = await w.tapi.pbx.lastCallId();
    await w.tapi.pbx.ringback(id);
    await w.settle();
    expect(w.openDialogs()[0]!.text).toContain('Es klingelt');
    await w.advance(4000);
    await w.tapi.pbx.answer(id);
    await w.settle();
    expect(w.openDialogs()[0]!.text).toContain('Verbunden');
    await w.advance(60_000);
    await w.tapi.pbx.hangup(id);
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:2', 'CallStateChanged:3']);
    for (const n of w.datev.received) {
      expect(n.data).toMatchObject({
        CallID: callId,
        SyncID: 'SYNC-7',
        Direction: Direction.eDirOutgoing,
        AdressatenId: '4711',
        Adressatenname: 'Müller & Söhne GmbH',
        DataSource: 'DATEV_Adressaten',
        CalledNumber: '089/1234567',
      });
    }
    const fin = w.datev.received[2]!.data;
    expect((fin.End as Date).getTime() - (fin.Begin as Date).getTime()).toBe(60_000);
    expect(w.openDialogs()).toEqual([]);
    expect(w.tapi.requests.some((q) => q.fn === 'lineDeallocateCall')).toBe(true);
  });

  it.each([
    ['busy', async (w: World, id: number) => w.tapi.pbx.busy(id)],
    ['not answered', async (w: World, id: number) => w.tapi.pbx.hangup(id, 'NOANSWER')],
  ])('ends a %s call as Absence', async (_label, finish) => {
    const w = await makeWorld();
    await dialMueller(w);
    await finish(w, await w.tapi.pbx.lastCallId());
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);
    expect(w.openDialogs()).toEqual([]);
  });

  it('hangs up a busy call (Absence for DATEV, still on the phone) when DATEV drops it; once', async () => {
    const w = await makeWorld();
    const { callId } = await dialMueller(w);
    const id = await w.tapi.pbx.lastCallId();
    await w.tapi.pbx.busy(id);
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);
    await w.datev.driver.drop({ CallID: callId });
    await w.settle();
    await w.datev.driver.drop({ CallID: callId });
    await w.settle();
    expect(w.tapi.requests.filter((r) => r.callId === id).map((r) => [r.fn, r.state])).toEqual([
      ['lineMakeCallW', undefined],
      ['lineDrop', undefined],
      ['lineDeallocateCall', 'IDLE'],
    ]);
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);
  });

  it('ends a call that TAPI refuses (synchronously) as Absence and tells the user why', async () => {
    const w = await makeWorld();
    await w.tapi.pbx.failNext('lineMakeCallW', 'sync', LINEERR.RESOURCEUNAVAIL!);
    const r = await dialMueller(w);
    expect(r.hresult).toBe(0);
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);
    expect(w.datev.received[0]!.data.CallID).toBe(r.callId);
    const msg = w.openDialogs().find((d) => d.text.includes('konnte nicht gestartet werden'));
    expect(msg?.text).toContain('RESOURCEUNAVAIL');
  });

  it('ends a call whose LINE_REPLY reports failure as Absence', async () => {
    const w = await makeWorld();
    await w.tapi.pbx.failNext('lineMakeCallW', 'async', LINEERR.CALLUNAVAIL!);
    await dialMueller(w);
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);
    expect(w.openDialogs().some((d) => d.text.includes('CALLUNAVAIL'))).toBe(true);
  });

  it('ends a call whose LINE_REPLY never comes as Absence after the reply timeout', async () => {
    const w = await makeWorld({ config: { tapiReplyTimeoutMs: 2000 } });
    const makeCall = w.tapi.port.makeCall;
    w.tapi.port.makeCall = async () => 999; // a request id whose reply never arrives
    await dialMueller(w);
    expect(w.methods()).toEqual([]);
    await w.advance(2000);
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);
    w.tapi.port.makeCall = makeCall;
  });

  it('hangs up from the dialog ("Auflegen") and from DATEV (Drop)', async () => {
    const w = await makeWorld();
    await dialMueller(w);
    const dlg = w.openDialogs()[0]!;
    await w.dialogs.user.click(dlg.id, 'Auflegen');
    await w.settle();
    expect(w.tapi.requests.filter((q) => q.fn === 'lineDrop')).toHaveLength(1);
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);

    const { callId } = await dialMueller(w);
    const id = await w.tapi.pbx.lastCallId();
    await w.tapi.pbx.answer(id);
    await w.settle();
    expect((await w.datev.driver.drop({ CallID: callId })).hresult).toBe(0);
    await w.settle();
    expect(w.tapi.requests.filter((q) => q.fn === 'lineDrop')).toHaveLength(2);
    expect(w.methods().slice(2)).toEqual(['NewCall:1', 'CallStateChanged:2', 'CallStateChanged:3']);
  });

  it('drops a call that DATEV cancels before TAPI created it, as soon as TAPI does', async () => {
    const w = await makeWorld();
    const r = await w.datev.driver.dial({ CalledNumber: '0301234567' });
    await w.datev.driver.drop({ CallID: r.callId }); // before the events were handled
    await w.settle();
    expect(w.tapi.requests.filter((q) => q.fn === 'lineDrop')).toHaveLength(1);
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);
  });

  it('answers GetCallData with the current data of a call, also after it ended', async () => {
    const w = await makeWorld();
    const { callId } = await dialMueller(w);
    const id = await w.tapi.pbx.lastCallId();
    await w.tapi.pbx.answer(id);
    await w.settle();
    const live = await w.datev.driver.getCallData(callId);
    expect(live.data).toMatchObject({ CallID: callId, CallState: CallState.eCSConnected, SyncID: 'SYNC-7', AdressatenId: '4711' });
    await w.tapi.pbx.hangup(id);
    await w.settle();
    expect((await w.datev.driver.getCallData(callId)).data.CallState).toBe(CallState.eCSFinished);
  });

  it('dials the configured format with the outside-line prefix; internal extensions as they are', async () => {
    const w = await makeWorld({ config: { dialFormat: 'national', outsideLinePrefix: '0' } });
    await w.datev.driver.dial({ CalledNumber: '+49 (0)89 123 45-67' });
    await w.datev.driver.dial({ CalledNumber: '+43 1 5551234' });
    await w.datev.driver.dial({ CalledNumber: '205' });
    await w.settle();
    expect(w.tapi.requests.filter((q) => q.fn === 'lineMakeCallW').map((q) => q.dest)).toEqual(['00891234567', '0004315551234', '205']);
  });

  it('learns the contact DATEV dialled, so the next incoming call from that number is recognised', async () => {
    const w = await makeWorld();
    await w.datev.driver.dial({ CalledNumber: '0911 777888', Adressatenname: 'Neu Mandant KG', AdressatenId: '9001', DataSource: 'DATEV_Adressaten' });
    await w.settle();
    await w.tapi.pbx.incoming('201', '+49911777888');
    await w.settle();
    const newCall = w.datev.received.filter((n) => n.method === 'NewCall').at(-1)!;
    expect(newCall.data).toMatchObject({ Direction: Direction.eDirIncoming, AdressatenId: '9001', Adressatenname: 'Neu Mandant KG' });
  });

  it('issues lineMakeCall before it remembers the dialled number and contact (their files grow with them)', async () => {
    const contacts = new MemoryContacts([]);
    const seenAtLearn: boolean[] = [];
    const learn = contacts.learn.bind(contacts);
    let w: World | undefined;
    contacts.learn = async (number, contact) => {
      seenAtLearn.push(w!.tapi.requests.some((q) => q.fn === 'lineMakeCallW'));
      return learn(number, contact);
    };
    w = await makeWorld({ contacts });
    await w.datev.driver.dial({ CalledNumber: '0911 777888', Adressatenname: 'Neu Mandant KG', AdressatenId: '9001', DataSource: 'DATEV_Adressaten' });
    await w.settle();
    expect(seenAtLearn).toEqual([true]);
  });

  it('keeps DATEV\'s SyncID even when DATEV sends no contact', async () => {
    const w = await makeWorld();
    await w.datev.driver.dial({ CalledNumber: '040 999999', SyncID: 'S-abc' });
    await w.tapi.pbx.hangup(await w.tapi.pbx.lastCallId());
    await w.settle();
    expect(w.datev.received.map((n) => n.data.SyncID)).toEqual(['S-abc', 'S-abc']);
    expect(w.datev.received[0]!.data.DataSource).toBe('Wildix');
  });
});

describe('outgoing call with a TSP that reports no state until the far end rings', () => {
  it('reports NewCall as soon as TAPI has the call (LINE_REPLY), with Begin = the moment of Dial', async () => {
    const w = await makeWorld();
    const emit = (w.tapi as unknown as { emit(e: unknown): void }).emit.bind(w.tapi);
    w.tapi.port.makeCall = async () => {
      emit({ type: 'reply', requestId: 77, result: 0, hCall: 0x5151 });
      return 77;
    };
    const dialAt = w.clock.now();
    const { callId } = await w.datev.driver.dial({ CalledNumber: '089 1234567', SyncID: 'S-9' });
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1']);
    expect(w.datev.received[0]!.data).toMatchObject({ CallID: callId, SyncID: 'S-9', Begin: dialAt });
    expect(w.openDialogs()[0]!.buttons).toEqual([{ label: 'Auflegen', enabled: true }]);
  });
});

/** The far end answers, they talk 30 s, it hangs up. */
async function talkAndHangUp(w: World, id: number): Promise<void> {
  await w.tapi.pbx.answer(id);
  await w.advance(30_000);
  await w.tapi.pbx.hangup(id);
  await w.settle();
}

describe('outgoing call with a TSP that breaks TAPI\'s order (states before LINE_REPLY, a late or no reply)', () => {
  it('takes the states that come before the reply for the dialled call, and goes on with it when the reply never comes', async () => {
    const w = await makeWorld({ config: { tapiReplyTimeoutMs: 2000 } });
    w.tapi.breakOrder();
    const { callId } = await dialMueller(w);
    const id = await w.tapi.pbx.lastCallId();
    expect(w.log.has('info', 'appeared before its LINE_REPLY')).toBe(true);
    expect(w.openDialogs()[0]!.buttons).toEqual([{ label: 'Auflegen', enabled: true }]);
    await w.advance(2000); // the reply's time is over: the call is on the line all the same
    expect(w.log.has('warn', 'no LINE_REPLY of lineMakeCall in time, but the call is on the line')).toBe(true);
    await talkAndHangUp(w, id);
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:2', 'CallStateChanged:3']);
    expect(new Set(w.datev.received.map((n) => n.data.CallID))).toEqual(new Set([callId]));
  });

  it('takes a call without a number that comes before the reply for the one call being dialled (only calls the program made come unannounced)', async () => {
    const w = await makeWorld({ config: { tapiReplyTimeoutMs: 2000 } });
    w.tapi.breakOrder({ calledAs: '' });
    const { callId } = await dialMueller(w);
    const id = await w.tapi.pbx.lastCallId();
    w.tapi.releaseReplies();
    await w.settle();
    await talkAndHangUp(w, id);
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:2', 'CallStateChanged:3']);
    expect(new Set(w.datev.received.map((n) => n.data.CallID))).toEqual(new Set([callId]));
    expect(w.datev.received[0]!.data).toMatchObject({ SyncID: 'SYNC-7', AdressatenId: '4711' });
    expect(w.log.has('warn', 'had been taken for another call')).toBe(false);
  });

  it('takes a call whose info cannot be read that comes before the reply for the one call being dialled', async () => {
    const w = await makeWorld({ config: { tapiReplyTimeoutMs: 2000 } });
    w.tapi.breakOrder();
    await w.tapi.pbx.failNext('lineGetCallInfoW', 'sync', LINEERR.OPERATIONFAILED!);
    const { callId } = await dialMueller(w);
    const id = await w.tapi.pbx.lastCallId();
    expect(w.log.has('warn', 'lineGetCallInfo failed for a new call')).toBe(true);
    await w.advance(2000);
    await talkAndHangUp(w, id);
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:2', 'CallStateChanged:3']);
    expect(new Set(w.datev.received.map((n) => n.data.CallID))).toEqual(new Set([callId]));
    expect(w.app.calls.activeCalls()).toEqual([]);
  });

  it('ends the call the early states were taken for when a late reply names it (two Dials at once), and hangs it up', async () => {
    const w = await makeWorld({ config: { tapiReplyTimeoutMs: 2000 } });
    w.tapi.breakOrder({ silent: true });
    const first = await dialMueller(w);
    w.tapi.breakOrder({ calledAs: '' }); // its states come at once, without a number: two Dials wait, neither is sure
    const second = await w.datev.driver.dial({ CalledNumber: '030 7654321', SyncID: 'S-8' });
    await w.settle();
    const id = await w.tapi.pbx.lastCallId();
    await w.advance(2000); // both Dials are given up
    const taken = w.datev.received.find((n) => n.method === 'NewCall' && n.data.CallID !== first.callId && n.data.CallID !== second.callId);
    expect(taken).toBeDefined(); // the early states became a call of their own
    w.tapi.releaseReplies();
    await w.settle();
    expect(w.log.has('warn', 'appeared after all; it is hung up')).toBe(true);
    expect(w.tapi.requests.filter((q) => q.fn === 'lineDrop').map((q) => q.callId)).toContain(id);
    const byCall = (callId: unknown) => w.datev.received.filter((n) => n.data.CallID === callId).map((n) => `${n.method}:${n.data.CallState}`);
    expect(byCall(first.callId)).toEqual(['NewCall:1', 'CallStateChanged:0']);
    expect(byCall(second.callId)).toEqual(['NewCall:1', 'CallStateChanged:0']);
    expect(byCall(taken!.data.CallID)).toEqual(['NewCall:1', 'CallStateChanged:0']);
    expect(w.app.calls.activeCalls()).toEqual([]);
  });

  it('hangs up the dialled call when its reply comes after the program gave up: DATEV keeps one call, ended as Absence', async () => {
    const w = await makeWorld({ config: { tapiReplyTimeoutMs: 2000 } });
    w.tapi.breakOrder({ silent: true });
    const { callId } = await dialMueller(w);
    const id = await w.tapi.pbx.lastCallId();
    await w.advance(2000);
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);
    expect(w.openDialogs().some((d) => d.text.includes('keine Antwort von TAPI'))).toBe(true);
    w.tapi.releaseReplies(); // LINE_REPLY with the call, then its state
    await w.settle();
    expect(w.log.has('warn', 'appeared after all; it is hung up')).toBe(true);
    expect(w.tapi.requests.filter((q) => q.fn === 'lineDrop').map((q) => q.callId)).toEqual([id]);
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);
    expect(w.datev.received.every((n) => n.data.CallID === callId)).toBe(true);
  });
});
