/**
 * In-memory DATEV + ROT: `port` is what the program uses (the fake of native/com), `driver` plays
 * DATEV Arbeitsplatz (calls Dial/Drop/GetCallData, records every notification with all 11 fields,
 * can be absent, restart, hang or be busy). HRESULT values are the ones COM would produce.
 *
 * Like the native adapter it runs notifications one after another on a fixed set of "threads", each
 * bounded by `notifyTimeoutMs` on the injected clock: a notification DATEV does not answer in time is
 * rejected with 'timeout', its thread stays stuck until DATEV answers (then `settled(ticket)` tells
 * the real outcome), and when every thread is stuck notifications are 'stalled'. DATEV itself handles
 * one call at a time, as an STA does. Dial's CallID is minted here, in the program's format.
 */
import { formatCallId, randomCallIdPart } from '../../src/calls/callIds';
import { DATEV_FIELDS, type DatevCallData, type RawCallData } from '../../src/datev/callData';
import {
  DatevError,
  type DatevHealth,
  type DatevPort,
  type DialAnswer,
  type DatevRequestHandlers,
  type Delivery,
  type NotificationMethod,
  type NotifyOptions,
  type SelfCheckResult,
} from '../../src/datev/port';
import { toRaw } from '../../src/datev/rawCallData';
import { systemClock, type Clock } from '../../src/util/clock';
import type { DatevDriver, RecordedNotification } from '../../contracts/harness';

export const S_OK = 0;
export const S_FALSE = 1;
export const E_INVALIDARG = 0x80070057;
export const E_FAIL = 0x80004005;
export const MK_E_UNAVAILABLE = 0x800401e3;
export const RPC_E_TIMEOUT = 0x8001011f;
export const RPC_E_DISCONNECTED = 0x80010108;

export interface FakeDatevOptions {
  /** DATEV running at creation (default true). */
  running?: boolean;
  /** Time source for the notification bound and DATEV's hangs (default: the system clock). */
  clock?: Clock;
  /** Bound of one notification (default 5000 ms), as the native adapter's watchdog. */
  notifyTimeoutMs?: number;
  /** Notification threads (default 4). */
  threads?: number;
  /**
   * The DATEV an earlier program (now gone: killed, crashed) talked to, still running: the same DATEV
   * (its `datevId`, what it received, whether it runs) for a new program. Default: a DATEV of its own.
   */
  continues?: FakeDatev;
  /** The random part of the CallIDs it mints for Dial, as the native adapter does (default: crypto random; tests pass a sequence to replay a day). */
  random?: () => number;
}

/** Each fake DATEV is another DATEV process (its ids never match another's). */
let datevProcesses = 0;

interface Job {
  ticket: number;
  method: NotificationMethod;
  data: DatevCallData;
  options: NotifyOptions;
  resolve(d: Delivery): void;
  reject(e: DatevError): void;
  timedOut: boolean;
}

type Slot = { use: 'idle' } | { use: 'busy' | 'stuck'; job: Job };

export class FakeDatev {
  readonly port: DatevPort;
  readonly driver: DatevDriver;
  /** Every notification DATEV received, in order (synchronous view for tests and the simulation). */
  readonly received: RecordedNotification[] = [];
  /** Listeners called for each received notification (simulation output). */
  private readonly listeners: ((n: RecordedNotification) => void)[] = [];
  private running: boolean;
  private generation = 1;
  /** This DATEV process's part of `Delivery.datevId` (the generation is the other). */
  private readonly processId: number;
  private absentSinceGeneration = false;
  private handlers: DatevRequestHandlers | undefined;
  private ctiBroken = false;
  private rebuilds = 0;
  private prefix = 'CTI';
  private dialAnswer: DialAnswer = 'checked';
  private readonly usedIds = new Set<string>();
  // DATEV's behaviour
  private failNext: number | undefined;
  private restartNext = false;
  private hangMs = 0;
  private hangCount = 0;
  private rejectCount = 0;
  private writeSyncIdNext: string | undefined;
  /** SyncIDs DATEV wrote into calls' objects, by CallID: the object (one per CallID, like the adapter's) keeps them. */
  private readonly syncIdsWritten = new Map<string, string>();
  private datevFreeAt = 0;
  // the adapter's notification threads
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly slots: Slot[];
  private readonly queue: Job[] = [];
  private nextTicket = 1;
  private timeouts = 0;
  private stalledCount = 0;
  private readonly late = new Map<number, { resolve(d: Delivery): void; reject(e: DatevError): void }>();
  private readonly lateResults = new Map<number, { ok: true; d: Delivery } | { ok: false; e: DatevError }>();
  private readonly healthListeners = new Set<(h: DatevHealth) => void>();
  private readonly objects = new Map<string, number>();
  private readonly random: () => number;

  constructor(options: FakeDatevOptions = {}) {
    const before = options.continues;
    this.running = before ? before.running : (options.running ?? true);
    this.processId = before ? before.processId : ++datevProcesses;
    if (before) {
      this.generation = before.generation;
      this.absentSinceGeneration = before.absentSinceGeneration;
      this.received.push(...before.received);
      for (const [id, object] of before.objects) this.objects.set(id, object);
    }
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? randomCallIdPart;
    this.timeoutMs = options.notifyTimeoutMs ?? 5000;
    this.slots = Array.from({ length: options.threads ?? 4 }, () => ({ use: 'idle' }) as Slot);
    this.port = {
      register: async (handlers) => {
        if (this.handlers) throw new DatevError('com', 'CTI object is already registered in the ROT', 0x8000000e);
        this.handlers = handlers;
      },
      revoke: async () => {
        this.handlers = undefined;
      },
      isPresent: async () => this.running,
      notify: (method, data, opts = {}) => this.submit(method, data, opts),
      settled: (ticket) => this.settled(ticket),
      setCallIdPrefix: (prefix) => {
        this.prefix = prefix.replace(/[^0-9A-Za-z]/g, '') || 'CTI';
      },
      setDialAnswer: (mode) => {
        this.dialAnswer = mode;
      },
      selfCheck: async () => this.selfCheck(),
      rebuild: async () => {
        this.rebuilds++;
        this.ctiBroken = false;
      },
      health: async () => this.health(),
      onHealthChange: (listener) => {
        this.healthListeners.add(listener);
        return () => this.healthListeners.delete(listener);
      },
    };
    this.driver = {
      start: async () => this.start(),
      stop: async () => this.stop(),
      isCtiRegistered: async () => this.handlers !== undefined,
      dial: async (data) => this.dial(data),
      drop: async (data) => {
        const h = this.handlers;
        if (!h) return { hresult: MK_E_UNAVAILABLE };
        try {
          h.drop(copyRaw(data));
        } catch {
          // Drop answers S_OK whatever the program makes of it
        }
        return { hresult: S_OK };
      },
      getCallData: async (callId) => this.getCallData(callId),
      notifications: async () => this.received.map((n) => ({ method: n.method, data: copyRaw(n.data), object: n.object })),
      failNextNotification: async (hresult) => {
        this.failNext = hresult;
      },
      restartDuringNextNotification: async () => {
        this.restartNext = true;
      },
      hangNotifications: async (ms, count) => {
        this.hangMs = ms;
        this.hangCount = count;
      },
      writeSyncIdDuringNextNotification: async (syncId) => {
        this.writeSyncIdNext = syncId;
      },
      rejectNotifications: async (count) => {
        this.rejectCount = count;
      },
      reread: async () => [...this.objects.entries()].map(([callId, object]) => ({ object, callId, readable: true })),
    };
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Which DATEV this is now, as `Delivery.datevId` names it (another one after a restart). */
  get datevId(): string {
    return `${this.processId}.${this.generation}`;
  }

  /** The CTI object stops answering (as after the RPC failure the self-check exists for) until rebuilt. */
  breakCtiObject(): void {
    this.ctiBroken = true;
  }

  get rebuildCount(): number {
    return this.rebuilds;
  }

  onNotification(listener: (n: RecordedNotification) => void): void {
    this.listeners.push(listener);
  }

  // ---------------------------------------------------------------- DATEV's life

  private start(): void {
    if (this.running) return;
    this.running = true;
    if (this.absentSinceGeneration) {
      this.generation++;
      this.absentSinceGeneration = false;
    }
  }

  private stop(): void {
    this.running = false;
    this.absentSinceGeneration = true;
  }

  // ---------------------------------------------------------------- notifications (the adapter's threads)

  private submit(method: NotificationMethod, data: DatevCallData, options: NotifyOptions): Promise<Delivery> {
    return new Promise<Delivery>((resolve, reject) => {
      this.queue.push({ ticket: this.nextTicket++, method, data: { ...data }, options, resolve, reject, timedOut: false });
      this.dispatch();
    });
  }

  private dispatch(): void {
    if (this.queue.length === 0 || this.slots.some((s) => s.use === 'busy')) return;
    const index = this.slots.findIndex((s) => s.use === 'idle');
    if (index < 0) {
      for (const job of this.queue.splice(0)) {
        this.stalledCount++;
        job.reject(new DatevError('stalled', 'not attempted: every notification thread still waits for DATEV (DATEV hangs)', RPC_E_TIMEOUT));
      }
      return;
    }
    const job = this.queue.shift()!;
    this.slots[index] = { use: 'busy', job };
    this.run(index, job);
  }

  /** DATEV takes one call at a time: this one starts when DATEV is free and takes its hang time. */
  private run(index: number, job: Job): void {
    if (!this.running) {
      // not in the ROT: the lookup fails at once, whatever a hung DATEV before it still holds
      queueMicrotask(() => this.finish(index, job));
      return;
    }
    const now = this.clock.now().getTime();
    const hang = this.hangCount > 0 ? (this.hangCount--, this.hangMs) : 0;
    const begins = Math.max(now, this.datevFreeAt);
    const done = begins + hang;
    this.datevFreeAt = done;
    const finish = (): void => this.finish(index, job);
    let cancelWatch: (() => void) | undefined;
    if (done - now > this.timeoutMs) {
      cancelWatch = this.clock.setTimeout(() => {
        if (this.slots[index]?.use !== 'busy') return;
        this.slots[index] = { use: 'stuck', job };
        job.timedOut = true;
        this.timeouts++;
        job.reject(new DatevError('timeout', `DATEV did not answer within ${this.timeoutMs} ms`, RPC_E_TIMEOUT, job.ticket));
        this.emitHealth();
        this.dispatch();
      }, this.timeoutMs);
    }
    // one call at a time: a job that could finish now still waits while DATEV is in another one (a hung
    // one whose end is due at this same moment finishes first: its timer is older)
    const othersIn = this.slots.some((slot, i) => i !== index && slot.use !== 'idle');
    if (done <= now && !othersIn) queueMicrotask(finish);
    else
      this.clock.setTimeout(() => {
        cancelWatch?.();
        finish();
      }, done - now);
  }

  private finish(index: number, job: Job): void {
    const outcome = this.deliver(job);
    const wasStuck = this.slots[index]?.use === 'stuck';
    this.slots[index] = { use: 'idle' };
    if (job.timedOut) this.settleLate(job.ticket, outcome);
    else if (outcome.ok) job.resolve(outcome.d);
    else job.reject(outcome.e);
    if (wasStuck) this.emitHealth();
    this.dispatch();
  }

  private deliver(job: Job): { ok: true; d: Delivery } | { ok: false; e: DatevError } {
    if (!this.running) return { ok: false, e: new DatevError('absent', 'DATEV is not running (not in the ROT)', MK_E_UNAVAILABLE) };
    if (this.restartNext) {
      // the call met the old DATEV, which went away; a new DATEV is already there for the retry
      this.restartNext = false;
      this.generation++;
    }
    if (job.options.generation !== undefined && job.options.generation !== 0 && job.options.generation !== this.generation) {
      return { ok: false, e: new DatevError('gone', `DATEV was restarted since this call was reported; ${job.method} not sent`, RPC_E_DISCONNECTED) };
    }
    if (job.options.datevId !== undefined && job.options.datevId !== this.datevId) {
      return { ok: false, e: new DatevError('gone', `DATEV is not the one this call was reported to; ${job.method} not sent`, RPC_E_DISCONNECTED) };
    }
    if (this.rejectCount > 0) this.rejectCount = 0; // busy: the adapter retries within its bound
    if (this.failNext !== undefined) {
      const hr = this.failNext;
      this.failNext = undefined;
      return { ok: false, e: new DatevError('com', `DATEV ${job.method} failed with HRESULT 0x${hr.toString(16).toUpperCase()}`, hr) };
    }
    const callId = job.data.CallID;
    let object = this.objects.get(callId);
    if (object === undefined) {
      object = this.objects.size;
      this.objects.set(callId, object);
    }
    const wrote = this.writeSyncIdNext;
    if (wrote !== undefined) {
      this.syncIdsWritten.set(callId, wrote);
      this.writeSyncIdNext = undefined;
    }
    const syncId = this.syncIdsWritten.get(callId);
    const data = syncId === undefined ? job.data : { ...job.data, SyncID: syncId };
    const n: RecordedNotification = { method: job.method, data: toRaw(data), object, ...(wrote !== undefined ? { wroteSyncId: wrote } : {}) };
    this.received.push(n);
    for (const l of this.listeners) l(n);
    return { ok: true, d: { generation: this.generation, datevId: this.datevId, ...(syncId !== undefined ? { syncId } : {}) } };
  }

  private settleLate(ticket: number, outcome: { ok: true; d: Delivery } | { ok: false; e: DatevError }): void {
    const waiter = this.late.get(ticket);
    if (!waiter) {
      this.lateResults.set(ticket, outcome);
      return;
    }
    this.late.delete(ticket);
    if (outcome.ok) waiter.resolve(outcome.d);
    else waiter.reject(outcome.e);
  }

  private settled(ticket: number): Promise<Delivery> {
    const early = this.lateResults.get(ticket);
    if (early) {
      this.lateResults.delete(ticket);
      return early.ok ? Promise.resolve(early.d) : Promise.reject(early.e);
    }
    return new Promise((resolve, reject) => this.late.set(ticket, { resolve, reject }));
  }

  private health(): DatevHealth {
    return {
      registered: this.handlers !== undefined,
      threads: this.slots.length,
      stuck: this.slots.filter((s) => s.use === 'stuck').length,
      timeouts: this.timeouts,
      stalled: this.stalledCount,
      rebuilds: this.rebuilds,
      requestsExpired: 0,
      lookupsAhead: 0,
    };
  }

  private emitHealth(): void {
    const h = this.health();
    for (const l of [...this.healthListeners]) l(h);
  }

  private selfCheck(): SelfCheckResult {
    if (!this.handlers) return { healthy: false, problem: 'missing', detail: 'no CTI object in the ROT', hresult: MK_E_UNAVAILABLE };
    if (this.ctiBroken) return { healthy: false, problem: 'timeout', detail: 'the CTI object does not answer', hresult: RPC_E_TIMEOUT };
    return { healthy: true, detail: 'the CTI object in the ROT answers' };
  }

  // ---------------------------------------------------------------- DATEV → program

  private async dial(data: RawCallData): Promise<{ hresult: number; callId: string }> {
    const h = this.handlers;
    if (!h) return { hresult: MK_E_UNAVAILABLE, callId: '' };
    if (this.ctiBroken) return { hresult: 0x800706ba, callId: '' }; // RPC_S_SERVER_UNAVAILABLE
    let callId = formatCallId(this.prefix, this.clock.now(), this.random());
    for (let i = 2; this.usedIds.has(callId); i++) callId = `${callId}-${i}`;
    this.usedIds.add(callId);
    if (this.dialAnswer === 'immediate') {
      // DATEV has its answer; the program decides afterwards (its error stays with the program)
      const copy = copyRaw(data);
      void Promise.resolve()
        .then(() => h.dial(copy, { callId, decided: true }))
        .catch(() => undefined);
      return { hresult: S_OK, callId };
    }
    try {
      await h.dial(copyRaw(data), { callId, decided: false });
      return { hresult: S_OK, callId };
    } catch {
      return { hresult: E_INVALIDARG, callId };
    }
  }

  private async getCallData(callId: string): Promise<{ hresult: number; data: RawCallData }> {
    const h = this.handlers;
    if (!h) return { hresult: MK_E_UNAVAILABLE, data: { CallID: callId } };
    try {
      const found = await h.getCallData({ CallID: callId });
      if (!found) return { hresult: S_FALSE, data: { CallID: callId } };
      return { hresult: S_OK, data: toRaw(found) };
    } catch {
      return { hresult: E_FAIL, data: { CallID: callId } };
    }
  }
}

function copyRaw(data: RawCallData): RawCallData {
  const out: RawCallData = {};
  for (const f of DATEV_FIELDS) {
    if (!(f in data)) continue;
    const v = data[f];
    out[f] = v instanceof Date ? new Date(v.getTime()) : v;
  }
  return out;
}
