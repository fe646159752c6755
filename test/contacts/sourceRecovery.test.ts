/**
 * DatevConnectSource under partial failures: single addressees that fail, a sick server, back-off,
 * a failed or shrunken full crawl next to a good cache, and a wrong password (no lockout).
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuthProvider } from '../../src/contacts/datevconnect/auth';
import { BasicAuthProvider } from '../../src/contacts/datevconnect/auth';
import { DatevConnectClient } from '../../src/contacts/datevconnect/client';
import { NodeHttpTransport } from '../../src/contacts/datevconnect/http';
import { DatevConnectSource, type DatevConnectSourceOptions } from '../../src/contacts/datevconnect/source';
import { checkNumberRules } from '../../src/contacts/numbers';
import { fixedDataset, generateDataset } from '../../fakes/datevconnect/data';
import { FakeDatevConnect } from '../../fakes/datevconnect/server';
import { captureLogger, ManualClock, tempDir, until } from './helpers';

const ID = (n: number): string => `a0000000-0000-4000-8000-00000000000${n}`;
const PASSWORD = 'Sehr-Geheim-123';
const rules = checkNumberRules({});
const MIN = 60_000;

describe('DatevConnectSource recovery', () => {
  let fake: FakeDatevConnect;
  let transport: NodeHttpTransport;
  let dir: ReturnType<typeof tempDir>;
  let clock: ManualClock;
  let log: ReturnType<typeof captureLogger>;
  let sources: DatevConnectSource[];

  beforeEach(async () => {
    fake = new FakeDatevConnect(fixedDataset(), { auth: { mode: 'basic', user: 'cti', password: PASSWORD } });
    await fake.start();
    transport = new NodeHttpTransport(8);
    dir = tempDir();
    clock = new ManualClock();
    log = captureLogger();
    sources = [];
  });
  afterEach(async () => {
    for (const s of sources) s.stop();
    transport.close();
    await fake.stop();
    dir.remove();
  });

  function client(auth: AuthProvider = new BasicAuthProvider('cti', async () => PASSWORD)): DatevConnectClient {
    return new DatevConnectClient({ baseUrl: fake.url, transport, auth, timeoutMs: 1000 });
  }

  function make(over: Partial<DatevConnectSourceOptions> = {}, password = PASSWORD): DatevConnectSource {
    const s = new DatevConnectSource({
      client: client(new BasicAuthProvider('cti', async () => password)),
      rules,
      cacheFile: join(dir.path, 'cache.json'),
      clock,
      logger: log,
      concurrency: 3,
      refreshIntervalMs: 10 * MIN,
      fullRebuildIntervalMs: 24 * 60 * MIN,
      retryDelayMs: MIN,
      ...over,
    });
    sources.push(s);
    return s;
  }

  /** Lets the timers due within `ms` fire and waits until the source is idle with its next timer set. */
  async function advance(s: DatevConnectSource, ms: number): Promise<void> {
    clock.advance(ms);
    await until(() => clock.pending === 1 && !['crawling', 'refreshing'].includes(s.status().state));
  }

  async function started(s: DatevConnectSource): Promise<void> {
    await s.start();
    await advance(s, 0);
  }

  const ids = (s: DatevConnectSource, e164: string): string[] => s.find(e164)?.contacts.map((c) => c.id) ?? [];
  const detailRequests = (id: string): number => fake.requests().filter((r) => r.path.endsWith(`/addressees/${id}`)).length;
  const warnings = (re: RegExp): number => log.lines.filter((l) => l.level === 'warn' && re.test(l.msg)).length;

  it('one addressee that keeps failing does not stop the crawl; it is logged by id and tried again at the next refresh', async () => {
    fake.inject({ kind: 'status', status: 500, body: { error: 'DCO00500' } }, `/addressees/${ID(7)}`, 1e9);
    const s = make();
    await started(s);
    for (let i = 0; i < 4; i++) await advance(s, MIN);
    expect(s.status()).toMatchObject({ state: 'ready', ready: true, addressees: 7, failedAddressees: 1 });
    expect(ids(s, '+49891234517')).toEqual([ID(2)]);
    expect(fake.requests()).toHaveLength(9); // one list and eight details, no retry storm
    const line = log.lines.find((l) => l.level === 'warn' && /could not be read/.test(l.msg));
    expect(line?.meta).toMatchObject({ failed: 1, ids: [ID(7)] });
    expect(JSON.stringify(log.lines)).not.toMatch(/Ohnetelefon|Otto/);
    await advance(s, 6 * MIN); // the 10-minute refresh asks for the failed one again
    expect(detailRequests(ID(7))).toBe(2);
    expect(s.status()).toMatchObject({ state: 'ready', addressees: 7 });
    fake.clearFaults();
    await advance(s, 10 * MIN);
    expect(s.status()).toMatchObject({ state: 'ready', addressees: 8, failedAddressees: 0 });
  });

  it('an addressee that fails in a full rebuild keeps its cached data', async () => {
    const s = make();
    await s.refreshNow();
    fake.inject({ kind: 'hang' }, `/addressees/${ID(2)}`);
    await s.refreshNow(true);
    expect(s.status()).toMatchObject({ state: 'ready', addressees: 8, failedAddressees: 1 });
    expect(ids(s, '+49891234517')).toEqual([ID(2)]);
    expect(log.lines.filter((l) => l.level === 'error')).toHaveLength(0);
  });

  it('many failing addressees (> 20 % and > 10) fail the run: no thin table', async () => {
    await fake.stop();
    fake = new FakeDatevConnect(generateDataset(40, 40));
    await fake.start();
    fake.inject({ kind: 'status', status: 500, body: { error: 'DCO00500' } }, '/addressees/', 11);
    const s = make({ sliceMs: 0 });
    await s.refreshNow();
    expect(s.status()).toMatchObject({ state: 'error', ready: false, addressees: 0 });
    expect(s.status().lastError?.kind).toBe('server');
    await s.refreshNow();
    expect(s.status()).toMatchObject({ state: 'ready', addressees: 40 });
  });

  it('addressees that can never be read (rights, bad data) do not make every later refresh fail: the day\'s changes still arrive', async () => {
    await fake.stop();
    const data = generateDataset(100, 100);
    fake = new FakeDatevConnect(data);
    await fake.start();
    const broken = new Set(data.slice(0, 12).map((a) => a.id)); // 12 of 100: the crawl takes the rest
    fake.injectWhen({ kind: 'status', status: 403, body: { error: 'DCO10400' } }, (path) => [...broken].some((id) => path.endsWith(`/addressees/${id}`)), 1e9);
    const s = make({ sliceMs: 0 });
    await s.refreshNow(true);
    expect(s.status()).toMatchObject({ state: 'ready', addressees: 88, failedAddressees: 12 });
    fake.setPhones(data[50]!.id, [{ data_content: '0221 555 66 77' }]);
    await s.refreshNow(); // only the 12 that failed again and the one change: not a sick server
    expect(s.status()).toMatchObject({ state: 'ready', failedAddressees: 12 });
    expect(ids(s, '+492215556677')).toEqual([data[50]!.id]);
    await s.refreshNow();
    expect(s.status().state).toBe('ready');
  });

  it('a run that fails as a whole is retried with exponential back-off (1, 2, 4 … 30 min), reset after a success', async () => {
    fake.inject({ kind: 'status', status: 503 }, undefined, 1e9);
    const s = make();
    await started(s);
    for (let i = 0; i < 10; i++) await advance(s, MIN);
    expect(fake.requests()).toHaveLength(4); // at 0, 1, 3 and 7 minutes
    for (let i = 0; i < 24; i++) await advance(s, 10 * MIN); // 4 hours more: gaps grow to 30 min and stay there
    const count = fake.requests().length;
    expect(count).toBeGreaterThanOrEqual(4 + 7);
    expect(count).toBeLessThanOrEqual(4 + 10);
    expect(s.status().nextAttempt).toBeDefined();
    fake.clearFaults();
    await advance(s, 30 * MIN);
    expect(s.status()).toMatchObject({ state: 'ready', addressees: 8 });
    fake.inject({ kind: 'status', status: 503 }, undefined, 1e9);
    fake.clearRequests();
    await advance(s, 10 * MIN); // the refresh fails: the first retry comes after 1 minute again
    await advance(s, MIN);
    expect(fake.requests()).toHaveLength(2);
  });

  it('a failed full rebuild does not block the incremental refreshes of the cache', async () => {
    const s = make({ fullRebuildIntervalMs: 60 * MIN });
    await started(s);
    const fullList = (path: string, q: Record<string, string>): boolean => path.endsWith('/addressees') && q.filter === undefined;
    fake.injectWhen({ kind: 'status', status: 500, body: { error: 'DCO00500' } }, fullList, 1e9);
    for (let i = 0; i < 6; i++) await advance(s, 10 * MIN); // the 6th tick is the full rebuild: it fails
    expect(s.status().state).toBe('error');
    fake.setPhones(ID(3), [{ data_content: '0221 555 66 77' }]);
    for (let i = 0; i < 11; i++) await advance(s, MIN);
    expect(ids(s, '+492215556677')).toEqual([ID(3)]);
    const fullTries = fake.requests().filter((r) => fullList(r.path, r.query)).length;
    expect(fullTries).toBeLessThanOrEqual(3);
  });

  it('a full crawl that would drop most of a cached table (404s, empty list) keeps the old table and warns', async () => {
    await fake.stop();
    fake = new FakeDatevConnect(generateDataset(30, 30));
    await fake.start();
    const s = make({ sliceMs: 0 });
    await s.refreshNow();
    expect(s.status().addressees).toBe(30);
    fake.inject({ kind: 'status', status: 404, body: { error: 'DCO01404' } }, '/addressees/', 20);
    await s.refreshNow(true);
    expect(s.status().addressees).toBe(30);
    expect(warnings(/kept/)).toBe(1);
    fake.inject({ kind: 'status', status: 200, body: [] }, '/addressees', 1);
    await s.refreshNow(true);
    expect(s.status().addressees).toBe(30);
    expect(warnings(/kept/)).toBe(2);
    await s.refreshNow(true);
    expect(s.status()).toMatchObject({ state: 'ready', addressees: 30 });
  });

  it('a wrong password is not retried on the timer (no account lockout); said once', async () => {
    const s = make({}, 'falsch');
    await started(s);
    for (let i = 0; i < 10; i++) await advance(s, MIN);
    const denied = fake.requests().length;
    expect(denied).toBeGreaterThanOrEqual(1);
    expect(denied).toBeLessThanOrEqual(2);
    expect(s.status()).toMatchObject({ state: 'error', waitingForNewPassword: true, lastError: { kind: 'unauthorized' } });
    expect(log.lines.filter((l) => l.level === 'error')).toHaveLength(1);
    expect(log.lines.some((l) => /new password/.test(l.msg))).toBe(true);
    for (let i = 0; i < 10; i++) await advance(s, 30 * MIN);
    expect(fake.requests()).toHaveLength(denied);
  });

  it('after a wrong password, storing a new one is noticed and the crawl runs', async () => {
    let password = 'falsch';
    const s = make({ client: client(new BasicAuthProvider('cti', async () => password)) });
    await started(s);
    for (let i = 0; i < 3; i++) await advance(s, MIN);
    expect(fake.requests()).toHaveLength(1);
    password = PASSWORD;
    await advance(s, MIN);
    expect(s.status()).toMatchObject({ state: 'ready', addressees: 8, waitingForNewPassword: false });
    expect(s.status().lastError).toBeUndefined();
  });

  it('a new password stored while DATEVconnect is down is tried with the usual back-off, not every minute', async () => {
    let password = 'falsch';
    const s = make({ client: client(new BasicAuthProvider('cti', async () => password)) });
    await started(s);
    expect(s.status().waitingForNewPassword).toBe(true);
    password = PASSWORD;
    fake.inject({ kind: 'status', status: 503 }, undefined, 1e9); // the service is down meanwhile
    fake.clearRequests();
    for (let i = 0; i < 10; i++) await advance(s, MIN);
    expect(fake.requests().length).toBeLessThanOrEqual(4); // at 1, 2, 4, 8 minutes — not 10
    expect(s.status().waitingForNewPassword).toBe(false); // the new password was not refused
    fake.clearFaults();
    await advance(s, 30 * MIN);
    expect(s.status()).toMatchObject({ state: 'ready', addressees: 8 });
  });

  it('a 401 with sign-in that cannot tell a new password (Windows) is retried at most every 30 minutes', async () => {
    const windowsLike: AuthProvider = { description: 'windows', authorization: async () => 'Basic ' + Buffer.from('cti:falsch').toString('base64') };
    const s = make({ client: client(windowsLike) });
    await started(s);
    for (let i = 0; i < 29; i++) await advance(s, MIN);
    expect(fake.requests()).toHaveLength(1);
    await advance(s, MIN);
    expect(fake.requests()).toHaveLength(2);
    expect(log.lines.filter((l) => l.level === 'error')).toHaveLength(1);
  });
});
