/**
 * The call flow, composed of its concepts (src/app/calls/): TAPI's events (telephonyEvents), calls
 * DATEV starts and its requests (outgoing), what the user sees and does (callDialogs, callControl),
 * and the one way to DATEV (datevReporter → the pure state machine in src/calls/callRecord.ts, which
 * alone decides what DATEV is told).
 */
import type { DatevCallData } from '../datev/callData';
import type { DatevRequestHandlers } from '../datev/port';
import type { TelephonyEvent } from '../telephony/port';
import type { CallContext, CallManagerDeps, CallManagerOptions } from './calls/callContext';
import { CallControl } from './calls/callControl';
import { CallDialogs } from './calls/callDialogs';
import { CallRegistry } from './calls/callRegistry';
import { DatevReporter, type CallJournal } from './calls/datevReporter';
import { OutgoingCalls } from './calls/outgoing';
import { StaleCallCheck } from './calls/staleCalls';
import { TelephonyCalls } from './calls/telephonyEvents';
import { isEnded } from './calls/trackedCall';
import { settlesWithin } from '../util/clock';

export type { CallManagerDeps, CallManagerOptions } from './calls/callContext';

export class CallManager {
  private readonly registry = new CallRegistry();
  private readonly reporter: DatevReporter;
  private readonly dialogs: CallDialogs;
  private readonly telephonyCalls: TelephonyCalls;
  private readonly outgoing: OutgoingCalls;
  private readonly staleCalls: StaleCallCheck;
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly d: CallManagerDeps,
    o: CallManagerOptions,
    /** Where the calls go for the journal (see src/journal). */
    journal: CallJournal = { onFinal: () => undefined, onOpen: () => undefined, resume: () => undefined },
  ) {
    this.reporter = new DatevReporter(d.notifier, d.log, journal);
    const c: CallContext = { d, o, registry: this.registry, reporter: this.reporter, journal, stopped: () => this.stopped };
    const control = new CallControl(c);
    this.dialogs = new CallDialogs(c, control);
    this.outgoing = new OutgoingCalls(c, control, this.dialogs);
    this.telephonyCalls = new TelephonyCalls(c, this.dialogs, this.outgoing);
    this.staleCalls = new StaleCallCheck(c, (e) => this.handleEvent(e));
  }

  /** Starts the check of calls whose TAPI events stopped (src/app/calls/staleCalls.ts). */
  start(): void {
    this.staleCalls.start();
  }

  /** The handlers registered with the DATEV port. */
  get datevHandlers(): DatevRequestHandlers {
    return this.outgoing.handlers;
  }

  /** Feed every telephony event here; they are handled one after another, in order. */
  handleEvent(e: TelephonyEvent): void {
    if (e.type === 'reply') {
      // synchronous, so a call handle is known before the call's first state event is handled
      this.d.tracker.handleReply(e.requestId, e.hCall === undefined ? { result: e.result } : { result: e.result, hCall: e.hCall });
      return;
    }
    this.queue = this.queue
      .then(() => this.telephonyCalls.process(e))
      .catch((err: unknown) => this.d.log.error(`event handling failed: ${(err as Error).stack ?? String(err)}`));
  }

  /** Resolves when every event received so far has been handled. */
  idle(): Promise<void> {
    return this.queue;
  }

  /** Calls in progress (for diagnostics and tests). */
  activeCalls(): DatevCallData[] {
    return this.registry.active();
  }

  /** Calls followed since start. */
  get callsSeen(): number {
    return this.registry.seen;
  }

  /** Calls waiting for a hung DATEV to answer again. */
  get waitingForDatev(): number {
    return this.reporter.waiting;
  }

  /** The contact index changed: a call in progress without a contact may have one now (CallAdressatChanged). */
  recheckContacts(): void {
    this.telephonyCalls.recheckContacts();
  }

  /**
   * The program ends while calls are in progress (on the phone they go on): nobody would tell DATEV
   * their end, and DATEV would keep them open for good. Each is reported ended now — live, when DATEV
   * answers within `waitMs`, else it stays in the journal for the next start — with a warning, since
   * its real end is unknown to the program.
   */
  async endForStop(waitMs: number): Promise<void> {
    await this.queue;
    const now = this.d.clock.now();
    let ended = 0;
    for (const call of this.registry.all()) {
      if (isEnded(call)) continue;
      ended++;
      this.d.log.warn(
        'Das Programm endet während eines Gesprächs; DATEV erhält jetzt dessen Ende / the program stops during a call: DATEV gets its end now (the real end is unknown to the program)',
        { callId: call.record.data.CallID || undefined, hCall: call.hCall },
      );
      this.reporter.apply(call, { type: 'ended', at: now });
    }
    if (ended > 0) await settlesWithin(this.d.clock, this.d.notifier.idle(), waitMs);
  }

  /** Close every dialog; calls stay as they are on the phone. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.staleCalls.stop();
    this.telephonyCalls.stop();
    await this.queue;
    for (const c of this.registry.all()) await this.dialogs.close(c);
    this.reporter.close();
  }
}
