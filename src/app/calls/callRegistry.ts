/** The calls the program knows: by TAPI handle while they exist, by CallID for DATEV (plus a history). */
import { currentData } from '../../calls/callRecord';
import { sameNumber } from '../../calls/tapiMapping';
import type { DatevCallData } from '../../datev/callData';
import { isEnded, type TrackedCall } from './trackedCall';

/** Ended calls kept for DATEV's Drop/GetCallData. */
const HISTORY_LIMIT = 200;
/** A lineMakeCall whose LINE_REPLY did not come in time may still show up on the line this long. */
export const LATE_CALL_MS = 120_000;

/** The digits of a dialled or reported number (what the TSP reports may be formatted differently). */
function digitsOf(number: string): string {
  return number.replace(/[^0-9]/g, '');
}

export class CallRegistry {
  private readonly byHCall = new Map<number, TrackedCall>();
  private readonly byCallId = new Map<string, TrackedCall>();
  /** Calls the program dialled that TAPI has not given a handle for yet, by dialled digits. */
  private readonly dialled = new Map<string, { call: TrackedCall; until: number }>();

  byHandle(hCall: number): TrackedCall | undefined {
    return this.byHCall.get(hCall);
  }

  byId(callId: string): TrackedCall | undefined {
    return this.byCallId.get(callId);
  }

  bindHandle(call: TrackedCall, hCall: number): void {
    call.hCall = hCall;
    this.byHCall.set(hCall, call);
  }

  /** The handle is no longer valid (freed, or TAPI re-initialised): a reused value is a new call. */
  releaseHandle(hCall: number): void {
    this.byHCall.delete(hCall);
  }

  /** Calls that have a TAPI handle now. */
  withHandles(): TrackedCall[] {
    return [...this.byHCall.values()];
  }

  /** The program dialled `number` for `call`; until `until` (ms) a new outgoing call to it is this one. */
  expectOutgoing(number: string, call: TrackedCall, until: number): void {
    const key = digitsOf(number);
    if (key) this.dialled.set(key, { call, until });
  }

  /** TAPI gave the call its handle (or it is over): stop matching by number. */
  forgetOutgoing(call: TrackedCall): void {
    for (const [k, v] of this.dialled) if (v.call === call) this.dialled.delete(k);
  }

  /**
   * The call the program dialled to `number`, if one is still expected at `now` (ms). The TSP may
   * report the number in another form than the program dialled (0891234567 for +49891234567): numbers
   * of 6 digits or more match when one ends with the other without its leading zeros. For a call TAPI
   * did not announce only (LINE_APPNEWCALL announces every call the program did not make, tapi.md §1.8).
   */
  takeOutgoing(number: string, now: number): TrackedCall | undefined {
    for (const [k, v] of this.dialled) if (v.until < now) this.dialled.delete(k);
    const key = digitsOf(number);
    let hitKey: string | undefined = key && this.dialled.has(key) ? key : undefined;
    if (hitKey === undefined && key) hitKey = [...this.dialled.keys()].find((k) => sameNumber(k, key));
    // no number or another one: the only call being dialled, if there is just one (`number` comes from
    // a call TAPI did not announce — by TAPI's rules one the program made, whatever the TSP reports)
    if (hitKey === undefined && this.dialled.size === 1) hitKey = [...this.dialled.keys()][0];
    if (hitKey === undefined) return undefined;
    const hit = this.dialled.get(hitKey);
    this.dialled.delete(hitKey);
    return hit?.call;
  }

  /** Calls followed since start. */
  seen = 0;

  remember(call: TrackedCall): void {
    if (!this.byCallId.has(call.record.data.CallID)) this.seen++;
    this.byCallId.set(call.record.data.CallID, call);
    if (this.byCallId.size <= HISTORY_LIMIT) return;
    for (const [id, c] of this.byCallId) {
      if (this.byCallId.size <= HISTORY_LIMIT) break;
      if (isEnded(c)) this.byCallId.delete(id);
    }
  }

  all(): TrackedCall[] {
    return [...this.byCallId.values()];
  }

  /** Calls in progress (for diagnostics and tests). */
  active(): DatevCallData[] {
    return this.all()
      .filter((c) => !isEnded(c))
      .map((c) => currentData(c.record));
  }
}
