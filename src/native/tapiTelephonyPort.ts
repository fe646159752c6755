/**
 * TelephonyPort on the real TAPI 2.x (native/tapi in wildix_cti.node). All tapi32 calls run on the
 * addon's TAPI thread; this class only validates arguments, maps permanent line ids to device ids and
 * turns native results into the port's types (TelephonyError for every failure).
 *
 * tapi32.dll is always Windows' own (System32); nothing in the environment can change that.
 * closeLine() and shutdown() are bounded (closeTimeoutMs in native/tapi, plus a last-resort timer
 * here for a TAPI thread stuck in another call): TelephonyTimeoutError instead of a hang.
 */
import {
  TelephonyError,
  TelephonyTimeoutError,
  type CallInfo,
  type LineInfo,
  type PartyId,
  type TelephonyEvent,
  type TelephonyListener,
  type TelephonyPort,
} from '../telephony/port';
import { callStateName, LINEERR, lineErrName, type CallStateName } from '../telephony/tapiConstants';
import { loadAddon } from './addon';

/** Default bound of lineClose / lineShutdown in native/tapi. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 2000;
/** Slack on top of it before this wrapper gives a silent TAPI thread up. */
export const CLOSE_SLACK_MS = 1000;

export interface NativeParty {
  flags: number;
  number: string;
  name: string;
}

export interface NativeCallInfo {
  hCall: number;
  hLine: number;
  callId: number;
  origin: number;
  reason: number;
  addressId: number;
  caller: NativeParty;
  called: NativeParty;
  connected: NativeParty;
  redirecting: NativeParty;
}

export interface NativeLine {
  deviceId: number;
  permanentId: number;
  name: string;
  provider: string;
  apiVersion: number;
  addresses: { addressId: number; address: string }[];
}

/** Events as native/tapi reports them (call states as LINECALLSTATE_* numbers). */
export type NativeTapiEvent =
  | { type: 'newCall'; hLine: number; hCall: number; addressId: number; privilege: number; info?: NativeCallInfo }
  | { type: 'callState'; hCall: number; state: number; mode: number; privilege: number }
  | { type: 'callInfo'; hCall: number; changed: number; info: NativeCallInfo }
  | { type: 'reply'; requestId: number; result: number; hCall?: number }
  | { type: 'lineClosed'; hLine: number }
  | { type: 'lineState'; hLine: number; state: number }
  | { type: 'reinit' }
  | { type: 'lineAdded'; deviceId: number }
  | { type: 'lineRemoved'; deviceId: number };

/** One TAPI thread in the addon. Rejections carry `fn` and `code` (LINEERR_*, or 0). */
export interface NativeTapiSession {
  initialize(appName: string): Promise<NativeLine[]>;
  listLines(): Promise<NativeLine[]>;
  openLine(deviceId: number, apiVersion: number): Promise<number>;
  closeLine(hLine: number): Promise<void>;
  makeCall(hLine: number, destination: string): Promise<number>;
  answer(hCall: number): Promise<number>;
  drop(hCall: number): Promise<number>;
  deallocate(hCall: number): Promise<void>;
  getCallInfo(hCall: number): Promise<NativeCallInfo>;
  /** lineGetCallStatus: the call's LINECALLSTATE_* value now. */
  getCallState(hCall: number): Promise<number>;
  /**
   * lineShutdown (bounded: rejects with `timeoutMs` set when the TSP hangs); the thread ends, later
   * calls reject with LINEERR_UNINITIALIZED.
   */
  shutdown(): Promise<void>;
  /**
   * Gives the TAPI thread up (it does not answer): pending promises reject with `timeoutMs`, no event
   * comes any more. false when there was none.
   */
  abandon(): boolean;
  /** Where the loaded tapi32.dll came from: "" for Windows' own from System32, else its path and why. */
  library(): string;
}

export interface NativeTapiSessionOptions {
  /** Bound of lineClose and lineShutdown (1..60000 ms, default 2000). */
  closeTimeoutMs?: number;
}

/** The `tapi` object of wildix_cti.node. */
export interface NativeTapi {
  NativeTapiSession: new (onEvent: (event: NativeTapiEvent) => void, options?: NativeTapiSessionOptions) => NativeTapiSession;
}

export interface NativeTelephonyPortOptions {
  /** The addon's tapi module; default: loadAddon().tapi. */
  native?: NativeTapi;
  /** Bound of lineClose and lineShutdown in ms (default 2000); the promises settle within it plus 1 s. */
  closeTimeoutMs?: number;
  /** Receives errors thrown by event listeners (default: ignored, a listener cannot break TAPI). */
  onListenerError?: (error: unknown) => void;
  /**
   * Told once TAPI is initialized when its tapi32.dll is not Windows' own from System32 (a test double:
   * TAPI_DLL, or under Wine one beside the addon or exe).
   */
  onForeignLibrary?: (from: string) => void;
}

function toTelephonyError(err: unknown, fallbackFn: string): TelephonyError {
  if (err instanceof TelephonyError) return err;
  const e = err as { fn?: unknown; code?: unknown; message?: unknown; timeoutMs?: unknown } | undefined;
  if (typeof e?.timeoutMs === 'number') {
    const fn = typeof e.fn === 'string' && e.fn !== 'abandon' ? e.fn : fallbackFn;
    return new TelephonyTimeoutError(fn, e.timeoutMs);
  }
  const fn = typeof e?.fn === 'string' ? e.fn : fallbackFn;
  const code = typeof e?.code === 'number' ? e.code >>> 0 : 0;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return new TelephonyError(fn, code, message);
}

function party(p: NativeParty): PartyId {
  return { flags: p.flags >>> 0, number: p.number, name: p.name };
}

function callInfo(i: NativeCallInfo): CallInfo {
  return {
    hCall: i.hCall,
    hLine: i.hLine,
    callId: i.callId,
    origin: i.origin,
    reason: i.reason,
    caller: party(i.caller),
    called: party(i.called),
    connected: party(i.connected),
    redirecting: party(i.redirecting),
  };
}

function lineInfo(l: NativeLine): LineInfo {
  return {
    deviceId: l.deviceId,
    permanentId: l.permanentId,
    name: l.name,
    provider: l.provider,
    apiVersion: l.apiVersion,
    addresses: l.addresses.map((a) => ({ addressId: a.addressId, address: a.address })),
  };
}

function toEvent(e: NativeTapiEvent): TelephonyEvent {
  switch (e.type) {
    case 'callState':
      return { type: 'callState', hCall: e.hCall, state: callStateName(e.state), mode: e.mode, privilege: e.privilege };
    case 'callInfo':
      return { type: 'callInfo', hCall: e.hCall, changed: e.changed, info: callInfo(e.info) };
    case 'newCall': {
      const { info, ...rest } = e;
      return info === undefined ? rest : { ...rest, info: callInfo(info) };
    }
    case 'reply':
      return e.hCall === undefined
        ? { type: 'reply', requestId: e.requestId, result: e.result >>> 0 }
        : { type: 'reply', requestId: e.requestId, result: e.result >>> 0, hCall: e.hCall };
    default:
      return e;
  }
}

/** A TAPI handle: an integer in 1..0xFFFFFFFF. */
function isHandle(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 0xffffffff;
}

function fail(fn: string, code: number, detail: string): TelephonyError {
  return new TelephonyError(fn, code >>> 0, `${fn} failed: ${lineErrName(code)} (${detail})`);
}

export class NativeTelephonyPort implements TelephonyPort {
  private session: NativeTapiSession | undefined;
  private lines: LineInfo[] = [];
  private readonly listeners = new Set<TelephonyListener>();

  constructor(private readonly options: NativeTelephonyPortOptions = {}) {}

  async initialize(appName: string): Promise<LineInfo[]> {
    if (typeof appName !== 'string' || appName === '') {
      throw fail('lineInitializeExW', LINEERR.INVALPARAM!, 'the application name must be a non-empty string');
    }
    if (this.session) return this.listLines();
    const native = this.options.native ?? (loadAddon().tapi as unknown as NativeTapi);
    // TAPI may report something while lineInitializeEx and the caps are still being read (a LINE_CREATE, a
    // REINIT): kept, and passed on once the caller has the lines — not dropped
    let early: NativeTapiEvent[] | undefined = [];
    const session: NativeTapiSession = new native.NativeTapiSession((e) => (early ? early.push(e) : this.emit(session, e)), { closeTimeoutMs: this.closeTimeoutMs });
    try {
      const lines = await session.initialize(appName);
      this.session = session;
      const from = session.library();
      if (from !== '') this.options.onForeignLibrary?.(from);
      this.lines = lines.map(lineInfo);
      const kept = early;
      early = undefined;
      if (kept.length > 0) setImmediate(() => kept.forEach((e) => this.emit(session, e)));
      return this.lines.map((l) => ({ ...l, addresses: [...l.addresses] }));
    } catch (err) {
      early = undefined;
      await this.bounded('lineShutdown', session.shutdown(), () => session.abandon()).catch(() => undefined);
      throw toTelephonyError(err, 'lineInitializeExW');
    }
  }

  private get closeTimeoutMs(): number {
    return this.options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
  }

  /**
   * `op`, or a TelephonyTimeoutError when it has not settled closeTimeoutMs + 1 s from now (the TAPI
   * thread is stuck in some other call); `onTimeout` then gives the thread up.
   */
  private bounded<T>(fn: string, op: Promise<T>, onTimeout?: () => void): Promise<T> {
    const ms = this.closeTimeoutMs + CLOSE_SLACK_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        onTimeout?.();
        reject(new TelephonyTimeoutError(fn, ms));
      }, ms);
    });
    return Promise.race([op.catch((err: unknown) => Promise.reject(toTelephonyError(err, fn))), expired]).finally(() =>
      clearTimeout(timer),
    );
  }

  async listLines(): Promise<LineInfo[]> {
    const session = this.require('lineGetDevCapsW');
    try {
      this.lines = (await session.listLines()).map(lineInfo);
    } catch (err) {
      throw toTelephonyError(err, 'lineGetDevCapsW');
    }
    return this.lines.map((l) => ({ ...l, addresses: [...l.addresses] }));
  }

  async openLine(permanentId: number): Promise<number> {
    const session = this.require('lineOpenW');
    if (typeof permanentId !== 'number' || !Number.isInteger(permanentId)) {
      throw fail('lineOpenW', LINEERR.BADDEVICEID!, `permanent line id must be an integer, got ${String(permanentId)}`);
    }
    let line = this.lines.find((l) => l.permanentId === permanentId);
    if (!line) {
      await this.listLines();
      line = this.lines.find((l) => l.permanentId === permanentId);
    }
    if (!line) throw fail('lineOpenW', LINEERR.BADDEVICEID!, `no line with permanent id ${permanentId}`);
    if (line.apiVersion === 0) {
      throw fail('lineOpenW', LINEERR.INCOMPATIBLEAPIVERSION!, `line "${line.name}" does not support TAPI 2.x`);
    }
    return this.call('lineOpenW', () => session.openLine(line.deviceId, line.apiVersion));
  }

  async closeLine(hLine: number): Promise<void> {
    const session = this.require('lineClose');
    if (!isHandle(hLine)) throw fail('lineClose', LINEERR.INVALLINEHANDLE!, `bad line handle ${String(hLine)}`);
    await this.bounded('lineClose', session.closeLine(hLine));
  }

  async makeCall(hLine: number, destination: string): Promise<number> {
    const session = this.require('lineMakeCallW');
    if (!isHandle(hLine)) throw fail('lineMakeCallW', LINEERR.INVALLINEHANDLE!, `bad line handle ${String(hLine)}`);
    if (typeof destination !== 'string' || destination.trim() === '') {
      throw fail('lineMakeCallW', LINEERR.INVALADDRESS!, 'the destination must be a non-empty string');
    }
    return this.call('lineMakeCallW', () => session.makeCall(hLine, destination));
  }

  async answer(hCall: number): Promise<number> {
    const session = this.require('lineAnswer');
    if (!isHandle(hCall)) throw fail('lineAnswer', LINEERR.INVALCALLHANDLE!, `bad call handle ${String(hCall)}`);
    return this.call('lineAnswer', () => session.answer(hCall));
  }

  async drop(hCall: number): Promise<number> {
    const session = this.require('lineDrop');
    if (!isHandle(hCall)) throw fail('lineDrop', LINEERR.INVALCALLHANDLE!, `bad call handle ${String(hCall)}`);
    return this.call('lineDrop', () => session.drop(hCall));
  }

  async deallocate(hCall: number): Promise<void> {
    const session = this.require('lineDeallocateCall');
    if (!isHandle(hCall)) throw fail('lineDeallocateCall', LINEERR.INVALCALLHANDLE!, `bad call handle ${String(hCall)}`);
    await this.call('lineDeallocateCall', () => session.deallocate(hCall));
  }

  async getCallInfo(hCall: number): Promise<CallInfo> {
    const session = this.require('lineGetCallInfoW');
    if (!isHandle(hCall)) throw fail('lineGetCallInfoW', LINEERR.INVALCALLHANDLE!, `bad call handle ${String(hCall)}`);
    return callInfo(await this.call('lineGetCallInfoW', () => session.getCallInfo(hCall)));
  }

  async getCallState(hCall: number): Promise<CallStateName> {
    const session = this.require('lineGetCallStatus');
    if (!isHandle(hCall)) throw fail('lineGetCallStatus', LINEERR.INVALCALLHANDLE!, `bad call handle ${String(hCall)}`);
    return callStateName(await this.call('lineGetCallStatus', () => session.getCallState(hCall)));
  }

  /** Rejects only with TelephonyTimeoutError (a hanging TSP); the session is over either way. */
  async shutdown(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    this.lines = [];
    if (!session) return;
    try {
      await this.bounded('lineShutdown', session.shutdown(), () => session.abandon());
    } catch (err) {
      if (err instanceof TelephonyTimeoutError) throw err;
      // any other failure of lineShutdown: the session is gone all the same
    }
  }

  onEvent(listener: TelephonyListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private require(fn: string): NativeTapiSession {
    if (!this.session) throw fail(fn, LINEERR.UNINITIALIZED!, 'TAPI is not initialized');
    return this.session;
  }

  private async call<T>(fn: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw toTelephonyError(err, fn);
    }
  }

  private emit(from: NativeTapiSession, native: NativeTapiEvent): void {
    if (this.session !== from) return; // no events after shutdown, nor of an earlier session
    const event = toEvent(native);
    if (event.type === 'lineRemoved') this.lines = this.lines.filter((l) => l.deviceId !== event.deviceId);
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.options.onListenerError?.(err);
      }
    }
  }
}
