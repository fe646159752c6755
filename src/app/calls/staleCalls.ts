/**
 * Calls whose TAPI events stopped. A TSP that loses a call's DISCONNECTED / IDLE (or a PBX that drops a
 * call without telling it) would leave the call in progress for good: DATEV would never get its end,
 * and the journal, which delivers nothing while a call is in progress, would stop for the rest of the
 * program run. So every STALE_CHECK_MS each call in progress whose last state change is older than
 * STALE_AFTER_MS is checked with TAPI (lineGetCallStatus): one that TAPI has as disconnected or idle, or
 * no longer knows, goes on as if that event had come (with a warning in the log). Calls TAPI still has
 * in progress are left alone, however long they last.
 */
import type { TelephonyEvent } from '../../telephony/port';
import { TelephonyError } from '../../telephony/port';
import { LINEERR, type CallStateName } from '../../telephony/tapiConstants';
import type { CallContext } from './callContext';
import { isEnded } from './trackedCall';

export const STALE_CHECK_MS = 60_000;
export const STALE_AFTER_MS = 5 * 60_000;

export class StaleCallCheck {
  private cancel: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly c: CallContext,
    /** Feeds an event into the call flow as if TAPI had sent it. */
    private readonly feed: (e: TelephonyEvent) => void,
  ) {}

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
  }

  /** One round (also for tests). */
  async check(): Promise<void> {
    const { registry, d } = this.c;
    const now = d.clock.now().getTime();
    for (const call of registry.withHandles()) {
      const hCall = call.hCall;
      if (hCall === undefined || isEnded(call)) continue;
      const since = (call.record.connectedAt ?? call.record.firstSeenAt)?.getTime();
      if (since === undefined || now - since < STALE_AFTER_MS) continue;
      let state: CallStateName;
      try {
        state = await d.telephony.getCallState(hCall);
      } catch (e) {
        if (!(e instanceof TelephonyError) || e.code !== LINEERR.INVALCALLHANDLE) {
          d.log.debug(`checking a long call with TAPI failed: ${(e as Error).message}`, { callId: call.record.data.CallID, hCall });
          continue;
        }
        state = 'IDLE'; // TAPI no longer knows the call
      }
      if (state !== 'DISCONNECTED' && state !== 'IDLE') continue;
      if (registry.byHandle(hCall) !== call || isEnded(call)) continue; // its event came meanwhile
      d.log.warn(`TAPI hat den Anruf als ${state}, meldete es aber nie; er wird jetzt beendet / TAPI has the call ${state} but never reported it; the call ends now`, {
        callId: call.record.data.CallID,
        hCall,
        since: new Date(since).toISOString(),
      });
      this.feed({ type: 'callState', hCall, state, mode: 0, privilege: 0 });
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.cancel = this.c.d.clock.setTimeout(() => {
      void this.check()
        .catch((e: unknown) => this.c.d.log.error(`checking long calls failed: ${(e as Error).stack ?? String(e)}`))
        .finally(() => this.schedule());
    }, STALE_CHECK_MS);
  }
}
