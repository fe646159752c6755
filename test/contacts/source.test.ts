import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BasicAuthProvider } from '../../src/contacts/datevconnect/auth';
import { DatevConnectClient } from '../../src/contacts/datevconnect/client';
import { NodeHttpTransport } from '../../src/contacts/datevconnect/http';
import { DatevConnectSource, mapLimit, type DatevConnectSourceOptions } from '../../src/contacts/datevconnect/source';
import { checkNumberRules } from '../../src/contacts/numbers';
import { Slicer } from '../../src/contacts/slicer';
import { decodeTable, isTableFile } from '../../src/contacts/table/tableCodec';
import { toRecord } from '../../src/contacts/datevconnect/records';
import { fixedDataset, generateDataset } from '../../fakes/datevconnect/data';
import { FakeDatevConnect } from '../../fakes/datevconnect/server';
import { captureLogger, ManualClock, tempDir, until } from './helpers';

const ID = (n: number): string => `a0000000-0000-4000-8000-00000000000${n}`;
const PASSWORD = 'Sehr-Geheim-123';
const rules = checkNumberRules({});

describe('DatevConnectSource', () => {
  let fake: FakeDatevConnect;
  let transport: NodeHttpTransport;
  let dir: ReturnType<typeof tempDir>;
  let clock: ManualClock;
  let log: ReturnType<typeof captureLogger>;
  let changes: Set<string>[];
  let sources: DatevConnectSource[];

  beforeEach(async () => {
    fake = new FakeDatevConnect(fixedDataset(), { auth: { mode: 'basic', user: 'cti', password: PASSWORD } });
    await fake.start();
    transport = new NodeHttpTransport(8);
    dir = tempDir();
    clock = new ManualClock();
    log = captureLogger();
    changes = [];
    sources = [];
  });
  afterEach(async () => {
    for (const s of sources) s.stop();
    transport.close();
    await fake.stop();
    dir.remove();
  });

  function make(over: Partial<DatevConnectSourceOptions> = {}, password = PASSWORD): DatevConnectSource {
    const s = new DatevConnectSource({
      client: new DatevConnectClient({ baseUrl: fake.url, transport, auth: new BasicAuthProvider('cti', async () => password), timeoutMs: 1000 }),
      rules,
      cacheFile: join(dir.path, 'cache.json'),
      clock,
      logger: log,
      concurrency: 3,
      refreshIntervalMs: 600_000,
      fullRebuildIntervalMs: 86_400_000,
      retryDelayMs: 60_000,
      onChange: (d) => changes.push(new Set(d)),
      ...over,
    });
    sources.push(s);
    return s;
  }

  const ids = (s: DatevConnectSource, e164: string): string[] => s.find(e164)?.contacts.map((c) => c.id) ?? [];

  it('crawls all addressees with their phones and matches exact and switchboard numbers', async () => {
    const s = make();
    await s.refreshNow();
    expect(s.status()).toMatchObject({ state: 'ready', ready: true, addressees: 8, fromCache: false });
    expect(ids(s, '+49891234517')).toEqual([ID(2)]);
    expect(s.find('+49891234599')).toMatchObject({ kind: 'switchboard', contacts: [{ id: ID(1), name: 'Muster Steuer GmbH', dataSource: 'DATEV_Adressaten', number: '+49 (0)89 12345-0' }] });
    expect(ids(s, '+491711234567')).toEqual([ID(2)]);
    expect(s.find('+491711234567')!.contacts[0]!.name).toBe('Mustermeier, Sonja');
    // two contacts share a number: management phone first
    expect(ids(s, '+493012345678')).toEqual([ID(4), ID(3)]);
    expect(ids(s, '+431234567')).toEqual([ID(6)]);
    expect(s.status().unusableNumbers).toBe(1);
    expect(changes).toHaveLength(1);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    fake.opts.latencyMs = 15;
    const s = make({ concurrency: 2 });
    fake.resetStats();
    await s.refreshNow();
    expect(fake.stats.maxConcurrent).toBe(2);
    expect(fake.stats.requests).toBe(9);
  });

  it('refreshes incrementally after edits, additions and deletions', async () => {
    const s = make();
    await s.refreshNow();
    fake.clearRequests();
    clock.advance(600_000);
    fake.setPhones(ID(3), [{ data_content: '0221 555 66 77' }]);
    fake.remove(ID(6));
    fake.upsert({ ...fixedDataset()[0]!, id: ID(9), current_company_name: 'Neu GmbH', communications: [{ id: 'x', type: 'phone', data_content: '0911 777888' }] });
    await s.refreshNow();
    expect(ids(s, '+49221556677'.replace('556677', '5556677'))).toEqual([ID(3)]);
    expect(ids(s, '+493012345678')).toEqual([ID(4)]);
    expect(s.find('+431234567')).toBeNull();
    expect(ids(s, '+49911777888')).toEqual([ID(9)]);
    expect(changes.at(-1)).toEqual(new Set([ID(6)]));
    const paths = fake.requests().map((r) => `${r.path}?${new URLSearchParams(r.query).toString()}`);
    expect(paths[0]).toMatch(/\/addressees\?filter=timestamp\+ge\+2024-01-15T09%3A30%3A00.000&select=id%2Ctimestamp$/);
    expect(paths[1]).toMatch(/deletion-log\?filter=timestamp\+ge\+/);
    expect(paths.filter((p) => /\/addressees\/a0/.test(p))).toHaveLength(2); // only the changed ones
    // nothing changed: no detail requests, no change event
    fake.clearRequests();
    const before = changes.length;
    await s.refreshNow();
    expect(fake.requests()).toHaveLength(2);
    expect(changes.length).toBe(before);
  });

  it('a full rebuild on schedule catches edits that did not bump the timestamp', async () => {
    const s = make({ fullRebuildIntervalMs: 3_600_000, refreshIntervalMs: 600_000 });
    await s.start();
    clock.advance(0);
    await until(() => s.status().state === 'ready' && clock.pending === 1);
    fake.setPhones(ID(5), [{ data_content: '040 999 000 11' }], false);
    clock.advance(600_000);
    await until(() => s.status().lastRefresh !== s.status().lastFullCrawl && clock.pending === 1);
    expect(ids(s, '+494099900011')).toEqual([]);
    // the hourly full rebuild falls on the 6th refresh tick
    for (let i = 0; i < 5 && ids(s, '+494099900011').length === 0; i++) {
      clock.advance(600_000);
      await until(() => clock.pending === 1 && ['ready', 'error'].includes(s.status().state));
    }
    expect(ids(s, '+494099900011')).toEqual([ID(5)]);
    expect(ids(s, '+494047110815')).toEqual([]);
  });

  it('persists the index so a restart answers before any request', async () => {
    const s = make();
    await s.refreshNow();
    await until(() => existsSync(join(dir.path, 'cache.json')));
    const saved = await decodeTable(readFileSync(join(dir.path, 'cache.json')), new Slicer());
    expect(saved.ok && saved.table.rows).toBe(8);
    s.stop();
    fake.clearRequests();
    const again = make();
    await again.start();
    expect(fake.requests()).toHaveLength(0);
    expect(again.status()).toMatchObject({ ready: true, fromCache: true, addressees: 8 });
    expect(ids(again, '+49891234517')).toEqual([ID(2)]);
    expect(readFileSync(join(dir.path, 'cache.json'), 'utf8')).not.toContain(PASSWORD);
  });

  it('ignores a corrupt or foreign cache file and crawls', async () => {
    writeFileSync(join(dir.path, 'cache.json'), '{kaputt');
    const s = make();
    await s.start();
    expect(s.status().ready).toBe(false);
    expect(log.lines.some((l) => l.level === 'warn' && /unreadable/.test(l.msg))).toBe(true);
    clock.advance(0);
    await until(() => s.status().ready);
    expect(s.status().addressees).toBe(8);
  });

  it.each([
    ['401', () => fake.inject({ kind: 'status', status: 401, body: { error: 'unauthorized' }, headers: { 'WWW-Authenticate': 'Negotiate, NTLM, Basic' } }), 'unauthorized'],
    ['403 with code', () => fake.inject({ kind: 'status', status: 403, body: { error: 'DCO10400' } }), 'forbidden'],
    ['403 empty', () => fake.inject({ kind: 'forbiddenEmpty' }), 'forbidden'],
    ['404', () => fake.inject({ kind: 'status', status: 404, body: { error: 'not_found' } }), 'notFound'],
    ['406', () => fake.inject({ kind: 'status', status: 406 }), 'notAcceptable'],
    ['500', () => fake.inject({ kind: 'status', status: 500, body: { error: 'DCO00500' } }), 'server'],
    ['timeout', () => fake.inject({ kind: 'hang' }), 'timeout'],
    ['malformed', () => fake.inject({ kind: 'malformed' }), 'malformed'],
    // a single addressee that fails no longer fails the run (sourceRecovery.test.ts); a 401 on a detail still does
    ['detail 401 mid-crawl', () => fake.inject({ kind: 'status', status: 401, body: { error: 'unauthorized' } }, '/addressees/a0'), 'unauthorized'],
  ] as const)('on %s: keeps the last good index, logs once, reports it in status()', async (_l, arm, kind) => {
    const s = make();
    await s.refreshNow();
    const good = s.status().numbers;
    arm();
    await s.refreshNow(true);
    const st = s.status();
    expect(st.state).toBe('error');
    expect(st.lastError?.kind).toBe(kind);
    expect(st.lastError?.de.length).toBeGreaterThan(20);
    expect(st.numbers).toBe(good);
    expect(ids(s, '+49891234517')).toEqual([ID(2)]);
    arm();
    await s.refreshNow(true);
    expect(log.lines.filter((l) => l.level === 'error')).toHaveLength(1);
    await s.refreshNow(true);
    expect(s.status().state).toBe('ready');
    expect(s.status().lastError).toBeUndefined();
    expect(log.lines.some((l) => l.level === 'info' && /reachable again/.test(l.msg))).toBe(true);
  });

  it('never writes the password or the Authorization header to the log', async () => {
    const s = make({}, 'falsch-' + PASSWORD);
    await s.refreshNow();
    expect(s.status().lastError).toMatchObject({ kind: 'unauthorized', httpStatus: 401 });
    expect(s.status().auth).toBe('Basic (cti)');
    const text = log.text() + JSON.stringify(s.status());
    expect(text).toContain('401');
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(Buffer.from(`cti:falsch-${PASSWORD}`).toString('base64'));
  });

  it('retries after the retry delay when a run failed, then goes back to the refresh interval', async () => {
    fake.inject({ kind: 'status', status: 500, body: { error: 'x' } });
    const s = make();
    await s.start();
    clock.advance(0);
    await until(() => s.status().state === 'error');
    clock.advance(60_000);
    await until(() => s.status().state === 'ready');
    expect(s.status().addressees).toBe(8);
    s.stop();
    expect(s.status().state).toBe('stopped');
    expect(clock.pending).toBe(0);
  });

  it('skips addressees deleted between list and detail', async () => {
    fake.inject({ kind: 'status', status: 404, body: { error: 'DCO01404' } }, `/addressees/${ID(7)}`);
    const s = make();
    await s.refreshNow();
    expect(s.status()).toMatchObject({ state: 'ready', addressees: 7 });
  });

  it('crawls a generated data set of 2,000 addressees', async () => {
    await fake.stop();
    fake = new FakeDatevConnect(generateDataset(2000, 4800), { recordRequests: false });
    await fake.start();
    const s = make({ concurrency: 8 });
    await s.refreshNow();
    expect(s.status()).toMatchObject({ addressees: 2000, numbers: 4800, unusableNumbers: 0 });
  });

  it('migrates the cache of the previous version (JSON) without asking DATEVconnect, then saves the compact table', async () => {
    const addressees = fixedDataset().map((a) => toRecord(a as unknown as Record<string, unknown>));
    const codec = { encode: async (b: Buffer) => Buffer.from(b.map((x) => x ^ 0x5a)), decode: async (b: Buffer) => Buffer.from(b.map((x) => x ^ 0x5a)) };
    const old = join(dir.path, 'old.json');
    writeFileSync(old, await codec.encode(Buffer.from(JSON.stringify({ version: 1, baseUrl: fake.url, lastFullCrawl: clock.now().getTime(), lastRefresh: clock.now().getTime(), deletionMark: '2024-01-15T09:30:00.000', addressees }))));
    const s = make({ codec, sliceMs: 0, legacyCacheFile: old });
    await s.start();
    expect(fake.requests()).toHaveLength(0);
    expect(s.status()).toMatchObject({ ready: true, fromCache: true, addressees: 8, numbers: 8, unusableNumbers: 1 });
    expect(ids(s, '+493012345678')).toEqual([ID(4), ID(3)]);
    expect(s.find('+49891234599')).toMatchObject({ kind: 'switchboard', contacts: [{ id: ID(1) }] });
    expect(log.lines.some((l) => /migrated/.test(l.msg))).toBe(true);
    expect(isTableFile(await codec.decode(readFileSync(join(dir.path, 'cache.json'))))).toBe(true);
    expect(existsSync(old)).toBe(false);
    expect(changes).toHaveLength(1);
    s.stop();
    const again = make({ codec, legacyCacheFile: old });
    await again.start();
    expect(again.status()).toMatchObject({ ready: true, fromCache: true, addressees: 8 });
    expect(fake.requests()).toHaveLength(0);
  });

  it('an old cache with a broken addressee is ignored (and crawled again); one of another URL silently', async () => {
    writeFileSync(join(dir.path, 'cache.json'), JSON.stringify({ version: 1, baseUrl: fake.url, lastFullCrawl: 1, lastRefresh: 1, deletionMark: '', addressees: [{ id: 7 }] }));
    const broken = make();
    await broken.start();
    expect(broken.status().ready).toBe(false);
    expect(log.lines.filter((l) => l.level === 'warn' && /unreadable/.test(l.msg))).toHaveLength(1);
    broken.stop();
    writeFileSync(join(dir.path, 'cache.json'), JSON.stringify({ version: 1, baseUrl: 'http://anderer-server:58454', lastFullCrawl: 1, lastRefresh: 1, deletionMark: '', addressees: [] }));
    const foreign = make();
    await foreign.start();
    expect(foreign.status().ready).toBe(false);
    expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    writeFileSync(join(dir.path, 'cache.json'), 'WXDC kaputt');
    await make().start();
    expect(log.lines.filter((l) => l.level === 'warn' && /unreadable/.test(l.msg)).at(-1)?.meta?.error).toMatch(/not a contact table/);
    writeFileSync(join(dir.path, 'cache.json'), Buffer.from([1, 0, 0, 0, 9]));
    await make().start();
    expect(log.lines.filter((l) => l.level === 'warn' && /unreadable/.test(l.msg)).at(-1)?.meta?.error).toMatch(/unknown file format/);
  });

  it('number settings changed: the cached numbers are read again under the new rules', async () => {
    fake.setPhones(ID(7), [{ data_content: '123 45 67' }]); // a local number: needs the area code
    const s = make();
    await s.refreshNow();
    expect(s.status().unusableNumbers).toBe(2);
    await until(() => existsSync(join(dir.path, 'cache.json')));
    s.stop();
    fake.clearRequests();
    const munich = make({ rules: checkNumberRules({ areaCode: '089' }), sliceMs: 0 });
    await munich.start();
    expect(fake.requests()).toHaveLength(0);
    expect(munich.status()).toMatchObject({ ready: true, addressees: 8, unusableNumbers: 1 });
    expect(ids(munich, '+49891234567')).toEqual([ID(7)]);
    expect(ids(munich, '+493012345678')).toEqual([ID(4), ID(3)]);
    expect(log.lines.some((l) => /number settings changed/.test(l.msg))).toBe(true);
    const saved = await decodeTable(readFileSync(join(dir.path, 'cache.json')), new Slicer());
    expect(saved.ok && saved.meta.rules).toBe('["DE","089"]');
  });

  it('asks for the list again without `select` when DATEVconnect rejects it (400), and remembers that', async () => {
    fake.inject({ kind: 'status', status: 400, body: { error: 'DCO01400' } }, '/addressees', 1); // the first request: the list
    const s = make();
    await s.refreshNow();
    expect(s.status()).toMatchObject({ state: 'ready', addressees: 8 });
    const lists = fake.requests().filter((r) => r.path.endsWith('/addressees'));
    expect(lists.map((r) => r.query.select ?? '-')).toEqual(['id,timestamp', '-']);
    fake.clearRequests();
    clock.advance(600_000);
    await s.refreshNow();
    expect(fake.requests().filter((r) => r.path.endsWith('/addressees'))[0]?.query.select).toBeUndefined();
  });

  it('a full crawl reports addressees that are gone; a refresh drops one whose detail answers 404', async () => {
    const s = make({ sliceMs: 0 });
    await s.refreshNow();
    fake.remove(ID(6));
    await s.refreshNow(true);
    expect(changes.at(-1)).toEqual(new Set([ID(6)]));
    expect(s.find('+431234567')).toBeNull();
    clock.advance(600_000);
    fake.setPhones(ID(2), [{ data_content: '089 1111111' }]);
    fake.inject({ kind: 'status', status: 404, body: { error: 'DCO01404' } }, `/addressees/${ID(2)}`);
    await s.refreshNow();
    expect(changes.at(-1)).toEqual(new Set([ID(2)]));
    expect(s.status()).toMatchObject({ addressees: 6 });
    expect(ids(s, '+491711234567')).toEqual([]);
    expect(ids(s, '+493012345678')).toEqual([ID(4), ID(3)]);
    expect(s.indexBytes).toBeGreaterThan(0);
  });

  it('a refresh asked for while the cache still loads runs after it (the crawl is not overwritten by the cache)', async () => {
    const s = make();
    await s.refreshNow();
    await until(() => existsSync(join(dir.path, 'cache.json')));
    s.stop();
    fake.setPhones(ID(2), [{ data_content: '089 1111111' }]);
    let open: () => void = () => undefined;
    const gate = new Promise<void>((r) => (open = r));
    const slowDisk = { encode: async (b: Buffer) => b, decode: async (b: Buffer) => gate.then(() => b) };
    const client = new DatevConnectClient({ baseUrl: fake.url, transport, auth: new BasicAuthProvider('cti', async () => PASSWORD), timeoutMs: 1000 });
    const lists: string[] = [];
    const list = client.listAddresseeStamps.bind(client);
    client.listAddresseeStamps = (filter) => (lists.push(filter ?? 'all'), list(filter));
    const again = make({ client, codec: slowDisk, fullRebuildIntervalMs: 0 });
    const started = again.start();
    const refreshed = again.refreshNow();
    await new Promise((r) => setImmediate(r));
    expect(lists).toEqual([]); // the refresh waits for the cache
    open();
    await Promise.all([started, refreshed]);
    expect(again.status()).toMatchObject({ fromCache: false, addressees: 8 });
    expect(ids(again, '+49891111111')).toEqual([ID(2)]);
  });

  it('rejects an invalid concurrency', () => {
    expect(() => make({ concurrency: 0 })).toThrow(RangeError);
  });
});

describe('mapLimit', () => {
  it('stops after the first error and rethrows it', async () => {
    const seen: number[] = [];
    await expect(
      mapLimit([1, 2, 3, 4, 5], 1, async (n) => {
        seen.push(n);
        if (n === 2) throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(seen).toEqual([1, 2]);
    await mapLimit([], 3, async () => undefined);
  });
});
