/**
 * PbxDriver over the fake tapi32.dll (fakes/tapi32): a loopback TCP server the DLL connects to when
 * the program calls lineInitializeExW (env FAKE_TAPI_PORT). Commands are TAB-separated lines, the DLL
 * answers each with an "ack" and streams its JSON-lines log (every TAPI request and queued message).
 *
 *   const server = await FakeTapiServer.start();          // once per test file; env: server.port
 *                                                          // (also puts the fake into the prefix's System32)
 *   const pbx = server.session();                          // per test: gets the next DLL connection
 *   await pbx.addLine('Wildix 201', '201');                // before the port's initialize()
 *   ...; await pbx.dispose();                              // "bye": the DLL disconnects
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { PbxDriver, RecordedTapiRequest } from '../../contracts/harness';
import { LINECONNECTEDMODE, lineErrName } from '../../src/telephony/tapiConstants';
import { paths, ROOT } from './env';

/** Built by `npm run build:native` (fakes/tapi32/CMakeLists.txt) or fakes/tapi32/build.sh. */
export const FAKE_TAPI_DIR = path.join(ROOT, 'build', 'Release', 'faketapi');
export const FAKE_TAPI_DLL = path.join(FAKE_TAPI_DIR, 'tapi32.dll');
export const FAKE_TAPI_BUILD = path.join(ROOT, 'fakes', 'tapi32', 'build.sh');

/** Where the product looks for tapi32.dll: System32 only (LOAD_LIBRARY_SEARCH_SYSTEM32, native/tapi). */
export const PREFIX_TAPI_DLL = path.join(paths.prefix, 'drive_c', 'windows', 'system32', 'tapi32.dll');

/**
 * Puts the fake tapi32.dll where Windows looks for it: the Wine prefix's System32 (64-bit). Wine uses
 * its own builtin stub unless a process runs with WINEDLLOVERRIDES=tapi32=n, so only the processes a
 * test starts that way get the fake; the product has no way to load another DLL.
 */
export function installFakeTapi32(): void {
  if (!fs.existsSync(FAKE_TAPI_DLL)) throw new Error(`${FAKE_TAPI_DLL} missing: run npm run build:native (or ${FAKE_TAPI_BUILD})`);
  const fake = fs.readFileSync(FAKE_TAPI_DLL);
  if (fs.existsSync(PREFIX_TAPI_DLL) && fs.readFileSync(PREFIX_TAPI_DLL).equals(fake)) return;
  const tmp = `${PREFIX_TAPI_DLL}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, fake);
  fs.renameSync(tmp, PREFIX_TAPI_DLL);
}

/** One line of the DLL's log. */
export interface FakeTapiLogEvent {
  ev: string;
  t: number;
  [key: string]: unknown;
}

interface Ack extends FakeTapiLogEvent {
  cmd: string;
  error: string | null;
  call?: number;
  dev?: number;
}

export class FakeTapiServer {
  private readonly sessions: FakeTapiPbx[] = [];

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {
    server.on('connection', (socket) => {
      const next = this.sessions.find((s) => s.waitingForConnection());
      if (next) next.attach(socket);
      else socket.destroy(); // nobody expects a DLL now
    });
  }

  static async start(): Promise<FakeTapiServer> {
    installFakeTapi32();
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new FakeTapiServer(server, (server.address() as net.AddressInfo).port);
  }

  /** A driver that takes the next connection of the DLL (the next lineInitializeExW). */
  session(): FakeTapiPbx {
    const s = new FakeTapiPbx(() => this.sessions.splice(this.sessions.indexOf(s), 1));
    this.sessions.push(s);
    return s;
  }

  async close(): Promise<void> {
    await Promise.all([...this.sessions].map((s) => s.dispose()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export class FakeTapiPbx implements PbxDriver {
  /** Everything the DLL logged in this session, in order. */
  readonly log: FakeTapiLogEvent[] = [];
  private socket: net.Socket | undefined;
  private disposed = false;
  private connected = false;
  private readonly pendingLines: string[][] = [];
  private readonly acks: { resolve(a: Ack): void; reject(e: Error): void; cmd: string }[] = [];
  private waiters: { pred: (e: FakeTapiLogEvent) => boolean; resolve(e: FakeTapiLogEvent): void }[] = [];
  private pings = 0;

  constructor(private readonly onDispose: () => void) {}

  waitingForConnection(): boolean {
    return !this.disposed && this.socket === undefined;
  }

  attach(socket: net.Socket): void {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    let buffer = '';
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line) this.onLine(line);
      }
    });
    const closed = (): void => {
      this.connected = false;
      for (const a of this.acks.splice(0)) a.reject(new Error(`fake tapi32.dll disconnected before acking "${a.cmd}"`));
    };
    socket.on('close', closed);
    socket.on('error', closed);
  }

  private onLine(line: string): void {
    let ev: FakeTapiLogEvent;
    try {
      ev = JSON.parse(line) as FakeTapiLogEvent;
    } catch {
      ev = { ev: 'unparsable', t: -1, line };
    }
    this.log.push(ev);
    if (ev.ev === 'hello') void this.greet();
    if (ev.ev === 'ack') this.acks.shift()?.resolve(ev as Ack);
    this.waiters = this.waiters.filter((w) => {
      if (!w.pred(ev)) return true;
      w.resolve(ev);
      return false;
    });
  }

  /** The DLL said hello: declare the lines, then "ready" (lineInitializeExW waits for it). */
  private async greet(): Promise<void> {
    this.connected = true;
    try {
      for (const fields of this.pendingLines.splice(0)) await this.command(...fields);
      await this.command('ready');
    } catch {
      // the connection dropped; pending commands were rejected already
    }
  }

  /** Sends one command and resolves with its ack; rejects when the DLL reports an error. */
  async command(...fields: string[]): Promise<Ack> {
    const socket = this.socket;
    if (!socket || !this.connected) {
      throw new Error(`fake tapi32.dll is not connected (the program has not called lineInitializeExW): ${fields[0]}`);
    }
    if (fields.some((f) => /[\t\n\r]/.test(f))) throw new Error(`script field with TAB/newline: ${JSON.stringify(fields)}`);
    const ack = await new Promise<Ack>((resolve, reject) => {
      this.acks.push({ resolve, reject, cmd: fields[0]! });
      socket.write(`${fields.join('\t')}\n`);
    });
    if (ack.error) throw new Error(`fake tapi32.dll rejected "${fields.join(' ')}": ${ack.error}`);
    return ack;
  }

  /** Waits for a log event (already logged ones count). */
  waitFor(pred: (e: FakeTapiLogEvent) => boolean, ms = 5000): Promise<FakeTapiLogEvent> {
    const found = this.log.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fake tapi32.dll did not log the expected event within ${ms} ms`)), ms);
      this.waiters.push({ pred, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  }

  /** Round trip over the DLL's own channel: every log line sent before now has arrived afterwards. */
  async sync(): Promise<void> {
    if (!this.connected) return;
    const token = `sync-${++this.pings}`;
    await this.command('ping', token);
  }

  async addLine(name: string, address: string, provider?: string): Promise<void> {
    const fields = ['line', name, address, '', provider ?? 'Wildix TAPI Service Provider (fake)'];
    if (this.connected) await this.command(...fields); // after initialize: LINE_CREATE
    else this.pendingLines.push(fields);
  }

  async incoming(address: string, caller: string, name?: string, internal?: boolean): Promise<number> {
    const ack = await this.command('incoming', address, caller, name ?? '', internal ? 'internal' : 'external');
    return ack.call!;
  }

  async transferredIn(address: string, caller: string): Promise<number> {
    const ack = await this.command('incoming', address, caller, '', 'internal', 'transfer');
    return ack.call!;
  }

  async ringback(callId: number): Promise<void> {
    await this.command('ringback', String(callId));
  }

  async answer(callId: number): Promise<void> {
    await this.command('answer', String(callId));
  }

  async answerElsewhere(callId: number): Promise<void> {
    await this.command('state', String(callId), 'CONNECTED', String(LINECONNECTEDMODE.INACTIVE));
  }

  async busy(callId: number): Promise<void> {
    await this.command('busy', String(callId));
  }

  async hangup(callId: number, mode?: string): Promise<void> {
    await this.command('hangup', String(callId), mode ?? 'NORMAL');
  }

  async callerId(callId: number, number: string, name?: string): Promise<void> {
    await this.command('callerid', String(callId), number, name ?? '');
  }

  async redirectingId(callId: number, number: string, name?: string): Promise<void> {
    await this.command('redirectingid', String(callId), number, name ?? '');
  }

  async failNext(fn: string, how: 'sync' | 'async', code: number): Promise<void> {
    const name = lineErrName(code);
    await this.command('fail', fn, how, name.startsWith('LINEERR_') ? name : String(code >>> 0));
  }

  async closeLine(address: string): Promise<void> {
    await this.command('close_line', address);
  }

  /** Every TAPI function the program called (lineGetMessage polls left out), with its return value. */
  async requests(): Promise<RecordedTapiRequest[]> {
    await this.sync();
    return this.log
      .filter((e) => e.ev === 'api' && e.fn !== 'lineGetMessage')
      .map((e) => {
        const r: RecordedTapiRequest = { fn: String(e.fn), result: Number(e.rc) >>> 0 };
        if (typeof e.dest === 'string') r.dest = e.dest;
        if (typeof e.call === 'number' && e.call > 0) r.callId = e.call;
        return r;
      });
  }

  async lastCallId(): Promise<number> {
    await this.sync();
    const created = this.log.filter((e) => e.ev === 'call_created');
    if (created.length === 0) throw new Error('the fake tapi32.dll has no call yet');
    return Number(created[created.length - 1]!.call);
  }

  /** Ends the session: "bye" makes the DLL disconnect, so the next lineInitializeExW starts afresh. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.onDispose();
    const socket = this.socket;
    if (!socket) return;
    if (this.connected) await this.command('bye').catch(() => undefined);
    socket.destroy();
  }
}
