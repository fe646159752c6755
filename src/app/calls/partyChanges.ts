/**
 * The other party of a call going on changes (LINE_CALLINFO): a caller id that comes late, a colleague
 * putting a caller through to the user (the internal call ends, a call with the caller begins), a
 * diversion or transfer to another external number (looked up again), the caller handed on to a
 * colleague here (DATEV keeps who the call was with).
 */
import { isInternalCall, observationOf, partyChange, remoteName, sameNumber } from '../../calls/tapiMapping';
import { emptyCallData, type Direction } from '../../datev/callData';
import type { CallInfo } from '../../telephony/port';
import type { CallStateName } from '../../telephony/tapiConstants';
import type { CallContext } from './callContext';
import type { CallDialogs } from './callDialogs';
import type { CallLookup } from './callLookup';
import { remoteOf, transferMeta } from './remoteParty';
import { isEnded, newTrackedCall, type TrackedCall } from './trackedCall';

/** How a new call is decided (direction, number, reporting, lookup, pop-up): the caller's call after a put-through is one. */
export type DecideCall = (call: TrackedCall, firstState: CallStateName, direction: Direction, putThrough: boolean) => void;

export class PartyChanges {
  constructor(
    private readonly c: CallContext,
    private readonly lookup: CallLookup,
    private readonly dialogs: CallDialogs,
    private readonly decide: DecideCall,
  ) {}

  /** TAPI's LINECALLINFO of a call the program has decided changed (LINE_CALLINFO, or the call announced again after a cut). */
  changed(call: TrackedCall, info: CallInfo): void {
    const { d, o } = this.c;
    if (!call.initialised || call.source === 'datev' || isEnded(call)) return;
    const number = remoteOf(this.c, info, call.record.data.Direction);
    if (number === '' || number === (call.remote ?? call.party.number)) return;
    if ((call.remote ?? '') === '') {
      // the caller id comes late: it decides, as a first one would, whether the call is internal — while
      // DATEV has nothing of it yet (a blind transfer whose caller comes late is the caller's)
      d.log.info('TAPI caller id updated (LINE_CALLINFO)', { callId: call.record.data.CallID, number: d.mask.number(number) });
      const r = call.record;
      if (r.reported === 'none' && !r.inFlight && !r.unanswered) {
        call.internal = isInternalCall(info, number, o.dial.extensionLength, o.transferredCalls === 'report');
        call.record = { ...r, reportable: !(call.internal && o.reportCalls !== 'all') };
      }
      call.remote = number;
      call.party = { ...call.party, number };
      call.record.data.CalledNumber = number;
      if (call.lookupFor === undefined && !call.internal) this.lookup.start(call, number);
      this.dialogs.refresh(call);
      return;
    }
    this.changedTo(call, number, info);
  }

  /**
   * The other party of a call going on changed (LINE_CALLINFO with another caller id, or connected id of
   * an outgoing call). The log has what TAPI said (how the Wildix TSP reports transfers is unknown).
   */
  private changedTo(call: TrackedCall, number: string, info: CallInfo): void {
    const { d, o } = this.c;
    let change = partyChange(call.remote ?? '', call.internal, number, o.dial.extensionLength);
    // a caller another call here has is the user's own transfer of that call (the consultation call
    // joined with it as it is handed on), not a caller put through to the user
    if (change === 'putThrough' && this.c.registry.withHandles().some((other) => other !== call && !isEnded(other) && sameNumber(other.remote ?? '', number))) change = 'otherInternal';
    const meta = {
      callId: call.record.data.CallID,
      hCall: call.hCall,
      from: d.mask.number(call.remote ?? ''),
      to: d.mask.number(number),
      change,
      ...transferMeta(this.c, info),
    };
    switch (change) {
      case 'same':
        call.remote = number; // (the same party written another way: nothing changed for DATEV or the user)
        return;
      case 'putThrough':
        if (o.transferredCalls === 'report') {
          d.log.info('TAPI: the other party of the internal call is an external number now (a colleague put the caller through); from here on it is a call with that number', meta);
          this.putThrough(call, info);
          return;
        }
        d.log.info('TAPI: the other party of the internal call is an external number now (a colleague put the caller through); it stays an internal call (transferredCalls "ignore")', meta);
        break;
      case 'toInternal':
        // (the caller went on with a colleague here, e.g. a consultation call that took the call over): DATEV keeps who the call was with
        d.log.info('TAPI: the other party of the call is an internal number now; for DATEV it stays the call with its caller', meta);
        call.remote = number; // (what TAPI says now: only a further change is news)
        return;
      case 'otherInternal':
        d.log.info('TAPI: the other party of the internal call changed', meta);
        break;
      case 'otherExternal': {
        // (e.g. a diversion, or the caller's side transferred the call): the new number's contact, when it has one
        d.log.info('TAPI: the other party of the call changed (LINE_CALLINFO); its number is looked up', meta);
        call.remote = number;
        call.party = { ...call.party, number };
        call.record.data.CalledNumber = number;
        this.lookup.start(call, number);
        this.dialogs.refresh(call);
        return;
      }
    }
    call.remote = number;
    call.party = { ...call.party, number, name: remoteName(info, call.record.data.Direction) };
    this.dialogs.refresh(call);
  }

  /**
   * A colleague put a caller through to the user: the internal call ends here (as the internal call it
   * was, for the call list) and the call goes on as a call with the caller from now on — a new call for
   * DATEV (NewCall, and Connected when it is connected), its contact looked up like any call's.
   */
  private putThrough(internal: TrackedCall, info: CallInfo): void {
    const { d, registry, reporter } = this.c;
    const hCall = internal.hCall;
    const state = internal.lastState;
    if (hCall === undefined || state === undefined) return;
    const at = d.clock.now();
    void this.dialogs.close(internal);
    reporter.apply(internal, { type: 'ended', at });
    // (the handle is the caller's call's now; a request on its way for the internal one finds it there: CallControl)
    internal.deallocated = true;
    delete internal.hCall;
    const call = newTrackedCall(emptyCallData(), 'tapi', { announceable: false, reportable: true }, { info, initialised: true, lastState: state });
    if (internal.announced) call.announced = true;
    if (internal.owner) call.owner = true;
    if (internal.dropping) call.dropping = true;
    registry.bindHandle(call, hCall);
    this.decide(call, state, internal.record.data.Direction, true);
    // where the call is: connected here, ringing here — or at another phone (a colleague answered it there):
    // then the caller is the colleague's, and DATEV gets the call only if the user joins it
    const was = internal.record;
    let obs = observationOf(state);
    if (was.takenElsewhere && !was.wasConnected) {
      reporter.apply(call, { type: 'elsewhere' });
      if (obs === 'connected') obs = 'ringing';
    }
    if (obs) reporter.apply(call, { type: obs, at });
  }
}
