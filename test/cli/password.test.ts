/** --set-datevconnect-password: stdin line reading, checks, storing, and the run() path. */
import { PassThrough } from 'node:stream';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs, helpText } from '../../src/cli/args';
import { promptForSecret, readSecretLine, setDatevConnectPassword, type PasswordStore } from '../../src/cli/password';
import { run, type RunDeps } from '../../src/cli/run';
import { configSchema, type Config } from '../../src/config/schema';
import { MemoryLogger } from '../../src/logging/logger';

function config(dc: Partial<Config['contacts']['datevConnect']> = {}): Config {
  const c = configSchema.parse({});
  return { ...c, contacts: { ...c.contacts, datevConnect: { ...c.contacts.datevConnect, ...dc } } };
}

function memoryStore(fail?: Error): PasswordStore & { saved: string[] } {
  const saved: string[] = [];
  return {
    file: 'C:\\Users\\anna\\AppData\\Local\\Wildix\\DatevCti\\datevconnect-password.dpapi',
    saved,
    save: async (p) => {
      if (fail) throw fail;
      saved.push(p);
    },
  };
}

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const log = new MemoryLogger();
  return { out, err, log, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), log } };
}

describe('readSecretLine', () => {
  it('returns the first line without CR/LF, also when split over chunks', async () => {
    const s = new PassThrough();
    const p = readSecretLine(s);
    s.write('ge');
    s.write(Buffer.from('heim ü€\r'));
    s.write('\nsecond line\n');
    expect(await p).toBe('geheim ü€');
  });

  it('takes everything up to the end of the stream when there is no line end; empty input gives ""', async () => {
    const a = new PassThrough();
    const pa = readSecretLine(a);
    a.end('pw-ohne-zeilenende');
    expect(await pa).toBe('pw-ohne-zeilenende');
    const b = new PassThrough();
    const pb = readSecretLine(b);
    b.end();
    expect(await pb).toBe('');
  });

  it('rejects overlong input without a line end and stream errors', async () => {
    const a = new PassThrough();
    const pa = readSecretLine(a);
    a.write('x'.repeat(5000));
    await expect(pa).rejects.toThrow('no line end within 4096 bytes');
    const b = new PassThrough();
    const pb = readSecretLine(b);
    b.destroy(new Error('EPIPE'));
    await expect(pb).rejects.toThrow('EPIPE');
  });

  it('string chunks work too', async () => {
    const s = new PassThrough({ encoding: 'utf8' });
    const p = readSecretLine(s);
    s.write('abc\n');
    expect(await p).toBe('abc');
  });
});

describe('promptForSecret', () => {
  it('asks on stderr only when stdin is a console', async () => {
    const prompts: string[] = [];
    const tty = Object.assign(new PassThrough(), { isTTY: true });
    const p = promptForSecret(tty, (t) => prompts.push(t));
    tty.write('pw\n');
    expect(await p).toBe('pw');
    expect(prompts).toHaveLength(1);
    expect(prompts[0]).toContain('DATEVconnect-Kennwort eingeben');
    const piped = new PassThrough();
    const q = promptForSecret(piped, (t) => prompts.push(t));
    piped.end('pw2\n');
    expect(await q).toBe('pw2');
    expect(prompts).toHaveLength(1);
  });
});

describe('setDatevConnectPassword', () => {
  it('stores the password, says where, and never prints or logs it', async () => {
    const store = memoryStore();
    const x = io();
    expect(await setDatevConnectPassword(() => store, async () => 'Sehr$geheim1', config({ auth: 'basic', user: 'DOM\\anna' }), x.io)).toBe(0);
    expect(store.saved).toEqual(['Sehr$geheim1']);
    expect(x.out.join('\n')).toContain(store.file);
    expect(x.out).toHaveLength(1);
    const everything = [...x.out, ...x.err, ...x.log.entries.map((l) => JSON.stringify(l))].join('\n');
    expect(everything).not.toContain('Sehr$geheim1');
    expect(x.log.has('info', 'DATEVconnect password stored (DPAPI)')).toBe(true);
  });

  it('notes when the password will not be used (auth not basic, no user)', async () => {
    const a = io();
    expect(await setDatevConnectPassword(() => memoryStore(), async () => 'pw', config({ auth: 'windows' }), a.io)).toBe(0);
    expect(a.out[1]).toContain('auth ist / is "windows"');
    const b = io();
    expect(await setDatevConnectPassword(() => memoryStore(), async () => 'pw', config({ auth: 'basic', user: ' ' }), b.io)).toBe(0);
    expect(b.out[1]).toContain('contacts.datevConnect.user ist leer');
  });

  it('fails clearly: not on Windows (1), unreadable input (1), empty (2), invalid (2), store failure (1)', async () => {
    const cfg = config({ auth: 'basic', user: 'anna' });
    const a = io();
    expect(await setDatevConnectPassword(undefined, async () => 'pw', cfg, a.io)).toBe(1);
    expect(a.err[0]).toContain('nur unter Windows');
    const b = io();
    expect(await setDatevConnectPassword(() => memoryStore(), () => Promise.reject(new Error('EBADF')), cfg, b.io)).toBe(1);
    expect(b.err[0]).toContain('EBADF');
    const c = io();
    const unused = memoryStore();
    expect(await setDatevConnectPassword(() => unused, async () => '', cfg, c.io)).toBe(2);
    expect(c.err[0]).toContain('Kein Kennwort');
    for (const bad of ['x'.repeat(1025), 'a\0b']) {
      const d = io();
      expect(await setDatevConnectPassword(() => unused, async () => bad, cfg, d.io)).toBe(2);
      expect(d.err[0]).toContain('Ungültiges Kennwort');
    }
    expect(unused.saved).toEqual([]);
    const e = io();
    expect(await setDatevConnectPassword(() => memoryStore(new Error('DPAPI: access denied')), async () => 'pw', cfg, e.io)).toBe(1);
    expect(e.err[0]).toContain('DPAPI: access denied');
    expect(e.log.has('error', 'DATEVconnect password not stored')).toBe(true);
  });
});

describe('--set-datevconnect-password on the command line', () => {
  function deps(extra: Partial<RunDeps>) {
    const out: string[] = [];
    const err: string[] = [];
    const logger = Object.assign(new MemoryLogger(), { close: async () => undefined });
    const d: RunDeps = {
      version: '1.0.0',
      env: { platform: 'win32', env: {}, home: mkdtempSync(join(tmpdir(), 'wcti-pw-')) },
      nodeVersion: 'v22.23.3',
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      makeLogger: () => logger,
      readConfig: () => ({ config: config({ auth: 'basic', user: 'anna' }), problems: [], found: true }),
      ...extra,
    };
    return { d, out, err };
  }

  it('is a flag, listed in --help', () => {
    const p = parseArgs(['--set-datevconnect-password']);
    expect(p.ok && p.options.setDatevConnectPassword).toBe(true);
    expect(helpText('1').includes('--set-datevconnect-password')).toBe(true);
  });

  it('stores through the injected store and exits 0 without touching anything else', async () => {
    const store = memoryStore();
    let nativeCalled = false;
    const x = deps({
      passwordStore: () => store,
      readSecret: async () => 'pw-from-stdin',
      native: async () => {
        nativeCalled = true;
        throw new Error('must not start the CTI');
      },
    });
    expect(await run(['--set-datevconnect-password'], x.d)).toBe(0);
    expect(store.saved).toEqual(['pw-from-stdin']);
    expect(nativeCalled).toBe(false);
  });

  it('away from Windows it exits 1 with a message', async () => {
    const x = deps({ readSecret: async () => 'pw' });
    expect(await run(['--set-datevconnect-password'], x.d)).toBe(1);
    expect(x.err.join('\n')).toContain('nur unter Windows');
  });
});
