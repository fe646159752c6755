/**
 * The journal as the program runs it: the journal itself, the note after a call, the delivery of what
 * DATEV does not have, and the call list — composed here, so the App only hands over ended calls and
 * the moments DATEV comes back.
 */
import type { CallIdSource } from '../calls/callIds';
import type { FinalCall, OpenCall } from '../calls/finalCall';
import type { ContactsPort } from '../contacts/port';
import type { Logger, Masker } from '../logging/logger';
import type { DatevNotifier } from '../app/datevNotifier';
import type { Clock } from '../util/clock';
import { CallList } from './callList';
import { JournalDelivery } from './delivery';
import { Journal } from './journal';
import { NotePrompts, type NotePromptMode } from './notes';
import type { JournalStore } from './port';
import type { CallListPort, ContactChooserPort, NoteWindowPort } from './windows';

/** What the journal needs from the outside world. */
export interface JournalPorts {
  store: JournalStore;
  notes: NoteWindowPort;
  list: CallListPort;
  chooser: ContactChooserPort;
}

export interface JournalServiceOptions {
  notePrompt: NotePromptMode;
  notePromptSeconds: number;
  deliverMissed: boolean;
  /** Seconds before an entry DATEV did not take is tried again. */
  retrySeconds: number;
  /** End a call a DATEV had open when the program before ended without ending it there, live (default true). */
  endUnendedLive?: boolean;
}

/**
 * How often a call going on is written down again with the time it was last seen going on: a program
 * that ends without ending it (killed, crashed, power lost) leaves it with an end at most this much early.
 */
export const OPEN_CALL_REFRESH_MS = 30_000;
/**
 * A change of a call going on is written this long after it (the changes of these moments together):
 * the milliseconds after a TAPI event belong to DATEV's NewCall, which the journal's write (JSON, AES,
 * the flush) would compete with for the CPU — as the log lines do (src/logging). A program killed in
 * this moment loses that change (README Known limits, "The journal on disk").
 */
export const OPEN_CALL_WRITE_DELAY_MS = 25;

export interface JournalServiceDeps {
  ports: JournalPorts;
  contacts: ContactsPort;
  notifier: DatevNotifier;
  ids: CallIdSource;
  clock: Clock;
  log: Logger;
  mask: Masker;
  /** DATEV runs and answers, and no call is in progress. */
  canDeliver: () => boolean;
  /** DataSource of a call without a contact (config `dataSource`). */
  dataSource: string;
}

export class JournalService {
  private stopping = false;
  private loaded = false;
  /** Calls that ended before the journal was read (see load). */
  private readonly early: FinalCall[] = [];
  /** Calls going on that DATEV should get, by CallID (kept in the journal as `open` until they end). */
  private readonly openCalls = new Map<string, OpenCall>();
  private cancelRefresh: (() => void) | undefined;
  /** Calls going on whose change is to be written (OPEN_CALL_WRITE_DELAY_MS), and the timer that writes them. */
  private readonly openChanged = new Set<string>();
  private cancelOpenWrite: (() => void) | undefined;
  private readonly clock: Clock;
  readonly journal: Journal;
  readonly notes: NotePrompts;
  readonly delivery: JournalDelivery;
  readonly callList: CallList;

  constructor(d: JournalServiceDeps, o: JournalServiceOptions) {
    this.clock = d.clock;
    this.journal = new Journal(d.ports.store, { deliverMissed: o.deliverMissed, endUnendedLive: o.endUnendedLive ?? true }, d.clock, d.log);
    this.notes = new NotePrompts(d.ports.notes, this.journal, { mode: o.notePrompt, promptSeconds: o.notePromptSeconds }, d.log);
    this.delivery = new JournalDelivery({ journal: this.journal, notifier: d.notifier, ids: d.ids, clock: d.clock, log: d.log, mask: d.mask, canDeliver: d.canDeliver, retryMs: o.retrySeconds * 1000, dataSource: d.dataSource });
    this.callList = new CallList(d.ports.list, d.ports.chooser, this.journal, this.notes, d.contacts, d.log, () => this.delivery.kick(true));
  }

  async start(): Promise<void> {
    await this.load();
    this.startDelivery();
  }

  /**
   * Reads the kept journal. Calls that ended before (a Dial DATEV made while the program was starting)
   * are kept until then and recorded after it: recorded before, the read would replace them, and the
   * store would have written a journal of just them over the file.
   */
  async load(): Promise<void> {
    await this.journal.load();
    this.loaded = true;
    for (const call of this.openCalls.values()) this.journal.recordOpen(call);
    for (const call of this.early.splice(0)) this.onFinal(call);
  }

  /** Delivery to DATEV begins: once the journal is read and the calls going on at start are known. */
  startDelivery(): void {
    this.journal.endResume();
    if (!this.stopping) this.delivery.start();
  }

  /**
   * A call TAPI announces as the line opens at the start: the one with this dwCallID the program's
   * earlier run left going on (killed), if there is one — the call goes on as that call.
   */
  resume(tapiCallId: number, direction: number): OpenCall | undefined {
    // (the call's first observation then hands it to onOpen, as any call going on)
    return this.loaded ? this.journal.resumeLeftGoing(tapiCallId, direction) : undefined;
  }

  /**
   * A call DATEV should get goes on, or what is kept of it changed: kept as going on (and written down
   * again every OPEN_CALL_REFRESH_MS with the time it was last seen going on) until it ends.
   */
  onOpen(call: OpenCall): void {
    this.openCalls.set(call.callId, call);
    this.openChanged.add(call.callId);
    this.cancelOpenWrite ??= this.clock.setTimeout(() => this.writeOpen(), OPEN_CALL_WRITE_DELAY_MS);
    this.cancelRefresh ??= this.clock.setTimeout(() => this.refreshOpen(), OPEN_CALL_REFRESH_MS);
  }

  private writeOpen(): void {
    this.cancelOpenWrite = undefined;
    for (const callId of this.openChanged) {
      const call = this.openCalls.get(callId);
      if (call && this.loaded) this.journal.recordOpen(call);
    }
    this.openChanged.clear();
  }

  private refreshOpen(): void {
    this.cancelRefresh = undefined;
    if (this.openCalls.size === 0) return;
    if (this.loaded) for (const call of this.openCalls.values()) this.journal.recordOpen(call);
    this.cancelRefresh = this.clock.setTimeout(() => this.refreshOpen(), OPEN_CALL_REFRESH_MS);
  }

  /** A call ended (or DATEV's side of it changed): keep it, ask for a note once, deliver what is due. */
  onFinal(call: FinalCall): void {
    this.openCalls.delete(call.callId);
    this.openChanged.delete(call.callId);
    if (this.openCalls.size === 0) {
      this.cancelRefresh?.();
      this.cancelRefresh = undefined;
    }
    if (!this.loaded) {
      this.early.push(call);
      return;
    }
    const before = this.journal.get(call.callId);
    const first = before === undefined || before.datev === 'open';
    const entry = this.journal.record(call);
    if (this.stopping) return; // kept; no note window and no delivery while the program ends
    if (first) this.notes.afterCall(entry);
    this.delivery.kick();
  }

  /** The program is about to end: calls still go in, but no note window opens and nothing is delivered. */
  prepareStop(): void {
    this.stopping = true;
    this.delivery.stop();
  }

  /** DATEV came back, or answers again after it hung. */
  datevBack(): void {
    this.delivery.kick(true);
  }

  /** Calls and notes waiting for DATEV. */
  waiting(): number {
    return this.journal.waiting();
  }

  async stop(): Promise<void> {
    this.cancelRefresh?.();
    this.cancelRefresh = undefined;
    this.cancelOpenWrite?.();
    this.cancelOpenWrite = undefined;
    this.delivery.stop();
    await this.notes.stop();
    await this.callList.close();
    await this.journal.flush().catch(() => undefined);
  }
}
