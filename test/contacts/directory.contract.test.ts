/**
 * The ContactsPort contract against the real ContactDirectory: DATEV addressees are seeded into the
 * fake DATEVconnect server (crawled over HTTP with Basic auth), other contacts into the manual CSV list.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { contactsContract } from '../../contracts/contacts.contract';
import { DATA_SOURCE_ADRESSATEN } from '../../src/datev/callData';
import { createContactDirectory, DEFAULT_CONTACTS_CONFIG } from '../../src/contacts/factory';
import { systemClock } from '../../src/util/clock';
import { contactToAddressee } from '../../fakes/datevconnect/data';
import { FakeDatevConnect } from '../../fakes/datevconnect/server';
import { captureLogger, tempDir } from './helpers';

function csvField(s: string): string {
  return /[;"]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

contactsContract('ContactDirectory (fake DATEVconnect + manual CSV)', async () => {
  const dir = tempDir();
  const fake = new FakeDatevConnect([], { auth: { mode: 'basic', user: 'cti', password: 'geheim' }, strictIds: false });
  const url = await fake.start();
  const csv = join(dir.path, 'manuell.csv');
  writeFileSync(csv, 'Nummer;Name;ID;DataSource\n');
  const { directory, close } = createContactDirectory({
    config: { ...DEFAULT_CONTACTS_CONFIG, manualListFile: csv, datevConnect: { ...DEFAULT_CONTACTS_CONFIG.datevConnect, baseUrl: url, user: 'cti' } },
    dataDir: dir.path,
    clock: systemClock,
    logger: captureLogger(),
    secret: async () => 'geheim',
  });
  await directory.start();
  return {
    contacts: directory,
    async seed(contacts) {
      for (const c of contacts) {
        if (c.dataSource === DATA_SOURCE_ADRESSATEN) fake.upsert(contactToAddressee(c));
        else appendFileSync(csv, [c.number, c.name, c.id, c.dataSource].map(csvField).join(';') + '\n');
      }
      await directory.refresh();
    },
    async dispose() {
      close();
      await fake.stop();
      dir.remove();
    },
  };
});
