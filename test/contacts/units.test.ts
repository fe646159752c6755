import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveAmbiguity, sameContact } from '../../src/contacts/ambiguity';
import { JsonFile, plainCodec } from '../../src/contacts/jsonFile';
import { LastChoiceStore } from '../../src/contacts/lastChoice';
import { LearnedStore } from '../../src/contacts/learned';
import { ManualList, parseManualCsv, splitCsvLine } from '../../src/contacts/manualList';
import { checkNumberRules, NumberRulesError, normalizeCaller, parseStoredNumber, toE164 } from '../../src/contacts/numbers';
import { PhoneIndex } from '../../src/contacts/phoneIndex';
import type { Contact } from '../../src/contacts/port';
import { displayName, isAddresseeRecord, toRecord } from '../../src/contacts/datevconnect/records';
import { silentLogger } from '../../src/contacts/logger';
import { Slicer } from '../../src/contacts/slicer';
import { captureLogger, tempDir } from './helpers';

const rules = checkNumberRules({});
const c = (id: string, name = `N${id}`, dataSource = 'DATEV_Adressaten', number = ''): Contact => ({ id, name, dataSource, number });

describe('number rules', () => {
  it('rejects bad settings with a clear error', () => {
    expect(() => checkNumberRules({ country: 'XX' as never })).toThrow(NumberRulesError);
    expect(() => checkNumberRules({ areaCode: 'München' })).toThrow(/area code/);
    expect(() => checkNumberRules({ extensionLength: -1 })).toThrow(/extension length/);
    expect(() => checkNumberRules({ extensionLength: 2.5 })).toThrow(/extension length/);
    expect(checkNumberRules({ areaCode: '0 89' }).areaCode).toBe('089');
  });

  it('tells why a caller number is not looked up', () => {
    expect(normalizeCaller('', rules)).toEqual({ ok: false, reason: 'empty' });
    expect(normalizeCaller('Anonym', rules)).toEqual({ ok: false, reason: 'anonymous' });
    expect(normalizeCaller('201', rules)).toEqual({ ok: false, reason: 'internal' });
    expect(normalizeCaller(42 as unknown as string, rules)).toEqual({ ok: false, reason: 'unparseable' });
    expect(normalizeCaller('--', rules)).toEqual({ ok: false, reason: 'unparseable' });
    expect(normalizeCaller('0'.repeat(5000), rules)).toEqual({ ok: false, reason: 'unparseable' });
    expect(normalizeCaller('+4989 1234567', rules)).toEqual({ ok: true, e164: '+49891234567' });
  });

  it('uses the area code for local numbers and never guesses without one', () => {
    expect(toE164(false, '1234567', rules)).toBeNull();
    expect(toE164(false, '1234567', checkNumberRules({ areaCode: '89' }))).toBe('+49891234567');
  });

  it('falls back to number_standardized and ignores non-strings', () => {
    expect(parseStoredNumber('siehe Homepage', rules, '00498912345678')).toEqual({ e164: '+498912345678' });
    expect(parseStoredNumber(undefined, rules, '+43 1234567'.replace(' ', ''))).toEqual({ e164: '+431234567' });
    expect(parseStoredNumber(null, rules, 'abc')).toBeNull();
    expect(parseStoredNumber('nix', rules)).toBeNull();
  });

  it('number_standardized\'s international 00 is read as + whatever the site\'s country (a US site too)', () => {
    expect(parseStoredNumber('', checkNumberRules({ country: 'US' }), '00498721123456')).toEqual({ e164: '+498721123456' });
    expect(parseStoredNumber('', checkNumberRules({ country: 'AT' }), '00498721123456')).toEqual({ e164: '+498721123456' });
  });
});

describe('PhoneIndex', () => {
  it('orders by score, dedupes the same contact, removes by owner', () => {
    const ix = new PhoneIndex();
    ix.add('a', '+491', c('a'), '', 1);
    ix.add('b', '+491', c('b'), '', 5);
    ix.add('a', '+491', c('a'), '', 0);
    ix.add('a', '+491', c('a'), '', 7);
    expect(ix.find('+491')!.contacts.map((x) => x.id)).toEqual(['a', 'b']);
    expect(ix.size).toBe(2);
    ix.remove('a');
    expect(ix.find('+491')!.contacts.map((x) => x.id)).toEqual(['b']);
    ix.remove('b');
    ix.remove('zzz');
    expect(ix.find('+491')).toBeNull();
    expect(ix.size).toBe(0);
    expect(ix.has('b')).toBe(false);
  });

  it('matches direct dials to the longest switchboard base with at most 5 extra digits', () => {
    const ix = new PhoneIndex();
    ix.add('co', '+4989123450', c('co'), '', 0, '+498912345');
    ix.add('big', '+49891230', c('big'), '', 0, '+4989123');
    ix.add('tiny', '+4910', c('tiny'), '', 0, '+491');
    expect(ix.find('+49891234517')).toMatchObject({ kind: 'switchboard', contacts: [{ id: 'co' }] });
    expect(ix.find('+498912345')).toMatchObject({ kind: 'switchboard', contacts: [{ id: 'co' }] });
    expect(ix.find('+4989123450')).toMatchObject({ kind: 'exact' });
    expect(ix.find('+498912399999')!.contacts[0]!.id).toBe('big');
    expect(ix.find('+4989123999999')).toBeNull(); // 6 extra digits: not a direct dial
    expect(ix.find('+4912345')).toBeNull(); // base too short to be indexed
    ix.clear();
    expect(ix.find('+49891234517')).toBeNull();
  });
});

describe('resolveAmbiguity', () => {
  const a = c('1');
  const b = c('2');
  it('one match is used, none gives nothing', () => {
    expect(resolveAmbiguity('none', [])).toEqual({ contact: null, ask: false, candidates: [] });
    expect(resolveAmbiguity('ask', [a])).toEqual({ contact: a, ask: false, candidates: [a] });
  });
  it('several matches: never a silent choice', () => {
    expect(resolveAmbiguity('ask', [a, b])).toEqual({ contact: null, ask: true, candidates: [a, b] });
    expect(resolveAmbiguity('none', [a, b])).toEqual({ contact: null, ask: false, candidates: [a, b] });
    expect(resolveAmbiguity('lastChosen', [a, b], null)).toMatchObject({ contact: null, ask: true });
    expect(resolveAmbiguity('lastChosen', [a, b], { id: '9', dataSource: 'DATEV_Adressaten' })).toMatchObject({ contact: null, ask: true });
    expect(resolveAmbiguity('lastChosen', [a, b], { id: '2', dataSource: 'DATEV_Adressaten' })).toEqual({ contact: b, ask: false, candidates: [a, b] });
    expect(resolveAmbiguity('ask', [a, b], { id: '2', dataSource: 'DATEV_Adressaten' }).contact).toBeNull();
    expect(sameContact(a, { id: '1', dataSource: 'X' })).toBe(false);
  });
});

describe('per-user files', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.remove());
  const now = (): Date => new Date('2024-06-01T10:00:00Z');

  it('JsonFile: atomic write, tolerant read, codec hook', async () => {
    const codec = { encode: async (b: Buffer) => Buffer.from(b.toString('base64')), decode: async (b: Buffer) => Buffer.from(b.toString(), 'base64') };
    const f = new JsonFile(join(dir.path, 'sub', 'x.json'), (v): v is { n: number } => typeof (v as { n?: unknown }).n === 'number', codec);
    expect(await f.read()).toEqual({ ok: false, missing: true, error: undefined });
    await f.write({ n: 1 });
    expect(readFileSync(join(dir.path, 'sub', 'x.json'), 'utf8')).not.toContain('"n"');
    expect(await f.read()).toEqual({ ok: true, value: { n: 1 } });
    writeFileSync(join(dir.path, 'sub', 'x.json'), Buffer.from('{"m":1}').toString('base64'));
    expect(await f.read()).toMatchObject({ ok: false, missing: false, error: 'unexpected content' });
    const plain = new JsonFile(join(dir.path, 'sub'), (_v): _v is unknown => true, plainCodec);
    expect(await plain.read()).toMatchObject({ ok: false, missing: false });
    await expect(plain.write({})).rejects.toThrow();
  });

  it('LearnedStore: learns, persists, forgets deleted ids, rejects unusable input', async () => {
    const log = captureLogger();
    const s = new LearnedStore({ file: join(dir.path, 'learned.json'), rules, logger: log, now, maxEntries: 2 });
    await s.load();
    const bank = c('007130', 'Sparkasse', 'DATEV_Institutionen');
    expect(await s.learn('089 5554433', bank)).toBe(true);
    expect(await s.learn('nix', bank)).toBe(false);
    expect(await s.learn('089 1', { ...bank, id: '' })).toBe(false);
    expect(await s.learn('089 5554433', { id: 1 } as unknown as Contact)).toBe(false);
    expect(s.find('+49895554433')!.contacts[0]).toEqual({ ...bank, number: '089 5554433' });
    const again = new LearnedStore({ file: join(dir.path, 'learned.json'), rules, logger: log, now });
    await again.load();
    expect(again.size).toBe(1);
    await s.learn('030 1111111', c('x1'));
    await s.learn('030 2222222', c('x2'));
    expect(s.size).toBe(2);
    expect(s.find('+49895554433')).toBeNull();
    expect(s.forgetIds(new Set(['x1']))).toBe(1);
    expect(s.find('+49301111111')).toBeNull();
    writeFileSync(join(dir.path, 'learned.json'), 'kaputt');
    const broken = new LearnedStore({ file: join(dir.path, 'learned.json'), rules, logger: log, now });
    await broken.load();
    expect(broken.size).toBe(0);
    expect(log.lines.some((l) => l.level === 'warn')).toBe(true);
    const unwritable = new LearnedStore({ file: join(dir.path, 'learned.json', 'x'), rules, logger: log, now });
    expect(await unwritable.learn('030 3333333', c('x3'))).toBe(true);
    expect(log.lines.filter((l) => /could not save/.test(l.msg))).toHaveLength(1);
  });

  it('LearnedStore: saves in order even while saves pause for the event loop; a file of another shape is ignored', async () => {
    const file = join(dir.path, 'learned.json');
    const log = captureLogger();
    const s = new LearnedStore({ file, rules, logger: log, now, sliceMs: 0 });
    await s.load();
    await Promise.all(Array.from({ length: 30 }, (_, i) => s.learn(`089 ${7000000 + i}`, c(`id${i}`))));
    const again = new LearnedStore({ file, rules, logger: log, now, sliceMs: 0 });
    await again.load();
    expect(again.size).toBe(30);
    expect(again.find('+49897000029')!.contacts[0]!.id).toBe('id29');
    for (const other of ['{"version":2,"entries":[]}', '{"version":1}', '{"version":1,"entries":[{"e164":1}]}']) {
      writeFileSync(file, other);
      const odd = new LearnedStore({ file, rules, logger: log, now });
      await odd.load();
      expect(odd.size).toBe(0);
    }
    expect(log.lines.filter((l) => /unreadable/.test(l.msg))).toHaveLength(3);
  });

  it('LastChoiceStore: remembers per number, persists, bounded', async () => {
    const log = captureLogger();
    const s = new LastChoiceStore(join(dir.path, 'choices.json'), log, now, undefined, 2);
    await s.load();
    await s.set('+491', c('a'));
    await s.set('+492', c('b'));
    await s.set('+493', c('c'));
    expect(s.get('+491')).toBeNull();
    expect(s.get('+493')).toMatchObject({ id: 'c', dataSource: 'DATEV_Adressaten' });
    const again = new LastChoiceStore(join(dir.path, 'choices.json'), log, now);
    await again.load();
    expect(again.get('+492')?.id).toBe('b');
    writeFileSync(join(dir.path, 'choices.json'), '[]');
    await new LastChoiceStore(join(dir.path, 'choices.json'), log, now).load();
    const bad = new LastChoiceStore(join(dir.path, 'choices.json', 'x'), log, now);
    await bad.set('+491', c('a'));
    expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(2);
  });

  it('ManualList: CSV with header, quotes, comments, Windows-1252, reload on change, missing file', async () => {
    const file = join(dir.path, 'liste.csv');
    const log = captureLogger();
    const m = new ManualList(file, rules, log);
    expect(await m.reload()).toBe(false);
    expect(m.status().error).toMatch(/not found/);
    writeFileSync(file, Buffer.from('Nummer;Name;ID\n# Kommentar\n089 1234567;"Bäckerei ""Süß""; Filiale";\n0171 9;Zu kurz\n\n+43 1 234567;Wien;W-1;Eigene\n030 12345-0;Zentrale Berlin\n', 'latin1'));
    expect(await m.reload()).toBe(true);
    expect(m.status()).toMatchObject({ entries: 3, skippedLines: [4] });
    expect(m.find('+49891234567')!.contacts[0]).toEqual({ id: '', name: 'Bäckerei "Süß"; Filiale', dataSource: 'Wildix', number: '089 1234567' });
    expect(m.find('+431234567')!.contacts[0]).toMatchObject({ id: 'W-1', dataSource: 'Eigene' });
    expect(m.find('+4930123457')).toMatchObject({ kind: 'switchboard' });
    expect(await m.reload()).toBe(false);
    writeFileSync(file, '\ufeff089 7654321,Komma GmbH,77\n');
    expect(await m.reload()).toBe(true);
    expect(m.find('+49897654321')!.contacts[0]).toMatchObject({ id: '77', dataSource: 'DATEV_Adressaten' });
    expect(m.find('+49891234567')).toBeNull();
    const dirAsFile = new ManualList(dir.path, rules, silentLogger);
    expect(await dirAsFile.reload()).toBe(false);
    expect(dirAsFile.status().error).toMatch(/unreadable/);
  });

  it('CSV helpers', async () => {
    expect(splitCsvLine('a;"b;c";"""d"""')).toEqual(['a', 'b;c', '"d"']);
    expect(await parseManualCsv('x;y', rules)).toMatchObject({ entries: 0, skipped: [] });
    const long = Array.from({ length: 300 }, (_, i) => `030 ${2000000 + i};Firma ${i}`).join('\n');
    const slicer = new Slicer(0);
    const parsed = await parseManualCsv(long, rules, slicer);
    expect(parsed.entries).toBe(300);
    expect(parsed.index.find('+49302000299')!.contacts[0]!.name).toBe('Firma 299');
    expect(slicer.yieldCount).toBeGreaterThan(0);
  });
});

describe('DATEVconnect records', () => {
  it('composes the display name like DATEV', () => {
    expect(displayName({ type: 'legal_person', current_company_name: 'A GmbH' })).toBe('A GmbH');
    expect(displayName({ type: 'natural_person', current_surname: 'Weiß', firstname: 'Jörg' })).toBe('Weiß, Jörg');
    expect(displayName({ type: 'natural_person', current_surname: 'Weiß' })).toBe('Weiß');
    expect(displayName({ current_short_name: 'KURZ' })).toBe('KURZ');
    expect(displayName({})).toBe('');
  });
  it('keeps phone entries only and tolerates odd shapes', () => {
    expect(toRecord({ id: '' })).toBeNull();
    const r = toRecord({ id: 'x', status: 'inactive', communications: [null, { type: 'email', data_content: 'a@b' }, { type: 'phone' }, { type: 'phone', data_content: '089 1', is_management_phone: true }] });
    expect(r).toEqual({ id: 'x', name: 'x', active: false, timestamp: '', phones: [{ raw: '089 1', mgmt: true }] });
    expect(isAddresseeRecord(r)).toBe(true);
    expect(isAddresseeRecord(null)).toBe(false);
    expect(isAddresseeRecord({ ...r, phones: [1] })).toBe(false);
  });
});
