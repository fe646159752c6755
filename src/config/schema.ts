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

export const configSchema = z.object({
  /** The TAPI line: its name, its address/extension or its permanent line id; '' = the only or first Wildix line. */
  line: z.string().default(''),
  /** Country for phone numbers (ISO 3166 code). */
  country: z.string().regex(/^[A-Z]{2}$/).default('DE'),
  /** How numbers are passed to lineMakeCall: e164 (+4989…), national (089…), digits (004989…). */
  dialFormat: z.enum(['e164', 'national', 'digits']).default('e164'),
  /** Prefix the PBX needs for an outside line (e.g. "0"); '' = none. */
  outsideLinePrefix: z.string().regex(/^[0-9*#]{0,4}$/).default(''),
  /** Numbers with at most this many digits are internal extensions. */
  extensionLength: z.number().int().min(1).max(8).default(4),
  /** Which calls DATEV gets: all, or external only (internal extension-to-extension calls left out). */
  reportCalls: z.enum(['all', 'external']).default('external'),
  /** Longest time NewCall waits for the contact lookup of an incoming call. */
  lookupBudgetMs: z.number().int().min(0).max(5000).default(300),
  /** Several DATEV contacts with the caller's number: ask (in the dialog), lastChosen, or none (report without contact). */
  ambiguity: z.enum(['ask', 'lastChosen', 'none']).default('ask'),
  /** Longest time one notification to DATEV may take. */
  datevTimeoutMs: z.number().int().min(100).max(60000).default(5000),
  /** Longest time a TAPI request may wait for its LINE_REPLY. */
  tapiReplyTimeoutMs: z.number().int().min(100).max(120000).default(15000),
  dialogs: dialogsSchema.default(dialogsSchema.parse({})),
  log: logSchema.default(logSchema.parse({})),
});

export type Config = z.infer<typeof configSchema>;

export function defaultConfig(): Config {
  return configSchema.parse({});
}
