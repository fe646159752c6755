/**
 * Fake DATEVconnect (master-data v1 + diagnostics) on loopback HTTP for tests and the benchmark.
 * Reproduces the documented behaviour: bare JSON arrays, top-level fields only in lists,
 * `expand=communications`, `filter` (eq/gt/ge/lt/le joined by `and`, quoted or not), `select`,
 * deletion log, error bodies, 401 with WWW-Authenticate, 403 with/without body, 404, 406 without the
 * JSON Accept header, and injectable faults (status codes, delays, malformed/truncated JSON, XML,
 * connection reset, hanging responses). Data can change between refreshes (edits, deletions).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { datevTimestamp, type FakeAddressee, type FakeCommunication } from './data';

/**
 * basic: 401 (offering Negotiate, NTLM, Basic) unless the Basic credentials match.
 * sso: asks for no sign-in at all and accepts every request (a server where the Windows sign-in is
 * not needed); it never issues a challenge, so nothing signed in against it proves a sign-in.
 */
export type FakeAuth = { mode: 'basic'; user: string; password: string } | { mode: 'sso' };

export type Fault =
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'forbiddenEmpty' }
  | { kind: 'malformed' }
  | { kind: 'truncated' }
  | { kind: 'xml' }
  | { kind: 'delay'; ms: number }
  | { kind: 'reset' }
  | { kind: 'hang' };

interface ArmedFault {
  fault: Fault;
  match: (path: string, query: Record<string, string>) => boolean;
  times: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
}

export interface FakeDatevConnectOptions {
  auth?: FakeAuth;
  /** Missing JSON Accept header → 406 (default) or an XML answer. */
  withoutAccept?: '406' | 'xml';
  /** Honour top/skip on lists (off by default, like master-data 1.7). */
  honourPaging?: boolean;
  /** Latency added to every request. */
  latencyMs?: number;
  /** Whether the master-data domain is installed (diagnostics/domains and routes). */
  masterData?: boolean;
  /** Record requests (off for the benchmark). */
  recordRequests?: boolean;
  /** Reject ids that are not GUIDs with 400 like DATEV (default true; off for harnesses with short ids). */
  strictIds?: boolean;
  /** Server clock for timestamps of edits (default: a fixed start advanced per edit). */
  startTime?: Date;
  /**
   * Which filter values the server takes: both (default), only quoted ('x') or only unquoted (as the
   * spec's examples) — datev-contacts.md §2.4: which one master-data accepts is open.
   */
  filterValues?: 'any' | 'quoted' | 'unquoted';
}

const MD = '/datev/api/master-data/v1';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TOP_LEVEL: (keyof FakeAddressee)[] = ['id', 'type', 'status', 'firstname', 'current_surname', 'current_company_name', 'current_short_name', 'surrogate_name', 'timestamp'];

export class FakeDatevConnect {
  private readonly addressees = new Map<string, FakeAddressee>();
  private readonly deletions: { id: string; timestamp: string }[] = [];
  private readonly faults: ArmedFault[] = [];
  private readonly log: RecordedRequest[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly hung = new Set<http.ServerResponse>();
  private server: http.Server | null = null;
  private clock: number;
  private inFlight = 0;
  private maxInFlight = 0;
  private requestCount = 0;
  opts: FakeDatevConnectOptions;

  constructor(data: FakeAddressee[] = [], opts: FakeDatevConnectOptions = {}) {
    this.opts = { withoutAccept: '406', masterData: true, recordRequests: true, strictIds: true, ...opts };
    this.clock = (opts.startTime ?? new Date('2024-06-01T08:00:00.000Z')).getTime();
    for (const a of data) this.addressees.set(a.id, structuredClone(a));
  }

  async start(port = 0): Promise<string> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 5000;
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    return this.url;
  }

  get url(): string {
    const a = this.server?.address() as AddressInfo | null;
    if (!a) throw new Error('fake DATEVconnect not started');
    return `http://127.0.0.1:${a.port}`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    for (const r of this.hung) r.destroy();
    this.hung.clear();
    for (const sock of this.sockets) sock.destroy();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  // ---- test controls -------------------------------------------------------------------------

  /** Arms a fault for requests whose path contains `pathPart` (all when omitted), `times` times (default 1). */
  inject(fault: Fault, pathPart?: string, times = 1): void {
    this.faults.push({ fault, match: (p) => pathPart === undefined || p.includes(pathPart), times });
  }

  /** Arms a fault for requests `when` accepts (decoded path and query), `times` times (default 1). */
  injectWhen(fault: Fault, when: (path: string, query: Record<string, string>) => boolean, times = 1): void {
    this.faults.push({ fault, match: when, times });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Ends the requests a "hang" fault holds by dropping their connections. */
  dropHung(): void {
    for (const r of this.hung) r.destroy();
    this.hung.clear();
  }

  requests(): RecordedRequest[] {
    return [...this.log];
  }

  clearRequests(): void {
    this.log.length = 0;
  }

  get stats(): { requests: number; maxConcurrent: number; inFlight: number } {
    return { requests: this.requestCount, maxConcurrent: this.maxInFlight, inFlight: this.inFlight };
  }

  resetStats(): void {
    this.requestCount = 0;
    this.maxInFlight = 0;
  }

  all(): FakeAddressee[] {
    return [...this.addressees.values()].map((a) => structuredClone(a));
  }

  /** Adds or replaces an addressee; its timestamp becomes "now" on the server clock unless `keepTimestamp`. */
  upsert(a: FakeAddressee, keepTimestamp = false): void {
    const copy = structuredClone(a);
    if (!keepTimestamp) copy.timestamp = this.tick();
    this.addressees.set(copy.id, copy);
  }

  /** Changes an addressee's phone entries (bumps its timestamp unless `bumpTimestamp` is false). */
  setPhones(id: string, phones: Omit<FakeCommunication, 'id' | 'type'>[], bumpTimestamp = true): void {
    const a = this.addressees.get(id);
    if (!a) throw new Error(`fake DATEVconnect: no addressee ${id}`);
    a.communications = [
      ...a.communications.filter((c) => c.type !== 'phone'),
      ...phones.map((p, i) => ({ id: `${id.slice(0, 24)}${String(i).padStart(12, '0')}`, type: 'phone' as const, ...p })),
    ];
    if (bumpTimestamp) a.timestamp = this.tick();
  }

  rename(id: string, name: { current_company_name?: string; firstname?: string; current_surname?: string }): void {
    const a = this.addressees.get(id);
    if (!a) throw new Error(`fake DATEVconnect: no addressee ${id}`);
    Object.assign(a, name);
    a.timestamp = this.tick();
  }

  /** Deletes an addressee and writes the deletion log. */
  remove(id: string): void {
    if (this.addressees.delete(id)) this.deletions.push({ id, timestamp: this.tick() });
  }

  private tick(): string {
    this.clock += 1000;
    return datevTimestamp(new Date(this.clock));
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.requestCount++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.on('close', () => this.inFlight--);
    const u = new URL(req.url ?? '/', 'http://fake');
    const path = decodeURIComponent(u.pathname);
    const query = Object.fromEntries(u.searchParams.entries());
    if (this.opts.recordRequests) this.log.push({ method: req.method ?? '', path, query, headers: req.headers });
    if (this.opts.latencyMs) await sleep(this.opts.latencyMs);

    const armed = this.faults.find((f) => f.match(path, query));
    if (armed) {
      if (--armed.times <= 0) this.faults.splice(this.faults.indexOf(armed), 1);
      const handled = await this.applyFault(armed.fault, res);
      if (handled) return;
    }
    if (!this.authorised(req)) {
      this.send(res, 401, { error: 'unauthorized', error_description: 'Anmeldung erforderlich.' }, { 'WWW-Authenticate': ['Negotiate', 'NTLM', 'Basic realm="DATEVconnect"'] });
      return;
    }
    const accept = req.headers.accept ?? '';
    if (!/application\/json/i.test(accept)) {
      if (this.opts.withoutAccept === 'xml') {
        res.writeHead(200, { 'Content-Type': 'application/xml; charset=utf-8' });
        res.end('<?xml version="1.0"?><ArrayOfAddressee xmlns="http://schemas.datacontract.org/2004/07/Datev.Sdd.Connect.PlugIn.Contracts.Resources"/>');
      } else {
        this.send(res, 406, { error: 'not_acceptable', error_description: 'Das angeforderte Format wird nicht unterstützt.' });
      }
      return;
    }
    if (req.method !== 'GET') {
      this.send(res, 405, { error: 'method_not_allowed' });
      return;
    }
    this.route(path, query, res);
  }

  private route(path: string, q: Record<string, string>, res: http.ServerResponse): void {
    if (path === '/datev/api/diagnostics/v1/echo') return this.send(res, 200, { id: 'echo', echo_message: q.message ?? 'echo' });
    if (path === '/datev/api/diagnostics/v1/domains') {
      const domains = [{ Key: 'diagnostics', Value: 'v1' }];
      if (this.opts.masterData) domains.push({ Key: 'master-data', Value: 'v1' });
      return this.send(res, 200, domains);
    }
    if (!this.opts.masterData || !path.startsWith(MD + '/') && path !== MD) {
      const m = /^\/datev\/api\/([^/]+)\/([^/]+)/.exec(path);
      if (m) return this.error(res, 404, 'DCO01404', `Domäne '${m[1]}' mit der Version '${m[2]}' ist in keinem der geladenen PlugIns verfügbar.`);
      return this.error(res, 404, 'not_found', 'Die angeforderte Ressource wurde nicht gefunden.');
    }
    const rest = path.slice(MD.length);
    if (rest === '/version') return this.send(res, 200, { resource_version: '1', resource_revision: '7', db_version: 'EODB 15.0' });
    if (rest === '/addressees/deletion-log') {
      const filter = parseFilter(q.filter, this.opts.filterValues);
      if (filter === null) return this.error(res, 400, 'DCO01400', `Ungültiger Filter: ${q.filter ?? ''}`);
      return this.send(res, 200, this.deletions.filter((d) => filter(d as unknown as Record<string, unknown>)).map((d) => select(d, q.select)));
    }
    if (rest === '/addressees') {
      const filter = parseFilter(q.filter, this.opts.filterValues);
      if (filter === null) return this.error(res, 400, 'DCO01400', `Ungültiger Filter: ${q.filter ?? ''}`);
      let list = [...this.addressees.values()].map(topLevel).filter((a) => filter(a));
      if (this.opts.honourPaging) {
        const skip = Number(q.skip ?? 0);
        const top = q.top !== undefined ? Number(q.top) : list.length;
        list = list.slice(skip, skip + top);
      }
      return this.send(res, 200, list.map((a) => select(a, q.select)));
    }
    const one = /^\/addressees\/([^/]+)$/.exec(rest);
    if (one) {
      const id = one[1]!;
      if (this.opts.strictIds && !GUID.test(id)) return this.error(res, 400, 'DCO01400', `Die Id '${id}' ist ungültig.`);
      const a = this.addressees.get(id);
      if (!a) return this.error(res, 404, 'DCO01404', `Der Adressat mit der Id '${id}' wurde nicht gefunden.`);
      const expand = (q.expand ?? '').split(',').map((s) => s.trim());
      const out: Record<string, unknown> = topLevel(a);
      if (expand.includes('*') || expand.includes('communications')) out.communications = a.communications.map((c) => ({ ...c }));
      return this.send(res, 200, select(out, q.select));
    }
    return this.error(res, 404, 'not_found', 'Die angeforderte Ressource wurde nicht gefunden.');
  }

  private authorised(req: http.IncomingMessage): boolean {
    const auth = this.opts.auth ?? { mode: 'sso' };
    if (auth.mode === 'sso') return true;
    const h = req.headers.authorization ?? '';
    const m = /^Basic\s+(\S+)$/i.exec(h);
    if (!m) return false;
    return Buffer.from(m[1]!, 'base64').toString('utf8') === `${auth.user}:${auth.password}`;
  }

  private async applyFault(f: Fault, res: http.ServerResponse): Promise<boolean> {
    switch (f.kind) {
      case 'status':
        if (f.body === undefined) {
          res.writeHead(f.status, f.headers ?? {});
          res.end();
        } else this.send(res, f.status, f.body, f.headers);
        return true;
      case 'forbiddenEmpty':
        res.writeHead(403, { Server: 'Microsoft-HTTPAPI/2.0', 'Content-Length': '0' });
        res.end();
        return true;
      case 'malformed':
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end('[{"id": "a0000000-0000-4000-8000-000000000001", "type": ');
        return true;
      case 'truncated':
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': '1000' });
        res.write('[{"id": "a0000000-0000-4000-8000-0000');
        setTimeout(() => res.destroy(), 10);
        return true;
      case 'xml':
        res.writeHead(200, { 'Content-Type': 'application/xml; charset=utf-8' });
        res.end('<ArrayOfAddressee/>');
        return true;
      case 'delay':
        await sleep(f.ms);
        return false;
      case 'reset':
        res.socket?.destroy();
        return true;
      case 'hang':
        this.hung.add(res);
        res.on('close', () => this.hung.delete(res));
        return true;
    }
  }

  private send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), Server: 'Microsoft-HTTPAPI/2.0', ...headers });
    res.end(text);
  }

  private error(res: http.ServerResponse, status: number, code: string, description: string): void {
    this.send(res, status, { error: code, error_description: description, request_id: `req-${this.requestCount}` });
  }
}

function topLevel(a: FakeAddressee): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of TOP_LEVEL) if (a[k] !== undefined) out[k] = a[k];
  return out;
}

function select<T extends object>(o: T, fields: string | undefined): Record<string, unknown> {
  if (!fields) return o as Record<string, unknown>;
  const want = new Set(fields.split(',').map((s) => s.trim()));
  return Object.fromEntries(Object.entries(o).filter(([k]) => want.has(k)));
}

type Predicate = (o: Record<string, unknown>) => boolean;

/** `a eq x and b gt 'y'`, `contains(f, x)`, `startswith(f, x)`; null when the syntax is not understood. */
export function parseFilter(filter: string | undefined, values: FakeDatevConnectOptions['filterValues'] = 'any'): Predicate | null {
  if (filter === undefined || filter.trim() === '') return () => true;
  const parts = filter.split(/\s+and\s+/i);
  const preds: Predicate[] = [];
  for (const p of parts) {
    const cmp = /^\s*(\w+)\s+(eq|gt|ge|lt|le)\s+(.+?)\s*$/i.exec(p);
    const fn = /^\s*(contains|startswith)\(\s*(\w+)\s*,\s*(.+?)\s*\)\s*$/i.exec(p);
    if (cmp) {
      const [, field, op, rawValue] = cmp;
      const value = unquote(rawValue!);
      if ((values === 'quoted' && value === rawValue) || (values === 'unquoted' && value !== rawValue)) return null;
      preds.push((o) => {
        const v = o[field!];
        if (typeof v !== 'string') return false;
        switch (op!.toLowerCase()) {
          case 'eq': return v === value;
          case 'gt': return v > value;
          case 'ge': return v >= value;
          case 'lt': return v < value;
          default: return v <= value;
        }
      });
    } else if (fn) {
      const [, f, field, rawValue] = fn;
      const value = unquote(rawValue!).toLowerCase();
      preds.push((o) => {
        const v = o[field!];
        return typeof v === 'string' && (f!.toLowerCase() === 'contains' ? v.toLowerCase().includes(value) : v.toLowerCase().startsWith(value));
      });
    } else return null;
  }
  return (o) => preds.every((p) => p(o));
}

function unquote(v: string): string {
  const m = /^'(.*)'$/.exec(v) ?? /^"(.*)"$/.exec(v);
  return m ? m[1]! : v;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
