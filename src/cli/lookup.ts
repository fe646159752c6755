/**
 * `--lookup <number>`: which DATEV contact the program finds for a caller's number, and why — the
 * number as the matching reads it (E.164, or why it is not looked up), the contacts it matches, the
 * one the ambiguity rule picks, and the state of the sources it looked in. For support's most common
 * question („warum zeigt DATEV den Mandanten nicht an?“); answered from the same directory the program
 * uses, in its cache as it is (the sources are given at most `waitReadyMs` to load it).
 */
import { normalizeCaller, type NumberRules } from '../contacts/numbers';
import type { Contact, ContactsPort } from '../contacts/port';
import { resolveAmbiguity, type AmbiguityRule } from '../contacts/ambiguity';
import { contactLines } from '../app/statusReport';
import { withoutOutsideLinePrefix } from '../telephony/dialable';

/** Longest wait for the contact sources to have their index (the cache file, or a first crawl). */
export const LOOKUP_READY_MS = 20_000;

export interface LookupDeps {
  contacts: ContactsPort;
  rules: NumberRules;
  /**
   * The PBX's outside-line prefix, and whether it stands before incoming callers' numbers too: the number
   * is read as an incoming caller's (without the prefix when it stands there, as the call flow does).
   */
  outsideLine?: { prefix: string; onCallers: boolean; extensionLength: number };
  /** The rule for several contacts (for sources that do not apply it themselves). */
  ambiguity: AmbiguityRule;
  out: (text: string) => void;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  waitReadyMs?: number;
}

const REASONS: Record<'empty' | 'anonymous' | 'internal' | 'unparseable', string> = {
  empty: 'leer / empty',
  anonymous: 'unterdrückt / withheld',
  internal: 'interne Nebenstelle (extensionLength) / internal extension',
  unparseable: 'keine Rufnummer / not a phone number',
};

function describe(c: Contact): string {
  return `${c.name} (${c.dataSource}${c.id ? ` ${c.id}` : ''}), in DATEV als / stored as „${c.number}“`;
}

/** Prints the answer; resolves with the exit code: 0 a contact found, 1 none. */
export async function lookupNumber(given: string, d: LookupDeps): Promise<number> {
  const ol = d.outsideLine;
  const number = ol?.onCallers ? withoutOutsideLinePrefix(given, { outsideLinePrefix: ol.prefix, extensionLength: ol.extensionLength }) : given;
  const key = normalizeCaller(number, d.rules);
  d.out(`Nummer / number: „${given}“${number !== given ? ` (ohne Amtsholung / without the outside-line prefix: „${number}“)` : ''} → ${key.ok ? key.e164 : `nicht gesucht / not looked up: ${REASONS[key.reason]}`}`);
  const prefix = ol && ol.prefix !== '' ? `, Amtsholung / outside line „${ol.prefix}“ ${ol.onCallers ? 'auch vor Anrufernummern / also before callers\' numbers' : 'nur vor gewählten Nummern / only before dialled numbers'}` : '';
  d.out(`Regeln / rules: Land / country ${d.rules.country}, Vorwahl / area code „${d.rules.areaCode}“${prefix}, Nebenstellen bis / extensions up to ${d.rules.extensionLength} Ziffern / digits`);
  const end = d.now() + (d.waitReadyMs ?? LOOKUP_READY_MS);
  // the files the sources keep (the manual list, learned numbers, DATEVconnect's cache), at most as long
  let loaded = !d.contacts.started;
  void d.contacts.started?.().then(() => (loaded = true));
  while (!loaded && d.now() < end) await d.sleep(250);
  for (;;) {
    const s = d.contacts.status?.();
    const dc = s?.datevConnect;
    if (!dc || dc.ready || dc.lastError || d.now() >= end) break;
    await d.sleep(250);
  }
  const status = d.contacts.status?.();
  for (const line of contactLines(status)) d.out(line.trim());
  if (status?.datevConnect && !status.datevConnect.ready) d.out('Hinweis / note: DATEVconnect hat noch keinen Index (erster Abruf läuft) / has no index yet (first crawl running)');
  if (!key.ok) return 1;
  const res = d.contacts.resolve ? await d.contacts.resolve(number) : resolveAmbiguity(d.ambiguity, await d.contacts.lookup(number));
  if (res.candidates.length === 0) {
    d.out('Kein Kontakt gefunden / no contact found');
    return 1;
  }
  d.out(`${res.candidates.length} Kontakt${res.candidates.length === 1 ? '' : 'e'} gefunden / found (beste zuerst / best first):`);
  for (const c of res.candidates) d.out(`  ${res.contact && res.contact.id === c.id && res.contact.dataSource === c.dataSource ? '→' : ' '} ${describe(c)}`);
  d.out(
    res.contact
      ? `DATEV bekommt / DATEV gets: ${res.contact.name}`
      : res.ask
        ? 'Mehrere Kontakte: das Programm fragt im Anruffenster / several contacts: the program asks in the call window (ambiguity)'
        : 'Mehrere Kontakte: DATEV bekommt den Anruf ohne Kontakt / several contacts: DATEV gets the call without one (ambiguity)',
  );
  return 0;
}
