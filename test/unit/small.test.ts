import { describe, expect, it } from 'vitest';
import { makeCallIdSource } from '../../src/calls/callIds';
import { directionOf, observationOf, partyNumber, remoteName, remoteNumber } from '../../src/calls/tapiMapping';
import { Direction } from '../../src/datev/callData';
import { selectLine, describeLine } from '../../src/app/lineSelection';
import { RequestTracker } from '../../src/app/requestTracker';
import { makeMasker, MemoryLogger, silentLogger } from '../../src/logging/logger';
import { callStateName, lineErrName, LINECALLPARTYID } from '../../src/telephony/tapiConstants';
import { outgoingUpdate } from '../../src/dialogs/texts';
import { ManualClock } from '../../fakes/clock/manualClock';
import type { CallInfo, LineInfo } from '../../src/telephony/port';
import { systemClock } from '../../src/util/clock';

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
    t.handleReply(3, { result: 0 });
    for (let i = 100; i < 400; i++) t.handleReply(i, { result: 0 });
    expect(await Promise.race([t.wait(100), Promise.resolve('not buffered')])).toBe('not buffered');
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
  it('memory logger records levels; silent logger accepts everything', () => {
    const l = new MemoryLogger();
    l.error('e');
    l.warn('w', { a: 1 });
    l.info('i');
    l.debug('d');
    expect(l.entries.map((e) => e.level)).toEqual(['error', 'warn', 'info', 'debug']);
    expect(l.has('warn', /w/)).toBe(true);
    silentLogger.error('x');
    silentLogger.warn('x');
    silentLogger.info('x');
    silentLogger.debug('x');
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
    await new Promise((r) => setTimeout(r, 20));
    expect(fired).toBe(1);
    expect(systemClock.now()).toBeInstanceOf(Date);
  });
});
