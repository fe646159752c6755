import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContactDirectory } from '../../src/contacts/directory';
import { createContactDirectory, DEFAULT_CONTACTS_CONFIG, plainHttpToAnotherHost, type ContactsConfig } from '../../src/contacts/factory';
import { LIST_TIMEOUT_MS } from '../../src/contacts/datevconnect/client';
import { NodeHttpTransport, type HttpTransport } from '../../src/contacts/datevconnect/http';
import { LastChoiceStore } from '../../src/contacts/lastChoice';
import { LearnedStore } from '../../src/contacts/learned';
import { ManualList } from '../../src/contacts/manualList';
import { MANUAL_LIST_CHECK_MS } from '../../src/contacts/directory';
import { checkNumberRules } from '../../src/contacts/numbers';
import type { Contact, ContactsPort } from '../../src/contacts/port';
import { ContactResolver } from '../../src/app/contactResolver';
import { makeMasker, silentLogger } from '../../src/logging/logger';
import { contactToAddressee, fixedDataset } from '../../fakes/datevconnect/data';
import { FakeDatevConnect } from '../../fakes/datevconnect/server';
import { captureLogger, ManualClock, tempDir, until } from './helpers';

const ID = (n: number): string => `a0000000-0000-4000-8000-00000000000${n}`;

describe('ContactDirectory', () => {
  let fake: FakeDatevConnect;
  let dir: ReturnType<typeof tempDir>;
  let clock: ManualClock;
  let log: ReturnType<typeof captureLogger>;
  let closers: (() => void)[];

  beforeEach(async () => {
    fake = new FakeDatevConnect(fixedDataset(), { auth: { mode: 'basic', user: 'cti', password: 'pw' } });
    await fake.start();
    dir = tempDir();
    clock = new ManualClock();
    log = captureLogger();
    closers = [];
  });
  afterEach(async () => {
    for (const c of closers) c();
    await fake.stop();
    dir.remove();
  });

  function build(over: Partial<ContactsConfig> = {}, dc: Partial<ContactsConfig['datevConnect']> = {}): ContactDirectory {
    const { directory, close } = createContactDirectory({
      config: { ...DEFAULT_CONTACTS_CONFIG, ...over, datevConnect: { ...DEFAULT_CONTACTS_CONFIG.datevConnect, baseUrl: fake.url, user: 'cti', ...dc } },
      dataDir: dir.path,
      clock,
      logger: log,
      secret: async () => 'pw',
    });
    closers.push(close);
    return directory;
  }

  it('Basic over plain HTTP to another host is warned about (the password crosses the network unencrypted); localhost and HTTPS are not', () => {
    expect(['http://datevserver:58454', 'http://10.0.0.5:58454/', 'http://Server.local'].map(plainHttpToAnotherHost)).toEqual([true, true, true]);
    expect(['http://localhost:58454', 'http://127.0.0.1:58454', 'http://[::1]:58454', 'https://datevserver:58452', 'kaputt'].map(plainHttpToAnotherHost)).toEqual([false, false, false, false, false]);
    const warned = (baseUrl: string, auth: 'basic' | 'none'): boolean => {
      const logger = captureLogger();
      const { close } = createContactDirectory({ config: { ...DEFAULT_CONTACTS_CONFIG, datevConnect: { ...DEFAULT_CONTACTS_CONFIG.datevConnect, baseUrl, auth, user: 'cti' } }, dataDir: dir.path, clock, logger, secret: async () => 'pw' });
      close();
      return logger.lines.some((l) => l.level === 'warn' && l.msg.includes('unencrypted'));
    };
    expect(warned('http://datevserver:58454', 'basic')).toBe(true);
    expect(warned('https://datevserver:58452', 'basic')).toBe(false);
    expect(warned('http://localhost:58454', 'basic')).toBe(false);
    expect(warned('http://datevserver:58454', 'none')).toBe(false);
  });

  it('the crawl bounds a list request by LIST_TIMEOUT_MS (or the request timeout, if longer), one addressee by the request timeout', async () => {
    const seen: [string, number][] = [];
    const node = new NodeHttpTransport(4);
    const transport: HttpTransport = { get: (url, headers, timeoutMs) => (seen.push([new URL(url).pathname.replace(/.*\/master-data\/v1/, ''), timeoutMs]), node.get(url, headers, timeoutMs)) };
    for (const [seconds, list] of [[15, LIST_TIMEOUT_MS], [300, 300_000]] as const) {
      seen.length = 0;
      const own = tempDir(); // (a first crawl each time: no cache)
      const { directory, close } = createContactDirectory({
        config: { ...DEFAULT_CONTACTS_CONFIG, datevConnect: { ...DEFAULT_CONTACTS_CONFIG.datevConnect, baseUrl: fake.url, user: 'cti', timeoutSeconds: seconds } },
        dataDir: own.path,
        clock,
        logger: log,
        secret: async () => 'pw',
        transport,
      });
      closers.push(close, () => own.remove());
      await directory.start();
      await directory.refresh();
      expect(seen.find(([p]) => p === '/addressees')?.[1]).toBe(list);
      expect(seen.find(([p]) => /^\/addressees\/[0-9a-f-]{36}$/.test(p))?.[1]).toBe(seconds * 1000);
    }
  });

  it('answers at once before the crawl, then tells the app when the index is there', async () => {
    fake.opts.latencyMs = 30;
    const d = build();
    let updates = 0;
    const off = d.onIndexUpdated(() => updates++);
    await d.start();
    expect(await d.lookup('089 12345-17')).toEqual([]); // not crawled yet, and no waiting
    clock.advance(0);
    await until(() => updates >= 2);
    expect((await d.lookup('+49 89 12345 17')).map((c) => c.id)).toEqual([ID(2)]);
    off();
    d.onIndexUpdated(() => {
      throw new Error('listener bug');
    });
    d.indexChanged();
    expect(log.lines.some((l) => /listener failed/.test(l.msg))).toBe(true);
    expect(updates).toBeGreaterThanOrEqual(2);
  });

  it('the manual list is read again when it changes or appears (a network drive connected after the logon start)', async () => {
    const csv = join(dir.path, 'manuell.csv');
    const d = build({ manualListFile: csv }, { enabled: false });
    await d.start();
    expect(await d.lookup('0911 1111111')).toEqual([]);
    let updates = 0;
    d.onIndexUpdated(() => updates++);
    writeFileSync(csv, '0911 1111111;Mustermann Bau (manuell)\n');
    clock.advance(MANUAL_LIST_CHECK_MS);
    await until(() => updates >= 1);
    expect((await d.lookup('0911 1111111')).map((c) => c.name)).toEqual(['Mustermann Bau (manuell)']);
    writeFileSync(csv, '0911 1111111;Mustermann Bau GmbH\n0911 2222222;Neu\n');
    clock.advance(MANUAL_LIST_CHECK_MS);
    await until(() => updates >= 2);
    expect((await d.lookup('0911 2222222')).map((c) => c.name)).toEqual(['Neu']);
    // the share drops for a while: the entries read before stay in use
    rmSync(csv);
    clock.advance(MANUAL_LIST_CHECK_MS);
    await until(() => d.status().manualList?.error !== undefined);
    expect((await d.lookup('0911 2222222')).map((c) => c.name)).toEqual(['Neu']);
  });

  it('finds contacts by name for „Kontakt zuordnen…“: every word, any case, every source once, sorted, limited', async () => {
    const csv = join(dir.path, 'manuell.csv');
    writeFileSync(csv, '0911 1111111;Mustermann Bau (manuell)\n');
    const d = build({ manualListFile: csv });
    await d.start();
    await d.refresh();
    await d.learn('089/123 45-17', { id: '007130', name: 'Sparkasse Mustermann', dataSource: 'DATEV_Institutionen', number: '089/123 45-17' });
    const all = await d.search('muster', 50);
    expect(all.length).toBeGreaterThanOrEqual(3);
    expect(all.map((c) => c.name)).toEqual([...all.map((c) => c.name)].sort((a, b) => a.localeCompare(b, 'de')));
    expect(all.map((c) => c.dataSource)).toEqual(expect.arrayContaining(['DATEV_Adressaten', 'DATEV_Institutionen', 'Wildix']));
    expect(new Set(all.map((c) => `${c.dataSource}:${c.id}:${c.name}`)).size).toBe(all.length);
    expect(all.every((c) => c.name.toLowerCase().includes('muster'))).toBe(true);
    const sonja = await d.search('SONJA muster', 50);
    expect(sonja.map((c) => c.id)).toEqual([ID(2)]);
    expect(sonja[0]!.number).not.toBe('');
    expect(await d.search('muster', 1)).toHaveLength(1);
    expect(await d.search('   ', 10)).toEqual([]);
    expect(await d.search('gibt es nicht', 10)).toEqual([]);
  });

  it('precedence: exact matches from every source first (DATEVconnect, learned, manual), switchboard only without exact', async () => {
    const csv = join(dir.path, 'manuell.csv');
    writeFileSync(csv, '089 12345-17;Manuell Sonja\n089 12345-0;Manuelle Zentrale\n0911 1111111;Nur manuell\n');
    const d = build({ manualListFile: csv });
    await d.start();
    await d.refresh();
    await d.learn('089/123 45-17', { id: '007130', name: 'Sparkasse', dataSource: 'DATEV_Institutionen', number: '089/123 45-17' });
    await d.learn('089/123 45-17', { id: ID(2), name: 'Mustermeier, Sonja', dataSource: 'DATEV_Adressaten', number: '089/123 45-17' });
    const r = d.lookupDetailed('+49891234517');
    expect(r.kind).toBe('exact');
    expect(r.contacts.map((c) => `${c.dataSource}:${c.id || c.name}`)).toEqual(['DATEV_Adressaten:' + ID(2), 'DATEV_Institutionen:007130', 'Wildix:Manuell Sonja']);
    const sw = d.lookupDetailed('089 12345-99');
    expect(sw.kind).toBe('switchboard');
    expect(sw.contacts.map((c) => c.name)).toEqual(['Muster Steuer GmbH', 'Manuelle Zentrale']);
    expect((await d.lookup('09111111111')).map((c) => c.name)).toEqual(['Nur manuell']);
    expect(d.lookupDetailed('anonymous')).toEqual({ key: null, kind: null, contacts: [] });
    expect(d.status()).toMatchObject({ learnedNumbers: 2, manualList: { entries: 3 }, ambiguity: 'ask', datevConnect: { addressees: 8 } });
  });

  it('forgets learned contacts of addressees deleted in DATEV', async () => {
    const d = build();
    await d.start();
    await d.refresh();
    await d.learn('0911 777888', { id: ID(3), name: 'Weiß, Jörg', dataSource: 'DATEV_Adressaten', number: '0911 777888' });
    expect(await d.lookup('0911777888')).toHaveLength(1);
    fake.remove(ID(3));
    clock.advance(60_000);
    await d.refresh();
    expect(await d.lookup('0911777888')).toEqual([]);
  });

  it('ambiguity: resolve() follows the rule and the last choice', async () => {
    const d = build({ ambiguity: 'lastChosen' });
    await d.start();
    await d.refresh();
    const first = await d.resolve('030 12345678');
    expect(first).toMatchObject({ contact: null, ask: true });
    expect(first.candidates.map((c) => c.id)).toEqual([ID(4), ID(3)]);
    await d.rememberChoice('+49 30 12345678', { id: ID(3), dataSource: 'DATEV_Adressaten' });
    await d.rememberChoice('anonymous', { id: ID(3), dataSource: 'DATEV_Adressaten' });
    expect((await d.resolve('0049 30 12345678')).contact?.id).toBe(ID(3));
    expect((await d.resolve('0171 1234567')).contact?.id).toBe(ID(2));
    const none = build({ ambiguity: 'none' });
    await none.start();
    await none.refresh();
    expect(await none.resolve('030 12345678')).toMatchObject({ contact: null, ask: false });
  });

  it('extension length from the config; national numbers read as they come (the call flow takes a PBX\'s outside-line prefix off before)', async () => {
    const d = build({ extensionLength: 3 });
    await d.start();
    await d.refresh();
    expect((await d.lookup('0891234517')).map((c) => c.id)).toEqual([ID(2)]);
    expect((await d.lookup('089 1234517')).map((c) => c.id)).toEqual([ID(2)]);
    expect(await d.lookup('217')).toEqual([]);
  });

  it('numbers of calls and numbers typed in DATEV: the call list\'s assignment, DATEV\'s Dial and the user\'s pick each count for the others', async () => {
    const b1: Contact = { id: 'b0000000-0000-4000-8000-000000000001', name: 'Bauer, Anna', dataSource: 'DATEV_Adressaten', number: '089 1234567' };
    const b2: Contact = { ...b1, id: 'b0000000-0000-4000-8000-000000000002', name: 'Bauer, Bernd' };
    for (const b of [b1, b2]) fake.upsert(contactToAddressee(b));
    const d = build({ ambiguity: 'lastChosen' });
    await d.start();
    await d.refresh();
    expect(await d.resolve('0891234567')).toMatchObject({ contact: null, ask: true });
    // „Kontakt zuordnen…“ in the call list: the number as the call had it
    const port: ContactsPort = d;
    const fromCallList = (number: string, contact: Contact): Promise<void> | undefined => (port.learnFromCall ?? port.learn)?.call(port, number, { ...contact, number });
    const kammer: Contact = { id: '007130', name: 'Steuerberaterkammer', dataSource: 'DATEV_Institutionen', number: '' };
    await fromCallList('0891234567', kammer);
    expect((await d.lookup('+49 89 1234567')).map((c) => c.id)).toContain('007130');
    await fromCallList('030 1234567', kammer);
    expect((await d.lookup('0301234567')).map((c) => c.id)).toEqual(['007130']);
    // DATEV's Dial: the number as typed in DATEV is learned and is the choice
    new ContactResolver(d, 'lastChosen', silentLogger, makeMasker(false)).dialled('089 1234567', b2);
    expect((await d.resolve('0891234567')).contact?.id).toBe(b2.id);
    new ContactResolver(d, 'lastChosen', silentLogger, makeMasker(false)).dialled('0049 89 1234567', b1);
    expect((await d.resolve('+49891234567')).contact?.id).toBe(b1.id);
    // the user's pick in the call dialog
    await d.rememberChoice('0891234567', b2);
    expect((await d.resolve('089 1234567')).contact?.id).toBe(b2.id);
    await until(() => existsSync(join(dir.path, 'last-contact-choices.json')));
  });

  it('Windows authentication is reported as not available yet; a missing password too', async () => {
    const win = build({}, { auth: 'windows' });
    await win.start();
    await win.refresh();
    expect(win.status().datevConnect?.lastError).toMatchObject({ kind: 'authUnavailable' });
    const noUser = build({}, { user: '' });
    await noUser.start();
    await noUser.refresh();
    expect(noUser.status().datevConnect?.lastError?.de).toMatch(/basic/);
    const anon = build({ learnFromDial: false }, { auth: 'none' });
    await anon.start();
    await anon.refresh();
    expect(anon.status().datevConnect?.lastError).toMatchObject({ kind: 'unauthorized' });
    await anon.learn('089 1234567', { id: '1', name: 'x', dataSource: 'y', number: '' });
    expect(await anon.lookup('089 1234567')).toEqual([]);
  });

  it('works without DATEVconnect and with broken learned storage', async () => {
    const d = build({}, { enabled: false });
    await d.start();
    expect(d.status().datevConnect).toBeNull();
    await d.learn('089 7777777', { id: '5', name: 'Gelernt', dataSource: 'DATEV_Adressaten', number: '' });
    expect((await d.lookup('+49897777777')).map((c) => c.id)).toEqual(['5']);
    await d.learn('Quatsch', { id: '5', name: 'Gelernt', dataSource: 'DATEV_Adressaten', number: '' });
    const rules = checkNumberRules({});
    const throwing = new LearnedStore({ file: join(dir.path, 'l.json'), rules, logger: log, now: () => clock.now() });
    throwing.learn = async () => {
      throw new Error('disk on fire');
    };
    const manual = new ManualList(join(dir.path, 'nope.csv'), rules, log);
    const bare = new ContactDirectory({ rules, logger: log, learned: throwing, manual, lastChoices: new LastChoiceStore(join(dir.path, 'c.json'), log, () => clock.now()) });
    await bare.start();
    await bare.learn('089 7777777', { id: '5', name: 'x', dataSource: 'y', number: '' });
    expect(log.lines.some((l) => /learning failed/.test(l.msg))).toBe(true);
    await bare.refresh();
    bare.stop();
    expect(bare.status()).toMatchObject({ datevConnect: null, learnedNumbers: 0, manualList: { entries: 0 } });
    const plain = new ContactDirectory({ rules, logger: log });
    await plain.learn('089 7777777', { id: '5', name: 'x', dataSource: 'y', number: '' });
    expect(await plain.resolve('089 7777777')).toMatchObject({ contact: null, ask: false });
  });

  it('number settings it cannot use (past the config check) fall back to the defaults with an error, never a throw', async () => {
    const d = build({ country: 'UK', areaCode: 'München', extensionLength: 99 });
    await d.start();
    await d.refresh();
    expect((await d.lookup('+49 89 12345 17')).map((c) => c.id)).toEqual([ID(2)]);
    const errors = log.lines.filter((l) => l.level === 'error').map((l) => l.msg);
    for (const key of ['country', 'areaCode', 'extensionLength']) expect(errors.some((m) => m.includes(key))).toBe(true);
    expect(() => build({ areaCode: '0000000' })).not.toThrow();
  });
});
