import { existsSync, promises as fsp, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BlobFile, type FileCodec } from '../../src/contacts/jsonFile';
import { LastChoiceStore } from '../../src/contacts/lastChoice';
import { LearnedStore } from '../../src/contacts/learned';
import { checkNumberRules } from '../../src/contacts/numbers';
import type { Contact } from '../../src/contacts/port';
import { captureLogger, tempDir } from './helpers';

const rules = checkNumberRules({});
const now = (): Date => new Date('2024-06-01T10:00:00Z');
const c = (id: string): Contact => ({ id, name: `N${id}`, dataSource: 'DATEV_Adressaten', number: '' });
const base64: FileCodec = { encode: async (b) => Buffer.from(b.toString('base64')), decode: async (b) => Buffer.from(b.toString(), 'base64') };

/** A codec whose first decode fails (DPAPI at logon, before the user's keys are there). */
function hiccupCodec(): FileCodec {
  let failed = false;
  return {
    encode: base64.encode,
    decode: async (b) => {
      if (!failed) {
        failed = true;
        throw new Error('CryptUnprotectData failed: error 13');
      }
      return base64.decode(b);
    },
  };
}

const busy = (): NodeJS.ErrnoException => Object.assign(new Error('EBUSY: resource busy or locked'), { code: 'EBUSY' });

describe('per-user files: an unreadable file is never overwritten', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => {
    vi.restoreAllMocks();
    dir.remove();
  });

  const kept = (name: string): string[] => readdirSync(dir.path).filter((n) => n.startsWith(`${name}.unreadable-`));

  it('learned numbers: a file that does not decode is kept aside at the next save, with a warning naming it', async () => {
    const file = join(dir.path, 'learned-contacts.json');
    const log = captureLogger();
    const first = new LearnedStore({ file, rules, logger: log, now, codec: base64 });
    await first.load();
    await first.learn('089 1111111', c('a'));
    await first.learn('089 2222222', c('b'));
    const months = readFileSync(file);
    const hiccup = new LearnedStore({ file, rules, logger: log, now, codec: hiccupCodec() });
    await hiccup.load();
    expect(hiccup.size).toBe(0);
    await hiccup.learn('089 3333333', c('x'));
    const aside = kept('learned-contacts.json');
    expect(aside).toHaveLength(1);
    expect(aside[0]).toMatch(/^learned-contacts\.json\.unreadable-\d{8}-\d{6}$/);
    expect(readFileSync(join(dir.path, aside[0]!))).toEqual(months);
    expect(log.lines.some((l) => l.level === 'warn' && JSON.stringify(l).includes(aside[0]!))).toBe(true);
    // nothing lost: the old numbers are in the kept file, the new one in the file
    const old = new LearnedStore({ file: join(dir.path, aside[0]!), rules, logger: log, now, codec: base64 });
    await old.load();
    expect(old.size).toBe(2);
    const reloaded = new LearnedStore({ file, rules, logger: log, now, codec: base64 });
    await reloaded.load();
    expect(reloaded.find('+49893333333')?.contacts[0]?.id).toBe('x');
  });

  it('learned numbers: a file locked for a moment (virus scanner) is read again, not dropped', async () => {
    const file = join(dir.path, 'learned-contacts.json');
    const log = captureLogger();
    const first = new LearnedStore({ file, rules, logger: log, now });
    await first.learn('089 1111111', c('a'));
    const real = fsp.readFile.bind(fsp);
    let fails = 2;
    vi.spyOn(fsp, 'readFile').mockImplementation(((...args: Parameters<typeof fsp.readFile>) => (String(args[0]) === file && fails-- > 0 ? Promise.reject(busy()) : real(...args))) as typeof fsp.readFile);
    const again = new LearnedStore({ file, rules, logger: log, now });
    await again.load();
    expect(again.size).toBe(1);
    await again.learn('089 2222222', c('b'));
    vi.restoreAllMocks();
    const reloaded = new LearnedStore({ file, rules, logger: log, now });
    await reloaded.load();
    expect(reloaded.size).toBe(2);
    expect(kept('learned-contacts.json')).toEqual([]);
  });

  it('learned numbers: content that is not understood (cut short by a power loss) is kept aside too', async () => {
    const file = join(dir.path, 'learned-contacts.json');
    const log = captureLogger();
    const first = new LearnedStore({ file, rules, logger: log, now });
    await first.learn('089 1111111', c('a'));
    await first.learn('089 2222222', c('b'));
    const whole = readFileSync(file);
    writeFileSync(file, whole.subarray(0, whole.length - 20));
    const cut = new LearnedStore({ file, rules, logger: log, now });
    await cut.load();
    await cut.learn('089 3333333', c('x'));
    const aside = kept('learned-contacts.json');
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir.path, aside[0]!))).toEqual(whole.subarray(0, whole.length - 20));
  });

  it('last choices: a file that does not decode or parse is kept aside at the next save', async () => {
    const file = join(dir.path, 'last-contact-choices.json');
    const log = captureLogger();
    const first = new LastChoiceStore(file, log, now, base64);
    await first.load();
    await first.set('+49891111111', c('a'));
    const before = readFileSync(file);
    const hiccup = new LastChoiceStore(file, log, now, hiccupCodec());
    await hiccup.load();
    await hiccup.set('+49892222222', c('b'));
    const aside = kept('last-contact-choices.json');
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir.path, aside[0]!))).toEqual(before);
    expect(log.lines.some((l) => l.level === 'warn' && JSON.stringify(l).includes(aside[0]!))).toBe(true);
    writeFileSync(file, '{"version":1,"choices":{"+4989'); // cut short
    const cut = new LastChoiceStore(file, log, now);
    await cut.load();
    await cut.set('+49893333333', c('x'));
    expect(kept('last-contact-choices.json').length).toBeGreaterThanOrEqual(1);
    expect(readdirSync(dir.path).some((n) => n.startsWith('last-contact-choices.json.unreadable-') && readFileSync(join(dir.path, n), 'utf8').includes('+4989'))).toBe(true);
  });

  it('a kept file that cannot be moved aside fails the write; the file stays as it was', async () => {
    const file = join(dir.path, 'learned-contacts.json');
    const log = captureLogger();
    writeFileSync(file, 'not json at all');
    const s = new LearnedStore({ file, rules, logger: log, now });
    await s.load();
    const real = fsp.rename.bind(fsp);
    vi.spyOn(fsp, 'rename').mockImplementation(((from: Parameters<typeof fsp.rename>[0], to: Parameters<typeof fsp.rename>[1]) =>
      String(from) === file ? Promise.reject(busy()) : real(from, to)) as typeof fsp.rename);
    await s.learn('089 3333333', c('x'));
    expect(readFileSync(file, 'utf8')).toBe('not json at all');
    expect(log.lines.some((l) => /could not save/.test(l.msg))).toBe(true);
    vi.restoreAllMocks();
    await s.learn('089 4444444', c('y'));
    expect(kept('learned-contacts.json')).toHaveLength(1);
    const reloaded = new LearnedStore({ file, rules, logger: log, now });
    await reloaded.load();
    expect(reloaded.size).toBe(2);
  });

  it('BlobFile: flushes the temp file before the rename; removes temp files a killed process left', async () => {
    const file = join(dir.path, 'x.bin');
    writeFileSync(`${file}.999999.tmp`, 'half');
    writeFileSync(join(dir.path, 'other.bin.999999.tmp'), 'not ours');
    const f = new BlobFile(file);
    expect(await f.read()).toMatchObject({ ok: false, missing: true });
    expect(existsSync(`${file}.999999.tmp`)).toBe(false);
    expect(existsSync(join(dir.path, 'other.bin.999999.tmp'))).toBe(true);
    const order: string[] = [];
    const realOpen = fsp.open.bind(fsp);
    vi.spyOn(fsp, 'open').mockImplementation(async (...args: Parameters<typeof fsp.open>) => {
      const fh = await realOpen(...args);
      const sync = fh.sync.bind(fh);
      fh.sync = async () => {
        order.push('sync');
        return sync();
      };
      return fh;
    });
    const realRename = fsp.rename.bind(fsp);
    vi.spyOn(fsp, 'rename').mockImplementation(async (from, to) => {
      order.push('rename');
      return realRename(from, to);
    });
    await f.write(Buffer.from('hello'));
    expect(order).toEqual(['sync', 'rename']);
    expect(readFileSync(file, 'utf8')).toBe('hello');
    writeFileSync(`${file}.888888.tmp`, 'half'); // a killed process, then the program starts again: its first write
    await new BlobFile(file).write(Buffer.from('again'));
    expect(existsSync(`${file}.888888.tmp`)).toBe(false);
  });
});
