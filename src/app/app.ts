/**
 * Composition root: wires the ports (real or fake) into the call flow. The same App runs on Windows
 * with the native adapters and everywhere else with the built-in simulated PBX and DATEV.
 */
import { makeCallIdSource } from '../calls/callIds';
import type { Config } from '../config/schema';
import type { ContactsPort } from '../contacts/port';
import type { DirectoryStatus } from '../contacts/directory';
import type { DatevHealth, DatevPort } from '../datev/port';
import type { DialogPort } from '../dialogs/port';
import { MESSAGES, TITLE } from '../dialogs/texts';
import { makeMasker, type Logger } from '../logging/logger';
import type { TelephonyPort } from '../telephony/port';
import type { CountryCode } from 'libphonenumber-js';
import { settlesWithin, type Clock } from '../util/clock';
import { CallManager } from './callManager';
import { ContactResolver } from './contactResolver';
import { DatevNotifier } from './datevNotifier';
import { DatevSupervisor, type CtiState } from './datevSupervisor';
import { LineManager } from './lineManager';
import { RequestTracker } from './requestTracker';
import { JournalService, type JournalPorts } from '../journal/service';

/** How long a stop waits for DATEV to take the end of the calls still in progress (then: the journal). */
export const STOP_END_WAIT_MS = 2000;
/** At the end of a stop, the longest wait for the notifications still on their way to DATEV. */
export const STOP_IDLE_WAIT_MS = 1000;

export interface Ports {
  datev: DatevPort;
  telephony: TelephonyPort;
  dialogs: DialogPort;
  contacts: ContactsPort;
  journal: JournalPorts;
}

export interface AppDeps extends Ports {
  config: Config;
  log: Logger;
  clock: Clock;
  /** Random source for CallIDs (tests make it deterministic). */
  random?: () => number;
}

export interface AppStatus {
  line: LineManager['status'];
  lineName: string;
  /** The TSP reports the open line out of service or without its PBX link (LINE_LINEDEVSTATE). */
  lineOutOfService: boolean;
  datevRegistered: boolean;
  datevPresent: boolean;
  activeCalls: number;
  /** The program's own CTI object in the ROT, as the last self-check found it. */
  cti: CtiState;
  /** DATEV did not answer a notification in time and has not answered since. */
  datevHangs: boolean;
  /** Calls waiting for a hung DATEV. */
  waitingForDatev: number;
  /** Calls and notes in the journal waiting to be delivered to DATEV. */
  journalWaiting: number;
}

export class App {
  readonly lines: LineManager;
  readonly calls: CallManager;
  readonly notifier: DatevNotifier;
  readonly supervisor: DatevSupervisor;
  readonly journal: JournalService;
  private datevRegistered = false;
  private unsubscribe: (() => void) | undefined;
  private unsubscribeContacts: (() => void) | undefined;
  private running = false;

  constructor(private readonly d: AppDeps) {
    const c = d.config;
    const mask = makeMasker(c.log.mask);
    // a notification that failed in COM or timed out: is our own CTI object still healthy?
    this.notifier = new DatevNotifier(d.datev, d.log, mask, d.clock, c.datevTimeoutMs, () => this.supervisor.checkSoon());
    this.supervisor = new DatevSupervisor(d.datev, d.log, d.clock);
    // CallIDs of calls DATEV starts are minted by the adapter with the line's extension in front
    this.lines = new LineManager(d.telephony, c.line, d.dialogs, d.log, d.clock, () => d.datev.setCallIdPrefix(this.lines.extension));
    const ids = makeCallIdSource(d.clock, () => this.lines.extension, d.random);
    this.journal = new JournalService(
      {
        ports: d.journal,
        contacts: d.contacts,
        notifier: this.notifier,
        ids,
        clock: d.clock,
        log: d.log,
        mask,
        // DATEV forbids NewJournal while a call is in progress
        canDeliver: () => this.supervisor.state.datevPresent && !this.notifier.datevHangs && this.calls.activeCalls().length === 0,
        dataSource: c.dataSource,
      },
      c.journal,
    );
    this.calls = new CallManager(
      {
        telephony: d.telephony,
        dialogs: d.dialogs,
        notifier: this.notifier,
        resolver: new ContactResolver(d.contacts, c.ambiguity, d.log, mask, c.country as CountryCode),
        tracker: new RequestTracker(d.clock, c.tapiReplyTimeoutMs),
        ids,
        clock: d.clock,
        log: d.log,
        mask,
        currentLine: () => this.lines.hLine,
      },
      {
        dial: { country: c.country as CountryCode, format: c.dialFormat, outsideLinePrefix: c.outsideLinePrefix, extensionLength: c.extensionLength },
        reportCalls: c.reportCalls,
        reportUnanswered: c.reportUnanswered,
        answeredAtOtherStation: c.answeredAtOtherStation,
        transferredCalls: c.transferredCalls,
        outsideLinePrefixOnCallers: c.outsideLinePrefixOnCallers,
        lookupBudgetMs: c.lookupBudgetMs,
        showIncomingDialog: c.dialogs.incoming,
        showOutgoingDialog: c.dialogs.outgoing,
        ambiguity: c.ambiguity,
        callReattachMs: c.callReattachMs,
        dataSource: c.dataSource,
      },
      {
        onFinal: (call) => this.journal.onFinal(call),
        onOpen: (call) => this.journal.onOpen(call),
        resume: (tapiCallId, direction) => this.journal.resume(tapiCallId, direction),
      },
    );
    // what DATEV does not have yet goes as soon as it is back or answers again
    this.supervisor.onPresenceChange((present) => present && this.journal.datevBack());
    this.notifier.onResume(() => this.journal.datevBack());
  }

  async start(): Promise<void> {
    this.running = true;
    this.unsubscribe = this.d.telephony.onEvent((e) => {
      this.lines.handle(e);
      this.calls.handleEvent(e);
    });
    this.unsubscribeContacts = this.d.contacts.onIndexUpdated?.(() => this.calls.recheckContacts());
    this.d.datev.setDialAnswer(this.d.config.dialAnswer);
    try {
      await this.d.datev.register(this.calls.datevHandlers);
      this.datevRegistered = true;
      this.d.log.info('CTI object registered in the ROT (CLSID D8CA0C15-8585-494A-93DF-07D706629793)');
    } catch (e) {
      this.d.log.error(`CTI object cannot be registered in the ROT: ${(e as Error).message}`);
      void this.d.dialogs
        .message(TITLE, `DATEV kann dieses Programm nicht finden (Registrierung fehlgeschlagen): ${(e as Error).message}`, 'error')
        .catch(() => undefined);
    }
    await this.supervisor.start(this.datevRegistered);
    await this.journal.load();
    this.calls.start();
    await this.lines.start();
    // the calls going on at start (announced at the line's open, before its result: one channel from
    // the TAPI thread) are known now: the journal waits for them, and its CallIDs get the extension
    await this.calls.idle();
    if (this.running) this.journal.startDelivery();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.supervisor.stop();
    // calls still in progress get their end in DATEV (or the journal) before the journal is saved
    this.journal.prepareStop();
    await this.calls.endForStop(Math.min(this.d.config.datevTimeoutMs, STOP_END_WAIT_MS));
    await this.journal.stop();
    await this.calls.stop();
    this.unsubscribe?.();
    this.unsubscribeContacts?.();
    // the ROT entry goes first: a TSP that hangs while the line closes must not leave DATEV a dead object
    if (this.datevRegistered) {
      await this.d.datev.revoke().catch((e: unknown) => this.d.log.warn(`ROT revoke failed: ${(e as Error).message}`));
      this.datevRegistered = false;
      this.d.log.info('CTI object revoked from the ROT');
    }
    await this.lines.stop();
    // a notification DATEV hangs in is not waited for: the journal has its call, and the stop must end
    // well within its deadline (src/stopDeadline.ts)
    if (!(await settlesWithin(this.d.clock, this.notifier.idle(), STOP_IDLE_WAIT_MS))) {
      this.d.log.warn('the program stops while DATEV has not answered a notification (DATEV hangs)');
    }
    this.notifier.close();
  }

  /** The contact sources' state (index size, last crawl, last error), undefined when the port cannot tell. */
  contactsStatus(): DirectoryStatus | undefined {
    try {
      return this.d.contacts.status?.();
    } catch {
      return undefined;
    }
  }

  /** The DATEV bridge's own view (threads stuck in DATEV, rebuilds, …), undefined when it cannot tell. */
  datevHealth(): Promise<DatevHealth | undefined> {
    return this.d.datev.health().catch(() => undefined);
  }

  status(): AppStatus {
    return {
      line: this.lines.status,
      lineName: this.lines.line?.name ?? '',
      lineOutOfService: this.lines.status === 'open' && this.lines.outOfService,
      datevRegistered: this.datevRegistered,
      datevPresent: this.supervisor.state.datevPresent,
      activeCalls: this.calls.activeCalls().length,
      cti: this.supervisor.state.cti,
      datevHangs: this.notifier.datevHangs,
      waitingForDatev: this.calls.waitingForDatev,
      journalWaiting: this.journal.waiting(),
    };
  }

  /** Shows the config problems once at start (dialog + log). */
  reportConfigProblems(lines: string[]): void {
    if (lines.length === 0) return;
    for (const l of lines) this.d.log.warn(`config: ${l}`);
    void this.d.dialogs.message(TITLE, MESSAGES.configProblems(lines), 'error').catch(() => undefined);
  }
}
