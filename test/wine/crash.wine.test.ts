/**
 * The program under Wine after a crash, made on purpose through a test hook: an exception nobody caught
 * in JavaScript (WILDIX_CTI_TEST_CRASH_AFTER_MS; the stack goes to the log and the program starts itself
 * again before it ends) or an access violation on a native thread (WILDIX_CTI_TEST_NATIVE_CRASH_AFTER_MS;
 * the addon's unhandled-exception filter starts the new process, native/win/crash_restart.h). The new
 * process waits for the crashed one's single-instance lock, registers the CTI object, opens the line,
 * ends in DATEV the call the crashed one had going on (live, under its CallID) and serves DATEV. The hooks
 * are not passed on, so the new process stays up.
 * The limit of 3 restarts in 10 minutes is the unit tests' (test/unit/crashHandlers.test.ts).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CallState } from '../../src/datev/callData';
import { E2E_DIR, primaryTarget, startApp, type AppProcess } from './appProcess';
import { FakeDatevProcess } from './datevDriver';
import { coverageEnv, removeUserData, VIRTUAL_DESKTOP, wineEnv, winPath } from './env';
import { FakeTapiServer, type FakeTapiPbx } from './pbxDriver';
import { buildWineFakes } from './fakeBuilds';

const display = inject('display');
const env = wineEnv(display);
const LINE_NAME = 'Wildix 201 Anna Schmidt';
const LINE_ADDRESS = '201';

let server: FakeTapiServer;

beforeAll(async () => {
  if (!display) throw new Error('no X display: run the Wine tests with vitest.wine.config.ts (npm run test:wine)');
  buildWineFakes();
  fs.mkdirSync(E2E_DIR, { recursive: true });
  removeUserData();
  server = await FakeTapiServer.start();
});

afterAll(async () => {
  await server?.close();
  removeUserData();
});

async function until<T>(what: string, check: () => T | undefined, ms: number, describe: () => string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}; ${describe()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function untilAsync<T>(what: string, check: () => Promise<T | undefined>, ms: number, describe: () => string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}; ${describe()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Unix pids of the Wine processes running the program with this config file (the crashed one's successor too). */
function programPids(configFile: string): number[] {
  const marker = winPath(configFile);
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(marker) && !cmdline.includes('explorer') && !cmdline.includes('start.exe')) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** How the program is made to crash: an exception nobody catches in JavaScript, or an access violation on a native thread. */
type CrashKind = 'javascript' | 'native';

describe(`the program under Wine after a crash (${primaryTarget().label})`, () => {
  let datev: FakeDatevProcess;
  const sessions: FakeTapiPbx[] = [];
  const apps: AppProcess[] = [];

  beforeAll(async () => {
    datev = new FakeDatevProcess({ env, checkRules: true });
    await datev.ready;
  });

  afterAll(async () => {
    for (const app of apps) {
      for (const pid of programPids(app.configFile)) process.kill(pid, 'SIGKILL');
      await app.dispose();
    }
    for (const pbx of sessions) await pbx.dispose();
    await datev?.close();
  });

  /** A PBX session with the user's line, for the tapi32.dll of the next process that starts. */
  async function lineSession(): Promise<FakeTapiPbx> {
    const pbx = server.session();
    sessions.push(pbx);
    await pbx.addLine(LINE_NAME, LINE_ADDRESS);
    return pbx;
  }

  async function crashAndComeBack(kind: CrashKind): Promise<void> {
    const pbx = await lineSession();
    const hook = kind === 'javascript' ? 'WILDIX_CTI_TEST_CRASH_AFTER_MS' : 'WILDIX_CTI_TEST_NATIVE_CRASH_AFTER_MS';
    const a = startApp({
      display,
      target: primaryTarget(),
      name: `crash-${kind}`,
      config: { line: LINE_ADDRESS, contacts: { datevConnect: { enabled: false } }, log: { level: 'debug' } },
      env: { FAKE_TAPI_PORT: String(server.port), [hook]: '8000' },
      dllOverrides: 'tapi32=n',
    });
    apps.push(a);
    const lines = (pattern: RegExp): string[] => a.logLines(pattern);
    await a.waitForLog(/CTI object registered in the ROT/, 40000);
    await a.waitForLog(/TAPI line open/, 20000);
    const first = a.programPid();
    expect(first).toBeDefined();
    const pbx2 = await lineSession(); // for the next process's tapi32.dll
    // a call going on when it crashes: DATEV has it open
    const earlier = new Set((await datev.notifications()).map((n) => String(n.data.CallID))); // (the other test's)
    const call = await pbx.incoming(LINE_ADDRESS, '+4930123456');
    await pbx.answer(call);
    const connected = await untilAsync(
      'the call connected in DATEV',
      async () => (await datev.notifications()).find((n) => n.method === 'CallStateChanged' && n.data.CallState === CallState.eCSConnected && !earlier.has(String(n.data.CallID))),
      15000,
      () => a.describe(),
    );
    const callId = String(connected.data.CallID);

    if (kind === 'javascript') {
      await until('the crash in the log', () => (lines(/uncaught exception, the program ends/).length > 0 ? true : undefined), 20000, () => a.describe());
      expect(lines(/uncaught exception/)[0]).toContain('crash on purpose (WILDIX_CTI_TEST_CRASH_AFTER_MS)');
      await until('the restart in the log', () => (lines(/the program starts again after the crash \(pid \d+; restart 1 of at most 3 in 10 minutes\)/).length === 1 ? true : undefined), 10000, () => a.describe());
    }

    // the new process: a second start in the same log, its own ROT entry and line
    await until('the new process to register the CTI object and open the line', () => (lines(/CTI object registered in the ROT/).length >= 2 && lines(/TAPI line open/).length >= 2 ? true : undefined), 60000, () => a.describe());
    // the new process says why it runs; after a native crash also what crashed (no stack in the log then)
    const restarted = lines(/started again after a crash \/ nach einem Absturz neu gestartet restarts=\d+/);
    expect(restarted, a.describe()).toHaveLength(1);
    if (kind === 'native') {
      expect(restarted[0]).toMatch(/nativeCrash="?0xC0000005 at 0x[0-9A-F]{16} thread \d+/);
      expect(lines(/uncaught exception/)).toEqual([]);
    }
    const pids = programPids(a.configFile);
    expect(pids).toHaveLength(1);
    expect(pids[0]).not.toBe(first);
    expect(fs.readFileSync(`/proc/${pids[0]}/cmdline`, 'utf8')).toContain('--background');

    // the call the crashed process had open in DATEV is ended there, live under its CallID (the new
    // process's PBX session has no such call: it ended while the program was gone)
    const end = await untilAsync('the end of the call in DATEV', async () => (await datev.notifications()).find((n) => n.data.CallID === callId && n.data.CallState === CallState.eCSFinished), 30000, () => a.describe());
    expect(end.method).toBe('CallStateChanged');
    expect((end.data.Begin as Date).getTime()).toBe((connected.data.Begin as Date).getTime());
    expect((await datev.notifications()).filter((n) => n.method === 'NewJournal')).toEqual([]);

    // DATEV finds the new CTI object and dials through it
    const r = await datev.dial({ CalledNumber: '+49 89 1234567' });
    expect(r.hresult).toBe(0);
    expect(r.callId).toMatch(/^201-\d{8}-\d{4}-\d+$/);
    await pbx2.waitFor((e) => e.ev === 'api' && e.fn === 'lineMakeCallW', 15000);

    // the test hook went with the crashed process: the new one stays up
    await new Promise((res) => setTimeout(res, 8000));
    expect(lines(/uncaught exception/)).toHaveLength(kind === 'javascript' ? 1 : 0);
    expect(lines(/CTI object registered in the ROT \(CLSID/)).toHaveLength(2);
    expect(programPids(a.configFile)).toEqual(pids);

    // --stop from a second start ends it cleanly (the call it dialled ends with it, nothing left for the journal)
    const [exe, ...lead] = primaryTarget().command;
    const outFile = `${a.dir}/stop.txt`;
    const out = fs.openSync(outFile, 'w'); // (a Windows node cannot write to a Unix pipe)
    // on the program's desktop (the tests' virtual one), where --stop finds it; explorer does not pass the
    // exit code on, so what counts is that the program ends
    const stop = spawnSync('wine', ['explorer', `/desktop=${VIRTUAL_DESKTOP}`, exe!, ...lead, '--stop', '--log-dir', winPath(`${a.dir}/logs-stop`)], {
      env: wineEnv(display, a.options.target.measured ? coverageEnv() : {}),
      stdio: ['ignore', out, out],
      timeout: 60000,
    });
    fs.closeSync(out);
    await until('the new process to end', () => (programPids(a.configFile).length === 0 ? true : undefined), 20000, () => `${a.describe()}\n--stop (${stop.status}): ${fs.readFileSync(outFile, 'utf8')}`);
    expect(lines(/stopping \(close\)/).length, a.describe()).toBeGreaterThan(0);
    expect(lines(/CTI object registered in the ROT \(CLSID/)).toHaveLength(2);
  }

  /**
   * Runs one crash, then ends whatever of it still runs — the program after a failed run, and the Wine
   * desktop the first start opened (its `explorer /desktop` stays while the desktop does): a later start
   * would find that desktop, hand the program to it and return at once.
   */
  async function alone(kind: CrashKind): Promise<void> {
    try {
      await crashAndComeBack(kind);
    } finally {
      const app = apps[apps.length - 1];
      if (app) {
        for (const pid of programPids(app.configFile)) process.kill(pid, 'SIGKILL');
        await app.dispose();
      }
    }
  }

  it('starts again by itself after an exception nobody caught: the new process takes over the ROT entry and the line, ends in DATEV the call the crashed one had going on, and DATEV dials through it', { timeout: 120000 }, async () => {
    await alone('javascript');
  });

  it('starts again by itself after a native crash (an access violation on a thread of the addon): the same, and the new process logs what crashed', { timeout: 120000 }, async () => {
    await alone('native');
  });
});
