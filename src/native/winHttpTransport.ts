/**
 * HttpTransport over WinHTTP (native/http): GETs run on their own native threads, at most
 * `concurrency` at once (the rest wait in order), each bounded by its timeout. With `windowsSignIn`
 * the requests log on as the Windows user running the program (Negotiate/NTLM, no password and no
 * Authorization header from us); without it WinHTTP never answers a challenge and a 401 comes back
 * as it is. TLS is checked against the Windows certificate store; redirects are not followed.
 */
import { TransportError, type HttpResponse, type HttpTransport } from '../contacts/datevconnect/http';
import type { NativeAddon } from './addon';

/** What native/http's get() resolves with. */
export interface NativeHttpResult {
  status: number;
  /** Status line and headers, CRLF separated (WINHTTP_QUERY_RAW_HEADERS_CRLF). */
  headers: string;
  body: Uint8Array;
  /** "Negotiate" / "NTLM" when a challenge was answered with the Windows user's credentials, else "". */
  signIn: string;
}

/** native/http. get() rejects with an Error carrying code "winhttp", fn, win32Error and timeout. */
export interface NativeHttp {
  get(url: string, headers: Record<string, string>, options: { timeoutMs: number; sso: boolean; maxBodyBytes?: number }): Promise<NativeHttpResult>;
  /** Requests whose native thread still runs (also those whose JS side already timed out). */
  inFlight(): number;
}

export interface WinHttpResponse extends HttpResponse {
  /** See NativeHttpResult.signIn. */
  signIn: string;
}

export interface WinHttpTransportOptions {
  native: NativeHttp;
  /** Log on as the Windows user (Negotiate/NTLM). */
  windowsSignIn: boolean;
  /** Requests on the wire at once (1–32). */
  concurrency: number;
  maxBodyBytes?: number;
}

/** The `http` module of the addon, checked (an older wildix_cti.node has none). */
export function nativeHttp(addon: NativeAddon): NativeHttp {
  const m = (addon as unknown as Record<string, unknown>).http as Partial<NativeHttp> | undefined;
  if (typeof m !== 'object' || m === null || typeof m.get !== 'function' || typeof m.inFlight !== 'function') {
    throw new Error('wildix_cti.node has no http module (WinHTTP); rebuild the addon');
  }
  return m as NativeHttp;
}

/** Names for the WinHTTP errors that matter here (Wine's winhttp.dll has no message texts). */
const WINHTTP_ERRORS: Record<number, string> = {
  12002: 'timeout',
  10060: 'timeout',
  12005: 'invalid URL',
  12006: 'unrecognised URL scheme',
  12007: 'host name not resolved',
  12017: 'request cancelled',
  12029: 'cannot connect (connection refused or no route)',
  12030: 'connection aborted',
  12152: 'invalid server response',
  12156: 'redirect refused',
  12157: 'TLS channel error',
  12175: 'TLS certificate not trusted or invalid',
  12037: 'TLS certificate expired',
  12038: 'TLS certificate name does not match the host',
  12045: 'TLS certificate from an unknown authority',
};

/** A readable message for a native/http rejection. */
export function describeNativeHttpError(e: unknown): { timeout: boolean; message: string } {
  const err = (typeof e === 'object' && e !== null ? e : {}) as { message?: unknown; win32Error?: unknown; timeout?: unknown };
  const message = typeof err.message === 'string' ? err.message : String(e);
  const code = typeof err.win32Error === 'number' ? err.win32Error : undefined;
  const name = code !== undefined ? WINHTTP_ERRORS[code] : undefined;
  return {
    timeout: err.timeout === true || code === 12002 || code === 10060,
    message: name && !message.includes(name) ? `${message}: ${name}` : message,
  };
}

/** Headers that Node keeps once (first wins); all others repeat joined by ", ", set-cookie as a list. */
const SINGLE = new Set(['content-type', 'content-length', 'user-agent', 'referer', 'host', 'authorization', 'proxy-authorization', 'if-modified-since', 'if-unmodified-since', 'from', 'location', 'max-forwards', 'retry-after', 'etag', 'last-modified', 'server', 'age', 'expires']);

/** WinHTTP's raw header block → the shape node:http gives (lower-case names). */
export function parseRawHeaders(raw: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const lines = raw.split(/\r?\n/);
  let last: string | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    if ((line.startsWith(' ') || line.startsWith('\t')) && last !== undefined) {
      // obsolete line folding: continues the previous header
      const prev = out[last]!;
      const extra = ' ' + line.trim();
      if (Array.isArray(prev)) prev[prev.length - 1] += extra;
      else out[last] = prev + extra;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    last = name;
    const prev = out[name];
    if (name === 'set-cookie') out[name] = [...((prev as string[] | undefined) ?? []), value];
    else if (prev === undefined) out[name] = value;
    else if (!SINGLE.has(name)) out[name] = `${prev as string}, ${value}`;
  }
  return out;
}

interface Waiting {
  start(): void;
  fail(e: TransportError): void;
}

export class WinHttpTransport implements HttpTransport {
  readonly windowsSignIn: boolean;
  readonly #native: NativeHttp;
  readonly #concurrency: number;
  readonly #maxBody: number | undefined;
  readonly #queue: Waiting[] = [];
  #running = 0;
  #closed = false;

  constructor(opts: WinHttpTransportOptions) {
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1 || opts.concurrency > 32) {
      throw new RangeError(`WinHttpTransport: concurrency must be 1..32, got ${String(opts.concurrency)}`);
    }
    this.#native = opts.native;
    this.windowsSignIn = opts.windowsSignIn;
    this.#concurrency = opts.concurrency;
    this.#maxBody = opts.maxBodyBytes;
  }

  /** Requests waiting for a free slot (not yet on the wire). */
  get queued(): number {
    return this.#queue.length;
  }

  get(url: string, headers: Record<string, string>, timeoutMs: number): Promise<WinHttpResponse> {
    if (this.#closed) return Promise.reject(new TransportError(false, 'WinHTTP transport is closed'));
    if (!Number.isFinite(timeoutMs) || timeoutMs < 1) return Promise.reject(new TransportError(false, `invalid timeout ${String(timeoutMs)} ms`));
    const deadline = Date.now() + timeoutMs;
    return new Promise<WinHttpResponse>((resolve, reject) => {
      let settled = false;
      const settle = (f: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        f();
      };
      const waiting: Waiting = {
        start: () => {
          if (settled) {
            this.#release();
            return;
          }
          const remaining = Math.max(1, Math.min(600_000, deadline - Date.now()));
          let call: Promise<NativeHttpResult>;
          try {
            call = this.#native.get(url, headers, { timeoutMs: remaining, sso: this.windowsSignIn, ...(this.#maxBody ? { maxBodyBytes: this.#maxBody } : {}) });
          } catch (e) {
            // bad input (TypeError/RangeError from the addon) never reaches the wire
            this.#release();
            settle(() => reject(new TransportError(false, describeNativeHttpError(e).message)));
            return;
          }
          // the slot stays taken until the native thread is done, even after a JS-side timeout
          call.then(
            (r) => {
              this.#release();
              settle(() =>
                resolve({ status: r.status, headers: parseRawHeaders(r.headers), body: Buffer.from(r.body).toString('utf8'), signIn: r.signIn }),
              );
            },
            (e: unknown) => {
              this.#release();
              const d = describeNativeHttpError(e);
              settle(() => reject(new TransportError(d.timeout, d.message)));
            },
          );
        },
        fail: (e) => settle(() => reject(e)),
      };
      const timer = setTimeout(() => {
        const i = this.#queue.indexOf(waiting);
        if (i >= 0) this.#queue.splice(i, 1);
        settle(() => reject(new TransportError(true, `no complete answer within ${timeoutMs} ms`)));
      }, timeoutMs);
      if (this.#running < this.#concurrency) {
        this.#running++;
        waiting.start();
      } else this.#queue.push(waiting);
    });
  }

  /** Rejects what still waits for a slot; requests on the wire end by their timeout. */
  close(): void {
    this.#closed = true;
    for (const w of this.#queue.splice(0)) w.fail(new TransportError(false, 'WinHTTP transport is closed'));
  }

  #release(): void {
    const next = this.#queue.shift();
    if (next) next.start();
    else this.#running--;
  }
}
