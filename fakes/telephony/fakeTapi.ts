/**
 * In-memory TAPI 2.x: `port` behaves like the native TAPI adapter, `pbx` plays the Wildix PBX/TSP
 * (incoming calls, ringback, remote answer/hangup, busy, late caller id, failures of any request) and
 * records every request. Events are delivered asynchronously (like LINE_* messages), in order.
 * `hang('lineClose' | 'lineShutdown')` plays a TSP that never returns from that call: like the native
 * adapter, the port gives it up after closeTimeoutMs (on the injected clock) with TelephonyTimeoutError.
 */
import {
  TelephonyError,
  TelephonyTimeoutError,
  type CallInfo,
  type LineInfo,
  type PartyId,
  type TelephonyEvent,
  type TelephonyListener,
  type TelephonyPort,
} from '../../src/telephony/port';
import {
  LINECALLORIGIN,
  LINECALLPARTYID,
  LINECALLPRIVILEGE,
  LINECALLREASON,
  LINECALLSTATE,
  LINECONNECTEDMODE,
  LINEDISCONNECTMODE,
  LINEERR,
  lineErrName,
  type CallStateName,
} from '../../src/telephony/tapiConstants';
import type { PbxDriver, RecordedTapiRequest } from '../../contracts/harness';
import { systemClock, type Clock } from '../../src/util/clock';

export interface FakeTapiOptions {
  /** Timers of the bounded calls (default: the system clock). */
  clock?: Clock;
  /** Bound of lineClose/lineShutdown, as NativeTelephonyPortOptions.closeTimeoutMs (default 2000). */
  closeTimeoutMs?: number;
}

/** TAPI calls a test can make hang (the TSP never returns from them). */
export type HangingCall = 'lineClose' | 'lineShutdown';

interface FakeLine {
  deviceId: number;
  permanentId: number;
  name: string;
  address: string;
  provider: string;
  hLine?: number;
}

interface FakeCall {
  callId: number;
  hCall: number;
  line: FakeLine;
  state: CallStateName;
  origin: number;
  caller: PartyId;
  called: PartyId;
  connected: PartyId;
  /** RedirectingID: who redirected or transferred the call here (unknown unless set). */
  redirecting?: PartyId;
  /** LINECALLREASON (default DIRECT). */
  reason?: number;
  deallocated: boolean;
  /** The mode of its last state (a call announced again keeps it: e.g. connected at another station). */
  mode?: number;
}

const NO_PARTY: PartyId = { flags: LINECALLPARTYID.UNKNOWN, number: '', name: '' };

export class FakeTapi {
  readonly port: TelephonyPort;
  readonly pbx: PbxDriver;
  readonly requests: RecordedTapiRequest[] = [];
  /** lineDrop takes the call through DISCONNECTED (LINEDISCONNECTMODE_NORMAL) to IDLE instead of straight to IDLE. */
  dropThroughDisconnected = false;
  private readonly lines: FakeLine[] = [];
  private readonly calls = new Map<number, FakeCall>(); // by hCall
  /** Calls going on at the PBX while their line was cut off (blipLine): announced again when it is reopened. */
  private survivors: FakeCall[] = [];
  private readonly listeners = new Set<TelephonyListener>();
  private readonly failures = new Map<string, { how: 'sync' | 'async'; code: number }>();
  private initialized = false;
  private nextHandle = 0x10001;
  private nextRequest = 1;
  /** breakOrder(): how the next lineMakeCallW breaks TAPI's order, and the replies held back so far. */
  private orderBreak?: { calledAs?: string; silent?: boolean };
  private readonly heldReplies: { requestId: number; hCall: number }[] = [];
  /** Calls of held replies whose states are held back too (breakOrder silent): by hCall. */
  private readonly silent = new Set<number>();
  private nextCallId = 1001;
  private lastCall = 0;
  private queue: Promise<void> = Promise.resolve();
  private readonly hangs = new Set<HangingCall>();
  private readonly clock: Clock;
  private readonly closeTimeoutMs: number;

  constructor(options: FakeTapiOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 2000;
    this.port = {
      initialize: async () => {
        this.record('lineInitializeExW', 0);
        this.fail('lineInitializeExW');
        this.initialized = true;
        return this.lineInfos();
      },
      listLines: async () => {
        this.requireInit('lineGetDevCapsW');
        return this.lineInfos();
      },
      openLine: async (permanentId) => this.openLine(permanentId),
      closeLine: async (hLine) => {
        this.requireInit('lineClose');
        const line = this.lines.find((l) => l.hLine === hLine);
        if (!line) throw this.error('lineClose', LINEERR.INVALLINEHANDLE);
        line.hLine = undefined;
        for (const c of this.calls.values()) if (c.line === line) this.calls.delete(c.hCall);
        if (this.hangs.delete('lineClose')) return this.timeout('lineClose');
        this.record('lineClose', 0);
      },
      makeCall: async (hLine, destination) => this.makeCall(hLine, destination),
      answer: async (hCall) => this.answer(hCall),
      drop: async (hCall) => this.drop(hCall),
      deallocate: async (hCall) => {
        const c = this.requireCall('lineDeallocateCall', hCall);
        this.fail('lineDeallocateCall', c.callId);
        this.record('lineDeallocateCall', 0, { callId: c.callId, state: c.state });
        c.deallocated = true;
        this.calls.delete(hCall);
      },
      getCallInfo: async (hCall) => {
        const c = this.requireCall('lineGetCallInfoW', hCall);
        this.fail('lineGetCallInfoW', c.callId);
        return this.info(c);
      },
      getCallState: async (hCall) => {
        const c = this.requireCall('lineGetCallStatus', hCall);
        this.fail('lineGetCallStatus', c.callId);
        return c.state;
      },
      shutdown: async () => {
        const was = this.initialized;
        this.initialized = false;
        this.calls.clear();
        for (const l of this.lines) l.hLine = undefined;
        // like the native adapter: listeners stay, events stop until the next initialize
        if (!was) return;
        if (this.hangs.delete('lineShutdown')) return this.timeout('lineShutdown');
        this.record('lineShutdown', 0);
      },
      onEvent: (listener) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
    };

    this.pbx = {
      addLine: async (name, address, provider = 'Wildix TAPI Service Provider') => {
        this.addLine(name, address, provider);
      },
      incoming: async (address, caller, name, internal) => this.incoming(address, caller, name ?? '', internal ?? false),
      ringback: async (callId) => this.setState(this.byCallId(callId), 'RINGBACK', 0),
      answer: async (callId) => {
        const c = this.byCallId(callId);
        if (c.origin === LINECALLORIGIN.OUTBOUND) c.connected = { ...c.called };
        this.setState(c, 'CONNECTED', 1);
      },
      answerElsewhere: async (callId) => this.setState(this.byCallId(callId), 'CONNECTED', LINECONNECTEDMODE.INACTIVE),
      busy: async (callId) => this.setState(this.byCallId(callId), 'BUSY', 1),
      hangup: async (callId, mode = 'NORMAL') => {
        const m = (LINEDISCONNECTMODE as Record<string, number>)[mode];
        if (m === undefined) throw new Error(`unknown disconnect mode ${mode}`);
        this.setState(this.byCallId(callId), 'DISCONNECTED', m);
      },
      callerId: async (callId, number, name = '') => {
        const c = this.byCallId(callId);
        c.caller = { flags: LINECALLPARTYID.ADDRESS | (name ? LINECALLPARTYID.NAME : 0), number, name };
        this.emitInfo(c, 0x8000);
      },
      transferredIn: async (address, caller) => this.transferredIn(address, caller),
      redirectingId: async (callId, number, name = '') => {
        const c = this.byCallId(callId);
        c.redirecting = { flags: LINECALLPARTYID.ADDRESS | (name ? LINECALLPARTYID.NAME : 0), number, name };
        this.emitInfo(c, 0x80000);
      },
      failNext: async (fn, how, code) => {
        this.failures.set(fn, { how, code: code >>> 0 });
      },
      closeLine: async (address) => this.cutLine(address, false),
      requests: async () => this.requests.map((r) => ({ ...r })),
      lastCallId: async () => this.lastCall,
    };
  }

  /** Synchronous helpers for tests and the simulation. */
  addLine(name: string, address: string, provider = 'Wildix TAPI Service Provider'): void {
    const deviceId = this.lines.length;
    this.lines.push({ deviceId, permanentId: 0x1000 + deviceId * 7 + 1, name, address, provider });
    if (this.initialized) this.emit({ type: 'lineAdded', deviceId });
  }

  removeLine(address: string): void {
    const line = this.lines.find((l) => l.address === address);
    if (!line) throw new Error(`no line with address ${address}`);
    if (line.hLine !== undefined) this.emit({ type: 'lineClosed', hLine: line.hLine });
    line.hLine = undefined;
    this.lines.splice(this.lines.indexOf(line), 1);
    this.emit({ type: 'lineRemoved', deviceId: line.deviceId });
  }

  reinit(): void {
    this.heldReplies.length = 0; // every request is void now (the program gets no reply for them)
    this.silent.clear();
    this.emit({ type: 'reinit' });
  }

  /**
   * The next lineMakeCallW breaks TAPI's order (tapi.md §1.6: no state of the call before its LINE_REPLY):
   * its LINE_REPLY is held back until releaseReplies() while its states come (`silent`: they do not
   * either — a reply that comes late, with the call); `calledAs`: the dialled number as this TSP reports
   * it in the call's info ('' for none).
   */
  breakOrder(o: { calledAs?: string; silent?: boolean } = {}): void {
    this.orderBreak = o;
  }

  /** The LINE_REPLYs breakOrder() held back come now, each followed by the call's state when it was silent. */
  releaseReplies(): void {
    this.releaseRepliesOf(undefined);
  }

  /** The held replies of the calls on `line` (all when undefined) come now. */
  private releaseRepliesOf(line: FakeLine | undefined): void {
    const going = this.heldReplies.filter((r) => !line || this.calls.get(r.hCall)?.line === line);
    for (const { requestId, hCall } of going) {
      this.heldReplies.splice(this.heldReplies.findIndex((r) => r.requestId === requestId), 1);
      this.emit({ type: 'reply', requestId, result: 0, hCall });
      if (!this.silent.delete(hCall)) continue;
      const c = this.calls.get(hCall);
      if (c) this.emit({ type: 'callState', hCall, state: c.state, mode: c.mode ?? 0, privilege: LINECALLPRIVILEGE.OWNER });
    }
  }

  /** Replies breakOrder() holds back now. */
  get repliesHeld(): number {
    return this.heldReplies.length;
  }

  /** LINE_LINEDEVSTATE of the open line with `address` (e.g. OUTOFSERVICE when the TSP loses the PBX). */
  lineState(address: string, state: number): void {
    this.emit({ type: 'lineState', hLine: this.openLineWith(address).hLine, state });
  }

  /**
   * The user dials `number` on the phone itself: TAPI announces the call (LINE_APPNEWCALL, as for every
   * call the program did not make) and reports it PROCEEDING. Returns its call id.
   */
  dialFromPhone(address: string, number: string): number {
    const line = this.openLineWith(address);
    const call = this.newCall(line, LINECALLORIGIN.OUTBOUND, { flags: LINECALLPARTYID.ADDRESS, number: address, name: '' }, { flags: LINECALLPARTYID.ADDRESS, number, name: '' });
    call.state = 'PROCEEDING';
    this.announce(call, line.hLine, 0);
    return call.callId;
  }

  /**
   * A call on a shared (bridged) address that the program first sees already answered at another
   * station (a colleague): announced CONNECTED in LINECONNECTEDMODE_INACTIVE. Returns its call id.
   */
  incomingAnsweredElsewhere(address: string, caller: string): number {
    const line = this.openLineWith(address);
    const call = this.newCall(line, LINECALLORIGIN.EXTERNAL, { flags: LINECALLPARTYID.ADDRESS, number: caller, name: '' }, { flags: LINECALLPARTYID.ADDRESS, number: address, name: '' });
    call.state = 'CONNECTED';
    this.announce(call, line.hLine, LINECONNECTEDMODE.INACTIVE);
    return call.callId;
  }

  /**
   * The PBX of a program that is gone (killed) goes on for this one: its calls still going on are here,
   * with their switch call ids (dwCallID), announced when the program opens their line; new calls get
   * ids after its. Call after the lines are added, before the program starts.
   */
  continueFrom(before: FakeTapi): void {
    this.nextCallId = Math.max(this.nextCallId, before.nextCallId);
    for (const c of [...before.calls.values(), ...before.survivors]) {
      if (c.state === 'IDLE' || c.state === 'DISCONNECTED') continue;
      const line = this.lines.find((l) => l.address === c.line.address);
      if (!line) continue;
      this.survivors.push({ ...c, line, hCall: 0, deallocated: false, caller: { ...c.caller }, called: { ...c.called }, connected: { ...c.connected } });
    }
  }

  /**
   * The TSP loses its link to the PBX for a moment: the line closes (LINE_CLOSE, handles dead) while its
   * calls go on at the PBX; when the program opens the line again they are announced with new handles
   * and the same dwCallID.
   */
  blipLine(address: string): void {
    this.cutLine(address, true);
  }

  /** The call ends at the PBX, but the TSP loses its events: TAPI knows it is idle, the program is not told. */
  endUnreported(callId: number): void {
    this.byCallId(callId).state = 'IDLE';
  }

  /** The next call of `fn` never returns inside the TSP: the port rejects it after closeTimeoutMs. */
  hang(fn: HangingCall): void {
    this.hangs.add(fn);
  }

  /** Resolves once every event queued so far has been delivered. */
  settle(): Promise<void> {
    return this.queue.then(() => new Promise<void>((r) => setImmediate(r)));
  }

  /** Whether the program has the line with this address open now. */
  isLineOpen(address: string): boolean {
    return this.lines.some((l) => l.address === address && l.hLine !== undefined);
  }

  /** The call is on an open line now (the PBX side can act on it; not while a line blip keeps it away). */
  hasCall(callId: number): boolean {
    for (const c of this.calls.values()) if (c.callId === callId) return true;
    return false;
  }

  /** The PBX's state of the call (also while a line blip keeps it away from the program), if it has it. */
  callStateOf(callId: number): CallStateName | undefined {
    for (const c of [...this.calls.values(), ...this.survivors]) if (c.callId === callId) return c.state;
    return undefined;
  }

  /** A call given up after the bound, as the native adapter does (the call is never recorded). */
  private timeout(fn: HangingCall): Promise<never> {
    return new Promise<never>((_, reject) => {
      this.clock.setTimeout(() => reject(new TelephonyTimeoutError(fn, this.closeTimeoutMs)), this.closeTimeoutMs);
    });
  }

  private lineInfos(): LineInfo[] {
    return this.lines.map((l) => ({
      deviceId: l.deviceId,
      permanentId: l.permanentId,
      name: l.name,
      provider: l.provider,
      apiVersion: 0x00020002,
      addresses: [{ addressId: 0, address: l.address }],
    }));
  }

  private async openLine(permanentId: number): Promise<number> {
    this.requireInit('lineOpenW');
    const line = this.lines.find((l) => l.permanentId === permanentId);
    if (!line) throw this.error('lineOpenW', LINEERR.BADDEVICEID, `no line with permanent id ${permanentId}`);
    this.fail('lineOpenW');
    if (line.hLine === undefined) line.hLine = this.nextHandle++;
    this.record('lineOpenW', 0);
    // like lineGetNewCalls after lineOpen: calls still going on are announced with new handles — and,
    // as from the native adapter (one channel from its TAPI thread), before the open's result
    const going = this.survivors.filter((s) => s.line === line);
    for (const c of going) {
      c.hCall = this.nextHandle++;
      this.calls.set(c.hCall, c);
      this.announce(c, line.hLine, c.mode ?? 0);
    }
    this.survivors = this.survivors.filter((s) => s.line !== line);
    if (going.length > 0) await this.queue;
    return line.hLine;
  }

  private async makeCall(hLine: number, destination: string): Promise<number> {
    this.requireInit('lineMakeCallW');
    const line = this.lines.find((l) => l.hLine === hLine && hLine !== undefined);
    if (!line) throw this.error('lineMakeCallW', LINEERR.INVALLINEHANDLE);
    const requestId = this.nextRequest++;
    const failure = this.takeFailure('lineMakeCallW');
    if (failure?.how === 'sync') {
      this.record('lineMakeCallW', failure.code, { dest: destination });
      throw this.error('lineMakeCallW', failure.code);
    }
    if (!/^[0-9A-D*#+!PTW,@$?;]+$/i.test(destination.replace(/ /g, '')) || destination.length > 80) {
      this.record('lineMakeCallW', LINEERR.INVALADDRESS, { dest: destination });
      throw this.error('lineMakeCallW', LINEERR.INVALADDRESS, `invalid destination "${destination.slice(0, 40)}"`);
    }
    if (failure) {
      this.record('lineMakeCallW', requestId, { dest: destination });
      this.emit({ type: 'reply', requestId, result: failure.code });
      return requestId;
    }
    const call = this.newCall(line, LINECALLORIGIN.OUTBOUND, { flags: LINECALLPARTYID.ADDRESS, number: line.address, name: '' }, {
      flags: LINECALLPARTYID.ADDRESS,
      number: destination,
      name: '',
    });
    call.state = 'DIALING';
    this.record('lineMakeCallW', requestId, { dest: destination, callId: call.callId });
    const broken = this.orderBreak;
    this.orderBreak = undefined;
    if (broken) {
      // its states come first (or nothing until the reply is released), its reply when released
      if (broken.calledAs !== undefined) call.called = { ...call.called, number: broken.calledAs };
      this.heldReplies.push({ requestId, hCall: call.hCall });
      if (broken.silent) {
        this.silent.add(call.hCall);
        return requestId;
      }
    } else this.emit({ type: 'reply', requestId, result: 0, hCall: call.hCall });
    this.emit({ type: 'callState', hCall: call.hCall, state: 'DIALING', mode: 0, privilege: LINECALLPRIVILEGE.OWNER });
    this.setState(call, 'PROCEEDING', 0);
    return requestId;
  }

  private async answer(hCall: number): Promise<number> {
    const c = this.requireCall('lineAnswer', hCall);
    if (c.state !== 'OFFERING' && c.state !== 'ACCEPTED') {
      this.record('lineAnswer', LINEERR.INVALCALLSTATE, { callId: c.callId });
      throw this.error('lineAnswer', LINEERR.INVALCALLSTATE, `call ${c.callId} is ${c.state}, not OFFERING`);
    }
    return this.asyncRequest('lineAnswer', c, () => this.setState(c, 'CONNECTED', 1));
  }

  private async drop(hCall: number): Promise<number> {
    const c = this.requireCall('lineDrop', hCall);
    if (c.state === 'IDLE') {
      this.record('lineDrop', LINEERR.INVALCALLSTATE, { callId: c.callId });
      throw this.error('lineDrop', LINEERR.INVALCALLSTATE, `call ${c.callId} is IDLE`);
    }
    return this.asyncRequest('lineDrop', c, () => {
      if (this.dropThroughDisconnected && c.state !== 'DISCONNECTED') this.setState(c, 'DISCONNECTED', LINEDISCONNECTMODE.NORMAL);
      this.setState(c, 'IDLE', 0);
    });
  }

  private asyncRequest(fn: string, c: FakeCall, onSuccess: () => void): number {
    const failure = this.takeFailure(fn);
    if (failure?.how === 'sync') {
      this.record(fn, failure.code, { callId: c.callId });
      throw this.error(fn, failure.code);
    }
    const requestId = this.nextRequest++;
    this.record(fn, requestId, { callId: c.callId });
    this.emit({ type: 'reply', requestId, result: failure ? failure.code : 0 });
    if (!failure) onSuccess();
    return requestId;
  }

  /** The open line with `address` (a test error when there is none). */
  private openLineWith(address: string): FakeLine & { hLine: number } {
    const line = this.lines.find((l) => l.address === address && l.hLine !== undefined);
    if (!line || line.hLine === undefined) throw new Error(`no open line with address ${address}`);
    return line as FakeLine & { hLine: number };
  }

  /**
   * LINE_CLOSE of the line with `address`: its calls end with it, or (`keepCalls`: the TSP lost its PBX
   * link for a moment) go on at the PBX and are announced again when the line is reopened.
   */
  private cutLine(address: string, keepCalls: boolean): void {
    const line = this.openLineWith(address);
    this.releaseRepliesOf(line); // a TSP completes the requests on a line before it closes it
    const hLine = line.hLine;
    (line as FakeLine).hLine = undefined;
    for (const c of [...this.calls.values()]) {
      if (c.line !== line) continue;
      this.calls.delete(c.hCall);
      if (keepCalls) this.survivors.push(c);
    }
    this.emit({ type: 'lineClosed', hLine });
  }

  /**
   * LINE_APPNEWCALL and the call's first LINE_CALLSTATE. Like the adapter, the call's info comes with
   * the announcement; a pending lineGetCallInfoW failure leaves it out (and stays for the program's own
   * getCallInfo, as a TSP that cannot read the call would).
   */
  private announce(c: FakeCall, hLine: number, mode: number, privilege: number = LINECALLPRIVILEGE.OWNER): void {
    const announced = { type: 'newCall', hLine, hCall: c.hCall, addressId: 0, privilege } as const;
    this.emit(this.failures.has('lineGetCallInfoW') ? announced : { ...announced, info: this.info(c) });
    this.emit({ type: 'callState', hCall: c.hCall, state: c.state, mode, privilege });
  }

  /**
   * An incoming call another application owns (e.g. the PBX vendor's own client, registered first for
   * the media mode): TAPI gives the program a monitor handle. Its owner clears it after a hang-up
   * (`idle`) — or never. Returns its call id.
   */
  incomingMonitored(address: string, caller: string): number {
    const line = this.openLineWith(address);
    const call = this.newCall(line, LINECALLORIGIN.EXTERNAL, { flags: LINECALLPARTYID.ADDRESS, number: caller, name: '' }, { flags: LINECALLPARTYID.ADDRESS, number: line.address, name: '' });
    call.state = 'OFFERING';
    this.announce(call, line.hLine, 1, LINECALLPRIVILEGE.MONITOR);
    return call.callId;
  }

  /**
   * A call already connected when TAPI announces it (e.g. the program started during it) with the origin
   * `origin` (LINECALLORIGIN; UNKNOWN, UNAVAIL or 0 leave its direction open). Returns its call id.
   */
  callInProgress(address: string, remote: string, origin: number): number {
    const line = this.openLineWith(address);
    const call = this.newCall(line, origin, { flags: LINECALLPARTYID.ADDRESS, number: remote, name: '' }, { flags: LINECALLPARTYID.ADDRESS, number: line.address, name: '' });
    call.connected = { flags: LINECALLPARTYID.ADDRESS, number: remote, name: '' }; // the other side, either way
    call.state = 'CONNECTED';
    this.announce(call, line.hLine, LINECONNECTEDMODE.ACTIVE);
    return call.callId;
  }

  /**
   * A caller a colleague transferred to `address` without consulting (a blind transfer): a new incoming
   * call with LINECALLREASON_TRANSFER, its origin `origin` (the colleague's internal leg, or the
   * caller's external one). Returns its call id.
   */
  transferredIn(address: string, caller: string, origin: number = LINECALLORIGIN.INTERNAL): number {
    const line = this.openLineWith(address);
    const call = this.newCall(line, origin, { flags: LINECALLPARTYID.ADDRESS, number: caller, name: '' }, { flags: LINECALLPARTYID.ADDRESS, number: line.address, name: '' });
    call.reason = LINECALLREASON.TRANSFER;
    call.state = 'OFFERING';
    this.announce(call, line.hLine, 1);
    return call.callId;
  }

  /**
   * The party an outgoing call is connected to changes (LINE_CALLINFO with CONNECTEDID): a diversion, or
   * the colleague the user called put a caller through.
   */
  connectedTo(callId: number, number: string): void {
    const c = this.byCallId(callId);
    c.connected = { flags: LINECALLPARTYID.ADDRESS, number, name: '' };
    this.emitInfo(c, 0x20000);
  }

  /**
   * The caller of a call the line's blip cut off changes at the PBX meanwhile (a colleague puts a caller
   * through): nobody is told; the call is announced with it when the line is open again.
   */
  callerWhileCut(callId: number, number: string): void {
    const c = this.survivors.find((s) => s.callId === callId);
    if (!c) throw new Error(`no call ${callId} cut off`);
    c.caller = { flags: LINECALLPARTYID.ADDRESS, number, name: '' };
  }

  /** TAPI learns the call's origin: LINE_CALLINFO with LINECALLINFOSTATE_ORIGIN. */
  setOrigin(callId: number, origin: number): void {
    const c = this.byCallId(callId);
    c.origin = origin;
    this.emitInfo(c, 0x100);
  }

  /** The call's owner (another application) clears the disconnected call: IDLE. */
  idle(callId: number): void {
    this.setState(this.byCallId(callId), 'IDLE', 0);
  }

  private incoming(address: string, caller: string, name: string, internal: boolean): number {
    const line = this.openLineWith(address);
    const anonymous = caller === 'anonymous';
    const party: PartyId = anonymous
      ? { flags: LINECALLPARTYID.BLOCKED, number: '', name: '' }
      : caller === ''
        ? { ...NO_PARTY }
        : { flags: LINECALLPARTYID.ADDRESS | (name ? LINECALLPARTYID.NAME : 0), number: caller, name };
    const call = this.newCall(line, internal ? LINECALLORIGIN.INTERNAL : LINECALLORIGIN.EXTERNAL, party, {
      flags: LINECALLPARTYID.ADDRESS,
      number: line.address,
      name: '',
    });
    call.state = 'OFFERING';
    this.announce(call, line.hLine, 1);
    return call.callId;
  }

  private newCall(line: FakeLine, origin: number, caller: PartyId, called: PartyId): FakeCall {
    const call: FakeCall = {
      callId: this.nextCallId++,
      hCall: this.nextHandle++,
      line,
      state: 'IDLE',
      origin,
      caller,
      called,
      connected: { ...NO_PARTY },
      deallocated: false,
    };
    this.calls.set(call.hCall, call);
    this.lastCall = call.callId;
    return call;
  }

  private setState(c: FakeCall, state: CallStateName, mode: number): void {
    c.state = state;
    c.mode = mode;
    if (this.silent.has(c.hCall)) return; // (its state goes with its reply: releaseReplies)
    this.emit({ type: 'callState', hCall: c.hCall, state, mode, privilege: 0 });
  }

  private emitInfo(c: FakeCall, changed: number): void {
    if (this.silent.has(c.hCall)) return;
    this.emit({ type: 'callInfo', hCall: c.hCall, changed, info: this.info(c) });
  }

  private info(c: FakeCall): CallInfo {
    return {
      hCall: c.hCall,
      hLine: c.line.hLine ?? 0,
      callId: c.callId,
      origin: c.origin,
      reason: c.reason ?? LINECALLREASON.DIRECT,
      caller: { ...c.caller },
      called: { ...c.called },
      connected: { ...c.connected },
      redirecting: { ...(c.redirecting ?? NO_PARTY) },
    };
  }

  private byCallId(callId: number): FakeCall {
    for (const c of this.calls.values()) if (c.callId === callId) return c;
    throw new Error(`no call with id ${callId}`);
  }

  private requireInit(fn: string): void {
    if (!this.initialized) throw this.error(fn, LINEERR.UNINITIALIZED);
  }

  private requireCall(fn: string, hCall: number): FakeCall {
    this.requireInit(fn);
    const c = this.calls.get(hCall);
    if (!c) throw this.error(fn, LINEERR.INVALCALLHANDLE, `invalid call handle 0x${hCall.toString(16)}`);
    return c;
  }

  private takeFailure(fn: string): { how: 'sync' | 'async'; code: number } | undefined {
    const f = this.failures.get(fn);
    if (f) this.failures.delete(fn);
    return f;
  }

  /** Throws a pending one-shot failure for a synchronous function (how is ignored there). */
  private fail(fn: string, callId?: number): void {
    const f = this.takeFailure(fn);
    if (!f) return;
    this.record(fn, f.code, callId === undefined ? {} : { callId });
    throw this.error(fn, f.code);
  }

  private record(fn: string, result: number, extra: { dest?: string; callId?: number; state?: string } = {}): void {
    this.requests.push({ fn, result, ...extra });
  }

  private error(fn: string, code: number, detail?: string): TelephonyError {
    return new TelephonyError(fn, code >>> 0, `${fn} failed: ${lineErrName(code)}${detail ? ` (${detail})` : ''}`);
  }

  private emit(event: TelephonyEvent): void {
    this.queue = this.queue.then(
      () =>
        new Promise<void>((resolve) => {
          setImmediate(() => {
            if (this.initialized) for (const l of [...this.listeners]) l(event);
            resolve();
          });
        }),
    );
  }
}

export { LINECALLSTATE };
