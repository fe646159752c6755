/**
 * The call flow: TAPI events and DATEV requests in, DATEV notifications and dialogs out. All decisions
 * about what DATEV is told are made by the pure state machine (src/calls/callRecord.ts); this class
 * only keeps the calls apart, wires the ports and handles their failures.
 */
import { step, newRecord, currentData, type CallEvent, type CallRecord } from '../calls/callRecord';
import type { CallIdSource } from '../calls/callIds';
import { directionOf, isTerminalState, isWithheld, observationOf, remoteName, remoteNumber } from '../calls/tapiMapping';
import type { Contact } from '../contacts/port';
import { DATA_SOURCE_WILDIX, Direction, emptyCallData, type DatevCallData, type RawCallData } from '../datev/callData';
import type { DatevRequestHandlers } from '../datev/port';
import { rawString } from '../datev/rawCallData';
import type { DialogPort, DialogResult, DialogSpec } from '../dialogs/port';
import { BUTTON, MESSAGES, TITLE, incomingDialog, outgoingDialog, outgoingUpdate, type OutgoingPhase, type PartyView } from '../dialogs/texts';
import type { Logger, Masker } from '../logging/logger';
import { toDialable, type DialOptions } from '../telephony/dialable';
import type { CallInfo, TelephonyEvent, TelephonyPort } from '../telephony/port';
import { lineErrName, type CallStateName } from '../telephony/tapiConstants';
import type { Clock } from '../util/clock';
import type { ContactResolver } from './contactResolver';
import { contactFields } from './contactResolver';
import type { DatevNotifier } from './datevNotifier';
import { RequestTracker, type Reply } from './requestTracker';

export interface CallManagerOptions {
  dial: DialOptions;
  reportCalls: 'all' | 'external';
  lookupBudgetMs: number;
  showIncomingDialog: boolean;
  showOutgoingDialog: boolean;
  ambiguity: 'ask' | 'lastChosen' | 'none';
}

export interface CallManagerDeps {
  telephony: TelephonyPort;
  dialogs: DialogPort;
  notifier: DatevNotifier;
  resolver: ContactResolver;
  tracker: RequestTracker;
  ids: CallIdSource;
  clock: Clock;
  log: Logger;
  mask: Masker;
  /** The open line's handle, undefined when there is none. */
  currentLine: () => number | undefined;
}

interface TrackedCall {
  hCall?: number;
  /** Latest LINECALLINFO of a call the program did not create. */
  info?: CallInfo;
  record: CallRecord;
  source: 'datev' | 'tapi';
  initialised: boolean;
  internal: boolean;
  withheld: boolean;
  party: PartyView;
  candidates: Contact[];
  lookupStarted: boolean;
  lookupDone: boolean;
  lastState?: CallStateName;
  dialogId?: number;
  dialogKind?: 'incoming' | 'outgoing';
  /** Heading and text the outgoing dialog shows now. */
  shownText?: string;
  hangupRequested: boolean;
  deallocated: boolean;
}

const HISTORY_LIMIT = 200;

export class CallManager {
  private readonly byHCall = new Map<number, TrackedCall>();
  private readonly byCallId = new Map<string, TrackedCall>();
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly d: CallManagerDeps,
    private readonly o: CallManagerOptions,
  ) {}

  /** The handlers registered with the DATEV port. */
  readonly datevHandlers: DatevRequestHandlers = {
    dial: (raw) => this.dial(raw),
    drop: (raw) => this.drop(raw),
    getCallData: (raw) => this.getCallData(raw),
  };

  /** Feed every telephony event here; they are handled one after another, in order. */
  handleEvent(e: TelephonyEvent): void {
    if (e.type === 'reply') {
      // synchronous, so a call handle is known before the call's first state event is handled
      this.d.tracker.handleReply(e.requestId, e.hCall === undefined ? { result: e.result } : { result: e.result, hCall: e.hCall });
      return;
    }
    this.queue = this.queue.then(() => this.process(e)).catch((err: unknown) => this.d.log.error(`event handling failed: ${(err as Error).stack ?? String(err)}`));
  }

  /** Resolves when every event received so far has been handled. */
  idle(): Promise<void> {
    return this.queue;
  }

  /** Calls in progress (for diagnostics and tests). */
  activeCalls(): DatevCallData[] {
    return [...this.byCallId.values()].filter((c) => c.record.observed !== 'ended').map((c) => currentData(c.record));
  }

  /**
   * The contact index changed: look up again every call in progress that has no contact yet; a hit
   * goes to DATEV as CallAdressatChanged.
   */
  recheckContacts(): void {
    for (const call of this.byCallId.values()) {
      if (call.record.observed === 'ended' || call.source === 'datev' || call.party.id || !call.party.number || call.internal) continue;
      const number = call.party.number;
      void this.d.resolver.resolve(number).then((res) => {
        if (!res.chosen || call.party.id || call.record.observed === 'ended') return;
        this.d.log.info('contact found after the index was updated', { callId: call.record.data.CallID, found: `${res.chosen.dataSource}:${res.chosen.id}` });
        call.candidates = res.candidates;
        call.party = { ...call.party, name: res.chosen.name, id: res.chosen.id, number: res.chosen.number || call.party.number };
        this.apply(call, { type: 'contact', contact: contactFields(res.chosen, DATA_SOURCE_WILDIX) });
        this.refreshDialog(call);
      });
    }
  }

  /** Close every dialog; calls stay as they are on the phone. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.queue;
    for (const c of this.byCallId.values()) await this.closeDialog(c);
  }

  // ---------------------------------------------------------------- DATEV → program

  private dial(raw: RawCallData): string {
    const value = raw.CalledNumber;
    const syncId = rawString(raw, 'SyncID');
    const meta = { syncId: syncId || undefined, type: typeof value };
    if (typeof value !== 'string') {
      return this.rejectDial(`CalledNumber fehlt oder hat den falschen Typ (${value === null ? 'null' : typeof value})`, meta);
    }
    const number: string = value;
    const dialable = toDialable(number, this.o.dial);
    if (!dialable.ok) return this.rejectDial(dialable.reason, { ...meta, number: this.d.mask.number(number.slice(0, 64)) });

    const id = rawString(raw, 'AdressatenId');
    const name = rawString(raw, 'Adressatenname');
    const contact: Contact | undefined = id && name ? { id, name, dataSource: rawString(raw, 'DataSource') || DATA_SOURCE_WILDIX, number } : undefined;
    const data: DatevCallData = {
      ...emptyCallData(),
      ...contactFields(contact, DATA_SOURCE_WILDIX),
      CallID: this.d.ids.next(),
      SyncID: syncId,
      Direction: Direction.eDirOutgoing,
      CalledNumber: number,
    };
    const call: TrackedCall = {
      record: newRecord(data, { announceable: true, reportable: true }),
      source: 'datev',
      initialised: true,
      internal: dialable.internal,
      withheld: false,
      party: { number, name: contact?.name ?? '', id: contact?.id ?? '' },
      candidates: [],
      lookupStarted: true,
      lookupDone: true,
      hangupRequested: false,
      deallocated: false,
    };
    this.remember(call);
    if (contact) this.d.resolver.dialled(number, contact);
    this.d.log.info('DATEV Dial', { callId: data.CallID, syncId: syncId || undefined, number: this.d.mask.number(data.CalledNumber), dialable: this.d.mask.number(dialable.dialable), contact: contact ? `${contact.dataSource}:${contact.id}` : undefined });
    void this.startOutgoing(call, dialable.dialable);
    return data.CallID;
  }

  private rejectDial(reason: string, meta: Record<string, unknown>): never {
    this.d.log.warn(`DATEV Dial rejected: ${reason}`, meta);
    this.showMessage(MESSAGES.dialRejected(reason), 'error');
    throw new Error(`Dial rejected: ${reason}`);
  }

  private drop(raw: RawCallData): void {
    const callId = rawString(raw, 'CallID');
    const call = callId ? this.byCallId.get(callId) : undefined;
    if (!call) {
      this.d.log.warn('DATEV Drop for an unknown CallID; ignored', { callId: callId || '(empty)' });
      return;
    }
    this.d.log.info('DATEV Drop', { callId });
    this.hangUp(call, 'DATEV');
  }

  private getCallData(raw: RawCallData): DatevCallData | undefined {
    const callId = rawString(raw, 'CallID');
    const call = callId ? this.byCallId.get(callId) : undefined;
    if (!call) {
      this.d.log.warn('DATEV GetCallData for an unknown CallID', { callId: callId || '(empty)' });
      return undefined;
    }
    this.d.log.info('DATEV GetCallData', { callId });
    return currentData(call.record);
  }

  private async startOutgoing(call: TrackedCall, dialable: string): Promise<void> {
    const now = this.d.clock.now();
    if (this.o.showOutgoingDialog) {
      const spec = outgoingDialog(call.party);
      call.shownText = `${spec.heading}\n${spec.text}`;
      await this.openDialog(call, 'outgoing', spec);
    }
    const hLine = this.d.currentLine();
    if (hLine === undefined) {
      this.failOutgoing(call, now, 'keine TAPI-Leitung verfügbar');
      return;
    }
    let requestId: number;
    try {
      requestId = await this.d.telephony.makeCall(hLine, dialable);
    } catch (e) {
      this.failOutgoing(call, now, (e as Error).message);
      return;
    }
    this.d.log.info('TAPI lineMakeCall', { callId: call.record.data.CallID, requestId });
    this.d.tracker.expect(requestId, (r) => this.onMakeCallReply(call, r, now));
  }

  /** Runs synchronously inside the LINE_REPLY handling, before the call's first state event. */
  private onMakeCallReply(call: TrackedCall, r: Reply, startedAt: Date): void {
    if (r.result !== 0 || r.hCall === undefined) {
      const why = r.result === RequestTracker.TIMEOUT ? 'keine Antwort von TAPI (LINE_REPLY)' : lineErrName(r.result);
      this.failOutgoing(call, startedAt, why);
      return;
    }
    call.hCall = r.hCall;
    this.byHCall.set(r.hCall, call);
    this.d.log.info('TAPI call created', { callId: call.record.data.CallID, hCall: r.hCall });
    // the call exists from now on (its ring start), whatever state events the TSP sends or omits
    this.apply(call, { type: 'ringing', at: startedAt });
    if (call.dialogId !== undefined) void this.d.dialogs.setButtonEnabled(call.dialogId, 'hangup', true).catch(() => undefined);
    if (call.hangupRequested) this.hangUp(call, 'pending request');
  }

  private failOutgoing(call: TrackedCall, startedAt: Date, why: string): void {
    this.d.log.warn(`outgoing call failed: ${why}`, { callId: call.record.data.CallID });
    this.apply(call, { type: 'ringing', at: startedAt });
    this.apply(call, { type: 'ended', at: this.d.clock.now() });
    void this.closeDialog(call);
    this.showMessage(MESSAGES.callFailed(why), 'error');
  }

  // ---------------------------------------------------------------- TAPI → program

  private async process(e: TelephonyEvent): Promise<void> {
    switch (e.type) {
      case 'newCall':
        if (!this.byHCall.has(e.hCall)) await this.track(e.hCall);
        return;
      case 'callState':
        return this.onCallState(e.hCall, e.state);
      case 'callInfo':
        return this.onCallInfo(e.hCall, e.info);
      case 'lineClosed':
        return this.onLineGone(e.hLine);
      default:
        return;
    }
  }

  private async track(hCall: number): Promise<TrackedCall> {
    let info: CallInfo | undefined;
    try {
      info = await this.d.telephony.getCallInfo(hCall);
    } catch (e) {
      this.d.log.warn(`lineGetCallInfo failed for a new call: ${(e as Error).message}`, { hCall });
    }
    const call: TrackedCall = {
      hCall,
      record: newRecord(emptyCallData(), { announceable: false, reportable: true }),
      source: 'tapi',
      initialised: false,
      internal: false,
      withheld: false,
      party: { number: '', name: '', id: '' },
      candidates: [],
      lookupStarted: false,
      lookupDone: false,
      hangupRequested: false,
      deallocated: false,
    };
    if (info) call.info = info;
    this.byHCall.set(hCall, call);
    return call;
  }

  private async onCallState(hCall: number, state: CallStateName): Promise<void> {
    let call = this.byHCall.get(hCall);
    if (!call) {
      if (isTerminalState(state)) {
        this.d.log.debug(`TAPI ${state} for an unknown call; ignored`, { hCall });
        return;
      }
      call = await this.track(hCall);
    }
    const callId = call.record.data.CallID || undefined;
    this.d.log.info(`TAPI LINE_CALLSTATE ${state}`, { callId, hCall });
    const first = call.lastState === undefined;
    call.lastState = state;
    if (!call.initialised && observationOf(state) !== undefined) this.initialise(call, state);
    const now = this.d.clock.now();
    const obs = observationOf(state);
    if (obs) this.apply(call, { type: obs, at: now });
    if (first || obs) this.updateDialogFor(call, state);
    if (isTerminalState(state) && !call.deallocated) {
      call.deallocated = true;
      this.byHCall.delete(hCall);
      await this.d.telephony.deallocate(hCall).catch((e: unknown) => this.d.log.debug(`lineDeallocateCall: ${(e as Error).message}`, { callId, hCall }));
    }
  }

  /** First meaningful state of a call the program did not create: decide direction, number, reporting. */
  private initialise(call: TrackedCall, firstState: CallStateName): void {
    call.initialised = true;
    const info = call.info;
    const direction = directionOf(info?.origin ?? 0, firstState);
    const number = info ? remoteNumber(info, direction) : '';
    const digits = number.replace(/[^0-9]/g, '');
    const originInternal = info ? (info.origin & 0x2) !== 0 : false;
    call.internal = originInternal || (digits.length > 0 && digits.length <= this.o.dial.extensionLength && !number.startsWith('+'));
    call.withheld = info ? isWithheld(info) : false;
    call.party = { number, name: info ? remoteName(info, direction) : '', id: '' };
    const data = call.record.data;
    data.CallID = this.d.ids.next();
    data.Direction = direction;
    data.CalledNumber = number;
    data.DataSource = DATA_SOURCE_WILDIX;
    call.record.reportable = !(call.internal && this.o.reportCalls === 'external');
    this.remember(call);
    this.d.log.info(`new ${Direction[direction]} call`, {
      callId: data.CallID,
      hCall: call.hCall,
      number: call.withheld ? '(withheld)' : this.d.mask.number(number),
      internal: call.internal,
      reported: call.record.reportable,
    });
    const lookup = number !== '' && !call.internal;
    if (lookup) this.startLookup(call, number);
    else if (number === '' && !call.withheld) this.waitForCallerId(call);
    else this.apply(call, { type: 'announce' });
    if (direction === Direction.eDirIncoming && this.o.showIncomingDialog && (firstState === 'OFFERING' || firstState === 'ACCEPTED')) {
      void this.openIncomingDialog(call);
    }
  }

  /** Caller id may come later (LINE_CALLINFO): NewCall waits at most the lookup budget for it. */
  private waitForCallerId(call: TrackedCall): void {
    this.d.clock.setTimeout(() => this.apply(call, { type: 'announce' }), this.o.lookupBudgetMs);
  }

  private startLookup(call: TrackedCall, number: string): void {
    call.lookupStarted = true;
    let announced = false;
    const announce = (): void => {
      if (announced) return;
      announced = true;
      this.apply(call, { type: 'announce' });
    };
    const cancel = this.d.clock.setTimeout(announce, this.o.lookupBudgetMs);
    void this.d.resolver.resolve(number).then((res) => {
      cancel();
      call.lookupDone = true;
      call.candidates = res.candidates;
      if (res.chosen) {
        call.party = { ...call.party, name: res.chosen.name, id: res.chosen.id, number: res.chosen.number || call.party.number };
        this.apply(call, { type: 'contact', contact: contactFields(res.chosen, DATA_SOURCE_WILDIX) });
      }
      announce();
      this.d.log.info('contact lookup', {
        callId: call.record.data.CallID,
        found: res.chosen ? `${res.chosen.dataSource}:${res.chosen.id}` : 'none',
        candidates: res.candidates.length || undefined,
      });
      this.refreshDialog(call);
    });
  }

  private onCallInfo(hCall: number, info: CallInfo): void {
    const call = this.byHCall.get(hCall);
    if (!call) {
      this.d.log.debug('TAPI LINE_CALLINFO for an unknown call; ignored', { hCall });
      return;
    }
    call.info = info;
    if (!call.initialised || call.source === 'datev') return;
    const number = remoteNumber(info, call.record.data.Direction);
    if (number === '' || number === call.party.number) return;
    this.d.log.info('TAPI caller id updated (LINE_CALLINFO)', { callId: call.record.data.CallID, number: this.d.mask.number(number) });
    call.party = { ...call.party, number };
    call.record.data.CalledNumber = number;
    if (!call.lookupStarted) this.startLookup(call, number);
    this.refreshDialog(call);
  }

  private onLineGone(hLine: number): void {
    for (const call of [...this.byHCall.values()]) {
      const info = call.info;
      if (info && info.hLine !== hLine) continue;
      this.d.log.warn('line closed while a call was in progress; the call is closed for DATEV', { callId: call.record.data.CallID });
      this.apply(call, { type: 'ended', at: this.d.clock.now() });
      if (call.hCall !== undefined) this.byHCall.delete(call.hCall);
      void this.closeDialog(call);
    }
  }

  // ---------------------------------------------------------------- state machine and notifications

  private apply(call: TrackedCall, event: CallEvent): void {
    const { record, notifications } = step(call.record, event);
    call.record = record;
    for (const n of notifications) this.d.notifier.send(n);
  }

  private remember(call: TrackedCall): void {
    this.byCallId.set(call.record.data.CallID, call);
    if (this.byCallId.size <= HISTORY_LIMIT) return;
    for (const [id, c] of this.byCallId) {
      if (this.byCallId.size <= HISTORY_LIMIT) break;
      if (c.record.observed === 'ended') this.byCallId.delete(id);
    }
  }

  // ---------------------------------------------------------------- dialogs

  private async openDialog(call: TrackedCall, kind: 'incoming' | 'outgoing', spec: DialogSpec): Promise<void> {
    if (this.stopped) return;
    try {
      const id = await this.d.dialogs.show(spec);
      call.dialogId = id;
      call.dialogKind = kind;
      void this.d.dialogs.result(id).then((r) => this.onDialogResult(call, id, r), () => undefined);
    } catch (e) {
      this.d.log.warn(`dialog cannot be shown: ${(e as Error).message}`, { callId: call.record.data.CallID });
    }
  }

  private incomingView(call: TrackedCall): PartyView {
    const alternatives = call.party.id ? [] : call.candidates.map((c) => ({ name: c.name, id: c.id }));
    return { ...call.party, alternatives, searching: call.lookupStarted && !call.lookupDone };
  }

  private incomingSpec(call: TrackedCall): DialogSpec {
    const spec = incomingDialog(this.incomingView(call), call.internal);
    if (this.o.ambiguity !== 'none' && !call.party.id) {
      for (const [i, c] of call.candidates.slice(0, 3).entries()) spec.buttons.push({ id: `contact:${i}`, label: `${c.name} (${c.id})`, enabled: true });
    }
    return spec;
  }

  private async openIncomingDialog(call: TrackedCall): Promise<void> {
    const spec = this.incomingSpec(call);
    await this.openDialog(call, 'incoming', spec);
    if (call.record.observed !== 'ringing') {
      void this.closeDialog(call);
      return;
    }
    // the lookup may have finished while the window was being created
    const now = this.incomingSpec(call);
    if (now.heading !== spec.heading || now.text !== spec.text || now.buttons.length !== spec.buttons.length) this.refreshDialog(call);
  }

  private refreshDialog(call: TrackedCall): void {
    if (call.dialogId === undefined) return;
    if (call.dialogKind === 'incoming') {
      const spec = this.incomingSpec(call);
      if (spec.buttons.length > 2) {
        // the choice needs buttons: show the dialog again with them
        const old = call.dialogId;
        call.dialogId = undefined;
        void this.d.dialogs.close(old).then(() => this.openIncomingDialog(call), () => undefined);
        return;
      }
      void this.d.dialogs.update(call.dialogId, spec.heading, spec.text).catch(() => undefined);
      return;
    }
    this.updateOutgoing(call, this.outgoingPhase(call));
  }

  private outgoingPhase(call: TrackedCall): OutgoingPhase {
    switch (call.record.observed) {
      case 'connected':
        return 'connected';
      case 'ended':
        return 'ended';
      default:
        return call.lastState === 'RINGBACK' ? 'ringing' : 'dialing';
    }
  }

  private updateOutgoing(call: TrackedCall, phase: OutgoingPhase): void {
    if (call.dialogId === undefined) return;
    const u = outgoingUpdate(call.party, phase);
    const shown = `${u.heading}\n${u.text}`;
    if (shown === call.shownText) return; // several TAPI states read the same to the user
    call.shownText = shown;
    void this.d.dialogs.update(call.dialogId, u.heading, u.text).catch(() => undefined);
  }

  private updateDialogFor(call: TrackedCall, state: CallStateName): void {
    const obs = observationOf(state);
    if (obs === 'ended' || (obs === 'connected' && call.dialogKind === 'incoming')) {
      void this.closeDialog(call);
      return;
    }
    if (call.dialogKind === 'outgoing') this.updateOutgoing(call, this.outgoingPhase(call));
  }

  private async closeDialog(call: TrackedCall): Promise<void> {
    const id = call.dialogId;
    if (id === undefined) return;
    call.dialogId = undefined;
    await this.d.dialogs.close(id).catch(() => undefined);
  }

  private onDialogResult(call: TrackedCall, id: number, r: DialogResult): void {
    if (call.dialogId === id) call.dialogId = undefined;
    if (r.reason !== 'button' || !r.choice) return;
    const callId = call.record.data.CallID;
    this.d.log.info(`dialog: user chose ${r.choice}`, { callId });
    if (r.choice === 'answer') void this.request(call, 'answer', BUTTON.answer);
    else if (r.choice === 'reject') void this.request(call, 'drop', BUTTON.reject);
    else if (r.choice === 'hangup') this.hangUp(call, 'dialog');
    else if (r.choice.startsWith('contact:')) this.chooseContact(call, Number(r.choice.slice(8)));
  }

  private chooseContact(call: TrackedCall, index: number): void {
    const c = call.candidates[index];
    if (!c) return;
    this.d.resolver.chosen(call.party.number, c);
    call.party = { ...call.party, name: c.name, id: c.id };
    this.apply(call, { type: 'contact', contact: contactFields(c, DATA_SOURCE_WILDIX) });
    if (call.record.observed === 'ringing') void this.openIncomingDialog(call);
  }

  private hangUp(call: TrackedCall, by: string): void {
    if (call.record.observed === 'ended') {
      this.d.log.info(`hang-up by ${by}: call already ended`, { callId: call.record.data.CallID });
      return;
    }
    if (call.hCall === undefined) {
      call.hangupRequested = true;
      this.d.log.info(`hang-up by ${by} before TAPI has the call; dropping when it does`, { callId: call.record.data.CallID });
      return;
    }
    void this.request(call, 'drop', BUTTON.hangup);
  }

  private async request(call: TrackedCall, what: 'answer' | 'drop', label: string): Promise<void> {
    const hCall = call.hCall;
    if (hCall === undefined) return;
    const callId = call.record.data.CallID;
    try {
      const requestId = await (what === 'answer' ? this.d.telephony.answer(hCall) : this.d.telephony.drop(hCall));
      this.d.log.info(`TAPI line${what === 'answer' ? 'Answer' : 'Drop'}`, { callId, hCall, requestId });
      const reply = await this.d.tracker.wait(requestId);
      if (reply.result !== 0) throw new Error(reply.result === RequestTracker.TIMEOUT ? 'keine Antwort von TAPI' : lineErrName(reply.result));
    } catch (e) {
      this.d.log.warn(`${what} failed: ${(e as Error).message}`, { callId, hCall });
      this.showMessage(MESSAGES.actionFailed(label, (e as Error).message), 'error');
    }
  }

  private showMessage(text: string, kind: 'info' | 'error'): void {
    if (this.stopped) return;
    void this.d.dialogs.message(TITLE, text, kind).catch((e: unknown) => this.d.log.warn(`message dialog failed: ${(e as Error).message}`));
  }
}

