/**
 * DatevPort over the native COM/ROT bridge (native/com, exported as addon.com). The addon owns the
 * COM thread, the CTI object in the ROT and the calls into DATEV; this class turns DATEV's requests
 * into handler calls and the addon's failures into DatevError.
 */
import type { DatevCallData, RawCallData } from '../datev/callData';
import {
  DatevError,
  NOTIFICATION_METHODS,
  type DatevErrorCode,
  type DatevPort,
  type DatevRequestHandlers,
  type NotificationMethod,
} from '../datev/port';

/** A request DATEV made on the CTI object, waiting in the COM thread for `answer(id, …)`. */
export interface NativeDatevRequest {
  type: 'request';
  id: number;
  kind: 'dial' | 'drop' | 'getCallData';
  /** The 11 fields as read by name from DATEV's object (unreadable ones are absent). */
  data: RawCallData;
}

export interface NativeDatevLog {
  type: 'log';
  level: 'info' | 'warn' | 'error';
  message: string;
}

export type NativeComEvent = NativeDatevRequest | NativeDatevLog;

export type NativeAnswer =
  | { ok: true; callId?: string; found?: boolean; data?: DatevCallData }
  | { ok: false; error: string };

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
  /** How long a DATEV call (Dial/Drop/GetCallData) waits for the handler (default 3000 ms). */
  requestTimeoutMs?: number;
  /** Bound of one notification into DATEV (default 5000 ms). */
  notifyTimeoutMs?: number;
  /** Folder for the program's own type library (default %LOCALAPPDATA%\Wildix\DatevCti). */
  typeLibDir?: string;
}

export interface NativeDatevBridge {
  register(): Promise<void>;
  revoke(): Promise<void>;
  isPresent(): Promise<boolean>;
  notify(method: string, data: DatevCallData): Promise<void>;
  answer(id: number, result: NativeAnswer): void;
  /** Revokes and ends the COM thread; the bridge cannot be used afterwards. */
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

const ERROR_CODES: readonly DatevErrorCode[] = ['absent', 'timeout', 'com', 'not-registered'];
/** E_ILLEGAL_METHOD_CALL: what the addon answers to a second registration. */
const ALREADY_REGISTERED = 0x8000000e;

export function toDatevError(err: unknown): DatevError {
  if (err instanceof DatevError) return err;
  const e = err as { code?: unknown; hresult?: unknown; message?: unknown } | null | undefined;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const code = ERROR_CODES.find((c) => c === e?.code) ?? 'com';
  const hresult = typeof e?.hresult === 'number' ? e.hresult >>> 0 : undefined;
  return new DatevError(code, message, hresult);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class NativeDatevPort implements DatevPort {
  private readonly bridge: NativeDatevBridge;
  private readonly log: (level: NativeDatevLog['level'], message: string) => void;
  private handlers: DatevRequestHandlers | undefined;

  constructor(
    private readonly com: NativeComModule,
    options: NativeDatevPortOptions = {},
  ) {
    this.log = options.log ?? ((level, message) => process.stderr.write(`[datev-com ${level}] ${message}\n`));
    const { log: _ignored, ...bridgeOptions } = options;
    this.bridge = new com.DatevBridge(bridgeOptions, (event) => this.onEvent(event));
  }

  async register(handlers: DatevRequestHandlers): Promise<void> {
    if (this.handlers) {
      throw new DatevError('com', 'the CTI object is already registered in the ROT', ALREADY_REGISTERED);
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

  async notify(method: NotificationMethod, data: DatevCallData): Promise<void> {
    if (!NOTIFICATION_METHODS.includes(method)) {
      throw new DatevError('com', `unknown DATEV notification ${String(method)}`);
    }
    try {
      await this.bridge.notify(method, data);
    } catch (err) {
      throw toDatevError(err);
    }
  }

  /** What the type-library check at register() found and did (for --diagnose). */
  typeLibStatus(): TypeLibStatus {
    return this.com.typeLibStatus();
  }

  /** Revoke and end the COM thread (program exit). */
  async close(): Promise<void> {
    this.handlers = undefined;
    await this.bridge.close();
  }

  private onEvent(event: NativeComEvent): void {
    if (event.type === 'log') {
      this.log(event.level, event.message);
      return;
    }
    void this.answer(event).then(
      (result) => this.bridge.answer(event.id, result),
      // answer() never rejects; this only guards against a broken bridge
      (err: unknown) => this.log('error', `${event.kind}: ${errorText(err)}`),
    );
  }

  private async answer(request: NativeDatevRequest): Promise<NativeAnswer> {
    const h = this.handlers;
    if (!h) return { ok: false, error: 'the CTI object is not registered' };
    try {
      switch (request.kind) {
        case 'dial': {
          const callId = await h.dial(request.data);
          if (typeof callId !== 'string' || callId === '') return { ok: false, error: 'the handler returned no CallID' };
          return { ok: true, callId };
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
      return { ok: false, error: errorText(err) };
    }
    return { ok: false, error: `unknown request ${String((request as { kind: unknown }).kind)}` };
  }
}
