/**
 * Every configuration key, its type, default and meaning (README "Configuration" lists the same).
 * Validated with zod/mini (zod's functional API: the packaged exe carries only the parts it uses,
 * scripts/bundle.js); src/config/load.ts reports each broken key with the file and what is allowed.
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.cjs';
import { isKnownCountry, OUTSIDE_LINE_PREFIX } from '../contacts/numbers';

z.config(en()); // messages such as "Too small: expected number to be >=1" (zod/mini has none by default)

/** A whole number in [min, max]. */
const int = (min: number, max: number, fallback: number) => z._default(z.int().check(z.minimum(min), z.maximum(max)), fallback);
const bool = (fallback: boolean) => z._default(z.boolean(), fallback);
const text = (fallback: string) => z._default(z.string(), fallback);
const matching = (pattern: RegExp, fallback: string) => z._default(z.string().check(z.regex(pattern)), fallback);
const oneOf = <const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) => z._default(z.enum(values), fallback);
/** A nested object whose default is its own defaults (a new object each time). */
const section = <S extends z.ZodMiniObject>(schema: S) => z._default(schema, () => schema.parse({}) as z.core.util.NoUndefined<z.output<S>>);

export const logSchema = z.object({
  /** error | warn | info | debug */
  level: oneOf(['error', 'warn', 'info', 'debug'], 'info'),
  /** Folder for log files; '' = %LOCALAPPDATA%\Wildix\DatevCti\logs (elsewhere ~/.local/state/wildix-datev-cti/logs). */
  dir: text(''),
  /** Mask phone numbers and names in logs (professional secrecy). */
  mask: bool(true),
  /** Rotate a log file at this size. */
  maxSizeMB: int(1, 1000, 10),
  /** Keep log files for this many days. */
  maxDays: int(1, 365, 14),
});

export const dialogsSchema = z.object({
  /** Show the incoming-call dialog (Annehmen / Ablehnen). */
  incoming: bool(true),
  /** Show the outgoing-call dialog (Auflegen) when DATEV dials. */
  outgoing: bool(true),
});

export const datevConnectSchema = z.object({
  /** Read DATEV contacts from DATEVconnect (master data) on this machine or terminal server. */
  enabled: bool(true),
  /** DATEVconnect address (HTTP only on the local machine; HTTPS port 58452 for remote servers). */
  baseUrl: z._default(z.url(), 'http://localhost:58454'),
  /** windows = the logged-on user (not available yet), basic = user + password from the user's protected store, none. */
  auth: oneOf(['windows', 'basic', 'none'], 'windows'),
  /** DATEV user for basic authentication (e.g. DOMAIN\\user). */
  user: text(''),
  /** Parallel requests while crawling. */
  concurrency: int(1, 32, 4),
  timeoutSeconds: int(1, 600, 15),
  /** Incremental refresh interval. */
  refreshMinutes: int(1, 1440, 10),
  /** Full rebuild interval. */
  fullRebuildHours: int(1, 720, 24),
});

export const contactsSchema = z.object({
  /** Remember the number → contact pairs DATEV sends with Dial (per user, on disk). */
  learnFromDial: bool(true),
  /** CSV file "Nummer;Name;ID;DataSource" for numbers DATEV does not have; '' = none. */
  manualListFile: text(''),
  datevConnect: section(datevConnectSchema),
});

export const journalSchema = z.object({
  /** Ask for a note after a call: off, contact (connected calls with a DATEV contact), all (every external connected call). */
  notePrompt: oneOf(['off', 'contact', 'all'], 'contact'),
  /** The note window closes by itself, unsent, after this many seconds. */
  notePromptSeconds: int(10, 3600, 180),
  /** Deliver calls DATEV could not get live (closed, hung, refused) as journal entries when it is back. */
  deliverMissed: bool(true),
  /** An entry DATEV refused or could not take is tried again after this many seconds (3 refusals: it waits for the user). */
  retrySeconds: int(5, 3600, 30),
  /**
   * A call DATEV had open when the program ended without ending it (killed, crashed, power lost) is ended
   * in that DATEV, live under its CallID, if the same DATEV still runs at the next start; false: it goes
   * as a journal entry like every call DATEV did not get completely (whether DATEV takes the end of a call
   * from a new run of the program is not known: README Known limits).
   */
  endUnendedLive: bool(true),
});

export const configSchema = z.object({
  /** The TAPI line: its name, its address/extension or its permanent line id; '' = the only or first Wildix line. */
  line: text(''),
  /** Country for phone numbers (ISO 3166 code the number matching knows: "GB", not "UK"). */
  country: z._default(
    z.string().check(
      z.regex(/^[A-Z]{2}$/),
      z.refine(isKnownCountry, { error: 'ISO-Ländercode, den die Rufnummernerkennung kennt, z. B. DE, AT, CH, GB (nicht UK) / ISO country code the number matching knows, e.g. DE, AT, CH, GB (not UK)' }),
    ),
    'DE',
  ),
  /** How numbers are passed to lineMakeCall: e164 (+4989…), national (089…), digits (004989…). */
  dialFormat: oneOf(['e164', 'national', 'digits'], 'e164'),
  /**
   * Prefix the PBX needs for an outside line (e.g. "0"); '' = none. Put before numbers the program dials,
   * taken off the numbers outgoing calls were dialled with (and callers' with outsideLinePrefixOnCallers).
   */
  outsideLinePrefix: z._default(z.string().check(z.regex(OUTSIDE_LINE_PREFIX, { error: '0–3 Ziffern, z. B. "0" / 0-3 digits, e.g. "0"' })), ''),
  /** Own area code (e.g. "89"), to read local numbers without one; '' = none. */
  areaCode: matching(/^[0-9]{0,6}$/, ''),
  /**
   * The PBX also puts the outside-line prefix before the numbers of incoming callers (some do, so that a
   * number can be called back as shown): taken off them too. Outgoing calls' numbers carry it as dialled
   * and lose it always (datev-contacts.md §3.3).
   */
  outsideLinePrefixOnCallers: bool(false),
  /** Numbers with at most this many digits are internal extensions. */
  extensionLength: int(1, 8, 4),
  /**
   * Which calls DATEV gets: all, external only (internal extension-to-extension calls left out), or
   * contacts: only those with a DATEV contact (number in DATEV's master data; a Dial from DATEV always).
   */
  reportCalls: oneOf(['all', 'external', 'contacts'], 'external'),
  /**
   * Unanswered calls (missed incoming, not reached outgoing, calls taken at another phone) go to DATEV:
   * true: every call from its first ring (DATEV shows the caller at once); false: a call goes to DATEV
   * when it is answered, unanswered ones stay in the program's call list (a Dial from DATEV always goes).
   */
  reportUnanswered: bool(true),
  /**
   * Who answered a call at another station of a shared line (CONNECTED, LINECONNECTEDMODE_INACTIVE):
   * colleague (the TAPI meaning: this station takes no part — not the user's conversation) or user (a
   * TSP that reports the user's own other device so: connected as usual). How Wildix reports it is unknown.
   */
  answeredAtOtherStation: oneOf(['colleague', 'user'], 'colleague'),
  /**
   * A caller a colleague transfers to the user: report (the call goes to DATEV as a call with that
   * caller — put through after an internal consultation call, its other party changing from the
   * colleague's extension to an external number, or transferred blind with LINECALLREASON_TRANSFER) or
   * ignore (it stays the internal call it began as). How Wildix reports transfers is unknown.
   */
  transferredCalls: oneOf(['report', 'ignore'], 'report'),
  /**
   * DataSource of a call without a DATEV contact: the CTI's own identifier (datev-cti.md §3.3; which one
   * a Wildix bridge should use is an open question, §9.5). Values starting with DATEV_ are DATEV's.
   */
  dataSource: matching(/^(?!DATEV_)[A-Za-z0-9][A-Za-z0-9 ._-]{0,39}$/, 'Wildix'),
  /** Longest time NewCall waits for the contact lookup of an incoming call. */
  lookupBudgetMs: int(0, 5000, 300),
  /** Several DATEV contacts with the caller's number: ask (in the dialog), lastChosen, or none (report without contact). */
  ambiguity: oneOf(['ask', 'lastChosen', 'none'], 'ask'),
  /**
   * How DATEV's Dial is answered: immediate (returns as soon as DATEV has its CallID, like a native CTI;
   * a number that cannot be dialled is shown to the user and reported to DATEV as a failed call) or
   * checked (DATEV waits for the program's decision and gets an error for such a number). What DATEV
   * does with an error from Dial is not documented.
   */
  dialAnswer: oneOf(['immediate', 'checked'], 'immediate'),
  /** Longest time one notification to DATEV may take. */
  datevTimeoutMs: int(100, 60000, 5000),
  /**
   * An incoming call's NewCall may use the lookup of DATEV in the ROT made when the call appeared on the
   * line, if at most this old (saves the lookup on the way to DATEV); 0: DATEV is looked up for every
   * notification right before it (README Known limits).
   */
  datevLookAheadMs: int(0, 5000, 500),
  /** Longest time a TAPI request may wait for its LINE_REPLY. */
  tapiReplyTimeoutMs: int(100, 120000, 15000),
  /**
   * A call in progress when the line closes or TAPI re-initialises is kept this long: if TAPI announces
   * it again when the line is back (same dwCallID), it goes on as the same call; else it ends, at the
   * moment the line closed. 0: it ends at once.
   */
  callReattachMs: int(0, 120000, 15000),
  dialogs: section(dialogsSchema),
  contacts: section(contactsSchema),
  journal: section(journalSchema),
  log: section(logSchema),
});

export type Config = z.infer<typeof configSchema>;

export function defaultConfig(): Config {
  return configSchema.parse({});
}
