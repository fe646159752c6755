/**
 * Finds the DATEV contact for a number and applies the ambiguity rule. Never a silent wrong booking:
 * with several candidates the call is reported without a contact unless the rule says otherwise.
 */
import type { ContactFields } from '../calls/callRecord';
import type { Contact, ContactsPort } from '../contacts/port';
import type { Logger, Masker } from '../logging/logger';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

export type AmbiguityRule = 'ask' | 'lastChosen' | 'none';

export interface Resolution {
  chosen?: Contact;
  /** All candidates when there were several (the user may pick one). */
  candidates: Contact[];
}

export function contactFields(c: Contact | undefined, fallbackSource: string): ContactFields {
  if (!c || !c.id || !c.name) return { Adressatenname: '', AdressatenId: '', DataSource: fallbackSource };
  return { Adressatenname: c.name, AdressatenId: c.id, DataSource: c.dataSource, ...(c.number ? { CalledNumber: c.number } : {}) };
}

/** Same number, same key: E.164 when the number can be parsed, else its digits. */
function numberKey(n: string, country: CountryCode): string {
  const digits = n.replace(/[^0-9+]/g, '');
  try {
    return parsePhoneNumberFromString(digits, country)?.number ?? digits;
  } catch {
    return digits;
  }
}

export class ContactResolver {
  private readonly lastChoice = new Map<string, string>();

  constructor(
    private readonly contacts: ContactsPort,
    private readonly rule: AmbiguityRule,
    private readonly log: Logger,
    private readonly mask: Masker,
    private readonly country: CountryCode = 'DE',
  ) {}

  async resolve(number: string): Promise<Resolution> {
    let found: Contact[];
    try {
      found = await this.contacts.lookup(number);
    } catch (e) {
      this.log.warn(`contact lookup failed: ${(e as Error).message}`, { number: this.mask.number(number) });
      return { candidates: [] };
    }
    if (found.length === 0) return { candidates: [] };
    if (found.length === 1) return { chosen: found[0]!, candidates: [] };
    this.log.info(`${found.length} DATEV contacts share this number (rule: ${this.rule})`, { number: this.mask.number(number) });
    if (this.rule === 'lastChosen') {
      const last = this.lastChoice.get(numberKey(number, this.country));
      const chosen = found.find((c) => `${c.dataSource}:${c.id}` === last);
      return chosen ? { chosen, candidates: found } : { candidates: found };
    }
    return { candidates: found };
  }

  /** The user (or DATEV's Dial) chose this contact for this number. */
  remember(number: string, contact: Contact): void {
    const k = numberKey(number, this.country);
    if (k.replace(/[^0-9]/g, '').length < 5) return;
    this.lastChoice.set(k, `${contact.dataSource}:${contact.id}`);
    if (this.contacts.learn) {
      this.contacts.learn(number, contact).catch((e: unknown) => this.log.warn(`cannot remember contact: ${(e as Error).message}`));
    }
  }
}
