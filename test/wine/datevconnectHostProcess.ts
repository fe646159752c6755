/**
 * Starts test/wine/datevconnectHost.cjs in Wine's node.exe (WinHttpTransport, DPAPI and the
 * ContactDirectory as wired on Windows, served over the port-host protocol) and connects to it.
 * Used by datevconnect.wine.test.ts and contacts.wine.test.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { PortClient } from '../../src/native/host/client';
import { coverageEnv, paths, ROOT, wineEnv, winPath } from './env';

export const HOST_SCRIPT = path.join(ROOT, 'test', 'wine', 'datevconnectHost.cjs');
/** Compiled program for the host (default build/js; WILDIX_JS_ROOT for a private build). */
export const JS_ROOT = process.env.WILDIX_JS_ROOT ?? path.join(ROOT, 'build', 'js');

export interface DatevConnectHost {
  client: PortClient;
  call<T>(port: string, method: string, ...args: unknown[]): Promise<T>;
  /** Closes the connection (the host exits on its own and writes its coverage), kills what is left. */
  close(): Promise<void>;
}

export async function startDatevConnectHost(display: string, logName: string): Promise<DatevConnectHost> {
  if (!fs.existsSync(path.join(JS_ROOT, 'src', 'native', 'winHttpTransport.js'))) throw new Error(`${JS_ROOT} has no compiled program (run npm run build)`);
  fs.mkdirSync(paths.logs, { recursive: true });
  const logFile = path.join(paths.logs, logName);
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const fd = fs.openSync(logFile, 'w');
  // node.exe cannot write to a Unix pipe, so its output goes to the log file
  const child: ChildProcess = spawn('wine', [paths.nodeExe, winPath(HOST_SCRIPT), '--port', String(port), '--js-root', winPath(JS_ROOT)], {
    env: wineEnv(display, coverageEnv()),
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  fs.closeSync(fd);
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let timer: NodeJS.Timeout | undefined;
  const socket = await Promise.race([
    new Promise<net.Socket>((resolve) => server.once('connection', resolve)),
    exited.then(() => {
      throw new Error(`host exited (${child.exitCode}); log ${logFile}:\n${fs.readFileSync(logFile, 'utf8').slice(-3000)}`);
    }),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`host did not connect in 30 s; log ${logFile}`)), 30000))),
  ]).finally(() => {
    clearTimeout(timer);
    server.close();
  });
  const client = new PortClient(socket, 60000);
  await client.hello;
  return {
    client,
    call: <T>(p: string, method: string, ...args: unknown[]) => client.call(p, method, args) as Promise<T>,
    async close() {
      client.close();
      const gone = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10000))]);
      if (!gone && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    },
  };
}
