/**
 * DatevDriver over the fake DATEV Arbeitsplatz exe (fakes/datev-exe) running in Wine: JSON lines on
 * its stdin, one JSON answer per line on its stdout. Dates travel as {"$date":[y,mo,d,h,mi,s,ms]} in
 * local time (Wine and this process share TZ).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { DATEV_FIELDS, type RawCallData } from '../../src/datev/callData';
import type { NotificationMethod } from '../../src/datev/port';
import { datevRuleViolations } from '../../contracts/datevRules';
import type { DatevDriver, RecordedNotification } from '../../contracts/harness';
import { ROOT } from './env';
import { dumpWineThreads } from './threadDump';

export const FAKE_DATEV_EXE = path.join(ROOT, 'build', 'fakes', 'datev-fake.exe');
export const FAKE_DATEV_BUILD = path.join(ROOT, 'fakes', 'datev-exe', 'build.sh');

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface FakeDatevOptions {
  /** Environment for wine (WINEPREFIX, DISPLAY, ...). */
  env: NodeJS.ProcessEnv;
  /** Skip registering DATEV's type library at start (default: register it). */
  noTypeLib?: boolean;
  /** Start without the notification object in the ROT (default: started). */
  stopped?: boolean;
  /** Declare IDatevCtiData dual in DATEV's type library and read notifications through its vtable. */
  dualData?: boolean;
  /** Bound of one command (default 20 s). */
  commandTimeoutMs?: number;
  /**
   * How Dial/Drop/GetCallData reach the program's CTI object: through the custom IDatevCtiControl /
   * IDatevCtiHistory vtables (default, as DATEV does) or late-bound through IDispatch
   * (GetIDsOfNames + Invoke, as a scripting client would). In dispatch mode `hresult` is Invoke's
   * (a failing method gives DISP_E_EXCEPTION; `lastException` has its EXCEPINFO).
   */
  via?: 'vtable' | 'dispatch';
  /**
   * The program under test is what notifies this DATEV: close() checks everything it received against
   * DATEV's rules (contracts/datevRules.ts) and throws with what breaks them. Off where a test itself
   * sends the notifications (the port contracts).
   */
  checkRules?: boolean;
}

/** EXCEPINFO of a DISP_E_EXCEPTION. */
export interface DispatchException {
  scode: number;
  wCode: number;
  source: string;
  description: string;
}

/** One argument of a late-bound call: the call-data object in one of its VARIANT forms, or a plain value. */
export type InvokeArg =
  | { callData: 'dispatch' | 'nullDispatch' | 'dispatchByRef' | 'variantByRef' | 'unknown' }
  | Json;

export interface InvokeRequest {
  /** Names for GetIDsOfNames; the first is the member. */
  names: string[];
  /** Invoke this DISPID even when GetIDsOfNames failed (or without asking it: names []). */
  dispid?: number;
  /** Arguments in call order. */
  args?: InvokeArg[];
  /** DISPIDs of named arguments (the first args). */
  named?: number[];
  /** wFlags (default DISPATCH_METHOD = 1). */
  flags?: number;
  /** Fields of the call-data object the args refer to. */
  data?: RawCallData;
}

export interface InvokeResult {
  /** The first failure on the way (GetActiveObject, QueryInterface, GetIDsOfNames), else Invoke's. */
  hresult: number;
  /** QueryInterface(IUnknown) of the IDispatch equals that of the object found in the ROT. */
  sameIdentity?: boolean;
  idsHresult?: number;
  dispids?: number[];
  argErr?: number;
  exception?: DispatchException;
  /** The call-data object after the call. */
  callId: string;
  data: RawCallData;
}

export interface FakeDatevReady {
  pid: number;
  typeLib: string;
  started: boolean;
  /** IIDs the fake keeps registered for its life (a Wine COM deadlock, fakes/datev-exe/main.cc InterfacePins). */
  pinnedInterfaces: number;
}

function encodeValue(v: unknown): Json {
  if (v instanceof Date) {
    return {
      $date: [v.getFullYear(), v.getMonth() + 1, v.getDate(), v.getHours(), v.getMinutes(), v.getSeconds(), v.getMilliseconds()],
    };
  }
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  throw new TypeError(`cannot send ${typeof v} to the fake DATEV`);
}

function encodeData(data: RawCallData): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const f of DATEV_FIELDS) {
    if (f in data && data[f] !== undefined) out[f] = encodeValue(data[f]);
  }
  return out;
}

function decodeValue(v: Json | undefined): RawCallData[keyof RawCallData] {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (v && typeof v === 'object' && !Array.isArray(v) && Array.isArray(v.$date)) {
    const [y, mo, d, h, mi, s, ms] = v.$date as number[];
    const date = new Date(y!, mo! - 1, d, h, mi, s, ms);
    if (y! < 100) date.setFullYear(y!);
    return date;
  }
  return undefined; // {$missing} or {$vt}
}

function decodeData(data: Json | undefined): RawCallData {
  const out: RawCallData = {};
  if (!data || typeof data !== 'object' || Array.isArray(data)) return out;
  for (const f of DATEV_FIELDS) {
    if (f in data) out[f] = decodeValue(data[f]);
  }
  return out;
}

function decodeException(e: Json | undefined): DispatchException | undefined {
  if (!e || typeof e !== 'object' || Array.isArray(e)) return undefined;
  return { scode: Number(e.scode), wCode: Number(e.wCode), source: String(e.source), description: String(e.description) };
}

export class FakeDatevProcess implements DatevDriver {
  readonly ready: Promise<FakeDatevReady>;
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, { resolve: (v: Record<string, Json>) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private buffer = '';
  private stderr = '';
  private exited = false;
  private readonly exit: Promise<void>;
  private readonly timeoutMs: number;
  private readonly via: 'vtable' | 'dispatch';
  private readonly checkRules: boolean;
  private readonly env: NodeJS.ProcessEnv;
  /** Where the threads were dumped at the first command that got no answer. */
  private threadDump: string | undefined;
  /** EXCEPINFO of the last dial/drop/getCallData that failed with DISP_E_EXCEPTION (dispatch mode). */
  lastException: DispatchException | undefined;

  constructor(opts: FakeDatevOptions, exe: string = FAKE_DATEV_EXE) {
    this.timeoutMs = opts.commandTimeoutMs ?? 20000;
    this.via = opts.via ?? 'vtable';
    this.checkRules = opts.checkRules ?? false;
    this.env = opts.env;
    const args = [exe];
    if (opts.noTypeLib) args.push('--no-typelib');
    if (opts.stopped) args.push('--stopped');
    if (opts.dualData) args.push('--dual-data');
    this.child = spawn('wine', args, { env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let onReady!: (r: FakeDatevReady) => void;
    let onReadyFail!: (e: Error) => void;
    this.ready = new Promise<FakeDatevReady>((res, rej) => {
      onReady = res;
      onReadyFail = rej;
    });
    void this.ready.catch(() => undefined); // failures surface through command()
    const readyTimer = setTimeout(() => onReadyFail(new Error(`fake DATEV did not start: ${this.stderr}`)), 30000);
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (!line) continue;
        let msg: Record<string, Json>;
        try {
          msg = JSON.parse(line) as Record<string, Json>;
        } catch {
          continue;
        }
        if (msg.event === 'ready') {
          clearTimeout(readyTimer);
          onReady({ pid: msg.pid as number, typeLib: String(msg.typeLib), started: msg.started === true, pinnedInterfaces: Number(msg.pinnedInterfaces ?? 0) });
          continue;
        }
        const id = typeof msg.id === 'number' ? msg.id : -1;
        const p = this.pending.get(id);
        if (!p) continue;
        this.pending.delete(id);
        if (msg.ok === true) p.resolve(msg);
        else p.reject(new Error(`fake DATEV: ${String(msg.error)}`));
      }
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    this.exit = new Promise<void>((resolve) => {
      const done = (): void => {
        this.exited = true;
        clearTimeout(readyTimer);
        onReadyFail(new Error(`fake DATEV exited: ${this.stderr}`));
        for (const p of this.pending.values()) p.reject(new Error(`fake DATEV exited: ${this.stderr}`));
        this.pending.clear();
        resolve();
      };
      this.child.on('exit', done);
      this.child.on('error', done);
    });
  }

  /** Sends one command and waits for its answer. */
  async command(cmd: string, args: Record<string, Json> = {}): Promise<Record<string, Json>> {
    await this.ready;
    if (this.exited) throw new Error('fake DATEV is not running');
    const id = this.nextId++;
    return new Promise<Record<string, Json>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        // the first time: what every thread of the Wine session waits in (test/wine/threadDump.ts)
        this.threadDump ??= dumpWineThreads(this.env, `fake-datev-${cmd}`);
        reject(new Error(`fake DATEV: no answer to ${cmd} within ${this.timeoutMs} ms (threads: ${this.threadDump})`));
      }, this.timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.stdin!.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
    });
  }

  async start(): Promise<void> {
    await this.command('start');
  }

  async stop(): Promise<void> {
    await this.command('stop');
  }

  async isCtiRegistered(): Promise<boolean> {
    return (await this.command('ctiRegistered')).registered === true;
  }

  /** dial/drop/getCallData through the configured interface; remembers a DISP_E_EXCEPTION's EXCEPINFO. */
  private async callCti(cmd: 'dial' | 'drop' | 'getCallData', args: Record<string, Json>): Promise<Record<string, Json>> {
    const r = await this.command(cmd, { ...args, via: this.via });
    this.lastException = decodeException(r.exception);
    return r;
  }

  async dial(data: RawCallData): Promise<{ hresult: number; callId: string }> {
    const r = await this.callCti('dial', { data: encodeData(data) });
    return { hresult: r.hresult as number, callId: String(r.callId) };
  }

  /** Dial with a null IDispatch pointer instead of a call data object. */
  async dialNullObject(): Promise<{ hresult: number }> {
    const r = await this.callCti('dial', { nullObject: true });
    return { hresult: r.hresult as number };
  }

  async drop(data: RawCallData): Promise<{ hresult: number }> {
    const r = await this.callCti('drop', { data: encodeData(data) });
    return { hresult: r.hresult as number };
  }

  async getCallData(callId: string): Promise<{ hresult: number; data: RawCallData }> {
    const r = await this.callCti('getCallData', { callId });
    return { hresult: r.hresult as number, data: decodeData(r.data) };
  }

  /** Any late-bound call on the program's CTI object (GetActiveObject → IDispatch → GetIDsOfNames → Invoke). */
  async invoke(req: InvokeRequest): Promise<InvokeResult> {
    const args: Record<string, Json> = { names: req.names, args: (req.args ?? []) as Json[] };
    if (req.dispid !== undefined) args.dispid = req.dispid;
    if (req.named) args.named = req.named;
    if (req.flags !== undefined) args.flags = req.flags;
    if (req.data) args.data = encodeData(req.data);
    const r = await this.command('invoke', args);
    const out: InvokeResult = { hresult: r.hresult as number, callId: String(r.callId), data: decodeData(r.data) };
    if (typeof r.sameIdentity === 'boolean') out.sameIdentity = r.sameIdentity;
    if (typeof r.idsHresult === 'number') out.idsHresult = r.idsHresult;
    if (Array.isArray(r.dispids)) out.dispids = r.dispids as number[];
    if (typeof r.argErr === 'number') out.argErr = r.argErr;
    const exception = decodeException(r.exception);
    if (exception) out.exception = exception;
    return out;
  }

  /** Every notification DATEV received, or those after the first `from`. */
  async notifications(from = 0): Promise<RecordedNotification[]> {
    const r = await this.command('notifications', from > 0 ? { from } : {});
    const list = Array.isArray(r.notifications) ? r.notifications : [];
    return list.map((n) => {
      const e = n as { method: NotificationMethod; data: Json; object?: Json; instance?: Json; wroteSyncId?: Json };
      return {
        method: e.method,
        data: decodeData(e.data),
        ...(typeof e.object === 'number' ? { object: e.object } : {}),
        ...(typeof e.instance === 'number' ? { instance: e.instance } : {}),
        ...(typeof e.wroteSyncId === 'string' ? { wroteSyncId: e.wroteSyncId } : {}),
      };
    });
  }

  async restartDuringNextNotification(): Promise<void> {
    await this.command('restartInNext');
  }

  async hangNotifications(ms: number, count: number): Promise<void> {
    await this.command('hang', { ms, count });
  }

  async rejectNotifications(count: number): Promise<void> {
    await this.command('reject', { count });
  }

  /** How many notification calls DATEV's message filter rejected so far. */
  async rejectedSoFar(): Promise<number> {
    return (await this.command('reject', { count: 0 })).rejected as number;
  }

  async reread(): Promise<{ object: number; callId: string; readable: boolean }[]> {
    const r = await this.command('reread');
    const list = Array.isArray(r.objects) ? r.objects : [];
    return list.map((o) => {
      const e = o as { object: number; callId: string; hresult: number; readCallId: string };
      return { object: e.object, callId: e.callId, readable: e.hresult === 0 && e.readCallId === e.callId };
    });
  }

  /** DATEV lets go of the call-data objects it kept and forgets its list of notifications. */
  async forget(): Promise<void> {
    await this.command('forget');
  }

  /** During the next notification DATEV writes `syncId` into the call's data object, then reads it. */
  async writeSyncIdDuringNextNotification(syncId: string): Promise<void> {
    await this.command('writeSyncId', { syncId });
  }

  async failNextNotification(hresult: number): Promise<void> {
    await this.command('failNext', { hresult: hresult >>> 0 });
  }

  /** The next notification blocks DATEV's thread for `ms` (a hung DATEV) before it is handled. */
  async hangNextNotification(ms: number): Promise<void> {
    await this.command('hangNext', { ms });
  }

  /** Removes DATEV's and the CTI program's type-library registrations (a machine without them). */
  async unregisterTypeLibs(): Promise<void> {
    await this.command('unregisterTypeLibs');
  }

  /** Hard-kills a Windows process (TerminateProcess), e.g. the CTI program. */
  async kill(windowsPid: number): Promise<void> {
    await this.command('kill', { pid: windowsPid });
  }

  /** Ends the fake (its ROT entry goes with it); kills it when it does not exit in time. */
  /** Ends the fake DATEV; with `checkRules`, then throws when what it received breaks DATEV's rules. */
  async close(): Promise<void> {
    if (this.exited) return;
    const broken = this.checkRules ? await this.notifications().then(datevRuleViolations, () => []) : [];
    this.child.stdin!.end();
    const exited = await Promise.race([this.exit.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
    if (!exited) this.child.kill('SIGKILL');
    if (broken.length > 0) throw new Error(`what the fake DATEV received breaks DATEV's rules:\n  ${broken.join('\n  ')}`);
  }
}
