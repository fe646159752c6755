/**
 * The installer's (MSI) public properties that pre-seed settings: one per config key, e.g.
 * `msiexec /i … LINE=201 DIALFORMAT=national`. The installer passes them to
 * `wildix-datev-cti.exe --write-defaults <file> "NAME=VALUE "…`, which checks them here against the
 * same zod schema as config.json (so nothing else has to know what is valid) and writes the defaults file.
 *
 * Why the blank before the closing quote: Windows splits a command line by the C runtime's rules,
 * where backslashes before a quote escape it. `"LOGDIR=[LOGDIR]"` with LOGDIR=D:\Logs\ would end in
 * `\"` — a literal quote, not the end of the argument — and swallow the properties after it. The MSI
 * cannot escape a value, so it ends every argument with a blank that no value needs
 * (`"LOGDIR=[LOGDIR] "`, scripts/build-msi.js), and checkProperties takes it off again.
 */
import { parseConfig } from './load';
import { leafKeys } from './layers';
import { defaultConfig } from './schema';

/** MSI property → dotted config key. MSI public properties are upper case. */
export const INSTALLER_PROPERTIES: Readonly<Record<string, string>> = {
  LINE: 'line',
  COUNTRY: 'country',
  DIALFORMAT: 'dialFormat',
  OUTSIDELINEPREFIX: 'outsideLinePrefix',
  OUTSIDELINEPREFIXONCALLERS: 'outsideLinePrefixOnCallers',
  AREACODE: 'areaCode',
  EXTENSIONLENGTH: 'extensionLength',
  REPORTCALLS: 'reportCalls',
  REPORTUNANSWERED: 'reportUnanswered',
  ANSWEREDATOTHERSTATION: 'answeredAtOtherStation',
  TRANSFERREDCALLS: 'transferredCalls',
  LOOKUPBUDGETMS: 'lookupBudgetMs',
  AMBIGUITY: 'ambiguity',
  DIALANSWER: 'dialAnswer',
  DATEVTIMEOUTMS: 'datevTimeoutMs',
  DATEVLOOKAHEADMS: 'datevLookAheadMs',
  TAPIREPLYTIMEOUTMS: 'tapiReplyTimeoutMs',
  CALLREATTACHMS: 'callReattachMs',
  DATASOURCE: 'dataSource',
  INCOMINGDIALOG: 'dialogs.incoming',
  OUTGOINGDIALOG: 'dialogs.outgoing',
  LEARNFROMDIAL: 'contacts.learnFromDial',
  MANUALLISTFILE: 'contacts.manualListFile',
  DATEVCONNECT: 'contacts.datevConnect.enabled',
  DATEVCONNECTURL: 'contacts.datevConnect.baseUrl',
  DATEVCONNECTAUTH: 'contacts.datevConnect.auth',
  DATEVCONNECTUSER: 'contacts.datevConnect.user',
  DATEVCONNECTCONCURRENCY: 'contacts.datevConnect.concurrency',
  DATEVCONNECTTIMEOUT: 'contacts.datevConnect.timeoutSeconds',
  DATEVCONNECTREFRESHMINUTES: 'contacts.datevConnect.refreshMinutes',
  DATEVCONNECTREBUILDHOURS: 'contacts.datevConnect.fullRebuildHours',
  NOTEPROMPT: 'journal.notePrompt',
  NOTEPROMPTSECONDS: 'journal.notePromptSeconds',
  DELIVERMISSED: 'journal.deliverMissed',
  JOURNALRETRYSECONDS: 'journal.retrySeconds',
  ENDUNENDEDLIVE: 'journal.endUnendedLive',
  LOGLEVEL: 'log.level',
  LOGDIR: 'log.dir',
  LOGMASK: 'log.mask',
  LOGMAXSIZEMB: 'log.maxSizeMB',
  LOGMAXDAYS: 'log.maxDays',
};

/** Config keys that have no installer property yet (a unit test keeps this empty). */
export function keysWithoutProperty(): string[] {
  const covered = new Set(Object.values(INSTALLER_PROPERTIES));
  return leafKeys().filter((k) => !covered.has(k));
}

export function propertyOf(key: string): string | undefined {
  return Object.entries(INSTALLER_PROPERTIES).find(([, k]) => k === key)?.[0];
}

const TRUE = new Set(['1', 'true', 'yes', 'ja', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'nein', 'off']);

/** A property's text as the JSON value its key expects (a number or boolean where the default is one). */
function typed(key: string, text: string): unknown {
  const sample = key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], defaultConfig());
  if (typeof sample === 'number' && /^-?\d+$/.test(text.trim())) return Number(text.trim());
  if (typeof sample === 'boolean') {
    const t = text.trim().toLowerCase();
    if (TRUE.has(t)) return true;
    if (FALSE.has(t)) return false;
  }
  return text;
}

function setAt(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let o = target;
  for (const p of parts.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>;
  o[parts[parts.length - 1]!] = value;
}

export interface CheckedProperties {
  /** The settings to write (nested like config.json), only the keys given. */
  values: Record<string, unknown>;
  /** The properties taken, as NAME=VALUE (in the order given). */
  taken: string[];
  /** One line per bad property: what is wrong and what is allowed. Empty = all good. */
  errors: string[];
}

/** What the installer puts after every value, inside the quotes (see the top of this file). */
export const INSTALLER_VALUE_END = ' ';

/** The value as given: without the installer's closing blank (one; a value given by hand may lack it). */
function givenValue(text: string): string {
  return text.endsWith(INSTALLER_VALUE_END) ? text.slice(0, -INSTALLER_VALUE_END.length) : text;
}

/**
 * What is wrong with a value that the command line cannot have meant: a double quote (no setting
 * needs one; it is a quote the splitting took for text) or another property's NAME= in it (the
 * argument ran on into the next ones). undefined: nothing.
 */
function brokenValue(text: string): string | undefined {
  if (text.includes('"')) {
    return `enthält ein Anführungszeichen / contains a double quote: ${text} — die Befehlszeile ist zerbrochen / the command line is broken`;
  }
  for (const m of text.matchAll(/(?:^|\s)([A-Za-z][A-Za-z0-9]*)=/g)) {
    const other = m[1]!.toUpperCase();
    if (INSTALLER_PROPERTIES[other]) {
      return `enthält die nächste Eigenschaft / swallowed the next property ${other}=: ${text} — die Befehlszeile ist zerbrochen / the command line is broken`;
    }
  }
  return undefined;
}

/**
 * Checks NAME=VALUE assignments. An empty value means "not given" (msiexec passes every property,
 * set or not). One blank at the end of a value is the installer's (see the top of this file) and
 * is taken off. Property names are case-insensitive; an unknown name, a missing "=", a property
 * given twice, a value with a double quote or another NAME= in it (a broken command line) or a
 * value the config schema rejects is an error.
 */
export function checkProperties(assignments: string[]): CheckedProperties {
  const values: Record<string, unknown> = {};
  const taken: string[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  const known = Object.keys(INSTALLER_PROPERTIES).join(', ');
  for (const a of assignments) {
    const eq = a.indexOf('=');
    if (eq <= 0) {
      errors.push(`„${a}“: erwartet / expected NAME=WERT (NAME=VALUE)`);
      continue;
    }
    const name = a.slice(0, eq).trim().toUpperCase();
    const text = givenValue(a.slice(eq + 1));
    const key = INSTALLER_PROPERTIES[name];
    if (!key) {
      errors.push(`${name}: unbekannte Eigenschaft / unknown property; bekannt / known: ${known}`);
      continue;
    }
    if (seen.has(name)) {
      errors.push(`${name}: mehrfach angegeben / given more than once`);
      continue;
    }
    seen.add(name);
    const broken = brokenValue(text);
    if (broken) {
      errors.push(`${name}: ${broken}`);
      continue;
    }
    if (text === '') continue;
    setAt(values, key, typed(key, text));
    taken.push(`${name}=${text}`);
  }
  const checked = parseConfig(JSON.stringify(values), 'properties');
  for (const p of checked.problems) {
    const name = propertyOf(p.key) ?? p.key;
    // the schema's message names the config key; the installer's user knows the property
    errors.push(`${name} (${p.key}): ${p.message.replace(/; Standard \/ default .* wird verwendet \/ is used$/, '')}`);
  }
  return { values, taken, errors };
}
