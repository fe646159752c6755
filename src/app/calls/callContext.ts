/** What the parts of the call flow share: the ports and services, the options, the calls, the way to DATEV. */
import type { CallIdSource } from '../../calls/callIds';
import type { DialogPort } from '../../dialogs/port';
import type { Logger, Masker } from '../../logging/logger';
import type { DialOptions } from '../../telephony/dialable';
import type { TelephonyPort } from '../../telephony/port';
import type { Clock } from '../../util/clock';
import type { ContactResolver } from '../contactResolver';
import type { DatevNotifier } from '../datevNotifier';
import type { RequestTracker } from '../requestTracker';
import type { CallRegistry } from './callRegistry';
import type { CallJournal, DatevReporter } from './datevReporter';

export interface CallManagerOptions {
  dial: DialOptions;
  reportCalls: 'all' | 'external' | 'contacts';
  /** false: calls the program did not dial for DATEV go to DATEV only once answered. */
  reportUnanswered: boolean;
  /** A call CONNECTED in LINECONNECTEDMODE_INACTIVE: a colleague has it (not connected here), or the user's own other device. */
  answeredAtOtherStation: 'colleague' | 'user';
  /** Incoming callers' numbers carry the outside-line prefix too (taken off them as off outgoing calls' numbers). */
  outsideLinePrefixOnCallers: boolean;
  /** A caller a colleague transfers to the user goes to DATEV (report), or the call stays internal (ignore). */
  transferredCalls: 'report' | 'ignore';
  lookupBudgetMs: number;
  showIncomingDialog: boolean;
  showOutgoingDialog: boolean;
  ambiguity: 'ask' | 'lastChosen' | 'none';
  /** How long a call cut off by a line close / TAPI re-init waits to be announced again (0: ends at once). */
  callReattachMs: number;
  /** DataSource of a call without a DATEV contact (config `dataSource`). */
  dataSource: string;
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

export interface CallContext {
  d: CallManagerDeps;
  o: CallManagerOptions;
  registry: CallRegistry;
  reporter: DatevReporter;
  /** Where the calls go for the journal (the reporter hands it ended and going calls; a new run asks it for calls left going on). */
  journal: CallJournal;
  /** The program is stopping: no new dialogs or messages. */
  stopped(): boolean;
}
