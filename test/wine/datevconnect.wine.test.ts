/**
 * DATEVconnect through the real WinHTTP and DPAPI code (native/http, native/dpapi) inside Wine's
 * node.exe, against the fake DATEVconnect server on Linux loopback (test/wine/datevconnectHost.cjs
 * serves the Windows side): status codes, headers incl. WWW-Authenticate, body, timeout, connection
 * refused, the concurrency bound, the Windows sign-in retry after a Negotiate/NTLM challenge, a full
 * ContactDirectory crawl with auth "none", "basic" (password from the DPAPI store) and "windows", and
 * DPAPI round trips with the files on disk not in plain text.
 *
 * Not testable here: a completed Negotiate/NTLM handshake. Wine's NTLM needs winbind's ntlm_auth,
 * and the fake cannot verify a token; the test proves that WinHTTP answers the challenge with the
 * default credentials (signIn "Negotiate", the request is sent again) and hands the final 401 back.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { fixedDataset, generateDataset } from '../../fakes/datevconnect/data';
import { FakeDatevConnect } from '../../fakes/datevconnect/server';
import { startDatevConnectHost, JS_ROOT, type DatevConnectHost } from './datevconnectHostProcess';
import { coverageEnv, paths, ROOT, wineEnv, winPath } from './env';

const display = inject('display');
/** Per run, so parallel runs (other prefixes) do not share files. */
const WORK = path.join(ROOT, '.cache', `datevconnect-test-${process.pid}`);
const MD = '/datev/api/master-data/v1';
const ACCEPT = { Accept: 'application/json; charset=utf-8' };

let host: DatevConnectHost;
let fake: FakeDatevConnect;
let base: string;

interface GetResult {
  ok: boolean;
  status?: number;
  headers?: Record<string, string | string[]>;
  body?: string;
  signIn?: string;
  name?: string;
  timeout?: boolean;
  message?: string;
  ms: number;
}

const call = <T>(port: string, method: string, ...args: unknown[]): Promise<T> => host.call<T>(port, method, ...args);
const get = (url: string, headers: Record<string, string>, timeoutMs: number, windowsSignIn = false) => call<GetResult>('http', 'get', url, headers, timeoutMs, windowsSignIn);

beforeAll(async () => {
  if (!display) throw new Error('no X display: run the Wine tests with npm run test:wine (vitest.wine.config.ts)');
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  fake = new FakeDatevConnect(fixedDataset());
  base = await fake.start();
  host = await startDatevConnectHost(display, 'datevconnect-host.log');
});

afterAll(async () => {
  await host?.close();
  await fake?.stop();
  fs.rmSync(WORK, { recursive: true, force: true });
});

beforeEach(() => {
  fake.opts.auth = { mode: 'sso' };
  fake.opts.latencyMs = 0;
  fake.clearFaults();
  fake.clearRequests();
  fake.resetStats();
});

describe('WinHttpTransport (native/http) against the fake DATEVconnect', () => {
  it('200: JSON body with umlauts, parsed headers; our request headers arrive, no Authorization of its own', async () => {
    const r = await get(`${base}${MD}/addressees/a0000000-0000-4000-8000-000000000003?expand=communications`, { ...ACCEPT, 'X-Test': 'eins' }, 5000);
    expect(r).toMatchObject({ ok: true, status: 200, signIn: '' });
    expect(r.headers).toMatchObject({ 'content-type': 'application/json; charset=utf-8', server: 'Microsoft-HTTPAPI/2.0' });
    const body = JSON.parse(r.body!) as { firstname: string; current_surname: string; communications: unknown[] };
    expect(body).toMatchObject({ firstname: 'Jörg', current_surname: 'Weiß' });
    expect(body.communications.length).toBeGreaterThan(0);
    const [req] = fake.requests();
    expect(req).toMatchObject({ method: 'GET', path: `${MD}/addressees/a0000000-0000-4000-8000-000000000003`, query: { expand: 'communications' } });
    expect(req!.headers).toMatchObject({ accept: 'application/json; charset=utf-8', 'x-test': 'eins', 'user-agent': 'Wildix-DATEV-CTI' });
    expect(req!.headers.authorization).toBeUndefined();
  });

  it('401 with WWW-Authenticate: passed back as is without sign-in (one request), Basic header passed through', async () => {
    fake.opts.auth = { mode: 'basic', user: 'cti', password: 'pw' };
    const r = await get(`${base}${MD}/addressees`, ACCEPT, 5000);
    expect(r).toMatchObject({ ok: true, status: 401, signIn: '' });
    expect(r.headers!['www-authenticate']).toBe('Negotiate, NTLM, Basic realm="DATEVconnect"');
    expect(JSON.parse(r.body!)).toMatchObject({ error: 'unauthorized' });
    expect(fake.requests()).toHaveLength(1);
    const basic = await get(`${base}${MD}/addressees`, { ...ACCEPT, Authorization: 'Basic ' + Buffer.from('cti:pw').toString('base64') }, 5000);
    expect(basic.status).toBe(200);
    expect(fake.requests()[1]!.headers.authorization).toBe('Basic Y3RpOnB3');
  });

  it('Windows sign-in: a Negotiate/NTLM challenge is answered with the default credentials once, the final 401 comes back', async () => {
    fake.opts.auth = { mode: 'basic', user: 'cti', password: 'pw' };
    const r = await get(`${base}${MD}/addressees`, ACCEPT, 10000, true);
    expect(r).toMatchObject({ ok: true, status: 401, signIn: 'Negotiate' });
    expect(r.headers!['www-authenticate']).toContain('Negotiate');
    // the challenge made WinHTTP send the request again (as the logged-on user), and only once more
    expect(fake.requests().length).toBeGreaterThanOrEqual(2);
    expect(fake.requests().length).toBeLessThanOrEqual(4);
    // a server that needs no sign-in is answered at once
    fake.clearRequests();
    fake.opts.auth = { mode: 'sso' };
    expect(await get(`${base}${MD}/version`, ACCEPT, 5000, true)).toMatchObject({ status: 200, signIn: '' });
    expect(fake.requests()).toHaveLength(1);
  });

  it('403 with an empty body, 404 with an error body, 500', async () => {
    fake.inject({ kind: 'forbiddenEmpty' });
    const f = await get(`${base}${MD}/addressees`, ACCEPT, 5000);
    expect(f).toMatchObject({ status: 403, body: '' });
    expect(f.headers!.server).toBe('Microsoft-HTTPAPI/2.0');
    const n = await get(`${base}${MD}/addressees/a0000000-0000-4000-8000-0000000000ff`, ACCEPT, 5000);
    expect(n.status).toBe(404);
    expect(JSON.parse(n.body!)).toMatchObject({ error: 'DCO01404' });
    fake.inject({ kind: 'status', status: 500, body: { error: 'DCO00500' } });
    expect((await get(`${base}${MD}/addressees`, ACCEPT, 5000)).status).toBe(500);
  });

  it('a server that never answers: TransportError with timeout=true at its own timeout (a request with a longer one is still waiting)', async () => {
    fake.inject({ kind: 'hang' }, undefined, 2);
    const short = get(`${base}${MD}/addressees`, ACCEPT, 1500);
    const long = get(`${base}${MD}/addressees`, ACCEPT, 30000);
    // the order of the two ends proves which timeout ended it, whatever the machine's load
    expect(await Promise.race([short.then(() => 'short'), long.then(() => 'long')])).toBe('short');
    const r = await short;
    expect(r).toMatchObject({ ok: false, name: 'TransportError', timeout: true });
    expect(r.ms).toBeGreaterThanOrEqual(1400); // not before its timeout
    fake.dropHung();
    expect(await long).toMatchObject({ ok: false, name: 'TransportError', timeout: false });
  });

  it('native/http itself ends a hanging request at its timeout (the worker thread does not linger)', async () => {
    fake.inject({ kind: 'hang' }, undefined, 2);
    type Raw = { ok: boolean; async: boolean; timeout: boolean; code: string };
    const short = call<Raw>('http', 'rawGet', `${base}${MD}/addressees`, ACCEPT, { timeoutMs: 1000, sso: false });
    const long = call<Raw>('http', 'rawGet', `${base}${MD}/addressees`, ACCEPT, { timeoutMs: 30000, sso: false });
    expect(await Promise.race([short.then(() => 'short'), long.then(() => 'long')])).toBe('short');
    expect(await short).toMatchObject({ ok: false, async: true, timeout: true, code: 'winhttp' });
    fake.dropHung();
    expect(await long).toMatchObject({ ok: false, async: true, timeout: false, code: 'winhttp' });
    expect(await call<number>('http', 'inFlight')).toBe(0);
  });

  it('connection refused and reset: TransportError with timeout=false and the WinHTTP reason', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const refused = await get(`http://127.0.0.1:${port}${MD}/addressees`, ACCEPT, 5000);
    expect(refused).toMatchObject({ ok: false, name: 'TransportError', timeout: false });
    expect(refused.message).toMatch(/12029|cannot connect/);
    fake.inject({ kind: 'reset' });
    expect(await get(`${base}${MD}/addressees`, ACCEPT, 5000)).toMatchObject({ ok: false, name: 'TransportError', timeout: false });
  });

  it('never more than `concurrency` requests on the wire', async () => {
    const own = new FakeDatevConnect(fixedDataset(), { latencyMs: 150 });
    const url = await own.start();
    try {
      const urls = Array.from({ length: 9 }, (_, i) => `${url}${MD}/addressees/a0000000-0000-4000-8000-00000000000${(i % 8) + 1}`);
      const statuses = await call<unknown[]>('http', 'getMany', urls, 3, 10000);
      expect(statuses).toEqual(Array(9).fill(200));
      expect(own.stats.maxConcurrent).toBe(3);
      expect(await call<number>('http', 'inFlight')).toBe(0);
    } finally {
      await own.stop();
    }
  });

  it('bad input to native/http is refused synchronously with a typed error, never sent', async () => {
    const o = { timeoutMs: 1000, sso: false };
    const cases: [string, Record<string, unknown>, Record<string, unknown>, string][] = [
      ['ftp://x/', {}, o, 'http:// or https://'],
      [`${base}/a b`, {}, o, 'spaces'],
      [`${base}/`, { 'Bad Name': 'x' }, o, 'header name'],
      [`${base}/`, { X: 'a\r\nInjected: 1' }, o, 'CR, LF'],
      [`${base}/`, { X: 1 }, o, 'must be strings'],
      [`${base}/`, {}, { timeoutMs: 0, sso: false }, 'timeoutMs'],
      [`${base}/`, {}, { timeoutMs: 1000 }, 'sso'],
    ];
    for (const [url, headers, options, text] of cases) {
      const r = await call<{ ok: boolean; async: boolean; message: string }>('http', 'rawGet', url, headers, options);
      expect(r, url).toMatchObject({ ok: false, async: false });
      expect(r.message).toContain(text);
    }
    expect(fake.requests()).toEqual([]);
  });
});

describe('ContactDirectory through WinHTTP and DPAPI (as wired on Windows)', () => {
  const dataDir = (name: string) => {
    const d = path.join(WORK, name);
    fs.mkdirSync(d, { recursive: true });
    return d;
  };
  type Crawl = { status: { datevConnect: { addressees: number; auth: string; lastError?: { kind: string; httpStatus?: number; en: string } } }; found: Record<string, string[]>; log: string[]; gets: number };
  const crawl = (opts: Record<string, unknown>, numbers: string[] = ['089 12345-17']) => call<Crawl>('directory', 'crawl', opts, numbers);

  it('auth "none": full crawl, lookups answer, the index cache on disk is DPAPI-protected', async () => {
    const dir = dataDir('none');
    const r = await crawl({ baseUrl: base, auth: 'none', user: '', dataDir: winPath(dir), passwordFile: winPath(path.join(dir, 'pw.dpapi')), concurrency: 4 });
    expect(r.status.datevConnect).toMatchObject({ addressees: fixedDataset().length, auth: 'none' });
    expect(r.status.datevConnect.lastError).toBeUndefined();
    expect(r.found['089 12345-17']).toEqual(['Mustermeier, Sonja']);
    expect(fake.stats.maxConcurrent).toBeLessThanOrEqual(4);
    const cache = fs.readFileSync(path.join(dir, 'datevconnect-contacts.bin'));
    expect([...cache.subarray(0, 4)]).toEqual([1, 0, 0, 0]);
    expect(cache.includes(Buffer.from('Mustermeier'))).toBe(false);
    expect(cache.includes(Buffer.from('4989123450'))).toBe(false);
  });

  it('auth "basic": the password comes from the DPAPI store; missing or wrong password is a clear error', async () => {
    fake.opts.auth = { mode: 'basic', user: 'DOM\\cti', password: 'Kennwört-1' };
    const dir = dataDir('basic');
    const pwFile = path.join(dir, 'datevconnect-password.dpapi');
    const opts = { baseUrl: base, auth: 'basic', user: 'DOM\\cti', dataDir: winPath(dir), passwordFile: winPath(pwFile), concurrency: 2 };
    const missing = await crawl(opts);
    expect(missing.status.datevConnect.lastError).toMatchObject({ kind: 'authUnavailable' });
    expect(fake.requests()).toEqual([]);

    await call('dpapi', 'savePassword', winPath(pwFile), 'falsch');
    expect((await crawl(opts)).status.datevConnect.lastError).toMatchObject({ kind: 'unauthorized' });

    await call('dpapi', 'savePassword', winPath(pwFile), 'Kennwört-1');
    const stored = fs.readFileSync(pwFile);
    expect(stored.includes(Buffer.from('Kennw'))).toBe(false);
    expect(await call('dpapi', 'loadPassword', winPath(pwFile))).toBe('Kennwört-1');
    fake.clearRequests();
    const ok = await crawl(opts);
    expect(ok.status.datevConnect).toMatchObject({ addressees: fixedDataset().length, auth: 'Basic (DOM\\cti)' });
    expect(ok.status.datevConnect.lastError).toBeUndefined();
    expect(ok.found['089 12345-17']).toEqual(['Mustermeier, Sonja']);
    const expected = 'Basic ' + Buffer.from('DOM\\cti:Kennwört-1', 'utf8').toString('base64');
    expect(fake.requests().length).toBeGreaterThan(fixedDataset().length);
    expect(fake.requests().every((q) => q.headers.authorization === expected)).toBe(true);
    // the log never holds the password
    expect(ok.log.join('\n')).not.toContain('Kennwört-1');
  });

  // The Negotiate/NTLM handshake itself cannot run here (Wine's NTLM needs winbind; the fake cannot
  // verify a token): these two show what the program does around it, not a completed sign-in.
  it('auth "windows" against a server that asks for no sign-in: full crawl, no Authorization header from the program', async () => {
    const dir = dataDir('windows');
    const r = await crawl({ baseUrl: base, auth: 'windows', user: '', dataDir: winPath(dir), passwordFile: winPath(path.join(dir, 'pw.dpapi')), concurrency: 4 });
    expect(r.status.datevConnect).toMatchObject({ addressees: fixedDataset().length, auth: 'Windows sign-in (Negotiate/NTLM, logged-on user)' });
    expect(r.status.datevConnect.lastError).toBeUndefined();
    expect(fake.requests().every((q) => q.headers.authorization === undefined)).toBe(true);
  });

  it('auth "windows" against a server that demands a sign-in: WinHTTP answers the challenge by sending the request again; the final 401 is "unauthorized" with the offered schemes', async () => {
    fake.opts.auth = { mode: 'basic', user: 'cti', password: 'pw' };
    const opts = (name: string, auth: string) => {
      const dir = dataDir(name);
      return { baseUrl: base, auth, user: '', dataDir: winPath(dir), passwordFile: winPath(path.join(dir, 'pw.dpapi')), concurrency: 1 };
    };
    const r = await crawl(opts('windows-refused', 'windows'));
    expect(r.status.datevConnect.addressees).toBe(0);
    expect(r.status.datevConnect.lastError).toMatchObject({ kind: 'unauthorized', httpStatus: 401 });
    expect(r.status.datevConnect.lastError!.en).toContain('for "windows" the signed-in Windows user');
    expect(r.status.datevConnect.lastError!.en).toMatch(/Offered schemes: Negotiate, NTLM, Basic/);
    // every request the program made reached the server twice: WinHTTP sent it again to answer the
    // challenge (under Wine without a token, so the server refused again)
    expect(r.gets).toBeGreaterThan(0);
    expect(fake.requests()).toHaveLength(2 * r.gets);
    // without Windows sign-in the same server's 401 comes back at once: each request goes out once
    fake.clearRequests();
    const none = await crawl(opts('none-refused', 'none'));
    expect(none.status.datevConnect.lastError).toMatchObject({ kind: 'unauthorized', httpStatus: 401 });
    expect(none.gets).toBeGreaterThan(0);
    expect(fake.requests()).toHaveLength(none.gets);
  });

  it('a larger crawl (300 addressees) stays within the concurrency bound', async () => {
    const big = new FakeDatevConnect(generateDataset(300, 400), { recordRequests: false });
    const url = await big.start();
    try {
      const dir = dataDir('big');
      const r = await crawl({ baseUrl: url, auth: 'none', user: '', dataDir: winPath(dir), passwordFile: winPath(path.join(dir, 'pw.dpapi')), concurrency: 4 });
      expect(r.status.datevConnect.addressees).toBe(300);
      expect(big.stats.maxConcurrent).toBeLessThanOrEqual(4);
      expect(big.stats.requests).toBeGreaterThan(300);
    } finally {
      await big.stop();
    }
  });
});

/** Runs the program (node.exe + build/js/src/main.js) with stdin from a file; output via a file (node.exe cannot write to a pipe). */
function runProgram(args: string[], stdinText: string, name: string): Promise<{ code: number | null; out: string }> {
  const input = path.join(WORK, `${name}.in`);
  const output = path.join(WORK, `${name}.out`);
  fs.writeFileSync(input, stdinText);
  const inFd = fs.openSync(input, 'r');
  const outFd = fs.openSync(output, 'w');
  const p = spawn('wine', [paths.nodeExe, winPath(path.join(JS_ROOT, 'src', 'main.js')), ...args], { env: wineEnv(display, coverageEnv()), stdio: [inFd, outFd, outFd] });
  fs.closeSync(inFd);
  fs.closeSync(outFd);
  return new Promise((resolve) => {
    const timer = setTimeout(() => p.kill('SIGKILL'), 60000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out: fs.readFileSync(output, 'utf8') });
    });
  });
}

describe('--set-datevconnect-password (the program under Wine, password on stdin)', () => {
  it('stores it DPAPI-protected in %LOCALAPPDATA%\\Wildix\\DatevCti, where the directory reads it; empty input is refused', async () => {
    const config = path.join(WORK, 'config-basic.json');
    fs.writeFileSync(config, JSON.stringify({ contacts: { datevConnect: { auth: 'basic', user: 'DOM\\cti' } } }));
    const r = await runProgram(['--config', winPath(config), '--set-datevconnect-password'], 'Kennwört über stdin\r\nzweite Zeile\r\n', 'set-password');
    expect(r.code, r.out).toBe(0);
    const m = /\(DPAPI\): (C:\\.+\\Wildix\\DatevCti\\datevconnect-password\.dpapi)\s*$/m.exec(r.out);
    expect(m, r.out).not.toBeNull();
    expect(r.out).not.toContain('Kennwört');
    expect(r.out).not.toContain('Hinweis');
    expect(await call('dpapi', 'loadPassword', m![1])).toBe('Kennwört über stdin');
    const onDisk = path.join(paths.prefix, 'drive_c', m![1]!.slice(3).replace(/\\/g, '/'));
    expect(fs.readFileSync(onDisk).includes(Buffer.from('Kennw'))).toBe(false);
    const empty = await runProgram(['--config', winPath(config), '--set-datevconnect-password'], '', 'set-password-empty');
    expect(empty.code).toBe(2);
    expect(empty.out).toContain('Kein Kennwort');
  });
});

describe('DPAPI (native/dpapi) for the Wine user', () => {
  it('round trip; another entropy or damaged data fail with the Windows error; the blob is not the plain text', async () => {
    const plain = Buffer.from('Müller GmbH 089 1234567');
    const blob = Buffer.from(await call<string>('dpapi', 'protect', plain.toString('base64'), 'entropy A'), 'base64');
    expect(blob.includes(Buffer.from('Müller'))).toBe(false);
    expect([...blob.subarray(0, 4)]).toEqual([1, 0, 0, 0]);
    expect(await call('dpapi', 'unprotect', blob.toString('base64'), 'entropy A')).toEqual({ ok: true, data: plain.toString('base64') });
    const wrong = await call<{ ok: boolean; code: string; win32Error: number }>('dpapi', 'unprotect', blob.toString('base64'), 'entropy B');
    expect(wrong).toMatchObject({ ok: false, code: 'dpapi' });
    expect(wrong.win32Error).toBeGreaterThan(0);
    const damaged = Buffer.from(blob);
    const at = damaged.length - 5;
    damaged.writeUInt8(damaged.readUInt8(at) ^ 0xff, at);
    expect(await call('dpapi', 'unprotect', damaged.toString('base64'), 'entropy A')).toMatchObject({ ok: false, code: 'dpapi' });
    expect(await call('dpapi', 'unprotect', Buffer.from('no blob').toString('base64'), 'entropy A')).toMatchObject({ ok: false, code: 'dpapi' });
  });

  it('DpapiCodec on a 2 MB cache: DPAPI seals only the AES key; a file DPAPI encrypted whole (earlier versions) still reads', async () => {
    const plain = Buffer.alloc(2 * 1048576, 'Müller GmbH 089 1234567 ');
    const r = await call<{ stored: string; back: string }>('dpapi', 'codecRoundTrip', plain.toString('utf8'));
    const stored = Buffer.from(r.stored, 'base64');
    expect([...stored.subarray(0, 4)]).toEqual([1, 0, 0, 0]);
    expect(stored.subarray(-4).toString('latin1')).toBe('WXE1');
    expect(stored.length).toBeLessThan(plain.length + 1024);
    expect(stored.includes(Buffer.from('Müller'))).toBe(false);
    expect(r.back === plain.toString('utf8')).toBe(true);
    const whole = await call<string>('dpapi', 'protect', plain.toString('base64'), 'Wildix DATEV CTI / contact cache / v1');
    const old = await call<{ ok: boolean; data: string }>('dpapi', 'codecDecode', whole);
    expect(old.ok && Buffer.from(old.data, 'base64').equals(plain)).toBe(true);
    const damaged = Buffer.from(stored);
    damaged[damaged.length - 30]! ^= 1;
    expect(await call('dpapi', 'codecDecode', damaged.toString('base64'))).toMatchObject({ ok: false, message: expect.stringMatching(/authentication failed/) });
  });

  it('DpapiCodec: what it stores is not plain, and it reads it back', async () => {
    const r = await call<{ stored: string; back: string }>('dpapi', 'codecRoundTrip', '{"n":"Weiß"}');
    expect(r.back).toBe('{"n":"Weiß"}');
    expect(Buffer.from(r.stored, 'base64').includes(Buffer.from('Wei'))).toBe(false);
  });
});
