/**
 * Composition root: wires the ports (real or fake) into the call flow. The same App runs on Windows
 * with the native adapters and everywhere else with the built-in simulated PBX and DATEV.
 */
import { makeCallIdSource } from '../calls/callIds';
import type { Config } from '../config/schema';
import type { ContactsPort } from '../contacts/port';
import type { DatevPort } from '../datev/port';
import type { DialogPort } from '../dialogs/port';
import { MESSAGES, TITLE } from '../dialogs/texts';
import { makeMasker, type Logger } from '../logging/logger';
import type { TelephonyPort } from '../telephony/port';
import type { CountryCode } from 'libphonenumber-js';
import type { Clock } from '../util/clock';
import { CallManager } from './callManager';
import { ContactResolver } from './contactResolver';
import { DatevNotifier } from './datevNotifier';
import { LineManager } from './lineManager';
import { RequestTracker } from './requestTracker';

export interface Ports {
  datev: DatevPort;
  telephony: TelephonyPort;
  dialogs: DialogPort;
  contacts: ContactsPort;
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
  datevRegistered: boolean;
  datevPresent: boolean;
  activeCalls: number;
}

const WATCH_ABSENT_MS = 5000;
const WATCH_PRESENT_MS = 60000;

export class App {
  readonly lines: LineManager;
  readonly calls: CallManager;
  readonly notifier: DatevNotifier;
  private datevRegistered = false;
  private datevPresent = false;
  private unsubscribe: (() => void) | undefined;
  private unsubscribeContacts: (() => void) | undefined;
  private cancelWatch: (() => void) | undefined;
  private running = false;

  constructor(private readonly d: AppDeps) {
    const c = d.config;
    const mask = makeMasker(c.log.mask);
    this.notifier = new DatevNotifier(d.datev, d.log, mask, d.clock, c.datevTimeoutMs);
    this.lines = new LineManager(d.telephony, c.line, d.dialogs, d.log, d.clock);
    const ids = makeCallIdSource(d.clock, () => this.lines.extension, d.random);
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
        lookupBudgetMs: c.lookupBudgetMs,
        showIncomingDialog: c.dialogs.incoming,
        showOutgoingDialog: c.dialogs.outgoing,
        ambiguity: c.ambiguity,
      },
    );
  }

  async start(): Promise<void> {
    this.running = true;
    this.unsubscribe = this.d.telephony.onEvent((e) => {
      this.lines.handle(e);
      this.calls.handleEvent(e);
    });
    this.unsubscribeContacts = this.d.contacts.onIndexUpdated?.(() => this.calls.recheckContacts());
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
    await this.watchDatev();
    await this.lines.start();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.cancelWatch?.();
    await this.calls.stop();
    this.unsubscribe?.();
    this.unsubscribeContacts?.();
    await this.lines.stop();
    if (this.datevRegistered) {
      await this.d.datev.revoke().catch((e: unknown) => this.d.log.warn(`ROT revoke failed: ${(e as Error).message}`));
      this.datevRegistered = false;
      this.d.log.info('CTI object revoked from the ROT');
    }
    await this.notifier.idle();
  }

  status(): AppStatus {
    return {
      line: this.lines.status,
      lineName: this.lines.line?.name ?? '',
      datevRegistered: this.datevRegistered,
      datevPresent: this.datevPresent,
      activeCalls: this.calls.activeCalls().length,
    };
  }

  /** Shows the config problems once at start (dialog + log). */
  reportConfigProblems(lines: string[]): void {
    if (lines.length === 0) return;
    for (const l of lines) this.d.log.warn(`config: ${l}`);
    void this.d.dialogs.message(TITLE, MESSAGES.configProblems(lines), 'error').catch(() => undefined);
  }

  /** Logs when DATEV appears or disappears (notifications are sent whenever it is there). */
  private async watchDatev(): Promise<void> {
    if (!this.running) return;
    let present = false;
    try {
      present = await this.d.datev.isPresent();
    } catch (e) {
      this.d.log.debug(`DATEV presence check failed: ${(e as Error).message}`);
    }
    if (present !== this.datevPresent || this.cancelWatch === undefined) {
      this.d.log.info(present ? 'DATEV Telefonie found in the ROT' : 'DATEV Telefonie not running (not in the ROT); waiting for it');
    }
    this.datevPresent = present;
    this.cancelWatch = this.d.clock.setTimeout(() => void this.watchDatev(), present ? WATCH_PRESENT_MS : WATCH_ABSENT_MS);
  }
}
