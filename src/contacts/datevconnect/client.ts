/**
 * DATEVconnect "Client Master Data" client (GET only): list addressees, one addressee with its
 * communications, the deletion log. Every failure becomes a DatevConnectError.
 */
import { parseArrayInPieces } from '../jsonChunks';
import { Slicer } from '../slicer';
import type { AuthProvider } from './auth';
import { DatevConnectError, parseErrorBody } from './errors';
import { TransportError, type HttpResponse, type HttpTransport } from './http';

export const MASTER_DATA_PATH = '/datev/api/master-data/v1';
export const DEFAULT_BASE_URL = 'http://localhost:58454';

export interface DeletionEntry {
  id: string;
  timestamp: string;
}

/** An addressee in a list: its id and last edit ("" when DATEVconnect sent none). */
export interface AddresseeStamp {
  id: string;
  timestamp: string;
}

/** The list fields the crawl needs (DATEVconnect's `select`; a server that ignores it sends all). */
const STAMP_FIELDS = 'id,timestamp';

export interface DatevConnectClientOptions {
  baseUrl: string;
  transport: HttpTransport;
  auth: AuthProvider;
  /** Bound of one request for one addressee. */
  timeoutMs: number;
  /**
   * Bound of a list (all addressees, the deletion log), which comes whole in one response: a large one
   * takes far longer than one addressee (datev-contacts.md §2.9: ~35 s measured, 120 s in DATEV's SDK).
   * Default: timeoutMs.
   */
  listTimeoutMs?: number;
}

/** The bound of a list request the program uses (at least; a longer request timeout counts for lists too). */
export const LIST_TIMEOUT_MS = 120_000;

export class DatevConnectClient {
  readonly baseUrl: string;
  /** The server answered 400 to `select` once: lists are asked for without it from then on. */
  private selectRejected = false;
  /**
   * The server took a filter only with its values quoted (`timestamp ge '…'`): filters are sent so from
   * then on. The spec's examples are unquoted, a live system took quoted ones (datev-contacts.md §2.4).
   */
  filterQuoted = false;

  constructor(private readonly opts: DatevConnectClientOptions) {
    let u: URL;
    try {
      u = new URL(opts.baseUrl);
    } catch {
      throw new TypeError(`DATEVconnect URL "${opts.baseUrl}" is not a URL (expected e.g. ${DEFAULT_BASE_URL})`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`DATEVconnect URL must be http(s): ${opts.baseUrl}`);
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
  }

  get authDescription(): string {
    return this.opts.auth.description;
  }

  /** The fingerprint of the credentials in use (AuthProvider.credentialKey); undefined when the provider cannot tell. */
  async credentialKey(): Promise<string | undefined> {
    return this.opts.auth.credentialKey?.();
  }

  /** All addressees, top-level fields only; `filter` e.g. "timestamp ge 2024-01-01T00:00:00.000". */
  async listAddressees(filter?: string): Promise<Record<string, unknown>[]> {
    const body = await this.withFilter(filter, (f) => this.getJson('/addressees', f ? { filter: f } : {}, this.listTimeoutMs));
    return expectObjectArray(body, '/addressees');
  }

  /** One addressee with its communications; null when DATEV no longer has it (404). */
  async getAddressee(id: string): Promise<Record<string, unknown> | null> {
    try {
      const body = await this.getJson(`/addressees/${encodeURIComponent(id)}`, { expand: 'communications' });
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new DatevConnectError('malformed', 'addressee is not a JSON object', { url: `/addressees/${id}` });
      }
      return body as Record<string, unknown>;
    } catch (e) {
      if (e instanceof DatevConnectError && e.kind === 'notFound') return null;
      throw e;
    }
  }

  async deletionLog(filter?: string): Promise<DeletionEntry[]> {
    const body = await this.withFilter(filter, (f) => this.getJson('/addressees/deletion-log', f ? { filter: f } : {}, this.listTimeoutMs));
    return expectObjectArray(body, '/addressees/deletion-log').flatMap((o) =>
      typeof o.id === 'string' && typeof o.timestamp === 'string' ? [{ id: o.id, timestamp: o.timestamp }] : [],
    );
  }

  /**
   * All addressees (or those matching `filter`) as id + timestamp. The list comes in one response
   * (50,000 addressees: megabytes), so it is parsed in pieces without blocking the event loop. A
   * server that rejects `select` (HTTP 400) is asked again without it.
   */
  async listAddresseeStamps(filter?: string): Promise<AddresseeStamp[]> {
    const slicer = new Slicer(); // started before the request: parsing begins with a pause after the answer's last chunk
    const text = await this.withFilter(filter, async (f) => {
      const query: Record<string, string> = f ? { filter: f } : {};
      if (this.selectRejected) return this.getText('/addressees', query, this.listTimeoutMs);
      try {
        return await this.getText('/addressees', { ...query, select: STAMP_FIELDS }, this.listTimeoutMs);
      } catch (e) {
        if (!(e instanceof DatevConnectError) || e.kind !== 'badRequest') throw e;
        // (select is the cause only when the list comes without it)
        const without = await this.getText('/addressees', query, this.listTimeoutMs);
        this.selectRejected = true;
        return without;
      }
    });
    try {
      return await parseArrayInPieces(text, slicer, toStamp);
    } catch (e) {
      throw new DatevConnectError('malformed', `invalid JSON: ${(e as Error).message}`, { httpStatus: 200, url: '/addressees' });
    }
  }

  /**
   * `get` with the filter in the form the server takes: as written (unquoted values), or — after a 400 —
   * with its values quoted; the form that worked is kept.
   */
  private async withFilter<T>(filter: string | undefined, get: (filter?: string) => Promise<T>): Promise<T> {
    if (!filter) return get(undefined);
    if (this.filterQuoted) return get(quoteFilterValues(filter));
    try {
      return await get(filter);
    } catch (e) {
      if (!(e instanceof DatevConnectError) || e.kind !== 'badRequest') throw e;
      const quoted = await get(quoteFilterValues(filter));
      this.filterQuoted = true;
      return quoted;
    }
  }

  private get listTimeoutMs(): number {
    return this.opts.listTimeoutMs ?? this.opts.timeoutMs;
  }

  private async getJson(path: string, query: Record<string, string>, timeoutMs = this.opts.timeoutMs): Promise<unknown> {
    const text = await this.getText(path, query, timeoutMs);
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      throw new DatevConnectError('malformed', `invalid JSON: ${(e as Error).message}`, { httpStatus: 200, url: path });
    }
  }

  /** The body of a 200 JSON answer; every failure is a DatevConnectError. */
  private async getText(path: string, query: Record<string, string>, timeoutMs = this.opts.timeoutMs): Promise<string> {
    const qs = Object.entries(query)
      .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
      .join('&');
    const url = `${this.baseUrl}${MASTER_DATA_PATH}${path}${qs ? '?' + qs : ''}`;
    const headers: Record<string, string> = { Accept: 'application/json; charset=utf-8' };
    let res: HttpResponse;
    try {
      const authorization = await this.opts.auth.authorization();
      if (authorization !== undefined) headers.Authorization = authorization;
      res = await this.opts.transport.get(url, headers, timeoutMs);
    } catch (e) {
      if (e instanceof DatevConnectError) throw e;
      if (e instanceof TransportError) throw new DatevConnectError(e.timeout ? 'timeout' : 'network', e.message, { url: path });
      throw new DatevConnectError('network', String(e), { url: path });
    }
    if (res.status === 200) {
      const type = headerValue(res.headers['content-type']);
      if (!/json/i.test(type)) throw new DatevConnectError('notAcceptable', `content type "${type}" is not JSON`, { httpStatus: 200, url: path });
      return res.body;
    }
    throw statusError(res, path);
  }
}

function headerValue(h: string | string[] | undefined): string {
  return Array.isArray(h) ? h.join(', ') : (h ?? '');
}

/** Scheme names in WWW-Authenticate ("Negotiate, NTLM, Basic realm=\"x\"" → Negotiate, NTLM, Basic). */
export function authSchemes(h: string | string[] | undefined): string[] {
  return headerValue(h)
    .split(',')
    .map((p) => p.trim().split(/\s+/)[0] ?? '')
    .filter((s) => /^[A-Za-z][\w-]*$/.test(s));
}

function statusError(res: HttpResponse, path: string): DatevConnectError {
  const { code, description, requestId, more } = parseErrorBody(res.body);
  const base = { httpStatus: res.status, code, description, url: path };
  // (DATEV's further messages and its request id go into the log's detail: what DATEV's support asks for)
  const what = `HTTP ${res.status}${code ? ` ${code}` : ''}${description ? `: ${description}` : ''}${more ? ` (${more.join('; ')})` : ''}${requestId ? ` [request_id ${requestId}]` : ''}`;
  switch (res.status) {
    case 401:
      return new DatevConnectError('unauthorized', what, { ...base, authSchemes: authSchemes(res.headers['www-authenticate']) });
    case 403:
      return new DatevConnectError('forbidden', what, base);
    case 404:
      return new DatevConnectError('notFound', what, base);
    case 406:
      return new DatevConnectError('notAcceptable', what, base);
    default:
      return new DatevConnectError(res.status >= 400 && res.status < 500 ? 'badRequest' : 'server', what, base);
  }
}

function toStamp(o: unknown): AddresseeStamp | null {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return null;
  const { id, timestamp } = o as { id?: unknown; timestamp?: unknown };
  if (typeof id !== 'string') return null;
  return { id, timestamp: typeof timestamp === 'string' ? timestamp : '' };
}

function expectObjectArray(body: unknown, path: string): Record<string, unknown>[] {
  if (!Array.isArray(body)) throw new DatevConnectError('malformed', 'expected a JSON array', { url: path });
  return body.filter((o): o is Record<string, unknown> => typeof o === 'object' && o !== null && !Array.isArray(o) && typeof (o as { id?: unknown }).id === 'string');
}

/** `timestamp ge 2024-01-01T00:00:00.000 and status eq active` → the same with each value in single quotes. */
export function quoteFilterValues(filter: string): string {
  return filter
    .split(/(\s+and\s+)/i)
    .map((part) => part.replace(/^(\s*\w+\s+(?:eq|gt|ge|lt|le)\s+)(?!')(.+?)(\s*)$/i, (_m, head: string, value: string, tail: string) => `${head}'${value.replace(/'/g, "''")}'${tail}`))
    .join('');
}
