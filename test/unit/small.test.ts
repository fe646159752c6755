import { describe, expect, it, vi } from 'vitest';
import { makeCallIdSource } from '../../src/calls/callIds';
import { directionOf, isTakenElsewhere, observationOf, partyNumber, remoteName, remoteNumber } from '../../src/calls/tapiMapping';
import { Direction } from '../../src/datev/callData';
import { selectLine, describeLine } from '../../src/app/lineSelection';
import { RequestTracker } from '../../src/app/requestTracker';
import { makeMasker, MemoryLogger, silentLogger } from '../../src/logging/logger';
import { callStateName, lineErrName, LINECALLPARTYID } from '../../src/telephony/tapiConstants';
import { outgoingUpdate } from '../../src/dialogs/texts';
import { ManualClock } from '../../fakes/clock/manualClock';
import type { CallInfo, LineInfo } from '../../src/telephony/port';
import { systemClock } from '../../src/util/clock';
import { guarded } from '../../src/native/guard';

describe('CallIDs', () => {
  it('are never empty, carry extension, date and time, and are unique even with equal random parts', () => {
    const clock = new ManualClock(new Date(2026, 1, 4, 14, 30));
    const ids = makeCallIdSource(clock, () => '161', () => 912387);
    expect(ids.next()).toBe('161-04022026-1430-0912387');
    expect(ids.next()).toBe('161-04022026-1430-0912387-2');
    const anon = makeCallIdSource(clock, () => '');
    expect(anon.next()).toMatch(/^CTI-04022026-1430-\d{7}$/);
  });
});

describe('TAPI mapping', () => {
  it('maps every state to an observation', () => {
    expect(observationOf('OFFERING')).toBe('ringing');
    expect(observationOf('ONHOLD')).toBe('connected');
    expect(observationOf('BUSY')).toBe('ended');
    expect(observationOf('UNKNOWN')).toBeUndefined();
  });
  it('knows a call another phone took: CONNECTED inactive here (bridged) or DISCONNECTED as picked up', () => {
    expect(isTakenElsewhere('CONNECTED', 0x2)).toBe(true); // INACTIVE
    expect(isTakenElsewhere('CONNECTED', 0x8)).toBe(true); // INACTIVEHELD
    expect(isTakenElsewhere('CONNECTED', 0x2 | 0x10)).toBe(true); // INACTIVE, CONFIRMED
    expect(isTakenElsewhere('CONNECTED', 0)).toBe(false); // mode 0: active (not bridged)
    expect(isTakenElsewhere('CONNECTED', 0x1)).toBe(false);
    expect(isTakenElsewhere('CONNECTED', 0x1 | 0x2)).toBe(false); // active here as well
    expect(isTakenElsewhere('DISCONNECTED', 0x8)).toBe(true); // PICKUP
    expect(isTakenElsewhere('DISCONNECTED', 0x1)).toBe(false);
    expect(isTakenElsewhere('DISCONNECTED', 0x80000)).toBe(false); // CANCELLED: the caller gave up
    expect(isTakenElsewhere('OFFERING', 0x8)).toBe(false); // (an offering mode, not a disconnect mode)
  });
  it('derives direction from origin first, then from the first state', () => {
    expect(directionOf(0x1, 'OFFERING')).toBe(Direction.eDirOutgoing);
    expect(directionOf(0x80, 'DIALING')).toBe(Direction.eDirIncoming);
    expect(directionOf(0x10, 'ACCEPTED')).toBe(Direction.eDirIncoming);
    expect(directionOf(0, 'RINGBACK')).toBe(Direction.eDirOutgoing);
    expect(directionOf(0, 'CONNECTED')).toBe(Direction.eDirUnknown);
  });
  it('trusts party numbers only with the ADDRESS flag', () => {
    const p = (flags: number, number: string, name = '') => ({ flags, number, name });
    expect(partyNumber(p(LINECALLPARTYID.BLOCKED, '123'))).toBe('');
    const info: CallInfo = {
      hCall: 1, hLine: 1, callId: 1, origin: 1, reason: 1,
      caller: p(LINECALLPARTYID.ADDRESS | LINECALLPARTYID.NAME, ' 201 ', 'Anna'),
      called: p(LINECALLPARTYID.ADDRESS | LINECALLPARTYID.NAME, '+4989', 'Müller'),
      connected: p(LINECALLPARTYID.ADDRESS, '+4930'),
    };
    expect(remoteNumber(info, Direction.eDirOutgoing)).toBe('+4930');
    expect(remoteNumber(info, Direction.eDirIncoming)).toBe('201');
    expect(remoteName(info, Direction.eDirOutgoing)).toBe('Müller');
    expect(remoteName({ ...info, caller: p(LINECALLPARTYID.ADDRESS, '1', 'x') }, Direction.eDirIncoming)).toBe('');
  });
  it('names states and errors', () => {
    expect(callStateName(0x100)).toBe('CONNECTED');
    expect(callStateName(0x12345)).toBe('UNKNOWN');
    expect(lineErrName(-2147483620)).toBe('LINEERR_INVALCALLSTATE');
    expect(lineErrName(0x80000099)).toBe('0x80000099');
  });
});

describe('line selection', () => {
  const line = (name: string, address: string, provider: string, permanentId: number, apiVersion = 0x20002): LineInfo => ({
    deviceId: permanentId, permanentId, name, provider, apiVersion, addresses: [{ addressId: 0, address }],
  });
  const lines = [line('Modem', '', 'Unimodem', 1), line('201 Anna', '201', 'Wildix TAPI', 2), line('Old', '300', 'Wildix', 3, 0x10004)];
  it('defaults to the Wildix line, or the only line', () => {
    expect(selectLine(lines, '')?.permanentId).toBe(2);
    expect(selectLine([lines[0]!], '')?.permanentId).toBe(1);
    expect(selectLine([], '')).toBeUndefined();
  });
  it('never picks a line without TAPI 2.x', () => {
    expect(selectLine(lines, '300')).toBeUndefined();
  });
  it('describes a line for logs', () => {
    expect(describeLine(lines[1]!)).toBe('"201 Anna" (permanent id 2, Wildix TAPI)');
    expect(describeLine({ ...lines[1]!, provider: '' })).toContain('unknown provider');
  });
});

describe('request tracker', () => {
  it('after a TAPI re-init every waiting request is answered at once and nothing of the old session is kept (ids start again)', async () => {
    const clock = new ManualClock();
    const t = new RequestTracker(clock, 1000);
    const waiting = t.wait(1);
    t.handleReply(9, { result: 0, hCall: 5 }); // early, never claimed
    const lateSeen: unknown[] = [];
    t.onLateReply(7, (r) => lateSeen.push(r));
    t.abandonAll(0x80000052);
    expect(await waiting).toEqual({ result: 0x80000052 });
    expect(t.pending).toBe(0);
    // the new session's request 7 and 9 are new requests
    expect(t.handleReply(7, { result: 0 })).toBe(false);
    expect(lateSeen).toEqual([]);
    const nine = t.wait(9);
    clock.advance(1000);
    expect(await nine).toEqual({ result: RequestTracker.TIMEOUT });
  });

  it('a request id handed out again replaces the older wait, whose timer no longer ends the new one', async () => {
    const clock = new ManualClock();
    const t = new RequestTracker(clock, 1000);
    const answers: unknown[] = [];
    t.expect(4, (r) => answers.push(['old', r]));
    clock.advance(600);
    t.expect(4, (r) => answers.push(['new', r]));
    clock.advance(600); // the old wait's time is up: nothing happens to the new one
    expect(answers).toEqual([]);
    expect(t.handleReply(4, { result: 0, hCall: 3 })).toBe(true);
    expect(answers).toEqual([['new', { result: 0, hCall: 3 }]]);
  });

  it('delivers replies that arrive before and after registration, and times out', async () => {
    const clock = new ManualClock();
    const t = new RequestTracker(clock, 1000);
    expect(t.handleReply(1, { result: 0, hCall: 5 })).toBe(false);
    expect(await t.wait(1)).toEqual({ result: 0, hCall: 5 });
    const p = t.wait(2);
    expect(t.pending).toBe(1);
    expect(t.handleReply(2, { result: 7 })).toBe(true);
    expect(await p).toEqual({ result: 7 });
    const late = t.wait(3);
    clock.advance(1000);
    expect(await late).toEqual({ result: RequestTracker.TIMEOUT });
    expect(t.pending).toBe(0);
    // a reply after the timeout finds nobody waiting
    expect(t.handleReply(3, { result: 0 })).toBe(false);
    // early replies are bounded (256): of 300 unclaimed ones the oldest are dropped, the newest kept
    const early = Array.from({ length: 300 }, (_, i) => t.handleReply(100 + i, { result: i }));
    expect(early.every((delivered) => delivered === false)).toBe(true);
    const buffered = (id: number) => Promise.race([t.wait(id), Promise.resolve('not buffered')]);
    expect(await buffered(100)).toBe('not buffered');
    expect(await buffered(143)).toBe('not buffered');
    expect(await buffered(144)).toEqual({ result: 44 });
    expect(await buffered(399)).toEqual({ result: 299 });
  });
});

describe('logging helpers', () => {
  it('masks numbers and names unless disabled', () => {
    const m = makeMasker(true);
    expect(m.number('+49 89 1234567')).toBe('+** ** ****567');
    expect(m.number('201')).toBe('201');
    expect(m.name('Müller & Söhne')).toBe('M*** (14)');
    expect(m.name('  ')).toBe('');
    const off = makeMasker(false);
    expect(off.number('+49 89 1234567')).toBe('+49 89 1234567');
    expect(off.name('Müller')).toBe('Müller');
  });
  it('memory logger records levels and metadata', () => {
    const l = new MemoryLogger();
    l.error('e');
    l.warn('w', { a: 1 });
    l.info('i');
    l.debug('d');
    expect(l.entries).toEqual([
      { level: 'error', message: 'e' },
      { level: 'warn', message: 'w', meta: { a: 1 } },
      { level: 'info', message: 'i' },
      { level: 'debug', message: 'd' },
    ]);
    expect(l.has('warn', /w/)).toBe(true);
    expect(l.has('warn', 'e')).toBe(false);
    expect(l.has('error', 'e')).toBe(true);
  });
  it('silent logger writes nothing anywhere and never throws', () => {
    const writes: string[] = [];
    const spies = [
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (writes.push(String(chunk)), true)),
      vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (writes.push(String(chunk)), true)),
      ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void writes.push(a.join(' ')))),
    ];
    try {
      for (const level of ['error', 'warn', 'info', 'debug'] as const) expect(silentLogger[level]('x', { n: 1 })).toBeUndefined();
    } finally {
      for (const s of spies) s.mockRestore();
    }
    expect(writes).toEqual([]);
  });
});

describe('texts and clock', () => {
  it('outgoing dialog phases', () => {
    const p = { number: '089 1', name: '', id: '' };
    expect(outgoingUpdate(p, 'connected').heading).toBe('Verbunden mit 089 1');
    expect(outgoingUpdate(p, 'ended').text).toContain('Beendet');
    expect(outgoingUpdate(p, 'failed', 'besetzt').text).toContain('Anruf fehlgeschlagen: besetzt');
    expect(outgoingUpdate(p, 'failed').text).toContain('Anruf fehlgeschlagen');
  });
  it('system clock fires and cancels timers', async () => {
    let fired = 0;
    systemClock.setTimeout(() => fired++, 1);
    const cancel = systemClock.setTimeout(() => fired += 10, 1);
    cancel();
    // a later timer of the same delay fires after both (Node runs equal delays in order): wait for it
    await new Promise<void>((r) => systemClock.setTimeout(r, 1));
    expect(fired).toBe(1);
    expect(systemClock.now()).toBeInstanceOf(Date);
  });
});

describe('callbacks handed to the addon', () => {
  it('an exception a guarded callback throws is reported, never thrown back into the addon', () => {
    const reports: string[] = [];
    const seen: number[] = [];
    const cb = guarded('tray', (n: number) => {
      seen.push(n);
      if (n === 2) throw new Error('handler broke');
    }, (m) => reports.push(m));
    expect(() => {
      cb(1);
      cb(2);
      cb(3);
    }).not.toThrow();
    expect(seen).toEqual([1, 2, 3]);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/^tray: handling an event from the addon failed: Error: handler broke/);
  });
});
