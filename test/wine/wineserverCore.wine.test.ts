/**
 * The Wine test setup's record of a crashed wineserver (test/wine/env.ts): the run's wineserver has core
 * dumps on, and the core it leaves in its folder when it crashes ("wineserver crashed, please enable
 * coredumps", seen in full runs) is kept in .cache/logs with a line in the server's log. Checked with a
 * wineserver of its own (a scratch prefix), which is made to crash.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { keepWineserverCore, WINESERVER_START, wineserverProcess } from './env';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'wineserver-core-'));
const prefix = path.join(scratch, 'prefix');
const keep = path.join(scratch, 'logs');

afterAll(() => {
  const server = wineserverProcess(prefix);
  if (server) process.kill(server.pid, 'SIGKILL');
  fs.rmSync(scratch, { recursive: true, force: true });
});

it('a wineserver that crashes leaves a core dump, which is kept with a line in the server log', async () => {
  fs.mkdirSync(prefix);
  fs.mkdirSync(keep);
  const serverLog = path.join(keep, 'wineserver.log');
  const started = spawnSync(WINESERVER_START[0], WINESERVER_START.slice(1), { env: { ...process.env, WINEPREFIX: prefix }, stdio: 'ignore' });
  expect(started.status).toBe(0);
  const server = wineserverProcess(prefix);
  expect(server).toBeDefined();
  const dir = server!.dir;
  expect(keepWineserverCore(dir, serverLog, keep)).toBeUndefined(); // nothing to keep while it runs
  process.kill(server!.pid, 'SIGSEGV'); // its handler says "wineserver crashed" and aborts
  const end = Date.now() + 20000;
  while (wineserverProcess(prefix) !== undefined && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  expect(wineserverProcess(prefix)).toBeUndefined();
  const kept = keepWineserverCore(dir, serverLog, keep);
  expect(kept).toMatch(/wineserver-core-/);
  expect(fs.statSync(kept!).size).toBeGreaterThan(0);
  expect(fs.readdirSync(dir).some((f) => f.startsWith('core'))).toBe(false);
  expect(fs.readFileSync(serverLog, 'utf8')).toContain(`a crashed wineserver left a core dump: ${kept}`);
}, 60000);
