/**
 * NativeTelephonyPort's own logic against a scripted native/tapi (the real one runs under Wine:
 * test/wine/telephony.wine.test.ts): the bounded closeLine/shutdown (TelephonyTimeoutError, giving a
 * silent TAPI thread up), and that nothing in the environment chooses the tapi32.dll. Plus the same
 * bound in the in-memory fake, which must behave like the adapter.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeTapi } from '../../fakes/telephony/fakeTapi';
import { ManualClock } from '../../fakes/clock/manualClock';
import { isTelephonyTimeout, TelephonyError, TelephonyTimeoutError } from '../../src/telephony/port';
import {
  CLOSE_SLACK_MS,
  DEFAULT_CLOSE_TIMEOUT_MS,
  NativeTelephonyPort,
  type NativeLine,
  type NativeTapi,
  type NativeTapiEvent,
  type NativeTapiSession,
  type NativeTapiSessionOptions,
} from '../../src/native/tapiTelephonyPort';

const LINE: NativeLine = { deviceId: 0, permanentId: 0x1001, name: 'Wildix 201', provider: 'fake', apiVersion: 0x20002, addresses: [] };

/** A native session whose shutdown/closeLine the test settles by hand. */
function scripted(): NativeTapi & { created: { args: unknown[]; options?: NativeTapiSessionOptions }[]; session: Scripted } {
  const session = new Scripted();
  const created: { args: unknown[]; options?: NativeTapiSessionOptions }[] = [];
  const native = {
    created,
    session,
    NativeTapiSession: function (this: unknown, ...args: unknown[]) {
      created.push({ args, ...(args[1] ? { options: args[1] as NativeTapiSessionOptions } : {}) });
      session.onEvent = args[0] as (e: NativeTapiEvent) => void;
      return session;
    } as unknown as NativeTapi['NativeTapiSession'],
  };
  return native;
}

class Scripted implements NativeTapiSession {
  onEvent: (e: NativeTapiEvent) => void = () => undefined;
  abandoned = 0;
  shutdownResult: Promise<void> = new Promise(() => undefined); // never settles unless replaced
  closeResult: Promise<void> = new Promise(() => undefined);
  initialize = async (): Promise<NativeLine[]> => [LINE];
  listLines = async (): Promise<NativeLine[]> => [LINE];
  openLine = async (): Promise<number> => 0x20001;
  closeLine = (): Promise<void> => this.closeResult;
  makeCall = async (): Promise<number> => 1;
  answer = async (): Promise<number> => 1;
  drop = async (): Promise<number> => 1;
  deallocate = async (): Promise<void> => undefined;
  getCallInfo = (): never => {
    throw new Error('not scripted');
  };
  getCallState = (): never => {
    throw new Error('not scripted');
  };
  shutdown = (): Promise<void> => this.shutdownResult;
  abandon = (): boolean => {
    this.abandoned++;
    return true;
  };
  loadedFrom = '';
  library = (): string => this.loadedFrom;
}

function nativeTimeout(fn: string, timeoutMs: number): Error {
  return Object.assign(new Error(`${fn} did not return within ${timeoutMs} ms`), { fn, code: 0, timeoutMs });
}

afterEach(() => {
  vi.useRealTimers();
  delete process.env.WILDIX_CTI_TAPI_DLL;
});

describe('NativeTelephonyPort: bounded lineClose / lineShutdown', () => {
  it('passes the bound to native/tapi and nothing about which DLL to load (WILDIX_CTI_TAPI_DLL is ignored)', async () => {
    process.env.WILDIX_CTI_TAPI_DLL = 'C:\\evil\\tapi32.dll';
    const native = scripted();
    const port = new NativeTelephonyPort({ native, closeTimeoutMs: 750 });
    await port.initialize('Wildix CTI');
    expect(native.created).toHaveLength(1);
    expect(typeof native.created[0]!.args[0]).toBe('function');
    expect(native.created[0]!.args.slice(1)).toEqual([{ closeTimeoutMs: 750 }]);
    expect(JSON.stringify(native.created[0]!.args)).not.toContain('evil');
  });

  it('tells onForeignLibrary once initialized where a tapi32.dll other than System32\'s came from, and nothing for System32\'s', async () => {
    const seen: string[] = [];
    const own = scripted();
    await new NativeTelephonyPort({ native: own, onForeignLibrary: (f) => seen.push(f) }).initialize('Wildix CTI');
    expect(seen).toEqual([]);
    const fake = scripted();
    fake.session.loadedFrom = 'Z:\\tests\\tapi32.dll (beside the program, under Wine)';
    await new NativeTelephonyPort({ native: fake, onForeignLibrary: (f) => seen.push(f) }).initialize('Wildix CTI');
    expect(seen).toEqual(['Z:\\tests\\tapi32.dll (beside the program, under Wine)']);
  });

  it('turns a native timeout of lineShutdown into TelephonyTimeoutError; a second shutdown() resolves', async () => {
    const native = scripted();
    native.session.shutdownResult = Promise.reject(nativeTimeout('lineShutdown', 2000));
    const port = new NativeTelephonyPort({ native });
    await port.initialize('Wildix CTI');
    const err = await port.shutdown().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TelephonyTimeoutError);
    expect(err).toMatchObject({ name: 'TelephonyTimeoutError', fn: 'lineShutdown', code: 0, timeoutMs: 2000, timedOut: true });
    expect(isTelephonyTimeout(err)).toBe(true);
    expect(native.session.abandoned).toBe(0);
    await expect(port.shutdown()).resolves.toBeUndefined();
    await expect(port.listLines()).rejects.toMatchObject({ fn: 'lineGetDevCapsW' });
  });

  it('ignores other failures of lineShutdown (the session is over either way)', async () => {
    const native = scripted();
    native.session.shutdownResult = Promise.reject(Object.assign(new Error('lineShutdown failed'), { fn: 'lineShutdown', code: 0x80000048 }));
    const port = new NativeTelephonyPort({ native });
    await port.initialize('Wildix CTI');
    await expect(port.shutdown()).resolves.toBeUndefined();
  });

  it('gives a TAPI thread up that does not answer shutdown() within the bound plus the slack', async () => {
    vi.useFakeTimers();
    const native = scripted();
    const port = new NativeTelephonyPort({ native, closeTimeoutMs: 500 });
    await port.initialize('Wildix CTI');
    const done = port.shutdown().catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(500 + CLOSE_SLACK_MS - 1);
    expect(native.session.abandoned).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    const err = await done;
    expect(err).toMatchObject({ name: 'TelephonyTimeoutError', fn: 'lineShutdown', timeoutMs: 500 + CLOSE_SLACK_MS });
    expect(native.session.abandoned).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('bounds closeLine the same way without giving the session up; a native lineClose timeout is typed too', async () => {
    vi.useFakeTimers();
    const native = scripted();
    const port = new NativeTelephonyPort({ native });
    await port.initialize('Wildix CTI');
    const hLine = await port.openLine(LINE.permanentId);
    const done = port.closeLine(hLine).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(DEFAULT_CLOSE_TIMEOUT_MS + CLOSE_SLACK_MS);
    expect(await done).toMatchObject({ name: 'TelephonyTimeoutError', fn: 'lineClose' });
    expect(native.session.abandoned).toBe(0);
    native.session.closeResult = Promise.reject(nativeTimeout('lineClose', 2000));
    expect(await port.closeLine(hLine).catch((e: unknown) => e)).toMatchObject({ name: 'TelephonyTimeoutError', fn: 'lineClose', timeoutMs: 2000 });
    native.session.closeResult = Promise.reject(Object.assign(new Error('x'), { fn: 'lineClose', code: 0x80000029 }));
    const other = await port.closeLine(hLine).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(TelephonyError);
    expect(other).not.toBeInstanceOf(TelephonyTimeoutError);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('recognises a timeout rebuilt from the port host wire format by its name', () => {
    const wire = Object.assign(new Error('lineShutdown did not return'), { name: 'TelephonyTimeoutError', fn: 'lineShutdown', timeoutMs: 2000 });
    expect(isTelephonyTimeout(wire)).toBe(true);
    expect(isTelephonyTimeout(new TelephonyError('lineShutdown', 0, 'x'))).toBe(false);
    expect(isTelephonyTimeout('timeout')).toBe(false);
  });
});

describe('FakeTapi: a TSP that hangs, like the native adapter', () => {
  it('rejects a hanging lineShutdown after closeTimeoutMs on its clock; no events, not recorded', async () => {
    const clock = new ManualClock();
    const fake = new FakeTapi({ clock, closeTimeoutMs: 1200 });
    fake.addLine('Wildix 201', '201');
    const seen: string[] = [];
    fake.port.onEvent((e) => seen.push(e.type));
    await fake.port.initialize('x');
    fake.hang('lineShutdown');
    let settled: unknown = 'pending';
    const done = fake.port.shutdown().then(
      () => 'resolved',
      (e: unknown) => e,
    );
    void done.then((v) => (settled = v));
    clock.advance(1199);
    await Promise.resolve();
    expect(settled).toBe('pending');
    clock.advance(1);
    const err = await done;
    expect(err).toMatchObject({ name: 'TelephonyTimeoutError', fn: 'lineShutdown', timeoutMs: 1200 });
    expect(fake.requests.map((r) => r.fn)).not.toContain('lineShutdown');
    fake.reinit();
    await fake.settle();
    expect(seen).toEqual([]);
    await expect(fake.port.shutdown()).resolves.toBeUndefined(); // idempotent, as the adapter
  });

  it('rejects a hanging lineClose after the bound; the line counts as closed, the next close works normally', async () => {
    const clock = new ManualClock();
    const fake = new FakeTapi({ clock });
    fake.addLine('Wildix 201', '201');
    const [line] = await fake.port.initialize('x');
    const hLine = await fake.port.openLine(line!.permanentId);
    fake.hang('lineClose');
    const done = fake.port.closeLine(hLine).catch((e: unknown) => e);
    clock.advance(2000);
    expect(await done).toMatchObject({ name: 'TelephonyTimeoutError', fn: 'lineClose', timeoutMs: 2000 });
    await expect(fake.port.closeLine(hLine)).rejects.toMatchObject({ fn: 'lineClose' }); // no longer open
    const again = await fake.port.openLine(line!.permanentId);
    await expect(fake.port.closeLine(again)).resolves.toBeUndefined();
    expect(fake.requests.filter((r) => r.fn === 'lineClose')).toHaveLength(1);
  });
});

describe('NativeTelephonyPort: events around initialize', () => {
  it('keeps what TAPI reports while it is being initialised (a LINE_CREATE, a REINIT) and passes it on, in order, once the caller has the lines', async () => {
    const native = scripted();
    native.session.initialize = async () => {
      native.session.onEvent({ type: 'lineAdded', deviceId: 1 });
      native.session.onEvent({ type: 'reinit' });
      return [LINE];
    };
    const port = new NativeTelephonyPort({ native });
    const seen: string[] = [];
    port.onEvent((e) => seen.push(e.type));
    await port.initialize('Wildix CTI');
    expect(seen).toEqual([]); // (not before the caller has the lines)
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['lineAdded', 'reinit']);
  });

  it('passes nothing on of a session that failed to initialise, nor of an earlier session', async () => {
    const sessions: Scripted[] = [];
    const native = {
      NativeTapiSession: function (this: unknown, onEvent: (e: NativeTapiEvent) => void) {
        const s = new Scripted();
        s.onEvent = onEvent;
        s.shutdownResult = Promise.resolve();
        if (sessions.length === 0) {
          // the first session: TAPI reports a line, then lineInitializeEx fails
          s.initialize = async () => {
            onEvent({ type: 'lineAdded', deviceId: 1 });
            throw Object.assign(new Error('no TAPI'), { fn: 'lineInitializeExW', code: 0x80000048 });
          };
        }
        sessions.push(s);
        return s;
      } as unknown as NativeTapi['NativeTapiSession'],
    };
    const port = new NativeTelephonyPort({ native });
    const seen: string[] = [];
    port.onEvent((e) => seen.push(`${e.type}${e.type === 'lineAdded' ? e.deviceId : ''}`));
    await expect(port.initialize('Wildix CTI')).rejects.toMatchObject({ fn: 'lineInitializeExW' });
    await port.initialize('Wildix CTI'); // a second session
    await port.shutdown();
    await port.initialize('Wildix CTI'); // a third
    expect(sessions).toHaveLength(3);
    sessions[0]!.onEvent({ type: 'lineAdded', deviceId: 2 });
    sessions[1]!.onEvent({ type: 'lineAdded', deviceId: 3 });
    sessions[2]!.onEvent({ type: 'lineAdded', deviceId: 4 });
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['lineAdded4']);
  });
});
