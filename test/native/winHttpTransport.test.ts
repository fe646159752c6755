/**
 * WinHttpTransport's logic against a scripted native/http (the real one runs under Wine:
 * test/wine/datevconnect.wine.test.ts): header parsing, error mapping, the concurrency bound and timeouts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TransportError } from '../../src/contacts/datevconnect/http';
import { describeNativeHttpError, nativeHttp, parseRawHeaders, WinHttpTransport, type NativeHttp, type NativeHttpResult } from '../../src/native/winHttpTransport';
import type { NativeAddon } from '../../src/native/addon';

interface Call {
  url: string;
  headers: Record<string, string>;
  options: { timeoutMs: number; sso: boolean; maxBodyBytes?: number };
  resolve(r: NativeHttpResult): void;
  reject(e: unknown): void;
}

function scripted(): NativeHttp & { calls: Call[]; running: number } {
  const calls: Call[] = [];
  const n = {
    calls,
    running: 0,
    get(url: string, headers: Record<string, string>, options: Call['options']) {
      n.running++;
      return new Promise<NativeHttpResult>((resolve, reject) => {
        calls.push({
          url,
          headers,
          options,
          resolve: (r) => {
            n.running--;
            resolve(r);
          },
          reject: (e) => {
            n.running--;
            reject(e);
          },
        });
      });
    },
    inFlight: () => n.running,
  };
  return n;
}

const ok = (body = '[]', status = 200): NativeHttpResult => ({
  status,
  headers: `HTTP/1.1 ${status} OK\r\nContent-Type: application/json; charset=utf-8\r\n\r\n`,
  body: Buffer.from(body, 'utf8'),
  signIn: '',
});
const flush = () => new Promise((r) => setImmediate(r));

afterEach(() => {
  vi.useRealTimers();
});

describe('parseRawHeaders', () => {
  it('gives node:http shapes: lower-case names, repeats joined, set-cookie as a list, singletons first-wins, folding', () => {
    const raw =
      'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nWWW-Authenticate: NTLM\r\nwww-authenticate: Basic realm="DATEVconnect"\r\n' +
      'Content-Type: application/json\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Long: part one\r\n\tpart two\r\n' +
      'broken line\r\n: no name\r\n\r\n';
    expect(parseRawHeaders(raw)).toEqual({
      'www-authenticate': 'Negotiate, NTLM, Basic realm="DATEVconnect"',
      'content-type': 'application/json',
      'set-cookie': ['a=1', 'b=2'],
      'x-long': 'part one part two',
    });
    expect(parseRawHeaders('HTTP/1.1 200 OK\nSet-Cookie: a=1\n  more\n')).toEqual({ 'set-cookie': ['a=1 more'] });
    expect(parseRawHeaders('')).toEqual({});
  });
});

describe('describeNativeHttpError', () => {
  it('names WinHTTP codes, keeps the timeout flag, copes with odd values', () => {
    expect(describeNativeHttpError({ message: 'WinHttpSendRequest failed: error 12029', win32Error: 12029, timeout: false })).toEqual({
      timeout: false,
      message: 'WinHttpSendRequest failed: error 12029: cannot connect (connection refused or no route)',
    });
    expect(describeNativeHttpError({ message: 'x failed: error 12002 (timeout)', win32Error: 12002 })).toEqual({ timeout: true, message: 'x failed: error 12002 (timeout)' });
    expect(describeNativeHttpError({ message: 'deadline', timeout: true }).timeout).toBe(true);
    expect(describeNativeHttpError({ message: 'WinHttpReceiveResponse failed: error 10060', win32Error: 10060, timeout: false })).toEqual({
      timeout: true,
      message: 'WinHttpReceiveResponse failed: error 10060: timeout',
    });
    expect(describeNativeHttpError({ message: 'odd', win32Error: 1 })).toEqual({ timeout: false, message: 'odd' });
    expect(describeNativeHttpError('plain')).toEqual({ timeout: false, message: 'plain' });
    expect(describeNativeHttpError(null)).toEqual({ timeout: false, message: 'null' });
  });
});

describe('nativeHttp', () => {
  it('accepts an addon with an http module and refuses one without', () => {
    const http = scripted();
    expect(nativeHttp({ http } as unknown as NativeAddon)).toBe(http);
    expect(() => nativeHttp({} as NativeAddon)).toThrow('no http module');
    expect(() => nativeHttp({ http: { get: () => undefined } } as unknown as NativeAddon)).toThrow('no http module');
  });
});

describe('WinHttpTransport', () => {
  it('passes url, headers, remaining timeout and the sign-in mode; decodes the answer', async () => {
    const n = scripted();
    const t = new WinHttpTransport({ native: n, windowsSignIn: true, concurrency: 2, maxBodyBytes: 1000 });
    const p = t.get('http://localhost:58454/x', { Accept: 'application/json' }, 5000);
    expect(n.calls).toHaveLength(1);
    expect(n.calls[0]!.url).toBe('http://localhost:58454/x');
    expect(n.calls[0]!.headers).toEqual({ Accept: 'application/json' });
    expect(n.calls[0]!.options.sso).toBe(true);
    expect(n.calls[0]!.options.maxBodyBytes).toBe(1000);
    expect(n.calls[0]!.options.timeoutMs).toBeGreaterThan(4900);
    expect(n.calls[0]!.options.timeoutMs).toBeLessThanOrEqual(5000);
    n.calls[0]!.resolve({ ...ok('[{"name":"Müller"}]'), signIn: 'Negotiate' });
    expect(await p).toEqual({ status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: '[{"name":"Müller"}]', signIn: 'Negotiate' });
    const basic = new WinHttpTransport({ native: n, windowsSignIn: false, concurrency: 1 });
    const q = basic.get('http://h/', {}, 100);
    expect(n.calls[1]!.options).toEqual({ timeoutMs: expect.any(Number), sso: false });
    n.calls[1]!.resolve(ok('', 401));
    expect((await q).status).toBe(401);
  });

  it('never has more than `concurrency` requests on the wire; the rest start in order as slots free up', async () => {
    const n = scripted();
    const t = new WinHttpTransport({ native: n, windowsSignIn: false, concurrency: 2 });
    const ps = [1, 2, 3, 4, 5].map((i) => t.get(`http://h/${i}`, {}, 10000));
    const settled = Promise.allSettled(ps);
    expect(n.calls.map((c) => c.url)).toEqual(['http://h/1', 'http://h/2']);
    expect(t.queued).toBe(3);
    n.calls[1]!.resolve(ok('2'));
    await flush();
    expect(n.calls.map((c) => c.url)).toEqual(['http://h/1', 'http://h/2', 'http://h/3']);
    n.calls[0]!.reject({ message: 'refused', win32Error: 12029 });
    await flush();
    expect(n.running).toBe(2);
    for (const c of n.calls.slice(2)) c.resolve(ok());
    await flush();
    for (const c of n.calls.slice(4)) c.resolve(ok());
    const results = await settled;
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(n.calls).toHaveLength(5);
    expect(t.queued).toBe(0);
  });

  it('a timeout rejects with timeout=true; the slot stays taken until the native request ends', async () => {
    vi.useFakeTimers();
    const n = scripted();
    const t = new WinHttpTransport({ native: n, windowsSignIn: false, concurrency: 1 });
    const slow = t.get('http://h/slow', {}, 1000);
    const waiting = t.get('http://h/next', {}, 5000);
    const queuedOut = t.get('http://h/never', {}, 500);
    vi.advanceTimersByTime(600);
    await expect(queuedOut).rejects.toMatchObject({ name: 'TransportError', timeout: true, message: 'no complete answer within 500 ms' });
    vi.advanceTimersByTime(500);
    await expect(slow).rejects.toMatchObject({ timeout: true });
    expect(n.calls.map((c) => c.url)).toEqual(['http://h/slow']); // still on the wire natively
    n.calls[0]!.reject({ message: 'late', win32Error: 12002, timeout: true });
    await vi.waitFor(() => expect(n.calls).toHaveLength(2));
    expect(n.calls[1]!.url).toBe('http://h/next');
    expect(n.calls[1]!.options.timeoutMs).toBeLessThanOrEqual(5000 - 1100);
    n.calls[1]!.resolve(ok());
    expect((await waiting).status).toBe(200);
  });

  it('native errors become TransportErrors (timeout flag from WinHTTP), synchronous throws too', async () => {
    const n = scripted();
    const t = new WinHttpTransport({ native: n, windowsSignIn: false, concurrency: 1 });
    const a = t.get('http://h/a', {}, 1000);
    n.calls[0]!.reject({ message: 'WinHttpReceiveResponse failed: error 12002', win32Error: 12002, timeout: true });
    const ea = await a.catch((e: unknown) => e);
    expect(ea).toBeInstanceOf(TransportError);
    expect(ea).toMatchObject({ timeout: true });
    const throwing: NativeHttp = {
      get: () => {
        throw new TypeError('get: url must start with http:// or https://');
      },
      inFlight: () => 0,
    };
    const u = new WinHttpTransport({ native: throwing, windowsSignIn: false, concurrency: 1 });
    await expect(u.get('ftp://x', {}, 1000)).rejects.toMatchObject({ name: 'TransportError', timeout: false, message: 'get: url must start with http:// or https://' });
    // the slot was given back
    await expect(u.get('ftp://y', {}, 1000)).rejects.toBeInstanceOf(TransportError);
  });

  it('bad timeouts and concurrency are refused; close() rejects what waits and everything after', async () => {
    const n = scripted();
    expect(() => new WinHttpTransport({ native: n, windowsSignIn: false, concurrency: 0 })).toThrow(RangeError);
    expect(() => new WinHttpTransport({ native: n, windowsSignIn: false, concurrency: 33 })).toThrow(RangeError);
    const t = new WinHttpTransport({ native: n, windowsSignIn: false, concurrency: 1 });
    await expect(t.get('http://h/', {}, 0)).rejects.toMatchObject({ message: 'invalid timeout 0 ms' });
    await expect(t.get('http://h/', {}, Number.NaN)).rejects.toBeInstanceOf(TransportError);
    const first = t.get('http://h/1', {}, 10000);
    const second = t.get('http://h/2', {}, 10000);
    t.close();
    await expect(second).rejects.toMatchObject({ message: 'WinHTTP transport is closed' });
    await expect(t.get('http://h/3', {}, 1000)).rejects.toMatchObject({ message: 'WinHTTP transport is closed' });
    n.calls[0]!.resolve(ok());
    expect((await first).status).toBe(200);
  });
});
