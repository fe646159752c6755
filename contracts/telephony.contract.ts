/**
 * Contract of the telephony port (src/telephony/port.ts), TAPI 2.x semantics. Passed by the in-memory
 * fake and by the native TAPI adapter against the fake tapi32.dll under Wine.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TelephonyError, type TelephonyEvent } from '../src/telephony/port';
import { LINECALLORIGIN, LINECALLPARTYID, LINECALLREASON, LINECONNECTEDMODE, LINEDISCONNECTMODE, LINEERR } from '../src/telephony/tapiConstants';
import type { TelephonyHarness } from './harness';

const LINE_NAME = 'Wildix 201 Anna Schmidt';
const LINE_ADDRESS = '201';

/** Collects events and waits for one matching a predicate. */
class Events {
  readonly all: TelephonyEvent[] = [];
  private waiters: { pred: (e: TelephonyEvent) => boolean; resolve: (e: TelephonyEvent) => void }[] = [];
  push = (e: TelephonyEvent): void => {
    this.all.push(e);
    this.waiters = this.waiters.filter((w) => {
      if (!w.pred(e)) return true;
      w.resolve(e);
      return false;
    });
  };
  wait<T extends TelephonyEvent>(pred: (e: TelephonyEvent) => e is T, ms?: number): Promise<T>;
  wait(pred: (e: TelephonyEvent) => boolean, ms?: number): Promise<TelephonyEvent>;
  wait(pred: (e: TelephonyEvent) => boolean, ms = 5000): Promise<TelephonyEvent> {
    const found = this.all.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`event not seen within ${ms} ms; seen: ${JSON.stringify(this.all)}`)), ms);
      this.waiters.push({ pred, resolve: (e) => (clearTimeout(t), resolve(e)) });
    });
  }
}

const isState = (hCall: number, state: string) => (e: TelephonyEvent) => e.type === 'callState' && e.hCall === hCall && e.state === state;
const isReply = (requestId: number) => (e: TelephonyEvent): e is Extract<TelephonyEvent, { type: 'reply' }> => e.type === 'reply' && e.requestId === requestId;
const isNewCall = (e: TelephonyEvent): e is Extract<TelephonyEvent, { type: 'newCall' }> => e.type === 'newCall';

export function telephonyContract(name: string, makeHarness: () => Promise<TelephonyHarness>): void {
  describe(`TelephonyPort contract: ${name}`, () => {
    let h: TelephonyHarness;
    let events: Events;
    let hLine: number;

    /** Waits until at least n newCall events were seen and returns the n-th. */
    async function nthNewCall(n: number): Promise<Extract<TelephonyEvent, { type: 'newCall' }>> {
      await events.wait(() => events.all.filter(isNewCall).length >= n);
      return events.all.filter(isNewCall)[n - 1]!;
    }

    async function incomingCall(caller: string, callerName?: string): Promise<{ hCall: number; callId: number }> {
      const before = events.all.filter(isNewCall).length;
      const callId = await h.pbx.incoming(LINE_ADDRESS, caller, callerName);
      const nc = await nthNewCall(before + 1);
      const info = await h.port.getCallInfo(nc.hCall);
      expect(info.callId).toBe(callId);
      await events.wait(isState(nc.hCall, 'OFFERING'));
      return { hCall: nc.hCall, callId };
    }

    async function outgoingCall(dest: string): Promise<{ hCall: number; callId: number }> {
      const requestId = await h.port.makeCall(hLine, dest);
      expect(requestId).toBeGreaterThan(0);
      const reply = await events.wait(isReply(requestId));
      expect(reply.result).toBe(0);
      expect(reply.hCall).toBeGreaterThan(0);
      return { hCall: reply.hCall!, callId: await h.pbx.lastCallId() };
    }

    beforeEach(async () => {
      h = await makeHarness();
      await h.pbx.addLine('Other line 202', '202');
      await h.pbx.addLine(LINE_NAME, LINE_ADDRESS);
      events = new Events();
      h.port.onEvent(events.push);
      const lines = await h.port.initialize('Wildix CTI für DATEV');
      const line = lines.find((l) => l.name === LINE_NAME);
      expect(line).toBeDefined();
      hLine = await h.port.openLine(line!.permanentId);
    });
    afterEach(async () => {
      await h.port.shutdown();
      await h.dispose();
    });

    it('lists every line with name, distinct permanent ids, provider, address and a 2.x API version', async () => {
      const lines = await h.port.listLines();
      expect(lines.map((l) => l.name).sort()).toEqual([LINE_NAME, 'Other line 202'].sort());
      expect(new Set(lines.map((l) => l.permanentId)).size).toBe(2);
      const mine = lines.find((l) => l.name === LINE_NAME)!;
      expect(mine.provider).not.toBe('');
      expect(mine.apiVersion).toBeGreaterThanOrEqual(0x00020000);
      expect(mine.addresses.map((a) => a.address)).toContain(LINE_ADDRESS);
    });

    it('rejects opening a line that does not exist with a TelephonyError', async () => {
      const err = await h.port.openLine(0x7ffffff0).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TelephonyError);
      expect((err as TelephonyError).fn).toBe('lineOpenW');
    });

    it('announces an incoming call (newCall, then OFFERING) with the caller number', async () => {
      const { hCall } = await incomingCall('+49 89 1234567', 'Müller');
      const info = await h.port.getCallInfo(hCall);
      expect(info.hLine).toBe(hLine);
      expect(info.caller.number).toBe('+49 89 1234567');
      expect(info.caller.flags & LINECALLPARTYID.ADDRESS).toBeTruthy();
      const newCallIdx = events.all.findIndex((e) => e.type === 'newCall' && e.hCall === hCall);
      const offeringIdx = events.all.findIndex(isState(hCall, 'OFFERING'));
      expect(newCallIdx).toBeGreaterThanOrEqual(0);
      expect(offeringIdx).toBeGreaterThan(newCallIdx);
      // the announcement carries the call's info already: no second round trip before the caller is known
      const announced = events.all[newCallIdx];
      expect(announced?.type === 'newCall' ? announced.info : undefined).toMatchObject({
        hCall,
        hLine,
        caller: { number: '+49 89 1234567', name: 'Müller' },
        called: info.called,
        origin: info.origin,
      });
    });

    it('reports a withheld caller without a valid number', async () => {
      const { hCall } = await incomingCall('anonymous');
      const info = await h.port.getCallInfo(hCall);
      expect(info.caller.flags & LINECALLPARTYID.ADDRESS).toBe(0);
    });

    it('answers an offered call: LINE_REPLY 0, then CONNECTED', async () => {
      const { hCall } = await incomingCall('+49 30 987654');
      const req = await h.port.answer(hCall);
      expect(req).toBeGreaterThan(0);
      expect((await events.wait(isReply(req))).result).toBe(0);
      await events.wait(isState(hCall, 'CONNECTED'));
    });

    it('rejects answering a call that is not offered with LINEERR_INVALCALLSTATE', async () => {
      const { hCall } = await incomingCall('+49 30 987654');
      await events.wait(isReply(await h.port.answer(hCall)));
      await events.wait(isState(hCall, 'CONNECTED'));
      const err = await h.port.answer(hCall).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TelephonyError);
      expect((err as TelephonyError).code).toBe(LINEERR.INVALCALLSTATE);
    });

    it('reports a remote hang-up as DISCONNECTED with the disconnect mode; the handle can be freed', async () => {
      const { hCall, callId } = await incomingCall('+49 30 987654');
      await h.pbx.hangup(callId, 'CANCELLED');
      const ev = await events.wait(isState(hCall, 'DISCONNECTED'));
      expect(ev.type === 'callState' && ev.mode).toBe(LINEDISCONNECTMODE.CANCELLED);
      await h.port.deallocate(hCall);
      await expect(h.port.getCallInfo(hCall)).rejects.toBeInstanceOf(TelephonyError);
    });

    it('reports a call another station answered as CONNECTED with LINECONNECTEDMODE_INACTIVE, one picked up elsewhere as DISCONNECTED with PICKUP', async () => {
      const { hCall, callId } = await incomingCall('+49 30 987654');
      await h.pbx.answerElsewhere(callId);
      const connected = await events.wait(isState(hCall, 'CONNECTED'));
      expect(connected.type === 'callState' && connected.mode).toBe(LINECONNECTEDMODE.INACTIVE);
      const other = await incomingCall('+49 30 123456');
      await h.pbx.hangup(other.callId, 'PICKUP');
      const gone = await events.wait(isState(other.hCall, 'DISCONNECTED'));
      expect(gone.type === 'callState' && gone.mode).toBe(LINEDISCONNECTMODE.PICKUP);
    });

    it('tells the state of a call now (lineGetCallStatus): OFFERING, CONNECTED, DISCONNECTED; a freed handle is rejected', async () => {
      const { hCall, callId } = await incomingCall('+49 30 987654');
      expect(await h.port.getCallState(hCall)).toBe('OFFERING');
      await events.wait(isReply(await h.port.answer(hCall)));
      await events.wait(isState(hCall, 'CONNECTED'));
      expect(await h.port.getCallState(hCall)).toBe('CONNECTED');
      await h.pbx.hangup(callId);
      await events.wait(isState(hCall, 'DISCONNECTED'));
      expect(await h.port.getCallState(hCall)).toBe('DISCONNECTED');
      await h.port.deallocate(hCall);
      const err = await h.port.getCallState(hCall).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TelephonyError);
      expect((err as TelephonyError).fn).toBe('lineGetCallStatus');
    });

    it('makes a call: request id, LINE_REPLY with the new hCall, dialing states, called number', async () => {
      const { hCall } = await outgoingCall('+4989654321');
      await events.wait((e) => e.type === 'callState' && e.hCall === hCall);
      const info = await h.port.getCallInfo(hCall);
      expect(info.called.number).toBe('+4989654321');
      const req = (await h.pbx.requests()).find((r) => r.fn === 'lineMakeCallW');
      expect(req?.dest).toBe('+4989654321');
      const states = events.all.filter((e) => e.type === 'callState' && e.hCall === hCall).map((e) => (e as { state: string }).state);
      expect(states.length).toBeGreaterThan(0);
      expect(states.every((s) => ['DIALTONE', 'DIALING', 'PROCEEDING', 'RINGBACK'].includes(s))).toBe(true);
      // LINE_REPLY comes before any event of the new call
      const replyIdx = events.all.findIndex((e) => e.type === 'reply' && e.hCall === hCall);
      const firstState = events.all.findIndex((e) => e.type === 'callState' && e.hCall === hCall);
      expect(replyIdx).toBeLessThan(firstState);
    });

    it('follows an outgoing call through ringback, answer and remote hang-up', async () => {
      const { hCall, callId } = await outgoingCall('+4989654321');
      await h.pbx.ringback(callId);
      await events.wait(isState(hCall, 'RINGBACK'));
      await h.pbx.answer(callId);
      await events.wait(isState(hCall, 'CONNECTED'));
      await h.pbx.hangup(callId, 'NORMAL');
      await events.wait(isState(hCall, 'DISCONNECTED'));
    });

    it('reports a busy far end', async () => {
      const { hCall, callId } = await outgoingCall('+4989654321');
      await h.pbx.busy(callId);
      await events.wait(isState(hCall, 'BUSY'));
    });

    it('drops a call: LINE_REPLY 0 and the call ends', async () => {
      const { hCall } = await outgoingCall('+4989654321');
      const req = await h.port.drop(hCall);
      expect((await events.wait(isReply(req))).result).toBe(0);
      await events.wait((e) => e.type === 'callState' && e.hCall === hCall && (e.state === 'IDLE' || e.state === 'DISCONNECTED'));
    });

    it('turns a synchronous failure into a TelephonyError naming the function and LINEERR', async () => {
      await h.pbx.failNext('lineMakeCallW', 'sync', LINEERR.RESOURCEUNAVAIL);
      const err = await h.port.makeCall(hLine, '+4930111').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TelephonyError);
      expect((err as TelephonyError).fn).toBe('lineMakeCallW');
      expect((err as TelephonyError).code).toBe(LINEERR.RESOURCEUNAVAIL);
      expect((err as Error).message).toContain('RESOURCEUNAVAIL');
    });

    it('delivers an asynchronous failure in LINE_REPLY', async () => {
      await h.pbx.failNext('lineMakeCallW', 'async', LINEERR.CALLUNAVAIL);
      const req = await h.port.makeCall(hLine, '+4930111');
      const reply = await events.wait(isReply(req));
      expect(reply.result >>> 0).toBe(LINEERR.CALLUNAVAIL);
    });

    it('delivers a late caller id as callInfo with the new number', async () => {
      const callId = await h.pbx.incoming(LINE_ADDRESS, '');
      const nc = await nthNewCall(1);
      await h.pbx.callerId(callId, '+43 1 5551234', 'Wien GmbH');
      const ev = await events.wait((e) => e.type === 'callInfo' && e.hCall === nc.hCall && e.info.caller.number !== '');
      expect(ev.type === 'callInfo' && ev.info.caller.number).toBe('+43 1 5551234');
    });

    it('says why a call came: LINECALLREASON_TRANSFER and its origin for a caller a colleague transferred, DIRECT for one that called in', async () => {
      await h.pbx.incoming(LINE_ADDRESS, '+49 89 7777777');
      const direct = await nthNewCall(1);
      await h.pbx.transferredIn(LINE_ADDRESS, '+49 89 1234567');
      const transferred = await nthNewCall(2);
      const info = transferred.info ?? (await h.port.getCallInfo(transferred.hCall));
      expect(info).toMatchObject({ reason: LINECALLREASON.TRANSFER, origin: LINECALLORIGIN.INTERNAL, caller: { number: '+49 89 1234567' } });
      expect((direct.info ?? (await h.port.getCallInfo(direct.hCall))).reason).toBe(LINECALLREASON.DIRECT);
    });

    it('delivers who redirected or transferred the call (RedirectingID) as callInfo', async () => {
      const callId = await h.pbx.incoming(LINE_ADDRESS, '+49 89 1234567');
      const nc = await nthNewCall(1);
      expect((nc.info?.redirecting?.flags ?? 0) & LINECALLPARTYID.ADDRESS).toBe(0); // (a call nobody redirected)
      await h.pbx.redirectingId(callId, '17', 'Kollege Huber');
      const ev = await events.wait((e) => e.type === 'callInfo' && e.hCall === nc.hCall && ((e.info.redirecting?.flags ?? 0) & LINECALLPARTYID.ADDRESS) !== 0);
      expect(ev.type === 'callInfo' && ev.changed & 0x80000).toBeTruthy();
      expect(ev.type === 'callInfo' && ev.info.redirecting).toMatchObject({ number: '17', name: 'Kollege Huber' });
      expect((await h.port.getCallInfo(nc.hCall)).redirecting?.number).toBe('17');
    });

    it('reports a line closed by the provider', async () => {
      await h.pbx.closeLine(LINE_ADDRESS);
      const ev = await events.wait((e) => e.type === 'lineClosed');
      expect(ev.type === 'lineClosed' && ev.hLine).toBe(hLine);
    });

    it('keeps calls apart: two incoming calls at once have their own handles', async () => {
      const a = await h.pbx.incoming(LINE_ADDRESS, '+49 89 1111111');
      const b = await h.pbx.incoming(LINE_ADDRESS, '+49 89 2222222');
      await nthNewCall(2);
      await events.wait(() => events.all.filter((x) => x.type === 'callState' && x.state === 'OFFERING').length >= 2);
      const hCalls = events.all.filter(isNewCall).map((e) => e.hCall);
      expect(new Set(hCalls).size).toBe(2);
      const ids = await Promise.all(hCalls.map(async (hc) => (await h.port.getCallInfo(hc)).callId));
      expect(ids.sort()).toEqual([a, b].sort());
    });

    it('shuts down idempotently: one lineShutdown, afterwards requests fail with LINEERR_UNINITIALIZED', async () => {
      await h.port.shutdown();
      await h.port.shutdown();
      expect((await h.pbx.requests()).filter((r) => r.fn === 'lineShutdown')).toHaveLength(1);
      const err = await h.port.makeCall(hLine, '+4930111').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TelephonyError);
      expect((err as TelephonyError).code).toBe(LINEERR.UNINITIALIZED);
      expect((await h.pbx.requests()).some((r) => r.fn === 'lineMakeCallW')).toBe(false);
    });
  });
}
