/**
 * Calls cut off by a line close or a TAPI re-init (a PBX link blip): their handles are gone. A call TAPI
 * gave an id (dwCallID) waits callReattachMs to be announced again when the line is back and goes on;
 * the others, and those that do not come back, are over for DATEV from the moment of the cut.
 */
import { isOwner } from '../../calls/tapiMapping';
import type { CallInfo } from '../../telephony/port';
import type { CallContext } from './callContext';
import type { CallDialogs } from './callDialogs';
import { isEnded, type TrackedCall } from './trackedCall';

export class CutOffCalls {
  /** By TAPI's dwCallID: announced again when the line is back, they go on; else they end after callReattachMs, at the moment they were cut off. */
  private readonly detached = new Map<number, { call: TrackedCall; at: Date; cancel: () => void }>();

  constructor(
    private readonly c: CallContext,
    private readonly dialogs: CallDialogs,
  ) {}

  /** The calls still waiting to be announced again end now (the program stops). */
  stop(): void {
    for (const { cancel } of this.detached.values()) cancel();
    this.detached.clear();
  }

  /**
   * A call TAPI announces again after a line close / re-init (same dwCallID): it goes on as it was, with
   * its new handle. Returns it, or undefined when no call cut off has that id.
   */
  takeBack(hCall: number, info: CallInfo | undefined, privilege: number): TrackedCall | undefined {
    const id = info?.callId ?? 0;
    const cut = id !== 0 ? this.detached.get(id) : undefined;
    if (!cut) return undefined;
    cut.cancel();
    this.detached.delete(id);
    const call = cut.call;
    call.deallocated = false;
    call.owner = isOwner(privilege);
    this.c.registry.bindHandle(call, hCall);
    this.c.d.log.info('the call cut off by the line close / TAPI re-init is back; it goes on', { callId: call.record.data.CallID, hCall, tapiCallId: id });
    return call;
  }

  /**
   * The calls matching `which` lost their handles: forgotten, their windows closed. A call TAPI gave
   * an id (dwCallID) waits callReattachMs to be announced again when the line is back (a PBX link
   * blip); the others, and those that do not come back, are over for DATEV from the moment of the cut.
   */
  cut(which: (call: TrackedCall) => boolean, why: string): void {
    const { d, o, registry, reporter } = this.c;
    for (const call of registry.withHandles()) {
      if (!which(call)) continue;
      if (call.hCall !== undefined) registry.releaseHandle(call.hCall);
      call.deallocated = true;
      call.idleWait?.();
      delete call.idleWait;
      if (isEnded(call)) continue;
      void this.dialogs.close(call);
      const at = d.clock.now();
      const meta = { callId: call.record.data.CallID || undefined, hCall: call.hCall };
      const id = call.info?.callId ?? 0;
      if (id === 0 || o.callReattachMs <= 0) {
        d.log.warn(`${why}; the call is closed for DATEV`, meta);
        reporter.apply(call, { type: 'ended', at });
        continue;
      }
      d.log.warn(`${why}; the call is kept ${o.callReattachMs / 1000} s in case TAPI announces it again`, { ...meta, tapiCallId: id });
      const before = this.detached.get(id);
      if (before && before.call !== call) {
        // TAPI's id now belongs to another call the program follows (announced again without its info,
        // so it was not recognised): the earlier one will not come back; it ends as of its own cut
        before.cancel();
        if (!isEnded(before.call)) {
          d.log.warn('the call cut off earlier will not come back (TAPI gave its id to a call followed as a new one); it is closed for DATEV as of then', {
            callId: before.call.record.data.CallID || undefined,
            tapiCallId: id,
          });
          reporter.apply(before.call, { type: 'ended', at: before.at });
        }
      } else before?.cancel();
      const cancel = d.clock.setTimeout(() => {
        if (this.detached.get(id)?.call !== call) return;
        this.detached.delete(id);
        if (isEnded(call)) return;
        d.log.warn('the call cut off by the line close / TAPI re-init did not come back; it is closed for DATEV as of then', meta);
        reporter.apply(call, { type: 'ended', at });
      }, o.callReattachMs);
      this.detached.set(id, { call, at, cancel });
    }
  }
}
