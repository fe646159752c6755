/**
 * DatevPort over the native COM/ROT bridge (native/com, exported as addon.com). The addon owns the
 * COM threads, the CTI object in the ROT and the calls into DATEV; this class turns DATEV's requests
 * into handler calls and the addon's failures into DatevError.
 */
import type { DatevCallData, RawCallData } from '../datev/callData';
import { guarded } from './guard';
import {
  DatevError,
  NOTIFICATION_METHODS,
  type DatevErrorCode,
  type DatevHealth,
  type DatevPort,
  type DialAnswer,
  type DatevRequestHandlers,
  type Delivery,
  type NotificationMethod,
  type NotifyOptions,
  type SelfCheckResult,
} from '../datev/port';

/** A request DATEV made on the CTI object. */
export interface NativeDatevRequest {
  type: 'request';
  /** 0: no answer expected (Drop); else claim(id) and answer(id, …). */
  id: number;
  kind: 'dial' | 'drop' | 'getCallData';
  /** The fields the adapter read from DATEV's object (Dial: SyncID, contact, CalledNumber; else CallID). */
  data: RawCallData;
  /** Dial: the CallID the adapter minted and wrote into DATEV's object. */
  callId?: string;
}

export interface NativeDatevLog {
  type: 'log';
  level: 'info' | 'warn' | 'error';
  message: string;
}

/** The real outcome of a notification that was settled with "timeout" before. */
export interface NativeLateResult {
  type: 'late';
  ticket: number;
  code: 'ok' | DatevErrorCode;
  hresult: number;
  message: string;
  generation: number;
  /** Which DATEV took it, across processes ("" when not known; see Delivery.datevId). */
  datevId: string;
  syncId?: string;
  datevRead?: string;
}

export interface NativePoolHealth {
  size: number;
  started: number;
  busy: number;
  stuck: number;
  queued: number;
  timeouts: number;
  stalled: number;
}

export interface NativeBridgeHealth {
  notify: NativePoolHealth;
  probe: NativePoolHealth;
  registered: boolean;
  rebuilds: number;
  generation: number;
  requestsExpired: number;
  lookupsAhead: number;
}

export type NativeComEvent = NativeDatevRequest | NativeDatevLog | NativeLateResult | ({ type: 'health' } & NativeBridgeHealth);

export type NativeAnswer = { ok: true; found?: boolean; data?: DatevCallData } | { ok: false; error: string };

/** Outcome of the type-library check made at the first register() of the process. */
export interface TypeLibStatus {
  /** unchecked: no register() yet; present: DATEV's (or an earlier) registration works;
   *  registered: the program registered its own library for the current user; failed: not marshalable. */
  state: 'unchecked' | 'present' | 'registered' | 'failed';
  detail: string;
  /** The .tlb the program wrote (registered/failed), else ''. */
  path: string;
  /** Unsigned HRESULT of the last failing step, 0 when none. */
  hresult: number;
}

export interface NativeBridgeOptions {
  /** How long DATEV's call waits for the program to take a request over (default 40 ms). */
  claimMs?: number;
  /** How long a request the program took waits for its answer (default 3000 ms). */
  requestTimeoutMs?: number;
  /** Bound of one notification into DATEV (default 5000 ms). */
  notifyTimeoutMs?: number;
  /** A call's data object lives this long after the call's last notification (default 60000 ms). */
  graceMs?: number;
  /** Bound of a presence check or self-check (default 5000 ms). */
  probeTimeoutMs?: number;
  /** Notification threads (default 4). */
  notifyThreads?: number;
  /** Folder for the program's own type library (default %LOCALAPPDATA%\Wildix\DatevCti). */
  typeLibDir?: string;
  /** How Dial is answered (default 'checked'). */
  dialAnswer?: DialAnswer;
  /**
   * An incoming call's NewCall uses the ROT lookup made when the call appeared on the line if it is at
   * most this old (default 500 ms); 0: every notification looks DATEV up itself.
   */
  lookAheadMs?: number;
}

export interface NativeNotifyResult {
  ticket: number;
  generation: number;
  datevId: string;
  /** Set only when DATEV wrote the call's SyncID (Delivery.syncId). */
  syncId?: string;
  datevRead?: string;
}

/** The Delivery of a notification the native bridge reports taken. */
function delivery(r: { generation: number; datevId?: string; syncId?: string; datevRead?: string }): Delivery {
  return {
    generation: r.generation,
    datevId: r.datevId ?? '',
    ...(typeof r.syncId === 'string' ? { syncId: r.syncId } : {}),
    ...(typeof r.datevRead === 'string' && r.datevRead !== '' ? { datevRead: r.datevRead } : {}),
  };
}

export interface NativeSelfCheck {
  healthy: boolean;
  code: string;
  hresult: number;
  message: string;
}

export interface NativeDatevBridge {
  register(): Promise<void>;
  revoke(): Promise<void>;
  isPresent(): Promise<boolean>;
  notify(method: string, data: DatevCallData, options: { last: boolean; generation: number; datevId?: string }): Promise<NativeNotifyResult>;
  selfCheck(): Promise<NativeSelfCheck>;
  rebuild(): Promise<void>;
  claim(id: number): boolean;
  answer(id: number, result: NativeAnswer): void;
  setCallIdPrefix(prefix: string): void;
  configure(options: Pick<NativeBridgeOptions, 'claimMs' | 'requestTimeoutMs' | 'notifyTimeoutMs' | 'probeTimeoutMs' | 'dialAnswer' | 'lookAheadMs'>): void;
  health(): NativeBridgeHealth | null;
  /** Revokes and ends the COM threads; the bridge cannot be used afterwards. */
  close(): Promise<void>;
}

/** The typed surface of `addon.com`. */
export interface NativeComModule {
  DatevBridge: new (options: NativeBridgeOptions, onEvent: (event: NativeComEvent) => void) => NativeDatevBridge;
  typeLibStatus(): TypeLibStatus;
}

export interface NativeDatevPortOptions extends NativeBridgeOptions {
  /** Where the adapter's log lines go (default: stderr). */
  log?: (level: NativeDatevLog['level'], message: string) => void;
}

const ERROR_CODES: readonly DatevErrorCode[] = ['absent', 'gone', 'timeout', 'stalled', 'com', 'not-registered', 'shutdown'];
/** E_ILLEGAL_METHOD_CALL: what the addon answers to a second registration. */
const ALREADY_REGISTERED = 0x8000000e;
/** Late results kept for a ticket nobody asked about yet (the rejection may be handled after the event). */
const UNCLAIMED_LATE_LIMIT = 64;
/** DATEV requests kept while the program starts (registered early, handlers not there yet). */
const EARLY_REQUEST_LIMIT = 32;

export function toDatevError(err: unknown): DatevError {
  if (err instanceof DatevError) return err;
  const e = err as { code?: unknown; hresult?: unknown; message?: unknown; ticket?: unknown } | null | undefined;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const code = ERROR_CODES.find((c) => c === e?.code) ?? 'com';
  const hresult = typeof e?.hresult === 'number' ? e.hresult >>> 0 : undefined;
  const ticket = code === 'timeout' && typeof e?.ticket === 'number' ? e.ticket : undefined;
  return new DatevError(code, message, hresult, ticket);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function toHealth(h: NativeBridgeHealth | null): DatevHealth {
  if (!h) return { registered: false, threads: 0, stuck: 0, timeouts: 0, stalled: 0, rebuilds: 0, requestsExpired: 0, lookupsAhead: 0 };
  return {
    registered: h.registered,
    threads: h.notify.size,
    stuck: h.notify.stuck,
    timeouts: h.notify.timeouts,
    stalled: h.notify.stalled,
    rebuilds: h.rebuilds,
    requestsExpired: h.requestsExpired,
    lookupsAhead: h.lookupsAhead,
  };
}

type LateWaiter = { resolve(d: Delivery): void; reject(e: DatevError): void };

export class NativeDatevPort implements DatevPort {
  private readonly bridge: NativeDatevBridge;
  private log: (level: NativeDatevLog['level'], message: string) => void;
  private handlers: DatevRequestHandlers | undefined;
  /** Registered before the program had its handlers (start-up): requests wait here, unclaimed. */
  private early: NativeDatevRequest[] | undefined;
  private readonly lateWaiters = new Map<number, LateWaiter>();
  private readonly lateResults = new Map<number, NativeLateResult>();
  private readonly healthListeners = new Set<(h: DatevHealth) => void>();

  constructor(
    private readonly com: NativeComModule,
    options: NativeDatevPortOptions = {},
  ) {
    this.log = options.log ?? ((level, message) => process.stderr.write(`[datev-com ${level}] ${message}\n`));
    const { log: _ignored, ...bridgeOptions } = options;
    this.bridge = new com.DatevBridge(bridgeOptions, guarded('DATEV bridge', (event: NativeComEvent) => this.onEvent(event), (m) => this.log('error', m)));
  }

  /**
   * Start-up: puts the CTI object into the ROT before the program has loaded the rest of itself. Until
   * register(handlers) DATEV's requests are not taken: the adapter answers Dial with its own CallID
   * (and GetCallData from what DATEV was told), and the requests are handed over at register() —
   * Dial as already decided, Drop as it came.
   */
  async registerEarly(): Promise<void> {
    if (this.handlers || this.early) throw new DatevError('com', 'the CTI object is already registered in the ROT', ALREADY_REGISTERED);
    this.early = [];
    try {
      await this.bridge.register();
    } catch (err) {
      this.early = undefined;
      throw toDatevError(err);
    }
  }

  /** New bounds for the adapter (the program registers early, before it has read its settings). */
  configure(options: Pick<NativeBridgeOptions, 'claimMs' | 'requestTimeoutMs' | 'notifyTimeoutMs' | 'probeTimeoutMs' | 'dialAnswer' | 'lookAheadMs'>): void {
    this.bridge.configure(options);
  }

  /** Where the adapter's log lines go from now on. */
  setLog(log: (level: NativeDatevLog['level'], message: string) => void): void {
    this.log = log;
  }

  async register(handlers: DatevRequestHandlers): Promise<void> {
    if (this.handlers) {
      throw new DatevError('com', 'the CTI object is already registered in the ROT', ALREADY_REGISTERED);
    }
    const early = this.early;
    if (early) {
      this.early = undefined;
      this.handlers = handlers;
      for (const r of early) void this.answer(handlers, r, false);
      return;
    }
    this.handlers = handlers;
    try {
      await this.bridge.register();
    } catch (err) {
      this.handlers = undefined;
      throw toDatevError(err);
    }
  }

  async revoke(): Promise<void> {
    this.handlers = undefined;
    this.early = undefined;
    await this.bridge.revoke();
  }

  async isPresent(): Promise<boolean> {
    try {
      return await this.bridge.isPresent();
    } catch (err) {
      this.log('warn', `isPresent: ${errorText(err)}`);
      return false;
    }
  }

  async notify(method: NotificationMethod, data: DatevCallData, options: NotifyOptions = {}): Promise<Delivery> {
    if (!NOTIFICATION_METHODS.includes(method)) {
      throw new DatevError('com', `unknown DATEV notification ${String(method)}`);
    }
    try {
      const r = await this.bridge.notify(method, data, {
        last: options.last ?? false,
        generation: options.generation ?? 0,
        ...(options.datevId !== undefined ? { datevId: options.datevId } : {}),
      });
      return delivery(r);
    } catch (err) {
      throw toDatevError(err);
    }
  }

  settled(ticket: number): Promise<Delivery> {
    const early = this.lateResults.get(ticket);
    if (early) {
      this.lateResults.delete(ticket);
      return early.code === 'ok' ? Promise.resolve(delivery(early)) : Promise.reject(lateError(early));
    }
    return new Promise<Delivery>((resolve, reject) => this.lateWaiters.set(ticket, { resolve, reject }));
  }

  setCallIdPrefix(prefix: string): void {
    this.bridge.setCallIdPrefix(prefix);
  }

  setDialAnswer(mode: DialAnswer): void {
    this.bridge.configure({ dialAnswer: mode });
  }

  async selfCheck(): Promise<SelfCheckResult> {
    try {
      const r = await this.bridge.selfCheck();
      if (r.healthy) return { healthy: true, detail: 'the CTI object in the ROT answers' };
      const problem: SelfCheckResult['problem'] =
        r.code === 'timeout' ? 'timeout' : r.code === 'other' ? 'not-ours' : r.hresult === 0x800401e3 ? 'missing' : 'com';
      return { healthy: false, problem, detail: r.message, hresult: r.hresult };
    } catch (err) {
      return { healthy: false, problem: 'com', detail: errorText(err) };
    }
  }

  async rebuild(): Promise<void> {
    try {
      await this.bridge.rebuild();
    } catch (err) {
      throw toDatevError(err);
    }
  }

  async health(): Promise<DatevHealth> {
    return toHealth(this.bridge.health());
  }

  onHealthChange(listener: (health: DatevHealth) => void): () => void {
    this.healthListeners.add(listener);
    return () => this.healthListeners.delete(listener);
  }

  /** What the type-library check at register() found and did (for --diagnose). */
  typeLibStatus(): TypeLibStatus {
    return this.com.typeLibStatus();
  }

  /** Revoke and end the COM threads (program exit). */
  async close(): Promise<void> {
    this.handlers = undefined;
    await this.bridge.close();
    for (const w of this.lateWaiters.values()) w.reject(new DatevError('shutdown', 'the DATEV bridge was closed'));
    this.lateWaiters.clear();
  }

  private onEvent(event: NativeComEvent): void {
    switch (event.type) {
      case 'log':
        this.log(event.level, event.message);
        return;
      case 'late':
        this.onLate(event);
        return;
      case 'health': {
        const h = toHealth(event);
        for (const l of [...this.healthListeners]) l(h);
        return;
      }
      case 'request':
        this.onRequest(event);
        return;
    }
  }

  private onLate(event: NativeLateResult): void {
    const waiter = this.lateWaiters.get(event.ticket);
    if (!waiter) {
      this.lateResults.set(event.ticket, event);
      if (this.lateResults.size > UNCLAIMED_LATE_LIMIT) this.lateResults.delete(this.lateResults.keys().next().value as number);
      return;
    }
    this.lateWaiters.delete(event.ticket);
    if (event.code === 'ok') waiter.resolve(delivery(event));
    else waiter.reject(lateError(event));
  }

  private onRequest(request: NativeDatevRequest): void {
    if (this.early) {
      // not taken: DATEV gets the adapter's own answer; the program learns of it when it is ready
      if (request.kind !== 'getCallData' && this.early.length < EARLY_REQUEST_LIMIT) this.early.push(request);
      return;
    }
    const h = this.handlers;
    // Taken at once, synchronously: from now on DATEV's call waits for this answer (bounded natively).
    const claimed = request.id !== 0 && this.bridge.claim(request.id);
    if (request.kind === 'getCallData' && !claimed) return; // DATEV was answered from what it was last told
    if (!h) {
      if (claimed) this.bridge.answer(request.id, { ok: false, error: 'the CTI object is not registered' });
      return;
    }
    void this.answer(h, request, claimed).then(
      (result) => {
        if (claimed) this.bridge.answer(request.id, result);
      },
      // answer() never rejects; this only guards against a broken bridge
      (err: unknown) => this.log('error', `${request.kind}: ${errorText(err)}`),
    );
  }

  private async answer(h: DatevRequestHandlers, request: NativeDatevRequest, claimed: boolean): Promise<NativeAnswer> {
    try {
      switch (request.kind) {
        case 'dial': {
          if (!request.callId) return { ok: false, error: 'the adapter minted no CallID' };
          await h.dial(request.data, { callId: request.callId, decided: !claimed });
          return { ok: true };
        }
        case 'drop':
          await h.drop(request.data);
          return { ok: true };
        case 'getCallData': {
          const data = await h.getCallData(request.data);
          return data ? { ok: true, found: true, data } : { ok: true, found: false };
        }
      }
    } catch (err) {
      if (!claimed) this.log('warn', `${request.kind} after DATEV had its answer: ${errorText(err)}`);
      return { ok: false, error: errorText(err) };
    }
    return { ok: false, error: `unknown request ${String((request as { kind: unknown }).kind)}` };
  }
}

function lateError(e: NativeLateResult): DatevError {
  const code = ERROR_CODES.find((c) => c === e.code) ?? 'com';
  return new DatevError(code, e.message, e.hresult >>> 0);
}
