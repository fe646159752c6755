/**
 * Linux side of the port host: starts `wine node.exe portHost.js --port N` (inside the virtual
 * desktop), accepts its connection and hands out typed proxies of the ports it serves.
 *
 *   const host = await connectHost({ display: inject('display') });
 *   const dialogs = host.remoteDialogPort();   // DialogPort + dispose()
 *   ...
 *   await host.close();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type {
  DatevHealth,
  DatevPort,
  DatevRequestHandlers,
  Delivery,
  DialAnswer,
  DialContext,
  NotificationMethod,
  NotifyOptions,
  SelfCheckResult,
} from '../../src/datev/port';
import type { DatevCallData } from '../../src/datev/callData';
import type { DialogPort, DialogResult, DialogSpec } from '../../src/dialogs/port';
import type {
  CallListAction,
  CallListPort,
  CallListRow,
  CallListSpec,
  ContactChoice,
  ContactChooserPort,
  ContactChooserSpec,
  NoteResult,
  NoteWindowPort,
  NoteWindowSpec,
} from '../../src/journal/windows';
import type { CallInfo, LineInfo, TelephonyListener, TelephonyPort } from '../../src/telephony/port';
import type { CallStateName } from '../../src/telephony/tapiConstants';
import { PortClient, type HelloInfo } from '../../src/native/host/client';
import { coverageEnv, paths, VIRTUAL_DESKTOP, wineEnv, winPath } from './env';

export interface HostOptions {
  /** X display (from inject('display')). */
  display: string;
  /** Extra environment for the host, e.g. FAKE_TAPI_PORT. */
  env?: Record<string, string>;
  /** WINEDLLOVERRIDES, e.g. "tapi32=n" to load a fake tapi32.dll from the exe's folder. */
  dllOverrides?: string;
  /** Alternative host exe (e.g. a renamed copy cti.exe). Default: paths.nodeExe. */
  nodeExe?: string;
  /** Name of the log file under .cache/logs/ (default host-<time>.log). */
  logName?: string;
  connectTimeoutMs?: number;
  callTimeoutMs?: number;
}

export type Remote<P> = P & { dispose(): Promise<void> };

export type DatevPortKind = 'datev' | 'datevBounded' | 'datevLookAhead' | 'datevNoLookAhead' | 'datevTwoThreads';

export interface RemoteJournalWindows {
  notes: NoteWindowPort;
  list: CallListPort;
  chooser: ContactChooserPort;
  /** What the program last gave the call list (rows of show/update; undefined after close), as a tester's notes. */
  shownRows(): CallListRow[] | undefined;
  dispose(): Promise<void>;
}

export interface RemoteHost {
  readonly hello: HelloInfo;
  readonly logFile: string;
  readonly client: PortClient;
  remoteDialogPort(): Remote<DialogPort>;
  /**
   * 'datevBounded': the adapter with the short bounds of BOUNDED_DATEV; 'datevLookAhead' / 'datevNoLookAhead':
   * the lookup ahead with a 5 s window / off (src/native/host/ports.ts).
   */
  remoteDatevPort(kind?: DatevPortKind): Remote<DatevPort>;
  /** Blocks the host's JavaScript thread for `ms` (a busy program); resolves once the block has begun. */
  blockHostSoon(ms: number): Promise<void>;
  /** Resolves when the host's JavaScript thread handled this call (after a block: when it is free again). */
  pingHost(): Promise<void>;
  remoteTelephonyPort(): Remote<TelephonyPort>;
  /** The journal's windows (note, call list, contact chooser) over native/ui, as one hosted port. */
  remoteJournalWindows(): RemoteJournalWindows;
  /** Ends the connection (the host exits and disposes its ports) and kills what is left. */
  close(): Promise<void>;
}

function tail(file: string, bytes = 4000): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.slice(-bytes);
  } catch {
    return '(no log)';
  }
}

export async function connectHost(opts: HostOptions): Promise<RemoteHost> {
  fs.mkdirSync(paths.logs, { recursive: true });
  const logFile = path.join(paths.logs, opts.logName ?? `host-${Date.now()}.log`);
  const logFd = fs.openSync(logFile, 'w');
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  // the host runs build/js: its coverage counts (a clean exit writes it, see close())
  const extra: Record<string, string> = { ...coverageEnv(), ...(opts.env ?? {}) };
  if (opts.dllOverrides) extra.WINEDLLOVERRIDES = opts.dllOverrides;
  const nodeExe = opts.nodeExe ?? paths.nodeExe;
  // node.exe cannot write to a Unix pipe (EBADF), so its output goes to the log file.
  const child: ChildProcess = spawn(
    'wine',
    ['explorer', `/desktop=${VIRTUAL_DESKTOP}`, nodeExe, winPath(paths.portHostJs), '--port', String(port)],
    { env: wineEnv(opts.display, extra), stdio: ['ignore', logFd, logFd], detached: true },
  );
  fs.closeSync(logFd);
  let childExited = false;
  const childExit = new Promise<void>((resolve) => {
    child.on('exit', () => {
      childExited = true;
      resolve();
    });
    child.on('error', () => {
      childExited = true;
      resolve();
    });
  });

  const timeoutMs = opts.connectTimeoutMs ?? 30000;
  let socket: net.Socket;
  try {
    socket = await new Promise<net.Socket>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`port host did not connect within ${timeoutMs} ms; log ${logFile}:\n${tail(logFile)}`)),
        timeoutMs,
      );
      server.once('connection', (s) => {
        clearTimeout(timer);
        resolve(s);
      });
      void childExit.then(() => {
        clearTimeout(timer);
        reject(new Error(`port host exited before connecting; log ${logFile}:\n${tail(logFile)}`));
      });
    });
  } catch (err) {
    server.close();
    killGroup(child);
    throw err;
  }
  server.close(); // one host, one connection
  socket.setNoDelay(true);
  const client = new PortClient(socket, opts.callTimeoutMs ?? 30000);
  const hello = await client.hello;

  let nextInstance = 1;
  const instance = (name: string): string => `${name}#${nextInstance++}`;
  const call = (p: string, method: string, args: unknown[] = []): Promise<unknown> => client.call(p, method, args);

  const host: RemoteHost = {
    hello,
    logFile,
    client,
    remoteDialogPort() {
      const p = instance('dialogs');
      return {
        show: (spec: DialogSpec) => call(p, 'show', [spec]) as Promise<number>,
        update: (id: number, heading: string, text: string) => call(p, 'update', [id, heading, text]) as Promise<void>,
        setButtonEnabled: (id: number, buttonId: string, enabled: boolean) =>
          call(p, 'setButtonEnabled', [id, buttonId, enabled]) as Promise<void>,
        close: (id: number) => call(p, 'close', [id]) as Promise<void>,
        result: (id: number) => call(p, 'result', [id]) as Promise<DialogResult>,
        message: (title: string, text: string, kind: 'info' | 'error', timeoutMs?: number) =>
          call(p, 'message', timeoutMs === undefined ? [title, text, kind] : [title, text, kind, timeoutMs]) as Promise<void>,
        dispose: () => call(p, '$dispose') as Promise<void>,
      };
    },
    remoteDatevPort(kind: DatevPortKind = 'datev') {
      const p = instance(kind);
      return {
        // The handler object travels as {$handlers}; the host calls back and awaits the answer.
        register: (handlers: DatevRequestHandlers) =>
          call(p, 'register', [
            {
              dial: (data: unknown, ctx: unknown) => handlers.dial(data as never, ctx as DialContext),
              drop: (data: unknown) => handlers.drop(data as never),
              getCallData: (data: unknown) => handlers.getCallData(data as never),
            },
          ]) as Promise<void>,
        revoke: () => call(p, 'revoke') as Promise<void>,
        isPresent: () => call(p, 'isPresent') as Promise<boolean>,
        notify: (method: NotificationMethod, data: DatevCallData, options?: NotifyOptions) =>
          call(p, 'notify', options === undefined ? [method, data] : [method, data, options]) as Promise<Delivery>,
        settled: (ticket: number) => call(p, 'settled', [ticket]) as Promise<Delivery>,
        setCallIdPrefix: (prefix: string) => {
          void call(p, 'setCallIdPrefix', [prefix]);
        },
        setDialAnswer: (mode: DialAnswer) => {
          void call(p, 'setDialAnswer', [mode]);
        },
        selfCheck: () => call(p, 'selfCheck') as Promise<SelfCheckResult>,
        rebuild: () => call(p, 'rebuild') as Promise<void>,
        health: () => call(p, 'health') as Promise<DatevHealth>,
        onHealthChange: (listener: (h: DatevHealth) => void) => {
          const unsubscribe = call(p, 'onHealthChange', [(h: unknown) => listener(h as DatevHealth)]);
          return () => {
            void unsubscribe.then((fn) => (typeof fn === 'function' ? fn() : undefined));
          };
        },
        dispose: () => call(p, '$dispose') as Promise<void>,
      };
    },
    async blockHostSoon(ms: number) {
      const marker = path.join(paths.logs, `host-blocked-${Date.now()}`);
      void call('process', 'blockSoon', [ms, winPath(marker)]).catch(() => undefined);
      for (let i = 0; !fs.existsSync(marker); i++) {
        if (i > 600) throw new Error('the port host did not start blocking');
        await new Promise((r) => setTimeout(r, 25));
      }
      fs.rmSync(marker, { force: true });
    },
    pingHost: () => call('process', 'ping') as Promise<void>,
    remoteTelephonyPort() {
      const p = instance('telephony');
      // One host-side subscription per proxy, fanned out locally, so onEvent stays synchronous.
      const listeners = new Set<TelephonyListener>();
      let subscribed: Promise<unknown> | undefined;
      const subscribe = (): void => {
        subscribed ??= call(p, 'onEvent', [(event: unknown) => {
          for (const l of [...listeners]) l(event as never);
        }]);
      };
      const after = <T>(f: () => Promise<T>): Promise<T> => (subscribed ? subscribed.then(f) : f());
      return {
        initialize: (appName: string) => after(() => call(p, 'initialize', [appName]) as Promise<LineInfo[]>),
        listLines: () => after(() => call(p, 'listLines') as Promise<LineInfo[]>),
        openLine: (permanentId: number) => after(() => call(p, 'openLine', [permanentId]) as Promise<number>),
        closeLine: (hLine: number) => call(p, 'closeLine', [hLine]) as Promise<void>,
        makeCall: (hLine: number, destination: string) => call(p, 'makeCall', [hLine, destination]) as Promise<number>,
        answer: (hCall: number) => call(p, 'answer', [hCall]) as Promise<number>,
        drop: (hCall: number) => call(p, 'drop', [hCall]) as Promise<number>,
        deallocate: (hCall: number) => call(p, 'deallocate', [hCall]) as Promise<void>,
        getCallInfo: (hCall: number) => call(p, 'getCallInfo', [hCall]) as Promise<CallInfo>,
        getCallState: (hCall: number) => call(p, 'getCallState', [hCall]) as Promise<CallStateName>,
        shutdown: () => call(p, 'shutdown') as Promise<void>,
        onEvent(listener: TelephonyListener) {
          listeners.add(listener);
          subscribe();
          return () => {
            listeners.delete(listener);
          };
        },
        dispose: () => call(p, '$dispose') as Promise<void>,
      };
    },
    remoteJournalWindows() {
      const p = instance('journalWindows');
      let rows: CallListRow[] | undefined;
      return {
        notes: {
          show: (spec: NoteWindowSpec) => call(p, 'showNote', [spec]) as Promise<number>,
          close: (id: number) => call(p, 'closeNote', [id]) as Promise<void>,
          result: (id: number) => call(p, 'noteResult', [id]) as Promise<NoteResult>,
        },
        list: {
          show: async (spec: CallListSpec, onAction: (a: CallListAction, rowId: string) => void, onClosed: () => void) => {
            rows = spec.rows;
            await call(p, 'showList', [
              spec,
              (a: unknown, rowId: unknown) => onAction(a as CallListAction, rowId as string),
              () => {
                rows = undefined;
                onClosed();
              },
            ]);
          },
          update: async (next: CallListRow[]) => {
            if (rows) rows = next;
            await call(p, 'updateList', [next]);
          },
          close: async () => {
            rows = undefined;
            await call(p, 'closeList');
          },
        },
        chooser: {
          choose: (spec: ContactChooserSpec, search: (text: string) => Promise<ContactChoice[]>) =>
            call(p, 'choose', [spec, { search: (text: unknown) => search(text as string) }]) as Promise<string | undefined>,
        },
        shownRows: () => rows,
        dispose: () => call(p, '$dispose') as Promise<void>,
      };
    },
    async close() {
      client.close();
      // the host exits by itself (and writes its V8 coverage); killed only when it does not
      const exited = await Promise.race([
        childExit.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 10000)),
      ]);
      if (!exited && !childExited) killGroup(child);
    },
  };
  return host;
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}
