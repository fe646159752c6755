/**
 * Telephony port with TAPI 2.x semantics. Real adapter: native/tapi (tapi32.dll, Windows).
 * Fake: fakes/telephony. Contract: contracts/telephony.contract.ts.
 *
 * Handles are TAPI's own 32-bit values (hLine, hCall). Call control is asynchronous as in TAPI: the
 * request methods resolve with a positive request id, and the result arrives later as a `reply`
 * event. A synchronous TAPI failure (negative return) rejects with TelephonyError.
 */
import type { CallStateName } from './tapiConstants';

export interface LineAddress {
  addressId: number;
  /** The address as the TSP reports it, usually the user's extension. */
  address: string;
}

export interface LineInfo {
  /** TAPI device id: valid only until the next re-init; use permanentId to identify a line. */
  deviceId: number;
  permanentId: number;
  name: string;
  /** The TSP's provider info (e.g. "Wildix TAPI …"). */
  provider: string;
  /** Negotiated API version, e.g. 0x00020002; 0 when negotiation failed (line unusable). */
  apiVersion: number;
  addresses: LineAddress[];
}

/** One party block of LINECALLINFO (caller, called, connected, redirecting). */
export interface PartyId {
  /** LINECALLPARTYID_* flags. The number is only valid when ADDRESS (0x8) is set. */
  flags: number;
  number: string;
  name: string;
}

export interface CallInfo {
  hCall: number;
  hLine: number;
  /** Switch-assigned call id (dwCallID): for logs and correlation. */
  callId: number;
  /** LINECALLORIGIN_* */
  origin: number;
  /** LINECALLREASON_* */
  reason: number;
  caller: PartyId;
  called: PartyId;
  connected: PartyId;
  /**
   * RedirectingID: who redirected or transferred the call to this line (tapi.md §1.7), when the TSP says;
   * for the log (how the Wildix TSP reports transfers is an open question). Absent: not read.
   */
  redirecting?: PartyId;
}

export type TelephonyEvent =
  /**
   * LINE_APPNEWCALL: a call the program did not create (incoming, dialled on the phone, …). `info` is
   * the call's LINECALLINFO read by the adapter when TAPI announced the call (absent when it could not
   * be read: then ask getCallInfo).
   */
  | { type: 'newCall'; hLine: number; hCall: number; addressId: number; privilege: number; info?: CallInfo }
  /** LINE_CALLSTATE. `mode` is dwParam2 (disconnect/connected/busy mode). */
  | { type: 'callState'; hCall: number; state: CallStateName; mode: number; privilege: number }
  /** LINE_CALLINFO: `changed` holds the LINECALLINFOSTATE_* bits; `info` is re-read by the adapter. */
  | { type: 'callInfo'; hCall: number; changed: number; info: CallInfo }
  /** LINE_REPLY. result 0 = success, else the LINEERR_* code (unsigned). hCall is set for a successful makeCall. */
  | { type: 'reply'; requestId: number; result: number; hCall?: number }
  /** LINE_CLOSE: the line and all its calls are gone; reopen later. */
  | { type: 'lineClosed'; hLine: number }
  /** LINE_LINEDEVSTATE (other than REINIT): LINEDEVSTATE_* in `state`. */
  | { type: 'lineState'; hLine: number; state: number }
  /** LINE_LINEDEVSTATE/REINIT: TAPI wants the program to shut down and initialise again. */
  | { type: 'reinit' }
  /** LINE_CREATE: a new line device exists. */
  | { type: 'lineAdded'; deviceId: number }
  /** LINE_REMOVE: the line device is gone for good. */
  | { type: 'lineRemoved'; deviceId: number };

export type TelephonyListener = (event: TelephonyEvent) => void;

export class TelephonyError extends Error {
  constructor(
    /** The TAPI function that failed, e.g. "lineOpenW". */
    readonly fn: string,
    /** LINEERR_* code (unsigned), or 0 for errors outside TAPI (e.g. tapi32.dll missing). */
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'TelephonyError';
  }
}

/**
 * A TAPI function did not return within the adapter's bound (a hanging TSP, e.g. in lineClose or
 * lineShutdown). The adapter gave the call up and went on: for lineShutdown the session is over (no
 * events any more, initialize() starts a new one); for lineClose the line counts as closed.
 * Over the port host's wire it arrives as an Error named "TelephonyTimeoutError" with fn and timeoutMs.
 */
export class TelephonyTimeoutError extends TelephonyError {
  readonly timedOut = true;
  constructor(
    fn: string,
    /** The bound that was exceeded. */
    readonly timeoutMs: number,
    message = `${fn} did not return within ${timeoutMs} ms (the TAPI provider hangs); the call was abandoned`,
  ) {
    super(fn, 0, message);
    this.name = 'TelephonyTimeoutError';
  }
}

/** true for a TelephonyTimeoutError (also one rebuilt from the port host's wire format). */
export function isTelephonyTimeout(err: unknown): err is TelephonyError & { timeoutMs: number } {
  return err instanceof TelephonyTimeoutError || (err instanceof Error && err.name === 'TelephonyTimeoutError');
}

export interface TelephonyPort {
  /** lineInitializeExW + per-device version negotiation + caps. Rejects when TAPI is unusable. */
  initialize(appName: string): Promise<LineInfo[]>;
  /** The lines as known now (re-reads caps). */
  listLines(): Promise<LineInfo[]>;
  /**
   * lineOpenW (owner + monitor, interactive voice) on the line with this permanent id, then
   * lineGetNewCalls: calls already present are announced as newCall + callState events.
   * Resolves with hLine.
   */
  openLine(permanentId: number): Promise<number>;
  /**
   * lineClose. Settles within a bound (adapter option, default 2 s plus 1 s slack): a TSP that hangs
   * in lineClose rejects it with TelephonyTimeoutError; the line counts as closed anyway.
   */
  closeLine(hLine: number): Promise<void>;
  /** lineMakeCallW. The reply event carries the new hCall. */
  makeCall(hLine: number, destination: string): Promise<number>;
  /** lineAnswer */
  answer(hCall: number): Promise<number>;
  /** lineDrop */
  drop(hCall: number): Promise<number>;
  /** lineDeallocateCall (synchronous in TAPI). */
  deallocate(hCall: number): Promise<void>;
  /** lineGetCallInfoW */
  getCallInfo(hCall: number): Promise<CallInfo>;
  /**
   * lineGetCallStatus: the state TAPI has for the call now (to check a call whose events stopped;
   * LINEERR_INVALCALLHANDLE when TAPI does not know the handle).
   */
  getCallState(hCall: number): Promise<CallStateName>;
  /**
   * lineShutdown; no events afterwards. Idempotent. Settles within a bound (adapter option, default
   * 2 s plus 1 s slack): a TSP that hangs in lineShutdown (or a TAPI thread stuck in any other call)
   * rejects it with TelephonyTimeoutError; the session is given up all the same and never keeps the
   * process from ending.
   */
  shutdown(): Promise<void>;
  /** Subscribe to events; returns the unsubscribe function. */
  onEvent(listener: TelephonyListener): () => void;
}
