/**
 * Finds the DATEV contact for a number and applies the ambiguity rule (src/contacts/ambiguity.ts).
 * Never a silent wrong booking: with several candidates the call is reported without a contact unless
 * the rule says otherwise. Sources that keep choices themselves (the contact directory) decide; for
 * others the choices are kept in memory.
 */
import type { CountryCode } from 'libphonenumber-js';
import type { ContactFields } from '../calls/callRecord';
import { resolveAmbiguity, type AmbiguityRule, type Resolution as RuleResult } from '../contacts/ambiguity';
import type { Contact, ContactsPort } from '../contacts/port';
import { DEFAULT_NUMBER_RULES, normalizeCaller } from '../contacts/numbers';
import type { Logger, Masker } from '../logging/logger';

export type { AmbiguityRule };

export interface Resolution {
  chosen?: Contact;
  /** All candidates when there were several (the user may pick one). */
  candidates: Contact[];
}

export function contactFields(c: Contact | undefined, fallbackSource: string): ContactFields {
  if (!c || !c.id || !c.name) return { Adressatenname: '', AdressatenId: '', DataSource: fallbackSource };
  return { Adressatenname: c.name, AdressatenId: c.id, DataSource: c.dataSource, ...(c.number ? { CalledNumber: c.number } : {}) };
}

/** Same number, same key: the directory's E.164 key when the number is one, else its digits. */
function numberKey(n: string, country: CountryCode): string {
  const key = normalizeCaller(n, { ...DEFAULT_NUMBER_RULES, country });
  return key.ok ? key.e164 : n.replace(/[^0-9+]/g, '');
}

export class ContactResolver {
  private readonly choices = new Map<string, Pick<Contact, 'id' | 'dataSource'>>();

  constructor(
    private readonly contacts: ContactsPort,
    private readonly rule: AmbiguityRule,
    private readonly log: Logger,
    private readonly mask: Masker,
    private readonly country: CountryCode = 'DE',
  ) {}

  async resolve(number: string): Promise<Resolution> {
    let r: RuleResult;
    try {
      r = this.contacts.resolve
        ? await this.contacts.resolve(number)
        : resolveAmbiguity(this.rule, await this.contacts.lookup(number), this.choices.get(numberKey(number, this.country)));
    } catch (e) {
      this.log.warn(`contact lookup failed: ${(e as Error).message}`, { number: this.mask.number(number) });
      return { candidates: [] };
    }
    const candidates = r.candidates.length > 1 ? r.candidates : [];
    if (candidates.length > 0) this.log.info(`${candidates.length} DATEV contacts share this number (rule: ${this.rule})`, { number: this.mask.number(number) });
    return r.contact ? { chosen: r.contact, candidates } : { candidates };
  }

  /** The user picked this contact for this number (in the dialog; the number as the phone system reports it). */
  chosen(number: string, contact: Contact): void {
    this.choose(number, contact);
    this.contacts.rememberChoice?.(number, contact).catch((e: unknown) => this.log.warn(`cannot remember the choice: ${(e as Error).message}`));
  }

  /**
   * DATEV dialled this number for this contact: remember both the pair and the choice. A source that keeps
   * choices takes both from `learn`, which reads the number in DATEV's form (rememberChoice reads the phone
   * system's: with an outside-line prefix "0049 …" would become another number).
   */
  dialled(number: string, contact: Contact): void {
    this.choose(number, contact);
    this.contacts.learn?.(number, contact).catch((e: unknown) => this.log.warn(`cannot remember contact: ${(e as Error).message}`));
  }

  /** The in-memory choice, for sources that keep none (see resolve). */
  private choose(number: string, contact: Contact): void {
    this.choices.set(numberKey(number, this.country), { id: contact.id, dataSource: contact.dataSource });
  }
}
