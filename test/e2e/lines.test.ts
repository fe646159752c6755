/** The TAPI line: missing, appearing later, closed by the provider, re-init, TAPI absent. */
import { describe, expect, it } from 'vitest';
import { CallState } from '../../src/datev/callData';
import { TelephonyError } from '../../src/telephony/port';
import { Direction } from '../../src/datev/callData';
import { LINECALLORIGIN, LINEDEVSTATE, LINEERR } from '../../src/telephony/tapiConstants';
import { IDLE_WAIT_MS } from '../../src/app/calls/telephonyEvents';
import type { RecordedTapiRequest } from '../../contracts/harness';
import { makeWorld, type World } from '../support/world';

describe('TAPI line handling', () => {
  it('keeps running without a line, says so once, and opens the line when it appears', async () => {
    const w = await makeWorld({ lines: [] });
    expect(w.app.status().line).toBe('missing');
    const notices = () => w.openDialogs().filter((d) => d.text.includes('Keine Wildix-TAPI-Leitung'));
    expect(notices()).toHaveLength(1);
    await w.advance(1000);
    await w.advance(2000);
    expect(notices()).toHaveLength(1);
    // DATEV dials meanwhile: clear failure, Absence
    await w.datev.driver.dial({ CalledNumber: '089 1234567' });
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);
    w.tapi.addLine('Wildix 201 Anna Schmidt', '201');
    await w.settle();
    expect(w.app.status()).toMatchObject({ line: 'open', lineName: 'Wildix 201 Anna Schmidt' });
    expect(w.openDialogs().some((d) => d.text.includes('wieder verfügbar'))).toBe(true);
  });

  it('reopens the line after the provider closed it', async () => {
    const w = await makeWorld();
    await w.tapi.pbx.closeLine('201');
    await w.settle();
    expect(w.app.status().line).toBe('missing');
    await w.advance(1000);
    expect(w.app.status().line).toBe('open');
    expect(w.tapi.requests.filter((r) => r.fn === 'lineOpenW')).toHaveLength(2);
  });

  it('a call in progress when the line closes, not announced again when the line is back, is finished for DATEV as of the close', async () => {
    const w = await makeWorld();
    const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    await w.tapi.pbx.answer(id);
    await w.settle();
    await w.advance(60_000);
    const closedAt = w.clock.now().getTime();
    await w.tapi.pbx.closeLine('201');
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:2']); // it may come back (callReattachMs)
    await w.advance(15_000);
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:2', 'CallStateChanged:3']);
    expect((w.datev.received.at(-1)!.data.End as Date).getTime()).toBe(closedAt);
  });

  it('a call the PBX keeps through a short loss of the line (announced again, same dwCallID) stays one call in DATEV and ends when it really ends', async () => {
    const w = await makeWorld();
    const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    await w.tapi.pbx.answer(id);
    await w.settle();
    w.tapi.blipLine('201');
    await w.settle();
    await w.advance(2000); // the line is opened again; TAPI announces the call still going on
    expect(w.app.status().line).toBe('open');
    expect(w.log.has('info', 'is back; it goes on')).toBe(true);
    await w.advance(60_000);
    await w.tapi.pbx.hangup(id);
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:2', 'CallStateChanged:3']);
    expect(new Set(w.datev.received.map((n) => n.data.CallID)).size).toBe(1);
    expect(w.app.calls.activeCalls()).toEqual([]);
    await w.advance(30_000); // nothing more of it later
    expect(w.methods()).toHaveLength(3);
  });

  it('a call cut off by a line close still ends for DATEV when another announcement of its dwCallID is cut off before it came back (found by the random day)', async () => {
    const w = await makeWorld();
    const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    await w.tapi.pbx.answer(id);
    await w.settle();
    const first = w.datev.received[0]!.data.CallID;
    w.tapi.blipLine('201');
    await w.settle();
    // the line is back and TAPI announces the call again, but its info cannot be read then: the program
    // cannot tell it is the same call and follows it as a new one (it learns its dwCallID later)
    await w.tapi.pbx.failNext('lineGetCallInfoW', 'sync', LINEERR.OPERATIONFAILED!);
    await w.advance(2000);
    await w.tapi.pbx.callerId(id, '+49 89 1234567');
    await w.settle();
    // the line goes again before the first call's 15 s are over
    w.tapi.blipLine('201');
    await w.settle();
    await w.advance(60_000);
    // the first CallID ends for DATEV as of its cut; nothing stays in progress (which would hold the journal back)
    const ends = w.datev.received.filter((n) => n.data.CallID === first && n.method === 'CallStateChanged').map((n) => n.data.CallState);
    expect(ends).toEqual([CallState.eCSConnected, CallState.eCSFinished]);
    await w.tapi.pbx.hangup(id);
    await w.settle();
    await w.advance(30_000);
    expect(w.app.calls.activeCalls()).toEqual([]);
  });

  it('a Dial still waiting for its LINE_REPLY when the provider closes the line fails at once, not after the reply timeout', async () => {
    // a TSP completes every request on a line before it closes it (TSPI LINE_CLOSE): a reply not in by
    // then never comes
    const w = await makeWorld({ config: { tapiReplyTimeoutMs: 15_000 } });
    const makeCall = w.tapi.port.makeCall;
    w.tapi.port.makeCall = async () => 999;
    await w.datev.driver.dial({ CalledNumber: '089 1234567' });
    await w.settle();
    w.tapi.port.makeCall = makeCall;
    await w.tapi.pbx.closeLine('201');
    await w.settle();
    await w.advance(100);
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);
    expect(w.openDialogs().some((d) => d.text.includes('LINEERR_INVALLINEHANDLE'))).toBe(true);
    await w.advance(1000); // the line is back: the next Dial works
    expect(w.app.status().line).toBe('open');
    await w.datev.driver.dial({ CalledNumber: '089 7654321' });
    await w.settle();
    expect(w.tapi.requests.filter((r) => r.fn === 'lineMakeCallW')).toHaveLength(1);
  });

  it('follows a removed line and a re-init request', async () => {
    const w = await makeWorld();
    w.tapi.removeLine('201');
    await w.settle();
    expect(w.app.status().line).toBe('missing');
    w.tapi.addLine('Wildix 201 Anna Schmidt', '201');
    await w.settle();
    expect(w.app.status().line).toBe('open');
    w.tapi.reinit();
    await w.settle();
    expect(w.app.status().line).toBe('missing');
    await w.advance(1000);
    expect(w.app.status().line).toBe('open');
    expect(w.tapi.requests.filter((r) => r.fn === 'lineInitializeExW')).toHaveLength(2);
  });

  it('picks the configured line by name, address or permanent id', async () => {
    const lines = [
      { name: 'Wildix 201 Anna Schmidt', address: '201' },
      { name: 'Wildix 202 Ben Braun', address: '202' },
    ];
    expect((await makeWorld({ lines, config: { line: '202' } })).app.status().lineName).toBe('Wildix 202 Ben Braun');
    expect((await makeWorld({ lines, config: { line: 'wildix 201 anna schmidt' } })).app.status().lineName).toBe('Wildix 201 Anna Schmidt');
    const w = await makeWorld({ lines, config: { line: 'Braun' } });
    expect(w.app.status().lineName).toBe('Wildix 202 Ben Braun');
    const perm = String(w.app.lines.lines[0]!.permanentId);
    expect((await makeWorld({ lines, config: { line: perm } })).app.status().lineName).toBe('Wildix 201 Anna Schmidt');
    const missing = await makeWorld({ lines, config: { line: 'Carla' } });
    expect(missing.app.status().line).toBe('missing');
    expect(missing.openDialogs()[0]!.text).toContain('„Carla“ wurde nicht gefunden');
  });

  it('a line that cannot be opened is reported and retried', async () => {
    const w = await makeWorld({ start: false });
    await w.tapi.pbx.failNext('lineOpenW', 'sync', 0x80000047);
    await w.app.start();
    await w.settle();
    expect(w.app.status().line).toBe('missing');
    expect(w.app.lines.lastError).toContain('NOTREGISTERED');
    await w.advance(1000);
    expect(w.app.status().line).toBe('open');
  });

  it('TAPI not available: error shown once, retried, and the program keeps running', async () => {
    const w = await makeWorld({ start: false });
    const init = w.tapi.port.initialize;
    w.tapi.port.initialize = async () => {
      throw new TelephonyError('LoadLibrary', 0, 'tapi32.dll not found');
    };
    await w.app.start();
    await w.settle();
    expect(w.app.status().line).toBe('no-tapi');
    expect(w.openDialogs().some((d) => d.text.includes('TAPI ist nicht verfügbar: tapi32.dll not found'))).toBe(true);
    w.tapi.port.initialize = init;
    await w.advance(1000);
    expect(w.app.status().line).toBe('open');
  });

  it('stops cleanly: dialogs closed, line closed, TAPI shut down, ROT entry revoked; calls left alone', async () => {
    const w = await makeWorld();
    await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    expect(w.openDialogs()).toHaveLength(1);
    await w.app.stop();
    await w.app.stop();
    expect(w.openDialogs()).toEqual([]);
    expect(w.tapi.requests.map((r) => r.fn)).toEqual(expect.arrayContaining(['lineClose', 'lineShutdown']));
    expect(w.tapi.requests.some((r) => r.fn === 'lineDrop')).toBe(false);
    expect(await w.datev.driver.isCtiRegistered()).toBe(false);
  });

  describe('call handles: DISCONNECTED → the owner\'s lineDrop → IDLE → lineDeallocateCall (tapi.md §1.6)', () => {
    /** The requests for the call with switch id `id` from the first lineDrop on (its hang-up). */
    const after = (w: World, id: number, from: number): RecordedTapiRequest[] => w.tapi.requests.slice(from).filter((r) => r.callId === id);
    /** The other side hangs up call `id`: what the program then asked TAPI of it (function, and the call's state at lineDeallocateCall). */
    const hangUpAndSee = async (w: World, id: number): Promise<[string, string | undefined][]> => {
      const from = w.tapi.requests.length;
      await w.tapi.pbx.hangup(id);
      await w.settle();
      return after(w, id, from).map((r) => [r.fn, r.state]);
    };
    /** Cleared by the program and freed once IDLE. */
    const CLEARED = [
      ['lineDrop', undefined],
      ['lineDeallocateCall', 'IDLE'],
    ];

    it('an incoming call the program owns, hung up by the caller: dropped, then freed once IDLE', async () => {
      const w = await makeWorld();
      const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
      await w.settle();
      await w.tapi.pbx.answer(id);
      await w.settle();
      expect(await hangUpAndSee(w, id)).toEqual(CLEARED);
      expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:2', 'CallStateChanged:3']);
    });

    it('a call the program dialled for DATEV, hung up by the other side: dropped, then freed once IDLE', async () => {
      const w = await makeWorld();
      await w.datev.driver.dial({ CalledNumber: '089 1234567' });
      await w.settle();
      const id = await w.tapi.pbx.lastCallId();
      await w.tapi.pbx.answer(id);
      await w.settle();
      expect(await hangUpAndSee(w, id)).toEqual(CLEARED);
    });

    it('a call another application owns (a monitor handle) is left to its owner and freed when it is IDLE', async () => {
      const w = await makeWorld();
      const id = w.tapi.incomingMonitored('201', '+49 89 1234567');
      await w.settle();
      const from = w.tapi.requests.length;
      await w.tapi.pbx.hangup(id);
      await w.settle();
      expect(w.methods()).toEqual(['NewCall:1', `CallStateChanged:${CallState.eCSAbsence}`]);
      await w.advance(IDLE_WAIT_MS - 1);
      expect(after(w, id, from)).toEqual([]);
      w.tapi.idle(id);
      await w.settle();
      expect(after(w, id, from).map((r) => [r.fn, r.state])).toEqual([['lineDeallocateCall', 'IDLE']]);
      await w.advance(IDLE_WAIT_MS);
      expect(after(w, id, from)).toHaveLength(1); // the wait for IDLE ended with it
    });

    it('a disconnected call that never goes IDLE (its owner does not clear it) is freed after IDLE_WAIT_MS, and said so', async () => {
      const w = await makeWorld();
      const id = w.tapi.incomingMonitored('201', '+49 89 1234567');
      await w.settle();
      const from = w.tapi.requests.length;
      await w.tapi.pbx.hangup(id);
      await w.settle();
      await w.advance(IDLE_WAIT_MS - 1);
      expect(after(w, id, from)).toEqual([]);
      await w.advance(1);
      expect(after(w, id, from).map((r) => [r.fn, r.state])).toEqual([['lineDeallocateCall', 'DISCONNECTED']]);
      expect(w.log.has('info', 'TAPI did not report IDLE')).toBe(true);
    });

    it('a lineDrop of the disconnected call that fails frees its handle at once', async () => {
      const w = await makeWorld();
      const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
      await w.settle();
      await w.tapi.pbx.answer(id);
      await w.settle();
      await w.tapi.pbx.failNext('lineDrop', 'sync', LINEERR.OPERATIONFAILED!);
      expect(await hangUpAndSee(w, id)).toEqual([
        ['lineDrop', undefined],
        ['lineDeallocateCall', 'DISCONNECTED'],
      ]);
      expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:2', 'CallStateChanged:3']);
    });

    it('a lineDrop of the disconnected call that fails in its LINE_REPLY frees its handle at once too', async () => {
      const w = await makeWorld();
      const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
      await w.settle();
      await w.tapi.pbx.failNext('lineDrop', 'async', LINEERR.OPERATIONFAILED!);
      expect(await hangUpAndSee(w, id)).toEqual([
        ['lineDrop', undefined],
        ['lineDeallocateCall', 'DISCONNECTED'],
      ]);
    });

    it('a monitored call the user answers in the pop-up is the program\'s from then on: cleared at its end', async () => {
      const w = await makeWorld();
      const id = w.tapi.incomingMonitored('201', '+49 89 1234567');
      await w.settle();
      await w.advance(100);
      const popup = w.openDialogs().find((d) => d.buttons.some((b) => b.label === 'Annehmen'));
      await w.dialogs.user.click(popup!.id, 'Annehmen');
      await w.settle();
      expect(await hangUpAndSee(w, id)).toEqual(CLEARED);
    });

    it('the program stops: no wait for IDLE or for a call\'s direction goes on after it', async () => {
      const w = await makeWorld();
      const monitored = w.tapi.incomingMonitored('201', '+49 89 1234567');
      await w.settle();
      await w.tapi.pbx.hangup(monitored);
      w.tapi.callInProgress('201', '+49 89 7654321', 0);
      await w.settle();
      const sent = w.datev.received.length;
      await w.app.stop();
      const from = w.tapi.requests.length;
      await w.advance(IDLE_WAIT_MS * 2);
      expect(w.tapi.requests.slice(from)).toEqual([]);
      expect(w.datev.received.length).toBe(sent);
      expect(w.log.has('info', 'TAPI did not report IDLE')).toBe(false);
    });

    it('a call the user hangs up in the program is dropped once, not again at its DISCONNECTED', async () => {
      const w = await makeWorld();
      const { callId } = await w.datev.driver.dial({ CalledNumber: '089 1234567' });
      await w.settle();
      const id = await w.tapi.pbx.lastCallId();
      await w.tapi.pbx.answer(id);
      await w.settle();
      w.tapi.dropThroughDisconnected = true; // a TSP that reports DISCONNECTED, then IDLE, for a lineDrop
      await w.datev.driver.drop({ CallID: callId });
      await w.settle();
      expect(w.tapi.requests.filter((r) => r.callId === id && r.fn === 'lineDrop')).toHaveLength(1);
      expect(w.tapi.requests.filter((r) => r.callId === id && r.fn === 'lineDeallocateCall')).toHaveLength(1);
    });
  });

  describe('a call first seen in progress without a direction (dwOrigin UNKNOWN / 0, tapi.md §1.9)', () => {
    it('waits for LINE_CALLINFO\'s origin and goes to DATEV with it', async () => {
      const w = await makeWorld();
      const id = w.tapi.callInProgress('201', '+49 89 7654321', LINECALLORIGIN.UNKNOWN);
      await w.settle();
      expect(w.datev.received).toEqual([]);
      w.tapi.setOrigin(id, LINECALLORIGIN.OUTBOUND);
      await w.settle();
      await w.advance(1000);
      expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:2']);
      expect(w.datev.received.map((n) => n.data.Direction)).toEqual([Direction.eDirOutgoing, Direction.eDirOutgoing]);
      expect(w.datev.received[0]!.data.CalledNumber).toBe('+49 89 7654321');
    });

    it('without one within the lookup budget goes to DATEV as incoming (a guess, logged) — never with Direction unknown', async () => {
      const w = await makeWorld();
      const id = w.tapi.callInProgress('201', '+49 89 7654321', 0);
      await w.settle();
      await w.advance(w.config.lookupBudgetMs - 1);
      expect(w.datev.received).toEqual([]);
      await w.advance(1);
      expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:2']);
      expect(w.log.has('warn', 'TAPI gave no direction for the call')).toBe(true);
      w.tapi.setOrigin(id, LINECALLORIGIN.OUTBOUND); // too late: DATEV has it as incoming, and a call's direction does not change
      await w.tapi.pbx.hangup(id);
      await w.settle();
      expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:2', 'CallStateChanged:3']);
      expect(w.datev.received.every((n) => n.data.Direction === Direction.eDirIncoming)).toBe(true);
    });
  });

  it('says when the TSP reports the line out of service (LINE_LINEDEVSTATE) and when it is back; calls go on', async () => {
    const w = await makeWorld();
    w.tapi.lineState('201', LINEDEVSTATE.OUTOFSERVICE);
    await w.settle();
    expect(w.app.status()).toMatchObject({ line: 'open', lineOutOfService: true });
    expect(w.log.has('warn', 'the line is out of service or has lost its link to the PBX')).toBe(true);
    w.tapi.lineState('201', LINEDEVSTATE.DISCONNECTED); // still down: said once
    await w.settle();
    expect(w.log.entries.filter((e) => e.message.includes('out of service or has lost')).length).toBe(1);
    const id = await w.tapi.pbx.incoming('201', '+49 89 1234567'); // the TSP may still deliver calls
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1']);
    w.tapi.lineState('201', LINEDEVSTATE.INSERVICE);
    await w.settle();
    expect(w.app.status().lineOutOfService).toBe(false);
    expect(w.log.has('info', 'the line is in service again')).toBe(true);
    await w.tapi.pbx.hangup(id);
    await w.settle();
    // a line closed and opened again starts in service
    w.tapi.lineState('201', LINEDEVSTATE.OUTOFSERVICE);
    await w.tapi.pbx.closeLine('201');
    await w.settle();
    await w.advance(1000);
    expect(w.app.status()).toMatchObject({ line: 'open', lineOutOfService: false });
  });
});
