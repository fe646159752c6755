/**
 * The addon's own native code (native/ui, native/tapi, native/tray, native/win) in native-probe.exe
 * (test/native/probe) under Wine, on the tests' virtual desktop — for what JS cannot arrange:
 *  - a click handled by a dialog after close() was requested (the dialog thread held at an exact point);
 *  - WM_DPICHANGED (the dialog moved to a monitor with another DPI): fonts and layout follow;
 *  - every allocation failing in turn (std::bad_alloc): no exception leaves a thread, a window
 *    procedure or a command, every TAPI command is still answered, threads end, no window is left.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { paths, VIRTUAL_DESKTOP, wineEnv } from './env';
import { installFakeTapi32 } from './pbxDriver';

const display = inject('display');
const PROBE = path.join(path.dirname(paths.addon), 'native-probe.exe');

interface ProbeRun {
  code: number;
  lines: Record<string, unknown>[];
  stderr: string;
}

/**
 * Runs the probe on the tests' virtual desktop and parses its JSON lines. Its output goes to files
 * and the run ends with the process (a desktop started by this run keeps Wine's pipes open).
 */
async function probe(args: string[], env: Record<string, string> = {}, timeoutMs = 240000): Promise<ProbeRun> {
  if (!display) throw new Error('no X display: run the Wine tests with npm run test:wine (vitest.wine.config.ts)');
  if (!fs.existsSync(PROBE)) throw new Error(`${PROBE} missing: run npm run build:native`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wildix-probe-'));
  const out = path.join(dir, 'out.txt');
  const err = path.join(dir, 'err.txt');
  const outFd = fs.openSync(out, 'w');
  const errFd = fs.openSync(err, 'w');
  try {
    const child = spawn('wine', ['explorer', `/desktop=${VIRTUAL_DESKTOP}`, PROBE, ...args], {
      env: wineEnv(display, env),
      stdio: ['ignore', outFd, errFd],
    });
    const code = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`native-probe ${args.join(' ')} did not end within ${timeoutMs} ms: ${fs.readFileSync(out, 'utf8')}`));
      }, timeoutMs);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c ?? -1);
      });
    });
    const lines = fs
      .readFileSync(out, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { code, lines, stderr: fs.readFileSync(err, 'utf8') };
  } finally {
    fs.closeSync(outFd);
    fs.closeSync(errFd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

type Rect = [number, number, number, number];
const width = (r: Rect): number => r[2] - r[0];
const height = (r: Rect): number => r[3] - r[1];

describe('native/ui in native-probe.exe', () => {
  it('a click handled after close() was requested ends the dialog as "closed", not as the button', async () => {
    const r = await probe(['race']);
    expect(r.code).toBe(0);
    expect(r.lines).toEqual([{ closeRequested: true, reason: 'closed', choice: '' }]);
  });

  it('window threads: consecutive jobs share a thread, and a WM_QUIT one job left behind never reaches the next', async () => {
    const r = await probe(['reuse']);
    expect(r.code).toBe(0);
    expect(r.lines.find((l) => l.reuse)).toEqual({ reuse: true, ran: true, sameThread: true, staleQuit: false });
  });

  it("a COM apartment's wait (PumpUntil) ends at its timeout even while messages never stop coming", async () => {
    const r = await probe(['pump']);
    expect(r.code).toBe(0);
    const pump = r.lines.find((l) => l.pump) as { finished: boolean; returnedDone: boolean; elapsedMs: number };
    expect(pump.finished).toBe(true);
    expect(pump.returnedDone).toBe(false); // timed out: done() never became true
    // 200 ms asked for; the stream of messages lasts 3 s — a wait that only looks at the clock when the
    // queue is empty returns after those 3 s
    expect(pump.elapsedMs).toBeGreaterThanOrEqual(190);
    expect(pump.elapsedMs).toBeLessThan(1500);
  });

  it('a COM thread whose start is held up (loader lock) is given up at its bound and ends by itself later', async () => {
    const r = await probe(['start']);
    expect(r.code).toBe(0);
    const start = r.lines.find((l) => l.start) as { hr: number; elapsedMs: number; lockReleased: boolean; threadEnded: boolean; exitRan: boolean; postAfter: boolean };
    expect(start.hr).toBe(0x8001011f | 0); // RPC_E_TIMEOUT: not ready within the 300 ms asked for
    expect(start.elapsedMs).toBeLessThan(1500); // not the 3 s the loader lock is held
    expect(start.lockReleased).toBe(true);
    expect(start.threadEnded).toBe(true); // it let go of its owner: nothing left behind
    expect(start.exitRan).toBe(true);
    expect(start.postAfter).toBe(false); // a given-up thread takes no jobs
  });

  it('follows WM_DPICHANGED: fonts, controls and window scale to the new DPI, placed at the suggested position', async () => {
    const r = await probe(['dpi']);
    expect(r.code).toBe(0);
    const created = r.lines.find((l) => l.stage === 'created') as { dpi: number; rect: Rect; buttons: Rect[]; texts: Rect[]; headingFontHeight: number; awareness: number };
    const changed = r.lines.find((l) => l.stage === 'dpichanged') as typeof created;
    const suggested = (r.lines.find((l) => 'suggestedTopLeft' in l) as { suggestedTopLeft: [number, number] }).suggestedTopLeft;
    expect(created.awareness).toBe(2); // the dialog thread is per-monitor DPI aware
    const ratio = (a: number, b: number) => a / b;
    expect(ratio(width(changed.rect), width(created.rect))).toBeGreaterThan(1.8); // twice the DPI
    expect(ratio(width(changed.buttons[0]!), width(created.buttons[0]!))).toBeCloseTo(2, 1);
    expect(ratio(height(changed.buttons[0]!), height(created.buttons[0]!))).toBeCloseTo(2, 1);
    expect(ratio(changed.headingFontHeight, created.headingFontHeight)).toBeCloseTo(2, 1);
    expect(ratio(height(changed.texts[0]!), height(created.texts[0]!))).toBeGreaterThan(1.7);
    expect([changed.rect[0], changed.rect[1]]).toEqual(suggested);
  });
});

describe('no C++ exception crosses a boundary: every allocation failing in turn (std::bad_alloc)', () => {
  interface Sweep {
    sweep: string;
    allocations: number;
    iterations: number;
    injected: number;
    failedCommands: number;
    lost: number;
    notStarted: number;
    problems: number;
    leftWindows: number;
    loopEscapes: number;
    lateCallbacks: number;
  }

  async function sweep(what: string, persistent: boolean, env: Record<string, string> = {}): Promise<Sweep> {
    const r = await probe(['sweep', what, ...(persistent ? ['persistent'] : [])], env);
    const terminated = r.lines.find((l) => l.terminate === true);
    expect(terminated, `std::terminate: ${JSON.stringify(terminated)}`).toBeUndefined();
    expect(r.code).toBe(0);
    const s = r.lines.find((l) => l.sweep === what) as Sweep | undefined;
    expect(s, `no summary: ${JSON.stringify(r.lines)} ${r.stderr.slice(-2000)}`).toBeDefined();
    expect(s!.iterations).toBe(s!.allocations);
    expect(s!.injected).toBeGreaterThanOrEqual(s!.iterations); // every run really had a failing allocation
    expect({ lost: s!.lost, problems: s!.problems, leftWindows: s!.leftWindows, loopEscapes: s!.loopEscapes, lateCallbacks: s!.lateCallbacks }).toEqual({
      lost: 0,
      problems: 0,
      leftWindows: 0,
      loopEscapes: 0,
      lateCallbacks: 0,
    });
    return s!;
  }

  const tapiEnv = { WINEDLLOVERRIDES: 'tapi32=n', FAKE_TAPI_LINES: 'Wildix 201=201', FAKE_TAPI_PORT: '' };

  it('native/tapi: every command is answered (an internal error at worst), the thread ends, Stop returns', async () => {
    installFakeTapi32();
    const s = await sweep('tapi', false, tapiEnv);
    expect(s.allocations).toBeGreaterThan(20);
    expect(s.failedCommands).toBeGreaterThan(0); // failures were reported as typed outcomes
    const p = await sweep('tapi', true, tapiEnv); // and with every allocation from the N-th on failing
    expect(p.failedCommands).toBeGreaterThanOrEqual(s.failedCommands);
  });

  it('native/ui: the dialog window procedure and thread (update, enable, WM_DPICHANGED, click)', async () => {
    const s = await sweep('dialog', false);
    expect(s.allocations).toBeGreaterThan(10);
    await sweep('dialog', true);
  });

  it('native/tray: the tray window procedure and thread (status, commands, stop)', async () => {
    await sweep('tray', false);
    await sweep('tray', true);
  });

  it('native/win: the logoff/shutdown watcher (a stop request from outside, stop)', async () => {
    await sweep('session', false);
    await sweep('session', true);
  });
});
