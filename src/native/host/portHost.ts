/**
 * Port host: runs inside a Windows node.exe (Wine in the tests), connects to the test process at
 * 127.0.0.1:<port> and serves the native adapters over JSON lines (protocol.ts).
 *   node.exe build/js/src/native/host/portHost.js --port N [--host 127.0.0.1]
 * Exits when the connection closes. Logs go to stderr (redirect it to a file under Wine: node.exe
 * cannot write to a Unix pipe).
 */
import * as net from 'node:net';
import { loadAddon } from '../addon';
import { hostedPorts, type HostContext } from './ports';
import { PortServer } from './server';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function log(line: string): void {
  process.stderr.write(`[portHost ${new Date().toISOString()}] ${line}\n`);
}

function main(): void {
  const port = Number(arg('port'));
  const host = arg('host') ?? '127.0.0.1';
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    log('usage: portHost.js --port N [--host 127.0.0.1]');
    process.exit(2);
  }
  const ctx: HostContext = { addon: loadAddon };
  const socket = net.connect({ port, host }, () => {
    socket.setNoDelay(true);
    log(`connected to ${host}:${port}`);
    const server = new PortServer(socket, hostedPorts, ctx, log);
    server.hello({ pid: process.pid, execPath: process.execPath });
    void server.finished().then(() => {
      log('connection closed; exiting');
      process.exit(0);
    });
  });
  socket.on('error', (err) => {
    log(`socket error: ${err.message}`);
    process.exit(1);
  });
}

process.on('uncaughtException', (err) => {
  log(`uncaught: ${err.stack ?? err.message}`);
});
process.on('unhandledRejection', (err) => {
  log(`unhandled rejection: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
});

main();
