/** What the program does to a call on the phone (answer, hang up) and how it tells the user a failure. */
import { BUTTON, MESSAGES, TITLE } from '../../dialogs/texts';
import { lineErrName } from '../../telephony/tapiConstants';
import { RequestTracker } from '../requestTracker';
import type { CallContext } from './callContext';
import { isEnded, type TrackedCall } from './trackedCall';

/** How long a failed answer/hang-up waits for the call's end before it tells the user. */
const END_GRACE_MS = 1500;

export class CallControl {
  constructor(private readonly c: CallContext) {}

  hangUp(call: TrackedCall, by: string): void {
    const log = this.c.d.log;
    if (isEnded(call) && stillOnThePhone(call)) {
      // busy / special info: over for DATEV, but TAPI keeps the call until it is hung up (tapi.md §1.6:
      // lineDrop in any state but IDLE) — the user or DATEV hangs up the busy tone
      void this.request(call, 'drop', BUTTON.hangup);
      return;
    }
    if (isEnded(call)) {
      log.info(`hang-up by ${by}: call already ended`, { callId: call.record.data.CallID });
      return;
    }
    if (call.hCall === undefined) {
      call.hangupRequested = true;
      log.info(`hang-up by ${by} before TAPI has the call; dropping when it does`, { callId: call.record.data.CallID });
      return;
    }
    void this.request(call, 'drop', BUTTON.hangup);
  }

  async request(call: TrackedCall, what: 'answer' | 'drop', label: string): Promise<void> {
    const { telephony, tracker, log } = this.c.d;
    const hCall = call.hCall;
    if (hCall === undefined) return;
    const callId = call.record.data.CallID;
    // the call that has the handle when TAPI answers: a caller put through meanwhile goes on as another call (telephonyEvents)
    const holder = (): TrackedCall => this.c.registry.byHandle(hCall) ?? call;
    if (what === 'drop') call.dropping = true;
    try {
      const requestId = await (what === 'answer' ? telephony.answer(hCall) : telephony.drop(hCall));
      log.info(`TAPI line${what === 'answer' ? 'Answer' : 'Drop'}`, { callId, hCall, requestId });
      const reply = await tracker.wait(requestId);
      if (reply.result !== 0) throw new Error(reply.result === RequestTracker.TIMEOUT ? 'keine Antwort von TAPI' : lineErrName(reply.result));
      // (on a monitored call the adapter took ownership for it: native/tapi AsOwner — the program clears it at its end)
      holder().owner = true;
    } catch (e) {
      if (what === 'drop') holder().dropping = false;
      // the failure may be the call ending right now (the caller hung up as the user clicked): give the
      // end a moment to arrive before deciding whether this is worth an error box
      if (await this.c.reporter.endsWithin(holder(), END_GRACE_MS, this.c.d.clock)) {
        // the call ended meanwhile (the caller hung up as the user clicked): nothing went wrong for the user
        log.info(`${what} not needed any more, the call has ended: ${(e as Error).message}`, { callId, hCall });
        return;
      }
      log.warn(`${what} failed: ${(e as Error).message}`, { callId, hCall });
      this.showMessage(MESSAGES.actionFailed(label, (e as Error).message), 'error');
    }
  }

  showMessage(text: string, kind: 'info' | 'error'): void {
    if (this.c.stopped()) return;
    void this.c.d.dialogs.message(TITLE, text, kind).catch((e: unknown) => this.c.d.log.warn(`message dialog failed: ${(e as Error).message}`));
  }
}

/** An ended call TAPI still has going (BUSY, SPECIALINFO: the far end's tone) with its handle. */
function stillOnThePhone(call: TrackedCall): boolean {
  return call.hCall !== undefined && !call.deallocated && !call.dropping && (call.lastState === 'BUSY' || call.lastState === 'SPECIALINFO');
}
