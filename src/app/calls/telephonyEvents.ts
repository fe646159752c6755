/**
 * TAPI's events for the calls on the line: a new call (incoming, or outgoing dialled on the phone),
 * its states and its info, the line closing and TAPI re-initialising. Decides direction, number,
 * whether the call is internal and reported, starts the contact lookup (NewCall waits for it at most
 * the lookup budget) and opens the incoming pop-up. Changes of the other party: `partyChanges.ts`;
 * calls cut off by a line close or re-init: `cutOffCalls.ts`.
 */
import { directionOf, isInternalCall, isOwner, isTakenElsewhere, isTerminalState, isWithheld, observationOf, remoteName, remoteNumber } from '../../calls/tapiMapping';
import { Direction, emptyCallData } from '../../datev/callData';
import type { CallInfo, TelephonyEvent } from '../../telephony/port';
import { LINEERR, lineErrName, type CallStateName } from '../../telephony/tapiConstants';
import type { CallContext } from './callContext';
import { CallLookup } from './callLookup';
import { CutOffCalls } from './cutOffCalls';
import { PartyChanges } from './partyChanges';
import { remoteOf, transferMeta } from './remoteParty';
import type { CallDialogs } from './callDialogs';
import { isEnded, newTrackedCall, type TrackedCall } from './trackedCall';

/**
 * Longest wait of the incoming pop-up for DATEV's answer to the NewCall. The fake DATEV answers in
 * about 20 ms under Wine (it reads the call's fields back first); how long the real DATEV takes is not
 * known (README Known limits). The pop-up comes with the phone's ringing either way.
 */
export const INCOMING_DIALOG_WAIT_MS = 50;

/**
 * How long a call's handle waits for IDLE after DISCONNECTED before it is freed all the same: TAPI reports
 * IDLE once the call's owner cleared it (the program's lineDrop for a call it owns); for a call another
 * application owns, or a lineDrop that fails, it may not come.
 */
export const IDLE_WAIT_MS = 5000;

/** What the outgoing side does with a call it dialled when that call shows up on the line. */
export interface DialledCalls {
  /** The dialled call appeared (before its LINE_REPLY): it exists now. */
  exists(call: TrackedCall, startedAt: Date): void;
  /** The dialled call appeared after the program had reported it failed: hang it up. */
  adoptLate(call: TrackedCall, hCall: number): void;
}

export class TelephonyCalls {
  /** The bounded waits of calls (for IDLE, for their origin): all cancelled when the program stops. */
  private readonly waits = new Set<() => void>();
  private readonly lookup: CallLookup;
  private readonly parties: PartyChanges;
  private readonly cutOff: CutOffCalls;

  constructor(
    private readonly c: CallContext,
    private readonly dialogs: CallDialogs,
    private readonly dialled: DialledCalls,
  ) {
    this.lookup = new CallLookup(c, dialogs);
    this.parties = new PartyChanges(c, this.lookup, dialogs, (call, state, direction, putThrough) => this.decide(call, state, direction, putThrough));
    this.cutOff = new CutOffCalls(c, dialogs);
  }

  /** The calls still waiting to be announced again end now; no wait for IDLE or an origin goes on (the program stops). */
  stop(): void {
    this.cutOff.stop();
    for (const cancel of [...this.waits]) cancel();
    this.waits.clear();
  }

  /** `fn` after `ms` on the program's clock, unless cancelled (by the returned function, or by stop()). */
  private wait(fn: () => void, ms: number): () => void {
    const cancelTimer = this.c.d.clock.setTimeout(() => {
      this.waits.delete(cancel);
      fn();
    }, ms);
    const cancel = (): void => {
      cancelTimer();
      this.waits.delete(cancel);
    };
    this.waits.add(cancel);
    return cancel;
  }

  async process(e: TelephonyEvent): Promise<void> {
    switch (e.type) {
      case 'newCall': {
        if (this.c.registry.byHandle(e.hCall)) return;
        const info = e.info ?? (await this.readInfo(e.hCall));
        const back = this.cutOff.takeBack(e.hCall, info, e.privilege);
        // (what changed while it was cut off: e.g. a colleague put the caller through meanwhile)
        if (back) {
          if (info) this.infoChanged(back, info);
          return;
        }
        const call = await this.track(e.hCall, info);
        call.announced = true;
        call.owner = isOwner(e.privilege);
        return;
      }
      case 'callState':
        return this.onCallState(e.hCall, e.state, e.mode, e.privilege);
      case 'callInfo':
        return this.onCallInfo(e.hCall, e.info);
      case 'lineClosed':
        // a TSP completes every request on a line before it closes it (TSPI LINE_CLOSE): a Dial still
        // waiting for its LINE_REPLY gets none (the program has one line open at a time)
        this.c.d.tracker.abandonAll(LINEERR.INVALLINEHANDLE);
        return this.cutOff.cut((call) => !call.info || call.info.hLine === e.hLine, 'line closed while a call was in progress');
      case 'reinit':
        // every call handle and request becomes invalid: a Dial still waiting for its LINE_REPLY fails
        // now, the calls are cut off (announced again, they go on), a reused handle is a new call
        this.c.d.tracker.abandonAll(LINEERR.REINIT);
        return this.cutOff.cut(() => true, 'TAPI re-initialises (LINEDEVSTATE_REINIT) while a call was in progress');
      default:
        return;
    }
  }

  /** The contact index changed: look up again every call in progress that has no contact yet. */
  recheckContacts(): void {
    this.lookup.recheck();
  }

  /** A call the program learns of: its info as announced, else read now. */
  private async track(hCall: number, announced?: CallInfo): Promise<TrackedCall> {
    const info = announced ?? (await this.readInfo(hCall));
    const call = newTrackedCall(emptyCallData(), 'tapi', { announceable: false, reportable: true }, info ? { info } : {});
    this.c.registry.bindHandle(call, hCall);
    return call;
  }

  private async readInfo(hCall: number): Promise<CallInfo | undefined> {
    try {
      return await this.c.d.telephony.getCallInfo(hCall);
    } catch (e) {
      this.c.d.log.warn(`lineGetCallInfo failed for a new call: ${(e as Error).message}`, { hCall });
      return undefined;
    }
  }

  private async onCallState(hCall: number, state: CallStateName, mode: number, privilege: number): Promise<void> {
    const { d, registry } = this.c;
    let call = registry.byHandle(hCall);
    if (!call) {
      if (isTerminalState(state)) {
        d.log.debug(`TAPI ${state} for an unknown call; ignored`, { hCall });
        return;
      }
      call = await this.track(hCall);
      call.owner = isOwner(privilege);
    }
    if (!call.initialised && call.source === 'tapi') {
      const mine = this.dialledByProgram(call, hCall, state);
      if (mine === 'dropped') return;
      if (mine) call = mine;
    }
    const callId = call.record.data.CallID || undefined;
    // (the mode — disconnect / connected mode — in the log: how the real TSP uses them is an open question)
    d.log.info(`TAPI LINE_CALLSTATE ${state}`, { callId, hCall, ...(mode ? { mode: `0x${mode.toString(16)}` } : {}) });
    const first = call.lastState === undefined;
    call.lastState = state;
    const seen = observationOf(state);
    let obs = seen;
    if (!call.initialised && seen !== undefined) this.initialise(call, state);
    if (isTakenElsewhere(state, mode)) {
      if (state !== 'CONNECTED' || this.c.o.answeredAtOtherStation === 'colleague') obs = this.takenElsewhere(call, state, obs);
      else if (!call.record.wasConnected) d.log.info('TAPI: the call was answered at another station (LINECONNECTEDMODE_INACTIVE); counted as the user\'s own device (answeredAtOtherStation "user")', { callId, hCall });
    }
    // a call going on from the program's earlier run was connected then, not now
    const at = obs === 'connected' && call.resumedConnectedAt ? call.resumedConnectedAt : d.clock.now();
    if (obs === 'connected') delete call.resumedConnectedAt;
    if (obs) this.c.reporter.apply(call, { type: obs, at });
    if (first || seen) this.dialogs.onState(call, state);
    if (state === 'IDLE') await this.free(call, hCall);
    else if (state === 'DISCONNECTED') this.clear(call, hCall);
  }

  /**
   * DISCONNECTED: the call is over, its handle is TAPI's until IDLE (tapi.md §1.6: deallocate on IDLE,
   * after DISCONNECTED). A call the program owns it clears itself (lineDrop: the owner's part — a TSP
   * may keep a disconnected call, and its address, until then); a monitored one its owner clears. The
   * handle is freed at IDLE, or IDLE_WAIT_MS from now when TAPI does not report IDLE.
   */
  private clear(call: TrackedCall, hCall: number): void {
    const { d } = this.c;
    if (call.idleWait || call.deallocated) return;
    const meta = { callId: call.record.data.CallID || undefined, hCall };
    call.idleWait = this.wait(() => {
      delete call.idleWait;
      d.log.info(`TAPI did not report IDLE within ${IDLE_WAIT_MS / 1000} s of DISCONNECTED; the call's handle is freed`, meta);
      void this.free(call, hCall);
    }, IDLE_WAIT_MS);
    if (!call.owner || call.dropping) return;
    call.dropping = true;
    const failed = (why: string): void => {
      call.dropping = false;
      d.log.debug(`lineDrop of the disconnected call failed: ${why}; its handle is freed now`, meta);
      void this.free(call, hCall);
    };
    d.telephony.drop(hCall).then(
      async (requestId) => {
        d.log.debug('TAPI lineDrop of the disconnected call (to IDLE)', { ...meta, requestId });
        const reply = await d.tracker.wait(requestId); // (a drop fails in its LINE_REPLY as a rule)
        if (reply.result !== 0) failed(lineErrName(reply.result));
      },
      (e: unknown) => failed((e as Error).message),
    );
  }

  /** The call's handle goes back to TAPI (IDLE, or no IDLE in time); not one a line close or re-init took. */
  private async free(call: TrackedCall, hCall: number): Promise<void> {
    const { d, registry } = this.c;
    call.idleWait?.();
    delete call.idleWait;
    if (call.deallocated || registry.byHandle(hCall) !== call) return;
    call.deallocated = true;
    registry.releaseHandle(hCall);
    await d.telephony.deallocate(hCall).catch((e: unknown) => d.log.debug(`lineDeallocateCall: ${(e as Error).message}`, { callId: call.record.data.CallID || undefined, hCall }));
  }

  /**
   * Another phone took a call that was not connected here (a colleague picked it up, or answered it on
   * a shared line: CONNECTED in LINECONNECTEDMODE_INACTIVE): not answered here. It rings on for DATEV
   * until it ends here (then Absence: DATEV knows no other end of an offered call) or is joined here
   * (CONNECTED, active). A call first seen taken elsewhere never rang here: DATEV gets it only if it is
   * joined. Calls made here are left as they are (their other stations are this user's too). Returns the
   * observation the state stands for here.
   */
  private takenElsewhere(call: TrackedCall, state: CallStateName, obs: ReturnType<typeof observationOf>): ReturnType<typeof observationOf> {
    const r = call.record;
    if (r.wasConnected || r.data.Direction === Direction.eDirOutgoing || !call.initialised) return obs;
    if (!r.takenElsewhere) {
      this.c.d.log.info(`the call was taken at another phone (${state === 'CONNECTED' ? 'answered there, LINECONNECTEDMODE_INACTIVE; answeredAtOtherStation "colleague"' : 'picked up, LINEDISCONNECTMODE_PICKUP'}); not answered here`, {
        callId: r.data.CallID,
        hCall: call.hCall,
      });
    }
    this.c.reporter.apply(call, { type: 'elsewhere' });
    return obs === 'connected' ? 'ringing' : obs;
  }

  /**
   * A new outgoing call to a number the program is dialling (its LINE_REPLY not in yet, or given up
   * on): it is that call, not a new one. Returns the program's call, 'dropped' when it had been given
   * up (the late call is hung up), or undefined for a call of its own.
   */
  private dialledByProgram(call: TrackedCall, hCall: number, state: CallStateName): TrackedCall | 'dropped' | undefined {
    const info = call.info;
    if (call.announced) return undefined; // dialled on the phone or by another program, however like ours
    if (observationOf(state) === undefined || directionOf(info?.origin ?? 0, state) !== Direction.eDirOutgoing) return undefined;
    // (its info may not be readable: then it is known by being the only call being dialled)
    const mine = this.c.registry.takeOutgoing(info ? remoteNumber(info, Direction.eDirOutgoing) : '', this.c.d.clock.now().getTime());
    if (!mine) return undefined;
    this.c.registry.releaseHandle(hCall);
    if (isEnded(mine)) {
      this.dialled.adoptLate(mine, hCall);
      return 'dropped';
    }
    this.c.registry.bindHandle(mine, hCall);
    mine.owner = true;
    this.c.d.log.info('TAPI: the call the program is dialling appeared before its LINE_REPLY', { callId: mine.record.data.CallID, hCall });
    this.dialled.exists(mine, this.c.d.clock.now());
    return mine;
  }

  /** First meaningful state of a call the program did not create: decide direction, number, reporting. */
  private initialise(call: TrackedCall, firstState: CallStateName): void {
    call.initialised = true;
    const direction = directionOf(call.info?.origin ?? 0, firstState);
    if (direction === Direction.eDirUnknown) this.awaitOrigin(call, firstState);
    else this.decide(call, firstState, direction);
  }

  /**
   * A call first seen in progress whose origin TAPI does not give (dwOrigin UNKNOWN, UNAVAIL or 0:
   * tapi.md §1.9 — it may become known, LINE_CALLINFO with ORIGIN). DATEV knows only incoming and
   * outgoing calls: the call waits for its origin at most the lookup budget, then goes to DATEV as
   * incoming — a guess, said in the log.
   */
  private awaitOrigin(call: TrackedCall, firstState: CallStateName): void {
    const { d, o } = this.c;
    const meta = { hCall: call.hCall, origin: `0x${(call.info?.origin ?? 0).toString(16)}`, state: firstState };
    d.log.info('TAPI gives no direction for the call yet (LINECALLINFO.dwOrigin); waiting for it', meta);
    const cancel = this.wait(() => {
      if (!call.originWait) return;
      delete call.originWait;
      d.log.warn('TAPI gave no direction for the call; it goes to DATEV as incoming (a guess: DATEV knows only incoming and outgoing)', meta);
      this.decide(call, firstState, Direction.eDirIncoming);
    }, o.lookupBudgetMs);
    call.originWait = { firstState, cancel };
  }

  /** The call's direction is known (or guessed): its number, whether it is reported, the lookup and the pop-up. */
  private decide(call: TrackedCall, firstState: CallStateName, direction: Direction, putThrough = false): void {
    const { d, o } = this.c;
    const info = call.info;
    const number = info ? remoteOf(this.c, info, direction) : '';
    // (a call a colleague put through began on the colleague's internal call: its origin says INTERNAL)
    call.internal = isInternalCall(putThrough ? undefined : info, number, o.dial.extensionLength, o.transferredCalls === 'report');
    call.withheld = info ? isWithheld(info) : false;
    call.remote = number;
    call.party = { number, name: info ? remoteName(info, direction) : '', id: '' };
    call.record.reportable = !(call.internal && o.reportCalls !== 'all');
    if (call.announced && info?.callId && this.resume(call, info.callId, direction, number)) return;
    call.record.reportUnanswered = o.reportUnanswered;
    call.record.onlyDatevContacts = o.reportCalls === 'contacts';
    const data = call.record.data;
    data.CallID = d.ids.next();
    data.Direction = direction;
    data.CalledNumber = number;
    data.DataSource = this.c.o.dataSource;
    this.c.registry.remember(call);
    d.log.info(`new ${Direction[direction]} call`, {
      callId: data.CallID,
      hCall: call.hCall,
      number: call.withheld ? '(withheld)' : d.mask.number(number),
      internal: call.internal,
      ...transferMeta(this.c, info),
      ...(putThrough ? { putThrough: true } : {}),
      reported: call.record.reportable ? [o.reportUnanswered ? 'from the first ring' : 'when answered', o.reportCalls === 'contacts' ? 'with a DATEV contact' : ''].filter(Boolean).join(', ') : false,
    });
    const lookup = number !== '' && !call.internal;
    if (lookup) this.lookup.start(call, number);
    else if (number === '' && !call.withheld) this.lookup.waitForCallerId(call);
    else this.c.reporter.apply(call, { type: 'announce' });
    if (direction === Direction.eDirIncoming && o.showIncomingDialog && (firstState === 'OFFERING' || firstState === 'ACCEPTED')) {
      // The contact lookup and DATEV's NewCall go first; the window (the slowest part: a new thread,
      // window creation, fonts) opens once DATEV has answered the NewCall, or after INCOMING_DIALOG_WAIT_MS
      // at most, so that it does not compete with the NewCall for the CPU. Measured under Wine on 2 cores
      // (bench:wine A/B, 2 runs each): OFFERING → DATEV has the NewCall p50 5.4/5.1 → 4.8/4.9 ms, and
      // DATEV's NewCall (it reads the call's fields back from this process) 30 → 20 ms.
      // A call DATEV is not told about (internal) opens it after this turn.
      const open = (): void => {
        if (!isEnded(call)) void this.dialogs.openIncoming(call);
      };
      // (a NewCall is on its way unless the call goes to DATEV only when answered; one that needs a DATEV
      // contact waits for the lookup like any call)
      if (call.record.reportable && call.record.reportUnanswered !== false) void this.c.reporter.answeredWithin(call, INCOMING_DIALOG_WAIT_MS, d.clock).then(open);
      else setImmediate(open);
    }
  }

  /**
   * A call TAPI announces as the line opens that the program's earlier run left going on (it was killed;
   * the journal kept it with TAPI's dwCallID): it goes on as that call — its CallID and SyncID, its
   * contact, its ring and connect times, and the DATEV that has it open, from what that DATEV has. True
   * when it is such a call.
   */
  private resume(call: TrackedCall, tapiCallId: number, direction: Direction, number: string): boolean {
    const { d } = this.c;
    const left = this.c.journal.resume(tapiCallId, direction);
    if (!left) return false;
    // the earlier run had it for DATEV (e.g. a caller put through to the user, whose origin says INTERNAL)
    call.internal = left.internal;
    call.record.reportable = true;
    const r = call.record;
    const data = r.data;
    data.CallID = left.callId;
    data.SyncID = left.syncId;
    data.Direction = direction;
    data.CalledNumber = left.number || number;
    data.Adressatenname = left.contact?.name ?? '';
    data.AdressatenId = left.contact?.id ?? '';
    data.DataSource = left.contact?.dataSource ?? this.c.o.dataSource;
    call.party = { number, name: left.contact?.name ?? call.party.name, id: left.contact?.id ?? '' };
    r.firstSeenAt = left.ringAt;
    if (left.connectedAt) call.resumedConnectedAt = left.connectedAt;
    if (left.openIn) {
      // the DATEV that has it open: only to that one, from where it is (its NewCall is not sent again);
      // one that is not told live any more gets it as a journal entry at its end
      r.reported = left.openIn.reported;
      r.datevId = left.openIn.datevId;
      r.datevContact = { Adressatenname: data.Adressatenname, AdressatenId: data.AdressatenId, DataSource: data.DataSource };
      if (left.openIn.lost || left.openIn.datevId === '') r.link = 'lost';
    }
    call.lookupDone = true;
    this.c.registry.remember(call);
    d.log.info(`${Direction[direction]} call going on since the program's last run (it ended without stopping properly); it goes on as the same call`, {
      callId: data.CallID,
      hCall: call.hCall,
      tapiCallId,
      datev: left.openIn ? `${left.openIn.reported} in ${left.openIn.datevId || '?'}${left.openIn.lost ? ', not told live any more' : ''}` : 'none yet',
    });
    this.c.reporter.apply(call, { type: 'announce' });
    return true;
  }

  private onCallInfo(hCall: number, info: CallInfo): void {
    const call = this.c.registry.byHandle(hCall);
    if (!call) {
      this.c.d.log.debug('TAPI LINE_CALLINFO for an unknown call; ignored', { hCall });
      return;
    }
    this.infoChanged(call, info);
  }

  /** The call's LINECALLINFO as TAPI has it now (LINE_CALLINFO, or the call announced again): its direction, its other party. */
  private infoChanged(call: TrackedCall, info: CallInfo): void {
    const { d } = this.c;
    const hCall = call.hCall;
    call.info = info;
    if (call.originWait) {
      const direction = directionOf(info.origin, undefined);
      if (direction === Direction.eDirUnknown) return;
      const { firstState, cancel } = call.originWait;
      cancel();
      delete call.originWait;
      d.log.info(`TAPI gives the call's direction (LINE_CALLINFO): ${Direction[direction]}`, { hCall, origin: `0x${info.origin.toString(16)}` });
      this.decide(call, firstState, direction);
      return;
    }
    this.parties.changed(call, info);
  }
}
