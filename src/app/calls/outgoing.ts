/**
 * Calls DATEV starts and DATEV's other requests: Dial (place the call, or say clearly why not),
 * Drop (hang up by CallID) and GetCallData. Dial never blocks DATEV: the adapter mints the CallID and
 * answers DATEV itself if the program is busy (DialContext.decided) — then a call the program cannot
 * place is reported to DATEV as failed (NewCall → Absence), never silently dropped.
 */
import { currentData } from '../../calls/callRecord';
import type { Contact } from '../../contacts/port';
import { Direction, emptyCallData, type DatevCallData, type RawCallData } from '../../datev/callData';
import type { DatevRequestHandlers, DialContext } from '../../datev/port';
import { rawString } from '../../datev/rawCallData';
import { MESSAGES } from '../../dialogs/texts';
import { toDialable } from '../../telephony/dialable';
import { lineErrName } from '../../telephony/tapiConstants';
import { contactFields } from '../contactResolver';
import { RequestTracker, type Reply } from '../requestTracker';
import type { CallContext } from './callContext';
import type { CallControl } from './callControl';
import type { CallDialogs } from './callDialogs';
import { settlesWithin } from '../../util/clock';
import { LATE_CALL_MS } from './callRegistry';
import { isEnded, newTrackedCall, type TrackedCall } from './trackedCall';

/** The outgoing window opens at the latest this long after DATEV's Dial, even when lineMakeCall hangs. */
const WINDOW_AFTER_MS = 50;

export class OutgoingCalls {
  constructor(
    private readonly c: CallContext,
    private readonly control: CallControl,
    private readonly dialogs: CallDialogs,
  ) {}

  readonly handlers: DatevRequestHandlers = {
    dial: (raw, ctx) => this.dial(raw, ctx),
    drop: (raw) => this.drop(raw),
    getCallData: (raw) => this.getCallData(raw),
  };

  private dial(raw: RawCallData, ctx: DialContext): void {
    const { d } = this.c;
    d.ids.claim(ctx.callId);
    const value = raw.CalledNumber;
    const syncId = rawString(raw, 'SyncID');
    const number = typeof value === 'string' ? value : '';
    const dialable =
      typeof value === 'string'
        ? toDialable(value, this.c.o.dial)
        : ({ ok: false, reason: `CalledNumber fehlt oder hat den falschen Typ (${value === null ? 'null' : typeof value})` } as const);
    const meta = { callId: ctx.callId, syncId: syncId || undefined, number: d.mask.number(number.slice(0, 64)) };
    if (!dialable.ok && !ctx.decided) {
      d.log.warn(`DATEV Dial rejected: ${dialable.reason}`, meta);
      this.control.showMessage(MESSAGES.dialRejected(dialable.reason), 'error');
      throw new Error(`Dial rejected: ${dialable.reason}`);
    }
    const id = rawString(raw, 'AdressatenId');
    const name = rawString(raw, 'Adressatenname');
    const contact: Contact | undefined = id && name ? { id, name, dataSource: rawString(raw, 'DataSource') || this.c.o.dataSource, number } : undefined;
    const data: DatevCallData = {
      ...emptyCallData(),
      ...contactFields(contact, this.c.o.dataSource),
      CallID: ctx.callId,
      SyncID: syncId,
      Direction: Direction.eDirOutgoing,
      CalledNumber: number.slice(0, 256),
    };
    const call = newTrackedCall(data, 'datev', { announceable: true, reportable: true }, {
      initialised: true,
      internal: dialable.ok && dialable.internal,
      party: { number, name: contact?.name ?? '', id: contact?.id ?? '' },
      lookupFor: number, // (DATEV gave the contact: nothing to look up)
      lookupDone: true,
    });
    this.c.registry.remember(call);
    if (!dialable.ok) {
      // DATEV already has its CallID (the program was busy when DATEV asked): report the call as failed
      d.log.warn(`DATEV Dial cannot be placed: ${dialable.reason}; reported to DATEV as failed`, meta);
      this.control.showMessage(MESSAGES.dialRejected(dialable.reason), 'error');
      this.fail(call, d.clock.now(), dialable.reason, false);
      return;
    }
    d.log.info('DATEV Dial', { ...meta, dialable: d.mask.number(dialable.dialable), contact: contact ? `${contact.dataSource}:${contact.id}` : undefined, decided: ctx.decided || undefined });
    void this.place(call, dialable.dialable);
    // after lineMakeCall went out (place() issues it before its first await): remembering the number and
    // the choice rewrites their files, whose serialisation grows with them (up to thousands of entries)
    if (contact) d.resolver.dialled(number, contact);
  }

  private drop(raw: RawCallData): void {
    const callId = rawString(raw, 'CallID');
    const call = callId ? this.c.registry.byId(callId) : undefined;
    if (!call) {
      this.c.d.log.warn('DATEV Drop for an unknown CallID; ignored', { callId: callId || '(empty)' });
      return;
    }
    this.c.d.log.info('DATEV Drop', { callId });
    this.control.hangUp(call, 'DATEV');
  }

  private getCallData(raw: RawCallData): DatevCallData | undefined {
    const callId = rawString(raw, 'CallID');
    const call = callId ? this.c.registry.byId(callId) : undefined;
    if (!call) {
      this.c.d.log.warn('DATEV GetCallData for an unknown CallID', { callId: callId || '(empty)' });
      return undefined;
    }
    this.c.d.log.info('DATEV GetCallData', { callId });
    return currentData(call.record);
  }

  private async place(call: TrackedCall, dialable: string): Promise<void> {
    const { d } = this.c;
    const now = d.clock.now();
    const hLine = d.currentLine();
    // lineMakeCall first, and DATEV's answer (it goes out right after this handler): creating the
    // window is the slowest part and must delay neither. It opens once lineMakeCall has returned (or
    // after WINDOW_AFTER_MS at the latest); its "Auflegen" waits for the call anyway.
    const made: Promise<number> = hLine === undefined ? Promise.reject(new Error('keine TAPI-Leitung verfügbar')) : d.telephony.makeCall(hLine, dialable);
    const shown = this.c.o.showOutgoingDialog ? this.openWhenMade(call, made) : Promise.resolve();
    let requestId: number;
    try {
      requestId = await made;
    } catch (e) {
      await shown;
      this.fail(call, now, (e as Error).message);
      return;
    }
    d.log.info('TAPI lineMakeCall', { callId: call.record.data.CallID, requestId });
    // the call's states may come before its LINE_REPLY (or the reply not at all): know it by its number
    this.c.registry.expectOutgoing(dialable, call, now.getTime() + LATE_CALL_MS);
    d.tracker.expect(requestId, (r) => this.onMakeCallReply(call, r, now, requestId));
  }

  private async openWhenMade(call: TrackedCall, made: Promise<number>): Promise<void> {
    await settlesWithin(this.c.d.clock, made, WINDOW_AFTER_MS);
    await this.dialogs.openOutgoing(call);
  }

  /** Runs synchronously inside the LINE_REPLY handling, before the call's first state event. */
  private onMakeCallReply(call: TrackedCall, r: Reply, startedAt: Date, requestId: number): void {
    if (r.result !== 0 || r.hCall === undefined) {
      const timeout = r.result === RequestTracker.TIMEOUT;
      if (timeout && call.hCall !== undefined) {
        // no LINE_REPLY, but the call is on the line (its early states found it): it goes on
        this.c.d.log.warn('TAPI: no LINE_REPLY of lineMakeCall in time, but the call is on the line; going on', { callId: call.record.data.CallID, hCall: call.hCall });
        this.c.registry.forgetOutgoing(call);
        return;
      }
      if (timeout) this.c.d.tracker.onLateReply(requestId, (late) => late.result === 0 && late.hCall !== undefined && this.adoptLate(call, late.hCall));
      else this.c.registry.forgetOutgoing(call);
      this.fail(call, startedAt, timeout ? 'keine Antwort von TAPI (LINE_REPLY)' : lineErrName(r.result));
      return;
    }
    this.c.registry.forgetOutgoing(call);
    // (its first states may have come before the reply and found it by its number already)
    this.takeFromOther(call, r.hCall);
    if (call.hCall !== r.hCall) this.c.registry.bindHandle(call, r.hCall);
    call.owner = true; // lineMakeCall's call is its maker's
    this.c.d.log.info('TAPI call created', { callId: call.record.data.CallID, hCall: r.hCall });
    this.exists(call, startedAt);
  }

  /**
   * The reply names a handle the program follows as another call: the dialled call's first states came
   * before its LINE_REPLY and were taken for a call of their own (their number did not tell, or two Dials
   * were waiting). That call is this one: it ends for DATEV rather than stay in progress for good (its
   * handle belongs to the dialled call from now on).
   */
  private takeFromOther(call: TrackedCall, hCall: number): void {
    const other = this.c.registry.byHandle(hCall);
    if (!other || other === call) return;
    this.c.d.log.warn('TAPI: the call the program dialled had been taken for another call before its LINE_REPLY; that one ends', {
      callId: call.record.data.CallID,
      other: other.record.data.CallID || undefined,
      hCall,
    });
    other.deallocated = true;
    this.c.registry.releaseHandle(hCall);
    if (!isEnded(other)) this.c.reporter.apply(other, { type: 'ended', at: this.c.d.clock.now() });
    void this.dialogs.close(other);
  }

  /** TAPI has the call the program dialled: it rings from its start, "Auflegen" works. */
  exists(call: TrackedCall, startedAt: Date): void {
    // the call exists from now on (its ring start), whatever state events the TSP sends or omits
    this.c.reporter.apply(call, { type: 'ringing', at: startedAt });
    this.dialogs.callExists(call);
    if (call.hangupRequested) this.control.hangUp(call, 'pending request');
  }

  /**
   * A call the program dialled shows up on the line after the program had given up waiting for it
   * (its LINE_REPLY came too late): the user and DATEV were told it failed, so it is hung up, and its
   * events belong to the failed call — never a second, unrelated call in DATEV.
   */
  adoptLate(call: TrackedCall, hCall: number): void {
    if (call.hCall === hCall) return;
    const { d } = this.c;
    d.log.warn('TAPI: the call whose LINE_REPLY of lineMakeCall did not come in time appeared after all; it is hung up', {
      callId: call.record.data.CallID,
      hCall,
    });
    this.takeFromOther(call, hCall);
    this.c.registry.bindHandle(call, hCall);
    call.owner = true;
    call.dropping = true;
    void d.telephony.drop(hCall).catch((e: unknown) => {
      call.dropping = false;
      d.log.warn(`lineDrop of the late call failed: ${(e as Error).message}`, { hCall });
    });
  }

  private fail(call: TrackedCall, startedAt: Date, why: string, tell = true): void {
    const { d } = this.c;
    d.log.warn(`outgoing call failed: ${why}`, { callId: call.record.data.CallID });
    this.c.reporter.apply(call, { type: 'ringing', at: startedAt });
    this.c.reporter.apply(call, { type: 'ended', at: d.clock.now() });
    void this.dialogs.close(call);
    if (tell) this.control.showMessage(MESSAGES.callFailed(why), 'error');
  }
}
