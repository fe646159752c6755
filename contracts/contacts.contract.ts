/**
 * Contract of the contacts port (src/contacts/port.ts): passed by the in-memory fake and by the real
 * contact directory.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Contact } from '../src/contacts/port';
import type { ContactsHarness } from './harness';

const mueller: Contact = { id: '4711', name: 'Müller & Söhne GmbH', dataSource: 'DATEV_Adressaten', number: '089/1234567' };
const kammer: Contact = { id: 'I-12', name: 'Steuerberaterkammer München', dataSource: 'DATEV_Institutionen', number: '+49 89 5554433' };
const twinA: Contact = { id: '100', name: 'Erika Beispiel', dataSource: 'DATEV_Adressaten', number: '030 7654321' };
const twinB: Contact = { id: '101', name: 'Max Beispiel', dataSource: 'DATEV_Adressaten', number: '+49 30 7654321' };

export interface ContactsContractOptions {
  /** A read-only source: it must not offer learn() at all. Default false: learn() must exist and work. */
  readOnly?: boolean;
}

export function contactsContract(name: string, makeHarness: () => Promise<ContactsHarness>, options: ContactsContractOptions = {}): void {
  describe(`ContactsPort contract: ${name}`, () => {
    let h: ContactsHarness;
    beforeEach(async () => {
      h = await makeHarness();
      await h.seed([mueller, kammer, twinA, twinB]);
    });
    afterEach(async () => {
      await h.dispose();
    });

    it.each(['+49 89 1234567', '+4989 1234567', '0049891234567', '089 1234567', '(089) 123 45 67'])(
      'finds a contact by the number in any usual form: %s',
      async (n) => {
        const found = await h.contacts.lookup(n);
        expect(found.map((c) => c.id)).toEqual(['4711']);
        expect(found[0]).toMatchObject({ name: 'Müller & Söhne GmbH', dataSource: 'DATEV_Adressaten' });
      },
    );

    it('finds institutions with their DataSource', async () => {
      const found = await h.contacts.lookup('08955544 33');
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({ id: 'I-12', dataSource: 'DATEV_Institutionen' });
    });

    it('returns every contact that shares a number', async () => {
      const found = await h.contacts.lookup('+49307654321');
      expect(found.map((c) => c.id).sort()).toEqual(['100', '101']);
    });

    it('returns nothing for unknown numbers', async () => {
      expect(await h.contacts.lookup('+49 40 999999')).toEqual([]);
    });

    it.each([
      ['empty', ''],
      ['anonymous', 'anonymous'],
      ['Anonym', 'Anonym'],
      ['blanks', '   '],
      ['plus sign', '+'],
      ['letters', 'abc'],
      ['too short', '12'],
      ['5000 zeros', '0'.repeat(5000)],
    ])('never throws for unusable input: %s', async (_label, n) => {
      expect(await h.contacts.lookup(n)).toEqual([]);
    });

    if (options.readOnly) {
      it('is read-only: offers no learn()', () => {
        expect(h.contacts.learn).toBeUndefined();
      });
    } else {
      it('remembers numbers learned from DATEV', async () => {
        expect(h.contacts.learn).toBeTypeOf('function');
        expect(await h.contacts.lookup('+49911777888')).toEqual([]);
        const learned: Contact = { id: '9001', name: 'Neu Mandant KG', dataSource: 'DATEV_Adressaten', number: '+49 911 777888' };
        await h.contacts.learn!('0911 777888', learned);
        const found = await h.contacts.lookup('+49911777888');
        expect(found.map((c) => c.id)).toContain('9001');
        expect(found.find((c) => c.id === '9001')).toMatchObject({ name: 'Neu Mandant KG', dataSource: 'DATEV_Adressaten' });
      });
    }
  });
}
