import { describe, expect, it } from 'vitest';
import { ContactResolver } from '../../src/app/contactResolver';
import type { Contact, ContactsPort } from '../../src/contacts/port';
import { makeMasker, MemoryLogger } from '../../src/logging/logger';

const anna: Contact = { id: 'a1', name: 'Bauer, Anna', dataSource: 'DATEV_Adressaten', number: '089 1234567' };
const bernd: Contact = { ...anna, id: 'b2', name: 'Bauer, Bernd' };

/** A port that records what the resolver asks of it; `keepsChoices`: it has resolve/rememberChoice. */
function recordingPort(keepsChoices: boolean) {
  const calls: string[] = [];
  const port: ContactsPort = {
    lookup: async () => [anna, bernd],
    learn: async (number, c) => void calls.push(`learn ${number} ${c.id}`),
    ...(keepsChoices
      ? {
          resolve: async () => ({ contact: null, ask: true, candidates: [anna, bernd] }),
          rememberChoice: async (number: string, c: Pick<Contact, 'id'>) => void calls.push(`rememberChoice ${number} ${c.id}`),
        }
      : {}),
  };
  return { port, calls };
}

describe('ContactResolver', () => {
  it('a Dial is remembered through learn alone (DATEV’s number form); rememberChoice gets only numbers as the phone system reports them', async () => {
    const { port, calls } = recordingPort(true);
    const r = new ContactResolver(port, 'lastChosen', new MemoryLogger(), makeMasker(false));
    r.dialled('0049 89 1234567', bernd);
    r.chosen('00891234567', anna); // the user's pick in the call dialog
    await Promise.resolve();
    expect(calls).toEqual(['learn 0049 89 1234567 b2', 'rememberChoice 00891234567 a1']);
  });

  it('with a source that keeps no choices, a Dial is the choice for the number (rule lastChosen)', async () => {
    const { port } = recordingPort(false);
    const r = new ContactResolver(port, 'lastChosen', new MemoryLogger(), makeMasker(false));
    expect((await r.resolve('089 1234567')).chosen).toBeUndefined();
    r.dialled('089 1234567', bernd);
    expect((await r.resolve('+49 89 1234567')).chosen?.id).toBe('b2');
  });
});
