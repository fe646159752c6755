/**
 * Several contacts for one number: what to report to DATEV. Never a silent wrong booking — unless the
 * rule allows reusing the user's last choice, an ambiguous number is reported without a contact.
 */
import type { Contact } from './port';

/** `ask`: the user picks in the call dialog; `lastChosen`: reuse the last pick for this number, else ask; `none`: report without contact. */
export type AmbiguityRule = 'ask' | 'lastChosen' | 'none';

export const AMBIGUITY_RULES: readonly AmbiguityRule[] = ['ask', 'lastChosen', 'none'];

export interface Resolution {
  /** The contact to report now, or null (report the call without a contact). */
  contact: Contact | null;
  /** True when the app should let the user choose among `candidates` (then CallAdressatChanged). */
  ask: boolean;
  /** All matches, best first (what the dialog offers). */
  candidates: Contact[];
}

export function sameContact(a: Pick<Contact, 'id' | 'dataSource'>, b: Pick<Contact, 'id' | 'dataSource'>): boolean {
  return a.id === b.id && a.dataSource === b.dataSource;
}

/** Pure decision for the configured rule; `lastChoice` is the user's previous pick for this number. */
export function resolveAmbiguity(
  rule: AmbiguityRule,
  matches: readonly Contact[],
  lastChoice?: Pick<Contact, 'id' | 'dataSource'> | null,
): Resolution {
  const candidates = [...matches];
  if (candidates.length === 0) return { contact: null, ask: false, candidates };
  if (candidates.length === 1) return { contact: candidates[0]!, ask: false, candidates };
  if (rule === 'lastChosen' && lastChoice) {
    const chosen = candidates.find((c) => sameContact(c, lastChoice));
    if (chosen) return { contact: chosen, ask: false, candidates };
  }
  return { contact: null, ask: rule !== 'none', candidates };
}
