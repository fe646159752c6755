import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BasicAuthProvider, noAuth } from '../../src/contacts/datevconnect/auth';
import { authSchemes, DatevConnectClient, MASTER_DATA_PATH, quoteFilterValues } from '../../src/contacts/datevconnect/client';
import { DatevConnectError, parseErrorBody, supportText } from '../../src/contacts/datevconnect/errors';
import { NodeHttpTransport } from '../../src/contacts/datevconnect/http';
import { fixedDataset } from '../../fakes/datevconnect/data';
import { FakeDatevConnect } from '../../fakes/datevconnect/server';

const ID1 = 'a0000000-0000-4000-8000-000000000001';

describe('DatevConnectClient against the fake server', () => {
  let fake: FakeDatevConnect;
  let transport: NodeHttpTransport;
  let client: DatevConnectClient;

  beforeEach(async () => {
    fake = new FakeDatevConnect(fixedDataset(), { auth: { mode: 'basic', user: 'cti', password: 'Pa:ss wört' } });
    const url = await fake.start();
    transport = new NodeHttpTransport(4);
    client = new DatevConnectClient({ baseUrl: url + '/', transport, auth: new BasicAuthProvider('cti', async () => 'Pa:ss wört'), timeoutMs: 500 });
  });
  afterEach(async () => {
    transport.close();
    await fake.stop();
  });

  async function failure(p: Promise<unknown>): Promise<DatevConnectError> {
    try {
      await p;
    } catch (e) {
      expect(e).toBeInstanceOf(DatevConnectError);
      return e as DatevConnectError;
    }
    throw new Error('expected a DatevConnectError');
  }

  it('lists addressees with top-level fields only and sends Accept and Basic auth', async () => {
    const list = await client.listAddressees();
    expect(list).toHaveLength(8);
    expect(list[0]).not.toHaveProperty('communications');
    const req = fake.requests()[0]!;
    expect(req.path).toBe(`${MASTER_DATA_PATH}/addressees`);
    expect(req.headers.accept).toBe('application/json; charset=utf-8');
    expect(req.headers.authorization).toBe('Basic ' + Buffer.from('cti:Pa:ss wört').toString('base64'));
  });

  it('reads one addressee with its communications and the deletion log with a filter', async () => {
    const a = await client.getAddressee(ID1);
    expect(a?.current_company_name).toBe('Muster Steuer GmbH');
    expect(Array.isArray(a?.communications)).toBe(true);
    expect(fake.requests().at(-1)!.query).toEqual({ expand: 'communications' });
    fake.remove(ID1);
    const log = await client.deletionLog('timestamp ge 2000-01-01T00:00:00.000');
    expect(log.map((d) => d.id)).toEqual([ID1]);
    expect(fake.requests().at(-1)!.query.filter).toBe('timestamp ge 2000-01-01T00:00:00.000');
    expect(await client.getAddressee(ID1)).toBeNull();
  });

  it('401: typed error with the offered schemes', async () => {
    const bad = new DatevConnectClient({ baseUrl: fake.url, transport, auth: new BasicAuthProvider('cti', async () => 'falsch'), timeoutMs: 500 });
    const e = await failure(bad.listAddressees());
    expect(e.kind).toBe('unauthorized');
    expect(e.details.authSchemes).toEqual(['Negotiate', 'NTLM', 'Basic']);
    expect(e.support.de).toContain('401');
    const none = new DatevConnectClient({ baseUrl: fake.url, transport, auth: noAuth, timeoutMs: 500 });
    expect((await failure(none.listAddressees())).kind).toBe('unauthorized');
  });

  it('403 with a DATEV code and 403 with an empty body are told apart', async () => {
    fake.inject({ kind: 'status', status: 403, body: { error: 'DCO10400', error_description: 'Keine Berechtigung' } });
    const coded = await failure(client.listAddressees());
    expect(coded).toMatchObject({ kind: 'forbidden', details: { httpStatus: 403, code: 'DCO10400' } });
    expect(coded.support.de).toContain('DCO10400');
    fake.inject({ kind: 'forbiddenEmpty' });
    const empty = await failure(client.listAddressees());
    expect(empty.kind).toBe('forbidden');
    expect(empty.details.code).toBeUndefined();
    expect(empty.support.en).toContain('http.sys');
  });

  it('404 (domain missing), 406, 400, 500, XML and malformed JSON are typed errors', async () => {
    fake.opts.masterData = false;
    const nf = await failure(client.listAddressees());
    expect(nf).toMatchObject({ kind: 'notFound', details: { httpStatus: 404 } });
    expect(nf.details.description).toContain("Domäne 'master-data' mit der Version 'v1'");
    fake.opts.masterData = true;
    fake.inject({ kind: 'status', status: 406, body: { error: 'not_acceptable' } });
    expect((await failure(client.listAddressees())).kind).toBe('notAcceptable');
    fake.inject({ kind: 'status', status: 409, body: { error: 'conflict' } });
    expect((await failure(client.listAddressees())).kind).toBe('badRequest');
    fake.inject({ kind: 'status', status: 500, body: { error: 'DCO00500', error_description: 'Interner Fehler' } });
    expect(await failure(client.listAddressees())).toMatchObject({ kind: 'server', details: { httpStatus: 500, code: 'DCO00500' } });
    fake.inject({ kind: 'status', status: 503 });
    expect((await failure(client.listAddressees())).kind).toBe('server');
    fake.inject({ kind: 'xml' });
    expect((await failure(client.listAddressees())).kind).toBe('notAcceptable');
    fake.inject({ kind: 'malformed' });
    expect((await failure(client.listAddressees())).kind).toBe('malformed');
    fake.inject({ kind: 'status', status: 200, body: { not: 'an array' } });
    expect((await failure(client.listAddressees())).kind).toBe('malformed');
    fake.inject({ kind: 'status', status: 200, body: [1, 2] }, '/addressees/');
    expect((await failure(client.getAddressee(ID1))).kind).toBe('malformed');
    expect((await failure(client.getAddressee('kein-guid'))).kind).toBe('badRequest');
  });

  it('timeouts, resets, truncated bodies and a stopped service are network/timeout errors', async () => {
    fake.inject({ kind: 'hang' });
    expect((await failure(client.listAddressees())).kind).toBe('timeout');
    fake.inject({ kind: 'delay', ms: 700 });
    expect((await failure(client.listAddressees())).kind).toBe('timeout');
    fake.inject({ kind: 'reset' });
    expect((await failure(client.listAddressees())).kind).toBe('network');
    fake.inject({ kind: 'truncated' });
    expect(['network', 'malformed']).toContain((await failure(client.listAddressees())).kind);
    const url = fake.url;
    await fake.stop();
    const gone = new DatevConnectClient({ baseUrl: url, transport, auth: noAuth, timeoutMs: 500 });
    expect((await failure(gone.listAddressees())).kind).toBe('network');
  });

  it('filters: a server that takes only quoted values gets them quoted after its first 400, from then on; select stays; one that takes them as written gets them as written', async () => {
    const quoted = new FakeDatevConnect(fixedDataset(), { filterValues: 'quoted' });
    const plain = new FakeDatevConnect(fixedDataset(), { filterValues: 'unquoted' });
    try {
      for (const [server, wantQuoted] of [[quoted, true], [plain, false]] as const) {
        const c = new DatevConnectClient({ baseUrl: await server.start(), transport, auth: noAuth, timeoutMs: 2000 });
        const since = 'timestamp ge 2024-01-01T00:00:00.000';
        expect((await c.listAddresseeStamps(since)).length).toBeGreaterThan(0);
        expect(await c.deletionLog(since)).toEqual([]);
        expect((await c.listAddressees(since)).length).toBeGreaterThan(0);
        expect(c.filterQuoted).toBe(wantQuoted);
        const lists = server.requests().filter((r) => r.path.endsWith('/addressees') && r.query.filter);
        // (the last list asked for with select: the 400 was the filter's, not select's)
        expect(lists.at(-2)).toMatchObject({ query: { select: 'id,timestamp', filter: wantQuoted ? "timestamp ge '2024-01-01T00:00:00.000'" : since } });
        expect(server.requests().filter((r) => r.path.endsWith('/deletion-log')).map((r) => r.query.filter)).toEqual([wantQuoted ? "timestamp ge '2024-01-01T00:00:00.000'" : since]);
      }
    } finally {
      await quoted.stop();
      await plain.stop();
    }
    expect(quoteFilterValues('timestamp ge 2024-01-01T00:00:00.000 and status eq active')).toBe("timestamp ge '2024-01-01T00:00:00.000' and status eq 'active'");
    expect(quoteFilterValues("status eq 'active'")).toBe("status eq 'active'");
  });

  it('DATEV\'s further messages and its request id are in the error\'s text (the log\'s detail)', async () => {
    fake.inject({ kind: 'status', status: 403, body: { error: 'DCO10400', error_description: 'Kein Zugriff', request_id: 'r-7', additional_messages: [{ id: 'x', description: 'Recht fehlt', severity: 'error' }] } });
    const e = await failure(client.listAddressees());
    expect(e).toMatchObject({ kind: 'forbidden', details: { code: 'DCO10400' } });
    expect(e.message).toBe('HTTP 403 DCO10400: Kein Zugriff (Recht fehlt) [request_id r-7]');
  });

  it('a list (all addressees, the deletion log) has its own, longer bound than one addressee: it comes whole in one response', async () => {
    const lists = new DatevConnectClient({ baseUrl: fake.url, transport, auth: new BasicAuthProvider('cti', async () => 'Pa:ss wört'), timeoutMs: 300, listTimeoutMs: 5000 });
    fake.inject({ kind: 'delay', ms: 700 });
    expect(Array.isArray(await lists.listAddressees())).toBe(true);
    fake.inject({ kind: 'delay', ms: 700 });
    expect((await lists.listAddresseeStamps()).length).toBeGreaterThan(0);
    fake.inject({ kind: 'delay', ms: 700 });
    expect(Array.isArray(await lists.deletionLog())).toBe(true);
    fake.inject({ kind: 'delay', ms: 700 });
    expect((await failure(lists.getAddressee(ID1))).kind).toBe('timeout');
  });

  it('the fake answers 406 without the JSON Accept header (or XML when configured)', async () => {
    const res = await fetch(`${fake.url}${MASTER_DATA_PATH}/addressees`, { headers: { Authorization: 'Basic ' + Buffer.from('cti:Pa:ss wört').toString('base64'), Accept: 'text/html' } });
    expect(res.status).toBe(406);
    fake.opts.withoutAccept = 'xml';
    const xml = await fetch(`${fake.url}${MASTER_DATA_PATH}/addressees`, { headers: { Authorization: 'Basic ' + Buffer.from('cti:Pa:ss wört').toString('base64'), Accept: 'text/html' } });
    expect(xml.headers.get('content-type')).toContain('xml');
  });
});

describe('client helpers', () => {
  it('rejects bad base URLs with a clear error', () => {
    const t = new NodeHttpTransport();
    expect(() => new DatevConnectClient({ baseUrl: 'localhost:58454', transport: t, auth: noAuth, timeoutMs: 1 })).toThrow(/http/);
    expect(() => new DatevConnectClient({ baseUrl: 'nix', transport: t, auth: noAuth, timeoutMs: 1 })).toThrow(/not a URL/);
    expect(() => new DatevConnectClient({ baseUrl: 'ftp://x', transport: t, auth: noAuth, timeoutMs: 1 })).toThrow(/http\(s\)/);
  });

  it('parses WWW-Authenticate and error bodies leniently', () => {
    expect(authSchemes(['Negotiate', 'NTLM', 'Basic realm="x"'])).toEqual(['Negotiate', 'NTLM', 'Basic']);
    expect(authSchemes(undefined)).toEqual([]);
    expect(parseErrorBody('')).toEqual({});
    expect(parseErrorBody('null')).toEqual({});
    expect(parseErrorBody('{"error":"X","error_description":"Y"}')).toEqual({ code: 'X', description: 'Y' });
    const full = {
      error: 'DCO10400',
      error_description: 'Keine Berechtigung',
      request_id: 'r-42',
      additional_messages: [
        { id: '1', description: 'Hinweis', severity: 'information' },
        { id: '2', description: 'Recht „Stammdaten lesen“ fehlt', severity: 'error' },
        { id: '3', severity: 'warning' },
      ],
    };
    expect(parseErrorBody(JSON.stringify(full))).toEqual({ code: 'DCO10400', description: 'Keine Berechtigung', requestId: 'r-42', more: ['Recht „Stammdaten lesen“ fehlt', 'Hinweis'] });
  });

  it('has a German and an English support text for every kind', () => {
    const kinds = ['unauthorized', 'forbidden', 'notFound', 'notAcceptable', 'badRequest', 'server', 'timeout', 'network', 'malformed', 'authUnavailable'] as const;
    for (const k of kinds) {
      const t = supportText(new DatevConnectError(k, 'x'));
      expect(t.de.length).toBeGreaterThan(20);
      expect(t.en.length).toBeGreaterThan(20);
    }
  });

  it('Basic auth never exposes the password in JSON or its description', async () => {
    const a = new BasicAuthProvider('cti', async () => 'streng-geheim');
    expect(JSON.stringify(a)).not.toContain('streng-geheim');
    expect(a.description).toBe('Basic (cti)');
    expect(() => new BasicAuthProvider('', async () => '')).toThrow(TypeError);
    expect(() => new BasicAuthProvider('a:b', async () => '')).toThrow(TypeError);
  });
});
