/**
 * DpapiCodec and DpapiSecretStore against a stand-in for native/dpapi (the real DPAPI runs under Wine:
 * test/wine/datevconnect.wine.test.ts).
 */
import { readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatevConnectError } from '../../src/contacts/datevconnect/errors';
import { JsonFile } from '../../src/contacts/jsonFile';
import { checkPassword, DpapiCodec, DpapiError, DpapiSecretStore, isPlainJson, nativeDpapi, PASSWORD_ENTROPY, type NativeDpapi } from '../../src/native/dpapi';
import type { NativeAddon } from '../../src/native/addon';
import { tempDir } from '../contacts/helpers';

/** Like DPAPI: a 01 00 00 00 header, the entropy bound in, bytes scrambled; wrong entropy → error 13. */
function standIn(): NativeDpapi & { calls: string[] } {
  const calls: string[] = [];
  const key = (entropy: string) => Buffer.from(entropy).reduce((a, b) => (a + b) & 0xff, 0x5a);
  return {
    calls,
    protect: async (data, entropy) => {
      calls.push(`protect:${entropy}`);
      const body = Buffer.from(data).map((b) => b ^ key(entropy));
      return Buffer.concat([Buffer.from([1, 0, 0, 0, key(entropy)]), body]);
    },
    unprotect: async (data, entropy) => {
      calls.push(`unprotect:${entropy}`);
      const b = Buffer.from(data);
      if (b[0] !== 1 || b[4] !== key(entropy)) throw Object.assign(new Error('CryptUnprotectData failed: error 13 (Invalid data)'), { code: 'dpapi', win32Error: 13 });
      return b.subarray(5).map((x) => x ^ key(entropy));
    },
  };
}

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.remove());

describe('DpapiCodec', () => {
  it('cache files are stored encrypted and read back', async () => {
    const native = standIn();
    const file = new JsonFile<{ n: string }>(join(dir.path, 'c.json'), (v): v is { n: string } => typeof v === 'object', new DpapiCodec(native));
    await file.write({ n: 'Müller 089 1234567' });
    const raw = readFileSync(file.path);
    expect(raw.subarray(0, 4)).toEqual(Buffer.from([1, 0, 0, 0]));
    expect(raw.includes(Buffer.from('Müller'))).toBe(false);
    expect(await file.read()).toEqual({ ok: true, value: { n: 'Müller 089 1234567' } });
  });

  it('reads a plain-JSON file from before DPAPI (it is encrypted on the next write)', async () => {
    const native = standIn();
    const path = join(dir.path, 'old.json');
    writeFileSync(path, '  {"n":"alt"}');
    const file = new JsonFile<{ n: string }>(path, (v): v is { n: string } => typeof v === 'object', new DpapiCodec(native));
    expect(await file.read()).toEqual({ ok: true, value: { n: 'alt' } });
    expect(native.calls).toEqual([]);
  });

  it('a file it cannot decrypt is a DpapiError (JsonFile reports it as unreadable, never throws)', async () => {
    const codec = new DpapiCodec(standIn(), 'other entropy');
    const blob = await new DpapiCodec(standIn()).encode(Buffer.from('{}'));
    const err = await codec.decode(blob).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DpapiError);
    expect(err).toMatchObject({ win32Error: 13 });
    expect((err as Error).message).toContain('another Windows user or damaged');
    const failing: NativeDpapi = { protect: () => Promise.reject('no DPAPI'), unprotect: () => Promise.reject(new Error('x')) };
    await expect(new DpapiCodec(failing).encode(Buffer.from('{}'))).rejects.toMatchObject({ name: 'DpapiError', win32Error: undefined, message: 'encrypting a cache file (DPAPI): no DPAPI' });
    const path = join(dir.path, 'x.json');
    writeFileSync(path, blob);
    const file = new JsonFile(path, (_v): _v is unknown => true, codec);
    expect(await file.read()).toMatchObject({ ok: false, missing: false });
  });

  it('isPlainJson', () => {
    expect(isPlainJson(Buffer.from('[1]'))).toBe(true);
    expect(isPlainJson(Buffer.from('\r\n\t {'))).toBe(true);
    expect(isPlainJson(Buffer.from([1, 0, 0, 0, 0x7b]))).toBe(false);
    expect(isPlainJson(Buffer.alloc(0))).toBe(false);
  });
});

describe('DpapiSecretStore', () => {
  it('saves encrypted (never the plain password on disk), loads, and caches until the file changes', async () => {
    const native = standIn();
    const file = join(dir.path, 'sub', 'datevconnect-password.dpapi');
    const store = new DpapiSecretStore(file, native);
    expect(await store.exists()).toBe(false);
    expect(await store.load()).toBeUndefined();
    await store.save('Geheim-Passwort-ä');
    expect(await store.exists()).toBe(true);
    expect(readFileSync(file).includes(Buffer.from('Geheim'))).toBe(false);
    expect(native.calls).toEqual([`protect:${PASSWORD_ENTROPY}`]);
    const secret = store.secretSource();
    expect(await secret()).toBe('Geheim-Passwort-ä');
    expect(await secret()).toBe('Geheim-Passwort-ä');
    expect(native.calls.filter((c) => c.startsWith('unprotect'))).toHaveLength(1);
    // another process (the CLI) stores a new password: the next request uses it
    const other = new DpapiSecretStore(file, native);
    await other.save('Neues-Kennwort-12');
    const later = new Date(statSync(file).mtimeMs + 5000);
    utimesSync(file, later, later);
    expect(await secret()).toBe('Neues-Kennwort-12');
  });

  it('no password or an unreadable one is "authUnavailable" with what to do', async () => {
    const native = standIn();
    const file = join(dir.path, 'pw.dpapi');
    const store = new DpapiSecretStore(file, native);
    const missing = await store.secretSource()().catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(DatevConnectError);
    expect(missing).toMatchObject({ kind: 'authUnavailable' });
    expect((missing as Error).message).toContain('--set-datevconnect-password');
    writeFileSync(file, Buffer.from([1, 0, 0, 0, 9, 9, 9]));
    const broken = await store.secretSource()().catch((e: unknown) => e);
    expect(broken).toMatchObject({ kind: 'authUnavailable' });
    expect((broken as Error).message).toContain('stored by another Windows user or damaged');
  });

  it('refuses empty, overlong and multi-line passwords before encrypting; file system errors surface', async () => {
    const native = standIn();
    const store = new DpapiSecretStore(join(dir.path, 'pw.dpapi'), native);
    for (const bad of ['', 'x'.repeat(1025), 'a\nb', 'a\rb', 'a\0b']) await expect(store.save(bad)).rejects.toBeInstanceOf(TypeError);
    expect(native.calls).toEqual([]);
    expect(checkPassword('ok')).toBeUndefined();
    const failing = new DpapiSecretStore(join(dir.path, 'pw2.dpapi'), { protect: () => Promise.reject(new Error('denied')), unprotect: () => Promise.reject(new Error('x')) });
    await expect(failing.save('pw')).rejects.toMatchObject({ name: 'DpapiError', message: 'encrypting the DATEVconnect password (DPAPI): denied' });
    // a directory where the file should be: stat works, reading fails → not "missing"
    const asDir = new DpapiSecretStore(dir.path, native);
    await expect(asDir.load()).rejects.toMatchObject({ code: 'EISDIR', syscall: 'read' });
    expect(native.calls).toEqual([]); // nothing was read, so nothing was decrypted
    const notDir = new DpapiSecretStore(join(dir.path, 'pw.dpapi', 'x'), native);
    writeFileSync(join(dir.path, 'pw.dpapi'), 'x');
    await expect(notDir.load()).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('nativeDpapi checks the addon', () => {
    const native = standIn();
    expect(nativeDpapi({ dpapi: native } as unknown as NativeAddon)).toBe(native);
    expect(() => nativeDpapi({} as NativeAddon)).toThrow('no dpapi module');
  });
});
