/**
 * DATEV bridge port: what the program needs from the COM/ROT layer.
 * Real adapter: native/com (Windows). Fake: fakes/datev. Contract: contracts/datev.contract.ts.
 */
import type { DatevCallData, RawCallData } from './callData';

/** Methods of DATEV's `IDatevCtiNotification`. */
export type NotificationMethod = 'NewCall' | 'CallStateChanged' | 'CallAdressatChanged' | 'NewJournal';

export const NOTIFICATION_METHODS: readonly NotificationMethod[] = [
  'NewCall',
  'CallStateChanged',
  'CallAdressatChanged',
  'NewJournal',
];

/** What the handler of DATEV's `Dial` learns besides DATEV's data. */
export interface DialContext {
  /** The CallID of this call: minted by the adapter and already written into DATEV's object. */
  callId: string;
  /**
   * true: DATEV was already told that Dial succeeded, because the program did not take the request
   * within the adapter's short bound (its thread was busy). The handler must not reject then: it
   * places the call, or reports it to DATEV as failed (NewCall → Absence) and tells the user why.
   */
  decided: boolean;
}

/**
 * Handlers for the calls DATEV makes on the program's CTI object. They run on the JS thread. DATEV's
 * call never waits long for them: the adapter answers DATEV itself when the program does not take a
 * request within a few tens of milliseconds (Dial: S_OK with the adapter's CallID, see DialContext;
 * GetCallData: from the data last sent to DATEV).
 */
export interface DatevRequestHandlers {
  /**
   * `IDatevCtiControl.Dial`. Throwing (only honoured while `ctx.decided` is false) makes the adapter
   * fail the COM call with E_INVALIDARG; the handler shows the user what went wrong.
   */
  dial(data: RawCallData, ctx: DialContext): void | Promise<void>;
  /** `IDatevCtiControl.Drop`: hang up the call with `data.CallID`. DATEV gets S_OK at once. */
  drop(data: RawCallData): void;
  /**
   * `IDatevCtiHistory.GetCallData`: the current data of the call whose CallID DATEV passes, or
   * undefined when unknown (the adapter then leaves DATEV's object as it is and returns S_FALSE).
   */
  getCallData(data: RawCallData): DatevCallData | undefined | Promise<DatevCallData | undefined>;
}

/**
 * Why a notification did not reach DATEV:
 * - absent: DATEV is not running (not in the ROT) — nothing was delivered;
 * - gone: DATEV is another object than the one the call was reported to (it restarted) — not sent;
 * - com: DATEV (or COM) failed the call, e.g. DATEV refused it — not delivered;
 * - timeout: no answer within the bound; DATEV may still take it: `settled(ticket)` tells later;
 * - stalled: not attempted, because every notification thread still waits for a hung DATEV;
 * - not-registered / shutdown: the bridge is not usable.
 */
export type DatevErrorCode = 'absent' | 'gone' | 'timeout' | 'stalled' | 'com' | 'not-registered' | 'shutdown';

export class DatevError extends Error {
  constructor(
    readonly code: DatevErrorCode,
    message: string,
    /** The HRESULT as an unsigned 32-bit number when COM reported one. */
    readonly hresult?: number,
    /** For 'timeout': the notification's ticket, for `DatevPort.settled()`. */
    readonly ticket?: number,
  ) {
    super(message);
    this.name = 'DatevError';
  }
}

export interface NotifyOptions {
  /** The call's last notification: the adapter may release the call's data object after a grace period. */
  last?: boolean;
  /** Deliver only to this DATEV generation (the one that got the call's NewCall); else reject 'gone'. */
  generation?: number;
  /**
   * Deliver only to the DATEV with this `Delivery.datevId` (one an earlier run of the program reported
   * the call to); else — another DATEV, or one whose id cannot be read — reject 'gone'.
   */
  datevId?: string;
}

/** A notification DATEV accepted. */
export interface Delivery {
  /** Which DATEV took it: changes whenever DATEV is a different object (restart, back after absence). */
  generation: number;
  /**
   * Which DATEV took it, in a form that outlives the program: the same for every process that finds
   * that DATEV (the native adapter: the time DATEV's ROT entry was made), another one after DATEV
   * restarted. "" when it cannot be read.
   */
  datevId: string;
  /**
   * The SyncID DATEV wrote into the call's data object, when it wrote one (datev-cti.md §3.3, §9.4:
   * DATEV may set it during a notification). The object keeps it for the call's later notifications
   * whatever the program sends; the program takes it over.
   */
  syncId?: string;
  /** How DATEV read the call's data object during the notification, for the log (e.g. "names 11, dispids 11, vtable 0"). */
  datevRead?: string;
}

/** The state of the bridge, for the tray, --diagnose and the program's own decisions. */
export interface DatevHealth {
  /** The CTI object is in the ROT (as far as the program knows). */
  registered: boolean;
  /** Notification threads in the set / still waiting inside a DATEV that does not answer. */
  threads: number;
  stuck: number;
  /** Since start: notifications that ran past the bound / were not attempted because all threads were stuck. */
  timeouts: number;
  stalled: number;
  /** CTI threads made again after a failed self-check, since start. */
  rebuilds: number;
  /** DATEV requests answered by the adapter alone because the program did not take them in time. */
  requestsExpired: number;
  /**
   * Notifications sent with the ROT lookup made when their call appeared on the line, while the event
   * was on its way to the program (an incoming call's NewCall), since start.
   */
  lookupsAhead: number;
}

export interface SelfCheckResult {
  healthy: boolean;
  /** missing: no CTI object in the ROT; not-ours: another program's (or instance's) object answers;
   *  timeout: our apartment did not answer; com: another COM failure. */
  problem?: 'missing' | 'not-ours' | 'timeout' | 'com';
  detail: string;
  hresult?: number;
}

/**
 * How DATEV's Dial is answered. 'immediate': Dial returns as soon as DATEV's object has its CallID,
 * like a native CTI (reference §3.4: "assign CallID synchronously, copy the data, return immediately");
 * the handler gets `decided: true` and reports a call it cannot place to DATEV as failed. 'checked':
 * Dial waits (bounded) for the handler; a handler that throws gives DATEV an error HRESULT.
 */
export type DialAnswer = 'immediate' | 'checked';

export interface DatevPort {
  /**
   * Create the CTI object (IDatevCtiControl + IDatevCtiHistory) and register it in the ROT under
   * CLSID D8CA0C15-8585-494A-93DF-07D706629793. Requests are delivered to `handlers` from then on.
   * Rejects with DatevError('com') when registration fails. Registering twice rejects.
   */
  register(handlers: DatevRequestHandlers): Promise<void>;
  /** Revoke the ROT entry; no handler is called afterwards. Idempotent. */
  revoke(): Promise<void>;
  /** Whether DATEV's notification object (CLSID A299D197-E7C3-43E2-8ACC-C608FC2A7806) is in the ROT now. */
  isPresent(): Promise<boolean>;
  /**
   * Call `method` on DATEV's IDatevCtiNotification with the call's data object holding `data` (the
   * same object for every notification of a CallID). Notifications run one after another in the order
   * given. Resolves with the DATEV generation that took it; rejects with DatevError (see the codes).
   */
  notify(method: NotificationMethod, data: DatevCallData, options?: NotifyOptions): Promise<Delivery>;
  /** The real outcome of a notification that was rejected with 'timeout' (rejects with DatevError). */
  settled(ticket: number): Promise<Delivery>;
  /** The extension the adapter puts in front of the CallIDs it mints for Dial. */
  setCallIdPrefix(prefix: string): void;
  /** How DATEV's Dial is answered from now on (a port starts 'checked'). */
  setDialAnswer(mode: DialAnswer): void;
  /** From another apartment: does the ROT entry for our CLSID answer IDatevCtiControl, and is it ours? */
  selfCheck(): Promise<SelfCheckResult>;
  /** A new CTI thread with a new CTI object registered in the ROT (after a failed self-check). */
  rebuild(): Promise<void>;
  health(): Promise<DatevHealth>;
  /** Called whenever the number of stuck notification threads changes. Returns an unsubscribe. */
  onHealthChange(listener: (health: DatevHealth) => void): () => void;
}
