/**
 * TAPI's events for the calls on the line: a new call (incoming, or outgoing dialled on the phone),
 * its states, late caller ids, the line closing and TAPI re-initialising. Decides direction, number,
 * whether the call is internal and reported, starts the contact lookup (NewCall waits for it at most
 * the lookup budget) and opens the incoming pop-up.
 */
import { directionOf, isInternalCall, isTakenElsewhere, isTerminalState, isWithheld, observationOf, partyChange, partyNumber, remoteName, remoteNumber, sameNumber } from '../../calls/tapiMapping';
import { Direction, emptyCallData } from '../../datev/callData';
import type { CallInfo, TelephonyEvent } from '../../telephony/port';
import { LINECALLPRIVILEGE, LINECALLREASON, LINEERR, lineErrName, type CallStateName } from '../../telephony/tapiConstants';
import type { CallContext } from './callContext';
import { CallLookup } from './callLookup';
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
  /**
   * Calls cut off by a line close or a TAPI re-init, by TAPI's dwCallID: announced again when the line
   * is back, they go on; else they end after callReattachMs, at the moment they were cut off.
   */
  private readonly detached = new Map<number, { call: TrackedCall; at: Date; cancel: () => void }>();
  /** The bounded waits of calls (for IDLE, for their origin): all cancelled when the program stops. */
  private readonly waits = new Set<() => void>();
  private readonly lookup: CallLookup;

  constructor(
    private readonly c: CallContext,
    private readonly dialogs: CallDialogs,
    private readonly dialled: DialledCalls,
  ) {
    this.lookup = new CallLookup(c, dialogs);
  }

  /** The calls still waiting to be announced again end now; no wait for IDLE or an origin goes on (the program stops). */
  stop(): void {
    for (const { cancel } of this.detached.values()) cancel();
    this.detached.clear();
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
        if (this.reattach(e.hCall, info, e.privilege)) return;
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
        return this.endCalls((call) => !call.info || call.info.hLine === e.hLine, 'line closed while a call was in progress');
      case 'reinit':
        // every call handle and request becomes invalid: a Dial still waiting for its LINE_REPLY fails
        // now, the calls are cut off (announced again, they go on), a reused handle is a new call
        this.c.d.tracker.abandonAll(LINEERR.REINIT);
        return this.endCalls(() => true, 'TAPI re-initialises (LINEDEVSTATE_REINIT) while a call was in progress');
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

  /** A call TAPI announces again after a line close / re-init (same dwCallID): it goes on as it was. */
  private reattach(hCall: number, info: CallInfo | undefined, privilege: number): boolean {
    const id = info?.callId ?? 0;
    const cut = id !== 0 ? this.detached.get(id) : undefined;
    if (!cut) return false;
    cut.cancel();
    this.detached.delete(id);
    const call = cut.call;
    call.deallocated = false;
    call.owner = isOwner(privilege);
    this.c.registry.bindHandle(call, hCall);
    this.c.d.log.info('the call cut off by the line close / TAPI re-init is back; it goes on', { callId: call.record.data.CallID, hCall, tapiCallId: id });
    // (what changed while it was cut off: e.g. a colleague put the caller through meanwhile)
    if (info) this.infoChanged(call, info);
    return true;
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
    if (observationOf(state) === undefined || directionOf(info?.origin ?? 0, state) !== Direction.eDirOutgoing || !info) return undefined;
    const mine = this.c.registry.takeOutgoing(remoteNumber(info, Direction.eDirOutgoing), this.c.d.clock.now().getTime());
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

  /** The other party's number as the program uses it (lookup, DATEV, the call list): without the outside-line prefix where it stands. */
  private remoteOf(info: CallInfo, direction: Direction): string {
    return remoteNumber(info, direction, { ...this.c.o.dial, onCallers: this.c.o.outsideLinePrefixOnCallers });
  }

  /**
   * Why the call came (LINECALLREASON, when not DIRECT) and who redirected or transferred it
   * (RedirectingID, when TAPI says), for the log: how the Wildix TSP uses them is an open question.
   */
  private transferMeta(info: CallInfo | undefined): { reason?: string; redirecting?: string } {
    const redirecting = info?.redirecting ? partyNumber(info.redirecting) : '';
    return {
      ...(info && info.reason !== LINECALLREASON.DIRECT ? { reason: `0x${info.reason.toString(16)}` } : {}),
      ...(redirecting !== '' ? { redirecting: this.c.d.mask.number(redirecting) } : {}),
    };
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
    const number = info ? this.remoteOf(info, direction) : '';
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
      ...this.transferMeta(info),
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
    const { d, o } = this.c;
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
    if (!call.initialised || call.source === 'datev' || isEnded(call)) return;
    const number = this.remoteOf(info, call.record.data.Direction);
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
    this.partyChanged(call, number, info);
  }

  /**
   * The other party of a call going on changed (LINE_CALLINFO with another caller id, or connected id of
   * an outgoing call). The log has what TAPI said (how the Wildix TSP reports transfers is unknown).
   */
  private partyChanged(call: TrackedCall, number: string, info: CallInfo): void {
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
      ...this.transferMeta(info),
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

  /**
   * The calls matching `which` lost their handles: forgotten, their windows closed. A call TAPI gave
   * an id (dwCallID) waits callReattachMs to be announced again when the line is back (a PBX link
   * blip); the others, and those that do not come back, are over for DATEV from the moment of the cut.
   */
  private endCalls(which: (call: TrackedCall) => boolean, why: string): void {
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

/** The program holds the call as its owner (a LINE_APPNEWCALL's / first LINE_CALLSTATE's dwParam3). */
function isOwner(privilege: number): boolean {
  return (privilege & LINECALLPRIVILEGE.OWNER) !== 0;
}
