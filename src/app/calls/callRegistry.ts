/** The calls the program knows: by TAPI handle while they exist, by CallID for DATEV (plus a history). */
import { currentData } from '../../calls/callRecord';
import type { DatevCallData } from '../../datev/callData';
import { isEnded, type TrackedCall } from './trackedCall';

/** Ended calls kept for DATEV's Drop/GetCallData. */
const HISTORY_LIMIT = 200;

export class CallRegistry {
  private readonly byHCall = new Map<number, TrackedCall>();
  private readonly byCallId = new Map<string, TrackedCall>();

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

  remember(call: TrackedCall): void {
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
