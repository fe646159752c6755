/** Every contract suite, run against its in-memory fake. */
import { contactsContract } from '../../contracts/contacts.contract';
import { datevContract } from '../../contracts/datev.contract';
import { dialogsContract } from '../../contracts/dialogs.contract';
import { telephonyContract } from '../../contracts/telephony.contract';
import { MemoryContacts } from '../../fakes/contacts/memoryContacts';
import { FakeDatev } from '../../fakes/datev/fakeDatev';
import { FakeDialogs } from '../../fakes/dialogs/fakeDialogs';
import { FakeTapi } from '../../fakes/telephony/fakeTapi';

datevContract('in-memory fake', async () => {
  const fake = new FakeDatev({ running: false, notifyTimeoutMs: 300, threads: 2 });
  return { port: fake.port, datev: fake.driver, notifyTimeoutMs: 300, threads: 2, dispose: async () => {} };
});

telephonyContract('in-memory fake', async () => {
  const fake = new FakeTapi();
  return { port: fake.port, pbx: fake.pbx, dispose: async () => {} };
});

dialogsContract('in-memory fake', async () => {
  const fake = new FakeDialogs();
  return { port: fake.port, user: fake.user, dispose: async () => {} };
});

contactsContract('in-memory fake', async () => {
  const contacts = new MemoryContacts();
  return { contacts, seed: async (list) => contacts.seed(list), dispose: async () => {} };
});
