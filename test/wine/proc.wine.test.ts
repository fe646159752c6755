/**
 * native/proc under Wine: the figures of the status file (handles, threads), counted without the system
 * handle list — NtQuerySystemInformation(SystemHandleInformation) can kill Wine 8's wineserver, and with it
 * the whole session (README Known limits, the soak's "unexplained exit"). The port host runs with ntdll's
 * trace on, which names every NtQuerySystemInformation and its class.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, inject, it } from 'vitest';
import { winPath } from './env';
import { connectHost } from './remote';

const display = inject('display');
const SYSTEM_HANDLE_INFORMATION = /NtQuerySystemInformation \(0x00000010,/;

it("counts the process's handles without the system handle list: 25 more opened are 25 more, a count up to handlesMaxAgeMs old is reused", async () => {
  type Stats = { handles: number; threads: number };
  const host = await connectHost({ display, logName: 'proc-host.log', env: { WINEDEBUG: 'trace+ntdll' } });
  const call = (method: string, args: unknown[]): Promise<unknown> => host.client.call('process', method, args);
  const file = path.join(os.tmpdir(), `wildix-handles-${process.pid}.txt`);
  fs.writeFileSync(file, 'x');
  try {
    const before = (await call('stats', [0])) as Stats;
    expect(before.handles).toBeGreaterThan(10);
    expect(before.threads).toBeGreaterThan(2);
    await call('openFiles', [25, winPath(file)]);
    const opened = (await call('stats', [0])) as Stats;
    // (the host's own threads may open or close a handle meanwhile)
    expect(opened.handles - before.handles).toBeGreaterThanOrEqual(23);
    expect(opened.handles - before.handles).toBeLessThanOrEqual(30);
    await call('closeFiles', []);
    expect(((await call('stats', [60000])) as Stats).handles).toBe(opened.handles); // the count of a moment ago
    const closed = (await call('stats', [0])) as Stats;
    expect(opened.handles - closed.handles).toBeGreaterThanOrEqual(20);
  } finally {
    await call('closeFiles', []).catch(() => undefined);
    await host.close();
    fs.rmSync(file, { force: true });
  }
  const trace = fs.readFileSync(host.logFile, 'utf8');
  expect(trace).toMatch(/trace:ntdll:NtQuerySystemInformation \(0x/); // the trace is on (Node asks for other classes)
  expect(trace.split('\n').filter((l) => SYSTEM_HANDLE_INFORMATION.test(l))).toEqual([]);
});
