/**
 * In-memory DATEV + ROT: `port` is what the program uses (the fake of native/com), `driver` plays
 * DATEV Arbeitsplatz (calls Dial/Drop/GetCallData, records every notification with all 11 fields,
 * can be absent). HRESULT values are the ones COM would produce.
 */
import { DATEV_FIELDS, type DatevCallData, type RawCallData } from '../../src/datev/callData';
import {
  DatevError,
  type DatevPort,
  type DatevRequestHandlers,
  type NotificationMethod,
} from '../../src/datev/port';
import { toRaw } from '../../src/datev/rawCallData';
import type { DatevDriver, RecordedNotification } from '../../contracts/harness';

export const S_OK = 0;
export const S_FALSE = 1;
export const E_INVALIDARG = 0x80070057;
export const E_FAIL = 0x80004005;
export const MK_E_UNAVAILABLE = 0x800401e3;
export const RPC_E_TIMEOUT = 0x8001011f;

export interface FakeDatevOptions {
  /** DATEV running at creation (default true). */
  running?: boolean;
  /** How long DATEV's call into the program may wait for a handler (default 3000 ms). */
  handlerTimeoutMs?: number;
}

export class FakeDatev {
  readonly port: DatevPort;
  readonly driver: DatevDriver;
  /** Every notification DATEV received, in order (synchronous view for tests and the simulation). */
  readonly received: RecordedNotification[] = [];
  /** Listeners called for each received notification (simulation output). */
  private readonly listeners: ((n: RecordedNotification) => void)[] = [];
  private running: boolean;
  private handlers: DatevRequestHandlers | undefined;
  private failNext: number | undefined;
  private readonly handlerTimeoutMs: number;

  constructor(options: FakeDatevOptions = {}) {
    this.running = options.running ?? true;
    this.handlerTimeoutMs = options.handlerTimeoutMs ?? 3000;
    this.port = {
      register: async (handlers) => {
        if (this.handlers) throw new DatevError('com', 'CTI object is already registered in the ROT', 0x800401e7);
        this.handlers = handlers;
      },
      revoke: async () => {
        this.handlers = undefined;
      },
      isPresent: async () => this.running,
      notify: async (method, data) => this.deliver(method, data),
    };
    this.driver = {
      start: async () => {
        this.running = true;
      },
      stop: async () => {
        this.running = false;
      },
      isCtiRegistered: async () => this.handlers !== undefined,
      dial: async (data) => this.dial(data),
      drop: async (data) => {
        const h = this.handlers;
        if (!h) return { hresult: MK_E_UNAVAILABLE };
        try {
          h.drop(copyRaw(data));
          return { hresult: S_OK };
        } catch {
          return { hresult: E_INVALIDARG };
        }
      },
      getCallData: async (callId) => this.getCallData(callId),
      notifications: async () => this.received.map((n) => ({ method: n.method, data: copyRaw(n.data) })),
      failNextNotification: async (hresult) => {
        this.failNext = hresult;
      },
    };
  }

  get isRunning(): boolean {
    return this.running;
  }

  onNotification(listener: (n: RecordedNotification) => void): void {
    this.listeners.push(listener);
  }

  private async deliver(method: NotificationMethod, data: DatevCallData): Promise<void> {
    if (!this.running) throw new DatevError('absent', 'DATEV is not running (not in the ROT)', MK_E_UNAVAILABLE);
    if (this.failNext !== undefined) {
      const hr = this.failNext;
      this.failNext = undefined;
      throw new DatevError('com', `DATEV ${method} failed with HRESULT 0x${hr.toString(16).toUpperCase()}`, hr);
    }
    const n: RecordedNotification = { method, data: toRaw(data) };
    this.received.push(n);
    for (const l of this.listeners) l(n);
  }

  private async withTimeout<T>(work: () => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timeout')), this.handlerTimeoutMs);
      Promise.resolve()
        .then(work)
        .then(
          (v) => {
            clearTimeout(timer);
            resolve(v);
          },
          (e: unknown) => {
            clearTimeout(timer);
            reject(e);
          },
        );
    });
  }

  private async dial(data: RawCallData): Promise<{ hresult: number; callId: string }> {
    const h = this.handlers;
    if (!h) return { hresult: MK_E_UNAVAILABLE, callId: '' };
    try {
      const callId = await this.withTimeout(() => h.dial(copyRaw(data)));
      if (typeof callId !== 'string' || callId === '') return { hresult: E_INVALIDARG, callId: '' };
      return { hresult: S_OK, callId };
    } catch (e) {
      return { hresult: e instanceof Error && e.message === 'timeout' ? RPC_E_TIMEOUT : E_INVALIDARG, callId: '' };
    }
  }

  private async getCallData(callId: string): Promise<{ hresult: number; data: RawCallData }> {
    const h = this.handlers;
    if (!h) return { hresult: MK_E_UNAVAILABLE, data: { CallID: callId } };
    try {
      const found = await this.withTimeout(() => h.getCallData({ CallID: callId }));
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
