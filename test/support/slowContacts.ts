/** Contacts whose answers the test releases by hand (a lookup that takes as long as the test wants). */
import type { Contact, ContactsPort } from '../../src/contacts/port';

export class SlowContacts implements ContactsPort {
  private pending: ((c: Contact[]) => void)[] = [];
  lookup(): Promise<Contact[]> {
    return new Promise((r) => this.pending.push(r));
  }
  release(result: Contact[]): void {
    for (const p of this.pending.splice(0)) p(result);
  }
}
