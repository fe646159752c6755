/**
 * Every configuration key, its type, default and meaning (README "Configuration" lists the same).
 * Validated with zod; src/config/load.ts reports each broken key with the file and what is allowed.
 */
import { z } from 'zod';

export const logSchema = z.object({
  /** error | warn | info | debug */
  level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
  /** Folder for log files; '' = %LOCALAPPDATA%\Wildix\DatevCti\logs (elsewhere ~/.local/state/wildix-datev-cti/logs). */
  dir: z.string().default(''),
  /** Mask phone numbers and names in logs (professional secrecy). */
  mask: z.boolean().default(true),
  /** Rotate a log file at this size. */
  maxSizeMB: z.number().int().min(1).max(1000).default(10),
  /** Keep log files for this many days. */
  maxDays: z.number().int().min(1).max(365).default(14),
});

export const dialogsSchema = z.object({
  /** Show the incoming-call dialog (Annehmen / Ablehnen). */
  incoming: z.boolean().default(true),
  /** Show the outgoing-call dialog (Auflegen) when DATEV dials. */
  outgoing: z.boolean().default(true),
});

export const datevConnectSchema = z.object({
  /** Read DATEV contacts from DATEVconnect (master data) on this machine or terminal server. */
  enabled: z.boolean().default(true),
  /** DATEVconnect address (HTTP only on the local machine; HTTPS port 58452 for remote servers). */
  baseUrl: z.string().url().default('http://localhost:58454'),
  /** windows = the logged-on user (not available yet), basic = user + password from the user's protected store, none. */
  auth: z.enum(['windows', 'basic', 'none']).default('windows'),
  /** DATEV user for basic authentication (e.g. DOMAIN\\user). */
  user: z.string().default(''),
  /** Parallel requests while crawling. */
  concurrency: z.number().int().min(1).max(32).default(4),
  timeoutSeconds: z.number().int().min(1).max(600).default(15),
  /** Incremental refresh interval. */
  refreshMinutes: z.number().int().min(1).max(1440).default(10),
  /** Full rebuild interval. */
  fullRebuildHours: z.number().int().min(1).max(720).default(24),
});

export const contactsSchema = z.object({
  /** Remember the number → contact pairs DATEV sends with Dial (per user, on disk). */
  learnFromDial: z.boolean().default(true),
  /** CSV file "Nummer;Name;ID;DataSource" for numbers DATEV does not have; '' = none. */
  manualListFile: z.string().default(''),
  datevConnect: datevConnectSchema.default(datevConnectSchema.parse({})),
});

export const journalSchema = z.object({
  /** Ask for a note after a call: off, contact (connected calls with a DATEV contact), all (every external connected call). */
  notePrompt: z.enum(['off', 'contact', 'all']).default('contact'),
  /** The note window closes by itself, unsent, after this many seconds. */
  notePromptSeconds: z.number().int().min(10).max(3600).default(180),
  /** Deliver calls DATEV could not get live (closed, hung, refused) as journal entries when it is back. */
  deliverMissed: z.boolean().default(true),
});

export const configSchema = z.object({
  /** The TAPI line: its name, its address/extension or its permanent line id; '' = the only or first Wildix line. */
  line: z.string().default(''),
  /** Country for phone numbers (ISO 3166 code). */
  country: z.string().regex(/^[A-Z]{2}$/).default('DE'),
  /** How numbers are passed to lineMakeCall: e164 (+4989…), national (089…), digits (004989…). */
  dialFormat: z.enum(['e164', 'national', 'digits']).default('e164'),
  /** Prefix the PBX needs for an outside line (e.g. "0"); '' = none. */
  outsideLinePrefix: z.string().regex(/^[0-9*#]{0,4}$/).default(''),
  /** Own area code (e.g. "89"), to read local numbers without one; '' = none. */
  areaCode: z.string().regex(/^[0-9]{0,6}$/).default(''),
  /** Numbers with at most this many digits are internal extensions. */
  extensionLength: z.number().int().min(1).max(8).default(4),
  /** Which calls DATEV gets: all, or external only (internal extension-to-extension calls left out). */
  reportCalls: z.enum(['all', 'external']).default('external'),
  /** Longest time NewCall waits for the contact lookup of an incoming call. */
  lookupBudgetMs: z.number().int().min(0).max(5000).default(300),
  /** Several DATEV contacts with the caller's number: ask (in the dialog), lastChosen, or none (report without contact). */
  ambiguity: z.enum(['ask', 'lastChosen', 'none']).default('ask'),
  /**
   * How DATEV's Dial is answered: immediate (returns as soon as DATEV has its CallID, like a native CTI;
   * a number that cannot be dialled is shown to the user and reported to DATEV as a failed call) or
   * checked (DATEV waits for the program's decision and gets an error for such a number). What DATEV
   * does with an error from Dial is not documented.
   */
  dialAnswer: z.enum(['immediate', 'checked']).default('immediate'),
  /** Longest time one notification to DATEV may take. */
  datevTimeoutMs: z.number().int().min(100).max(60000).default(5000),
  /**
   * An incoming call's NewCall may use the lookup of DATEV in the ROT made when the call appeared on the
   * line, if at most this old (saves the lookup on the way to DATEV); 0: DATEV is looked up for every
   * notification right before it (README Known limits).
   */
  datevLookAheadMs: z.number().int().min(0).max(5000).default(500),
  /** Longest time a TAPI request may wait for its LINE_REPLY. */
  tapiReplyTimeoutMs: z.number().int().min(100).max(120000).default(15000),
  dialogs: dialogsSchema.default(dialogsSchema.parse({})),
  contacts: contactsSchema.default(contactsSchema.parse({})),
  journal: journalSchema.default(journalSchema.parse({})),
  log: logSchema.default(logSchema.parse({})),
});

export type Config = z.infer<typeof configSchema>;

export function defaultConfig(): Config {
  return configSchema.parse({});
}
