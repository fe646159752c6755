/**
 * The ContactsPort contract against the ContactDirectory as the Windows program wires it: inside
 * Wine's node.exe (test/wine/datevconnectHost.cjs), crawling the fake DATEVconnect server on Linux
 * loopback through the WinHTTP transport (src/native/winHttpTransport.ts over native/http) with
 * Basic auth whose password comes from the DPAPI store, DPAPI-protected cache files, the manual CSV
 * list read from a Z:\ path. The same suite runs on Linux (test/contacts/directory.contract.test.ts)
 * over Node's HTTP.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { contactsContract } from '../../contracts/contacts.contract';
import { DATA_SOURCE_ADRESSATEN } from '../../src/datev/callData';
import type { Contact } from '../../src/contacts/port';
import { contactToAddressee } from '../../fakes/datevconnect/data';
import { FakeDatevConnect } from '../../fakes/datevconnect/server';
import { startDatevConnectHost, type DatevConnectHost } from './datevconnectHostProcess';
import { ROOT, winPath } from './env';

const display = inject('display');
/** Per run, so parallel runs (other prefixes) do not share files. */
const WORK = path.join(ROOT, '.cache', `contacts-test-${process.pid}`);
const USER = 'DOM\\cti';
const PASSWORD = 'Kennwört-über-DPAPI';

const BASIC = 'Basic ' + Buffer.from(`${USER}:${PASSWORD}`, 'utf8').toString('base64');

let host: DatevConnectHost;
let instances = 0;

function csvField(s: string): string {
  return /[;"]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

beforeAll(async () => {
  if (!display) throw new Error('no X display: run the Wine tests with npm run test:wine (vitest.wine.config.ts)');
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  host = await startDatevConnectHost(display, 'contacts-host.log');
});

afterAll(async () => {
  await host?.close();
  fs.rmSync(WORK, { recursive: true, force: true });
});

contactsContract('ContactDirectory in Wine over WinHTTP + DPAPI (fake DATEVconnect, Basic auth, manual CSV)', async () => {
  const name = `contacts#${++instances}`;
  const dir = path.join(WORK, String(instances));
  fs.mkdirSync(dir, { recursive: true });
  const csv = path.join(dir, 'manuell.csv');
  fs.writeFileSync(csv, 'Nummer;Name;ID;DataSource\n');
  const fake = new FakeDatevConnect([], { auth: { mode: 'basic', user: USER, password: PASSWORD }, strictIds: false });
  const url = await fake.start();
  const call = <T>(method: string, ...args: unknown[]): Promise<T> => host.call<T>(name, method, ...args);
  try {
    await call('open', {
      baseUrl: url,
      auth: 'basic',
      user: USER,
      password: PASSWORD,
      dataDir: winPath(dir),
      passwordFile: winPath(path.join(dir, 'datevconnect-password.dpapi')),
      manualListFile: winPath(csv),
      concurrency: 4,
    });
  } catch (e) {
    await fake.stop();
    throw e;
  }
  return {
    contacts: {
      lookup: (n: string) => call<Contact[]>('lookup', n),
      learn: (n: string, c: Contact) => call<void>('learn', n, c),
    },
    async seed(contacts) {
      for (const c of contacts) {
        if (c.dataSource === DATA_SOURCE_ADRESSATEN) fake.upsert(contactToAddressee(c));
        else fs.appendFileSync(csv, [c.number, c.name, c.id, c.dataSource].map(csvField).join(';') + '\n');
      }
      const status = await call<{ datevConnect: { addressees: number; lastError?: unknown } }>('refresh');
      expect(status.datevConnect.lastError).toBeUndefined();
    },
    async dispose() {
      try {
        await call('$dispose');
        // how the crawl travelled: WinHTTP (its user agent), the DPAPI-stored password as Basic auth
        const requests = fake.requests();
        expect(requests.length).toBeGreaterThan(0);
        for (const r of requests) expect(r.headers, r.path).toMatchObject({ authorization: BASIC, 'user-agent': 'Wildix-DATEV-CTI' });
      } finally {
        await fake.stop();
      }
    },
  };
});
