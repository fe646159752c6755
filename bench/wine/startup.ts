/**
 * Start-up: spawn (Linux clock) → the CTI object is in the ROT (the fake DATEV checks the ROT every
 * 10 ms and stamps the moment it sees it), for the program and the baseline; spawn → exit of two
 * references started the same way: a bare `node.exe -e "process.exit(0)"` of the same Node build, and
 * the same statement packaged like the program by pkg --sea (bench/wine/pkg-empty: what pkg's own
 * start-up costs). A cold start first drops the subject's files from the page cache; a warm one follows
 * right after a start.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exeTarget, startApp, type AppTarget } from '../../test/wine/appProcess';
import { paths, ROOT } from '../../test/wine/env';
import { Bench, bareNodeTarget, type Subject } from './benchEnv';
import { msBetween, nowUs, until } from './clock';
import { evictFromPageCache } from './processInfo';
import { parseLog } from './productLog';

export interface StartSample {
  cold: boolean;
  /** Spawn → CTI object in the ROT (program, baseline) or → process gone (bare node), ms. */
  ms: number;
  /** Spawn → TAPI line open (program, baseline) or → the first JavaScript statement ran (bare node), ms. */
  readyMs: number;
  /** How finely the ROT registration was caught (the interval it fell into; ms is its middle), ms. */
  resolutionMs?: number;
  /** The program: spawn → its first log line ("… starting", once its config is read), ms. */
  firstLogMs?: number;
}

/** One start of a CTI program, until its line is open; then Ctrl+C. */
export async function timeCtiStart(bench: Bench, subject: Subject, cold: boolean, name: string): Promise<StartSample> {
  if (await bench.ctiRegistered()) throw new Error('a CTI object is still in the ROT before a start');
  if (cold) evictFromPageCache(subject.files);
  const found = bench.datev.command('waitCti', { timeoutMs: 60000 });
  const t0 = nowUs();
  const r = bench.launch(subject, name);
  try {
    const seen = await found;
    if (seen.registered !== true) throw new Error(`${subject.label} did not register its CTI object within 60 s; ${r.app.describe()}`);
    await bench.ready(r);
    const readyAt = Number(r.pbx.log.find((e) => e.ev === 'api' && e.fn === 'lineOpenW' && Number(e.rc) >= 0)!.us);
    const firstLog = parseLog(r.app.logText())[0];
    // registered between the last check that missed it and the one that found it: the middle
    const registeredUs = (Number(seen.beforeUs) + Number(seen.us)) / 2;
    return {
      cold,
      ms: msBetween(t0, registeredUs),
      readyMs: msBetween(t0, readyAt),
      resolutionMs: msBetween(Number(seen.beforeUs), Number(seen.us)),
      ...(firstLog ? { firstLogMs: msBetween(t0, firstLog.us) } : {}),
    };
  } finally {
    await bench.stop(r);
  }
}

/** The process exists and is not a zombie (an exited Wine process waits for its parent to reap it). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** A start-up reference: an exe that prints when its first statement runs (µs since the epoch) and exits. */
export type Reference = 'node' | 'pkg';

/** .cache/bench/pkg-empty.exe, made by bench/wine/run.sh (scripts/pkg-sea.sh of bench/wine/pkg-empty/exit.js). */
export const PKG_EMPTY_EXE = path.join(ROOT, '.cache', 'bench', 'pkg-empty.exe');

function referenceTarget(reference: Reference): { target: AppTarget; file: string; label: string } {
  if (reference === 'node') {
    return {
      target: bareNodeTarget('console.log(Math.round((performance.timeOrigin+performance.now())*1000));process.exit(0)'),
      file: paths.nodeExe,
      label: 'the bare node.exe',
    };
  }
  const target = exeTarget(PKG_EMPTY_EXE, 'pkg --sea of process.exit(0)');
  target.files = [{ file: PKG_EMPTY_EXE, hint: 'run npm run bench:wine (bench/wine/run.sh makes it)' }];
  return { target, file: PKG_EMPTY_EXE, label: 'the packaged process.exit(0)' };
}

/**
 * One start of a reference exe (a bare node.exe, or process.exit(0) packaged by pkg --sea) that prints
 * when its first statement runs and exits. Its exit is when its own Wine process is gone (explorer.exe
 * /desktop, which started it, lingers a while after).
 */
export async function timeReference(bench: Bench, reference: Reference, cold: boolean, name: string): Promise<StartSample> {
  const { target, file, label } = referenceTarget(reference);
  if (cold) evictFromPageCache([file]);
  const t0 = nowUs();
  const app = startApp({ display: bench.display.display, target, name, config: {} });
  try {
    // (a scan of /proc per look: not too often, it takes CPU from the start being measured)
    const pid = await until(() => app.programPid() ?? (app.isRunning ? undefined : -1), `${label} process`, 30000, 20);
    if (pid < 0) throw new Error(`${label} was gone before it was seen; ${app.describe()}`);
    await until(() => (alive(pid) ? undefined : true), `${label} to exit`, 30000, 2);
    const end = nowUs();
    const jsUs = await until(() => {
      const m = /^(\d{16})\s*$/m.exec(app.output());
      return m ? Number(m[1]) : undefined;
    }, `the output of ${label} (${app.outFile})`, 5000, 20);
    return { cold, ms: msBetween(t0, end), readyMs: msBetween(t0, jsUs) };
  } finally {
    await Promise.race([app.exited, new Promise((r) => setTimeout(r, 10000))]);
    await app.dispose();
  }
}
