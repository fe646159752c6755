/**
 * `npm run bench:wine` (run through bench/wine/run.sh): the packaged program against the native baseline
 * CTI (bench/baseline) under Wine, side by side in one run, against the fake DATEV exe and the fake
 * tapi32.dll. Phases:
 *   1. start-up: STARTS rounds of a cold and a warm start of a bare node.exe, process.exit(0) packaged by
 *      pkg --sea like the program (bench/wine/pkg-empty), the baseline and the program;
 *   2. idle RSS of a bare node.exe and of pkg --sea's `setInterval`, IDLE_MS after start and again once
 *      settled (SETTLE_MS);
 *   3. latency: ROUNDS rounds, each starting the baseline, the baseline keeping DATEV's proxy and the
 *      program afresh (alternating order) for their share of the SAMPLES incoming calls and Dials; the
 *      first round also takes the idle RSS and the first call of each kind after start;
 *   4. the program's soak: its idle RSS IDLE_MS after the line is open and again once settled (SETTLE_MS),
 *      then CALLS calls in one lifetime, RSS every 100, the last incoming calls timed.
 * Prints a table with each figure and the ratio program/baseline, the program's own time line of a call
 * (its log between the fakes' stamps), and writes everything with the raw samples to
 * .cache/bench/wine.json. Figures only: nothing passes or fails on a number.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { exeTarget, PACKAGED_EXE, startApp, type AppTarget } from '../../test/wine/appProcess';
import { paths, ROOT } from '../../test/wine/env';
import { Bench, BASELINE_EXE, bareNodeTarget, baselineSubject, productSubject, type Subject } from './benchEnv';
import { dialCall, incomingCall, type DialSample, type IncomingSample } from './calls';
import { sleep } from './clock';
import { memoryOf, type Memory } from './processInfo';
import { dialPath, dialStepsWithoutLog, incomingPath, parseLog, type Segment } from './productLog';
import { markdown, mb, ms, table, writeJson, type Row } from './report';
import { PKG_EMPTY_EXE, timeCtiStart, timeReference, type StartSample } from './startup';
import { max, median, percentile, ratio, round } from './stats';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 30);
const STARTS = Number(process.env.BENCH_STARTS ?? 5);
const CALLS = Number(process.env.BENCH_CALLS ?? 500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARM_UP = 2;
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 5000);
/**
 * The second idle RSS, once start-up's garbage is gone: V8's memory reducer runs its first compacting GC
 * some seconds after start-up (measured under Wine: the program's RSS 153.6 MB 5 s after start, 149.1 MB
 * at 10 s, then flat for minutes; the bare node.exe flat from the start).
 */
const SETTLE_MS = Math.max(IDLE_MS, Number(process.env.BENCH_SETTLE_MS ?? 30000));
/**
 * Pause before each measured call, ms (default 0: each call starts as soon as DATEV has the previous
 * one's end, while the program may still be closing that call's window).
 */
const GAP_MS = Number(process.env.BENCH_GAP_MS ?? 0);
const OUT = path.join(ROOT, '.cache', 'bench', 'wine.json');

/** The process's memory IDLE_MS from now and again SETTLE_MS from now. */
async function idleAndSettled(pid: number): Promise<{ idle: Memory; settled: Memory }> {
  await sleep(IDLE_MS);
  const idle = memoryOf(pid);
  await sleep(SETTLE_MS - IDLE_MS);
  return { idle, settled: memoryOf(pid) };
}

const t0 = Date.now();
function step(text: string): void {
  console.log(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${text}`);
}

/** Latency samples of one subject, gathered over the rounds. */
interface Latency {
  label: string;
  /** The first calls after its first start (round 1). */
  firstIncoming?: IncomingSample;
  firstDial?: DialSample;
  incoming: IncomingSample[];
  dials: DialSample[];
  /** Idle RSS after the first start, and RSS after that round's calls. */
  idle?: Memory;
  after?: Memory;
  callsInFirstRound: number;
  /** The subject's log of each round (the program's: where it spends its time). */
  logs: string[];
}

const newLatency = (label: string): Latency => ({ label, incoming: [], dials: [], callsInFirstRound: 0, logs: [] });

/** Every call of the run gets its own numbers (the fakes match calls by them). */
let seq = 0;

/**
 * One round of a subject: start; in the first round the idle RSS and the first call of each kind; WARM_UP
 * calls of each kind; `perRound` measured incoming calls and Dials (Dials unless `incomingOnly`); Ctrl+C.
 */
async function latencyRound(bench: Bench, subject: Subject, round: number, perRound: number, acc: Latency, incomingOnly = false): Promise<void> {
  const r = bench.launch(subject, `bench-${subject.key}${subject.args.includes('--keep-datev-proxy') ? '-kept' : ''}-r${round}`);
  try {
    await bench.ready(r);
    await bench.forget();
    let calls = 0;
    if (round === 0 && !incomingOnly) {
      const pid = await r.app.waitForProgramPid();
      await sleep(IDLE_MS);
      acc.idle = memoryOf(pid);
      acc.firstIncoming = await incomingCall(bench, r, seq++);
      acc.firstDial = await dialCall(bench, r, seq++);
      calls += 2;
    }
    for (let k = 0; k < WARM_UP; k++) {
      await incomingCall(bench, r, seq++);
      if (!incomingOnly) await dialCall(bench, r, seq++);
    }
    for (let k = 0; k < perRound; k++) {
      await sleep(GAP_MS);
      acc.incoming.push(await incomingCall(bench, r, seq++));
    }
    if (!incomingOnly) {
      for (let k = 0; k < perRound; k++) {
        await sleep(GAP_MS);
        acc.dials.push(await dialCall(bench, r, seq++));
      }
    }
    calls += WARM_UP * (incomingOnly ? 1 : 2) + perRound * (incomingOnly ? 1 : 2);
    if (round === 0 && !incomingOnly) {
      acc.after = memoryOf(await r.app.waitForProgramPid());
      acc.callsInFirstRound = calls;
    }
    acc.logs.push(r.app.logText());
  } finally {
    await bench.stop(r);
  }
}

interface Soak {
  idle: Memory;
  /** The idle RSS again, SETTLE_MS after the line is open. */
  settled: Memory;
  after: Memory;
  /** RSS after the calls again, SETTLE_MS after the last. */
  afterSettled: Memory;
  /** RSS every 100 calls. */
  rssTrend: { calls: number; rssMB: number }[];
  calls: number;
  /** Incoming calls near the end (the last SAMPLES), to see whether latency stays flat. */
  lateIncoming: IncomingSample[];
  log: string;
}

/** The program for CALLS calls in one lifetime (incoming missed, Dial busy, alternating): RSS on the way. */
async function soakPhase(bench: Bench): Promise<Soak> {
  const subject = productSubject();
  const r = bench.launch(subject, 'bench-product-soak');
  try {
    await bench.ready(r);
    const pid = await r.app.waitForProgramPid();
    const { idle, settled } = await idleAndSettled(pid);
    step(`program soak: idle RSS ${mb(idle.rssMB)}, settled ${mb(settled.rssMB)}; ${CALLS} calls…`);
    await bench.forget();
    const lateIncoming: IncomingSample[] = [];
    const rssTrend: { calls: number; rssMB: number }[] = [];
    for (let n = 0; n < CALLS; ) {
      const left = CALLS - n;
      if (left % 2 === 0) {
        const s = await incomingCall(bench, r, seq++);
        if (left <= 2 * SAMPLES) lateIncoming.push(s);
      } else {
        await dialCall(bench, r, seq++);
      }
      n++;
      if (n % 100 === 0) {
        rssTrend.push({ calls: n, rssMB: round(memoryOf(pid).rssMB, 1) });
        step(`program soak: ${n} calls, RSS ${mb(rssTrend.at(-1)!.rssMB)}`);
        await bench.forget(); // the fake DATEV's bookkeeping stays small
      }
    }
    const { idle: after, settled: afterSettled } = await idleAndSettled(pid);
    step(`program soak: RSS ${IDLE_MS / 1000} s after ${CALLS} calls ${mb(after.rssMB)}, ${SETTLE_MS / 1000} s after ${mb(afterSettled.rssMB)}`);
    return { idle, settled, after, afterSettled, rssTrend, calls: CALLS, lateIncoming, log: r.app.logText() };
  } finally {
    await bench.stop(r);
  }
}

interface Latencies {
  product: Latency;
  baseline: Latency;
  kept: Latency;
}

/**
 * ROUNDS rounds, each starting every subject afresh for a share of the samples — the program, the
 * baseline and the baseline keeping DATEV's proxy (incoming only) — in alternating order, so load from
 * elsewhere on the machine hits them alike.
 */
async function latencyPhase(bench: Bench): Promise<Latencies> {
  const out: Latencies = { product: newLatency(productSubject().label), baseline: newLatency(baselineSubject().label), kept: newLatency(baselineSubject(true).label) };
  const perRound = Math.ceil(SAMPLES / ROUNDS);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['baseline', 'kept', 'product'] as const) : (['product', 'kept', 'baseline'] as const);
    for (const who of order) {
      if (who === 'product') await latencyRound(bench, productSubject(), round, perRound, out.product);
      else if (who === 'baseline') await latencyRound(bench, baselineSubject(), round, perRound, out.baseline);
      else await latencyRound(bench, baselineSubject(true), round, perRound, out.kept, true);
    }
    const p = out.product.incoming.slice(-perRound).map((x) => x.offerToNewCallMs);
    const b = out.baseline.incoming.slice(-perRound).map((x) => x.offerToNewCallMs);
    step(`latency round ${round + 1}/${ROUNDS}: incoming p50 program ${ms(median(p))}, baseline ${ms(median(b))}`);
  }
  return out;
}

/** Idle RSS of a reference that only waits, IDLE_MS and SETTLE_MS after start. */
interface ReferenceIdle extends Memory {
  settled: Memory;
}

/** Idle RSS of a reference that only waits: the bare node.exe, or the same packaged by pkg --sea. */
async function referenceIdle(bench: Bench, target: AppTarget, name: string): Promise<ReferenceIdle> {
  const app = startApp({ display: bench.display.display, target, name, config: {} });
  try {
    const { idle, settled } = await idleAndSettled(await app.waitForProgramPid());
    return { ...idle, settled };
  } finally {
    await app.interrupt(10000).catch(() => app.killHard().catch(() => undefined));
    await app.dispose();
  }
}

interface IdleReferences {
  /** node.exe -e "setInterval(()=>{},1000)" */
  node: ReferenceIdle;
  /** the same, packaged by pkg --sea like the program (bench/wine/pkg-empty with --idle) */
  pkg: ReferenceIdle;
}

async function idleReferences(bench: Bench): Promise<IdleReferences> {
  const node = await referenceIdle(bench, bareNodeTarget('setInterval(()=>{},1000)'), 'bench-node-idle');
  const target = exeTarget(PKG_EMPTY_EXE, 'pkg --sea of setInterval');
  target.command.push('--idle');
  target.files = [{ file: PKG_EMPTY_EXE, hint: 'run npm run bench:wine (bench/wine/run.sh makes it)' }];
  return { node, pkg: await referenceIdle(bench, target, 'bench-pkg-idle') };
}

interface Startups {
  product: StartSample[];
  baseline: StartSample[];
  node: StartSample[];
  /** process.exit(0) packaged by pkg --sea like the program (bench/wine/pkg-empty). */
  pkg: StartSample[];
}

/** STARTS rounds of: each subject cold, then warm — interleaved, so load from elsewhere hits all alike. */
async function startupPhase(bench: Bench): Promise<Startups> {
  const out: Startups = { product: [], baseline: [], node: [], pkg: [] };
  const product = productSubject();
  const baseline = baselineSubject();
  for (let round = 0; round < STARTS; round++) {
    for (const cold of [true, false]) {
      const kind = cold ? 'cold' : 'warm';
      out.node.push(await timeReference(bench, 'node', cold, `start-node-${kind}`));
      out.pkg.push(await timeReference(bench, 'pkg', cold, `start-pkg-${kind}`));
      out.baseline.push(await timeCtiStart(bench, baseline, cold, `start-baseline-${kind}`));
      out.product.push(await timeCtiStart(bench, product, cold, `start-product-${kind}`));
    }
    step(`start-up round ${round + 1}/${STARTS}: program ${ms(out.product.at(-2)!.ms)} cold, ${ms(out.product.at(-1)!.ms)} warm`);
  }
  return out;
}

function machine(): Record<string, unknown> {
  const wine = spawnSync('wine', ['--version'], { encoding: 'utf8' }).stdout.trim();
  const cpus = os.cpus();
  return {
    host: os.hostname(),
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGB: round(os.totalmem() / 2 ** 30, 1),
    kernel: os.release(),
    wine,
    nodeExe: path.relative(ROOT, paths.nodeExe),
    loadavgAtStart: os.loadavg().map((x) => round(x, 2)),
  };
}

/** Source files newer than the packaged exe: the benchmark would measure an old build. */
function staleSources(): string[] {
  const built = fs.statSync(PACKAGED_EXE).mtimeMs;
  const newer: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (fs.statSync(p).mtimeMs > built) newer.push(path.relative(ROOT, p));
    }
  };
  walk(path.join(ROOT, 'src'));
  walk(path.join(ROOT, 'native'));
  return newer;
}

const p50 = (xs: number[]): number => median(xs);
const p95 = (xs: number[]): number => percentile(xs, 95);
const pick = <T>(xs: T[], f: (x: T) => number): number[] => xs.map(f);

function rows(s: Startups, idle: IdleReferences, lat: Latencies, soak: Soak): Row[] {
  const prod = lat.product;
  const base = lat.baseline;
  const inP = pick(prod.incoming, (x) => x.offerToNewCallMs);
  const inB = pick(base.incoming, (x) => x.offerToNewCallMs);
  const inK = pick(lat.kept.incoming, (x) => x.offerToNewCallMs);
  const lateP = pick(soak.lateIncoming, (x) => x.offerToNewCallMs);
  const dialP = pick(prod.dials, (x) => x.dialMs);
  const dialB = pick(base.dials, (x) => x.dialMs);
  const c2mP = pick(prod.dials, (x) => x.calledToMakeCallMs);
  const c2mB = pick(base.dials, (x) => x.calledToMakeCallMs);
  const r2mP = pick(prod.dials, (x) => x.returnedToMakeCallMs);
  const r2mB = pick(base.dials, (x) => x.returnedToMakeCallMs);
  const callsP = pick(prod.dials, (x) => x.dataCalls.total);
  const callsB = pick(base.dials, (x) => x.dataCalls.total);
  const st = (xs: StartSample[], cold: boolean): number[] => xs.filter((x) => x.cold === cold).map((x) => x.ms);
  const ready = (xs: StartSample[], cold: boolean): number[] => xs.filter((x) => x.cold === cold).map((x) => x.readyMs);
  const nodeCold = p50(st(s.node, true));
  const nodeWarm = p50(st(s.node, false));
  const pkgCold = p50(st(s.pkg, true));
  const pkgWarm = p50(st(s.pkg, false));
  const firstLog = (cold: boolean): number => p50(s.product.filter((x) => x.cold === cold && x.firstLogMs !== undefined).map((x) => x.firstLogMs!));
  const pair = (a: number, b: number): string => `${ms(a)} / ${ms(b)}`;
  const delta = (x: number, ref: number, unit = 'ms'): string => `${x - ref >= 0 ? '+' : ''}${Math.round(x - ref)} ${unit}`;
  const firstIn = (l: Latency): number => l.firstIncoming?.offerToNewCallMs ?? Number.NaN;
  const firstDial = (l: Latency): number => l.firstDial?.dialMs ?? Number.NaN;
  const idleP = soak.idle.rssMB;
  const idleB = base.idle?.rssMB ?? Number.NaN;
  return [
    {
      measure: `incoming: TAPI OFFERING → DATEV receives NewCall, p50 / p95 of ${inP.length} calls`,
      product: pair(p50(inP), p95(inP)),
      baseline: pair(p50(inB), p95(inB)),
      ratio: `${ratio(p50(inP), p50(inB))} / ${ratio(p95(inP), p95(inB))}`,
      reference: `baseline keeping DATEV's proxy (no ROT lookup per call): ${pair(p50(inK), p95(inK))}`,
      goal: '≤ 1.3× (p50 and p95)',
    },
    {
      measure: 'incoming: the first call after start',
      product: ms(firstIn(prod)),
      baseline: ms(firstIn(base)),
      ratio: ratio(firstIn(prod), firstIn(base)),
      reference: '',
      goal: '',
    },
    {
      measure: `incoming after ${soak.calls} calls, p50 / p95 of the last ${lateP.length}`,
      product: lateP.length ? pair(p50(lateP), p95(lateP)) : '–',
      baseline: '',
      ratio: '',
      reference: '',
      goal: 'flat',
    },
    {
      measure: `Dial returns to DATEV, p50 / p95 of ${dialP.length}`,
      product: pair(p50(dialP), p95(dialP)),
      baseline: pair(p50(dialB), p95(dialB)),
      ratio: `${ratio(p50(dialP), p50(dialB))} / ${ratio(p95(dialP), p95(dialB))}`,
      reference: `the first Dial after start: program ${ms(firstDial(prod))}, baseline ${ms(firstDial(base))}`,
      goal: '≤ 1.2×',
    },
    {
      measure: "cross-process calls on DATEV's call-data object inside Dial (GetIDsOfNames + Invoke)",
      product: `${median(callsP)} (${median(pick(prod.dials, (x) => x.dataCalls.getIDsOfNames))} + ${median(pick(prod.dials, (x) => x.dataCalls.invoke))})`,
      baseline: `${median(callsB)} (${median(pick(base.dials, (x) => x.dataCalls.getIDsOfNames))} + ${median(pick(base.dials, (x) => x.dataCalls.invoke))})`,
      ratio: ratio(median(callsP), median(callsB)),
      reference: `max program ${max(callsP)}; the baseline reads 5 fields by name and writes CallID`,
      goal: 'only the needed ones',
    },
    {
      measure: 'Dial called → lineMakeCallW, p50',
      product: ms(p50(c2mP)),
      baseline: ms(p50(c2mB)),
      ratio: ratio(p50(c2mP), p50(c2mB)),
      reference: '',
      goal: '',
    },
    {
      measure: 'Dial returned → lineMakeCallW, p50 (negative: before Dial returned)',
      product: ms(p50(r2mP)),
      baseline: ms(p50(r2mB)),
      ratio: '',
      reference: `max program ${ms(max(r2mP))}, baseline ${ms(max(r2mB))}`,
      goal: '≤ 5 ms',
    },
    {
      measure: `start → CTI object in the ROT, p50 of ${STARTS} cold starts`,
      product: ms(p50(st(s.product, true))),
      baseline: ms(p50(st(s.baseline, true))),
      ratio: ratio(p50(st(s.product, true)), p50(st(s.baseline, true))),
      reference: `node.exe -e "process.exit(0)" start → exit ${ms(nodeCold)} (program ${delta(p50(st(s.product, true)), nodeCold)}); packaged by pkg --sea ${ms(pkgCold)} (program ${delta(p50(st(s.product, true)), pkgCold)})`,
      goal: '≤ bare node.exe + 60 ms',
    },
    {
      measure: `start → CTI object in the ROT, p50 of ${STARTS} warm starts`,
      product: ms(p50(st(s.product, false))),
      baseline: ms(p50(st(s.baseline, false))),
      ratio: ratio(p50(st(s.product, false)), p50(st(s.baseline, false))),
      reference: `node.exe -e "process.exit(0)" start → exit ${ms(nodeWarm)} (program ${delta(p50(st(s.product, false)), nodeWarm)}); packaged by pkg --sea ${ms(pkgWarm)} (program ${delta(p50(st(s.product, false)), pkgWarm)})`,
      goal: '≤ bare node.exe + 60 ms',
    },
    {
      measure: "start → the program's first log line (config read), p50 cold / warm",
      product: pair(firstLog(true), firstLog(false)),
      baseline: '',
      ratio: '',
      reference: `bare node.exe start → its first JS statement ${pair(p50(ready(s.node, true)), p50(ready(s.node, false)))}, packaged by pkg --sea ${pair(p50(ready(s.pkg, true)), p50(ready(s.pkg, false)))}`,
      goal: '',
    },
    {
      measure: 'start → TAPI line open, p50 cold / warm',
      product: pair(p50(ready(s.product, true)), p50(ready(s.product, false))),
      baseline: pair(p50(ready(s.baseline, true)), p50(ready(s.baseline, false))),
      ratio: '',
      reference: '',
      goal: '',
    },
    {
      measure: `idle RSS (${IDLE_MS / 1000} s after the line is open)`,
      product: mb(idleP),
      baseline: mb(idleB),
      ratio: ratio(idleP, idleB),
      reference: `node.exe -e "setInterval(()=>{},1000)": ${mb(idle.node.rssMB)} (program ${delta(idleP, idle.node.rssMB, 'MB')}); packaged by pkg --sea ${mb(idle.pkg.rssMB)} (program ${delta(idleP, idle.pkg.rssMB, 'MB')})`,
      goal: '≤ bare node.exe + 20 MB',
    },
    {
      measure: `idle RSS settled (${SETTLE_MS / 1000} s after the line is open)`,
      product: mb(soak.settled.rssMB),
      baseline: '',
      ratio: '',
      reference: `node.exe: ${mb(idle.node.settled.rssMB)} (program ${delta(soak.settled.rssMB, idle.node.settled.rssMB, 'MB')}); pkg --sea ${mb(idle.pkg.settled.rssMB)} (program ${delta(soak.settled.rssMB, idle.pkg.settled.rssMB, 'MB')})`,
      goal: '≤ bare node.exe + 20 MB',
    },
    {
      measure: 'RSS after calls',
      product: `${mb(soak.after.rssMB)} after ${soak.calls}`,
      baseline: base.after ? `${mb(base.after.rssMB)} after ${base.callsInFirstRound}` : '–',
      ratio: '',
      reference: `program ${delta(soak.after.rssMB, idleP, 'MB')} since idle, ${mb(soak.afterSettled.rssMB)} ${SETTLE_MS / 1000} s after the last call (every 100 calls: ${soak.rssTrend.map((x) => Math.round(x.rssMB)).join(', ') || '–'} MB), threads ${soak.idle.threads} → ${soak.after.threads}`,
      goal: 'flat after 500 calls',
    },
  ];
}

function printSegments(title: string, segs: Segment[], expected: number): string {
  const lines = [title, ...segs.map((s) => `  ${s.p50Ms >= 0 ? ' ' : ''}${ms(s.p50Ms).padStart(8)}  ${s.label}${s.samples < expected ? ` (${s.samples} of ${expected} matched)` : ''}`)];
  return lines.join('\n');
}

const summary = (xs: number[]): Record<string, number> => ({ p50: round(p50(xs), 2), p95: round(p95(xs), 2), min: round(Math.min(...xs), 2), max: round(max(xs), 2), n: xs.length });

async function main(): Promise<void> {
  for (const [file, hint] of [
    [PACKAGED_EXE, 'npm run package'],
    [BASELINE_EXE, 'bash bench/baseline/build.sh'],
    [paths.nodeExe, 'bash scripts/setup-windows-toolchain.sh'],
    [PKG_EMPTY_EXE, 'npm run bench:wine (bench/wine/run.sh makes it)'],
  ] as const) {
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: run ${hint} (npm run bench:wine does both)`);
  }
  const stale = staleSources();
  const date = new Date();
  const host = machine();
  const exeBuilt = fs.statSync(PACKAGED_EXE).mtime;
  console.log(`bench:wine ${date.toISOString()} on ${String(host.cpu)} (${String(host.cores)} cores), ${String(host.wine)}, load ${(host.loadavgAtStart as number[]).join(' ')}`);
  console.log(`program: ${path.relative(ROOT, PACKAGED_EXE)} built ${exeBuilt.toISOString()}; baseline: ${path.relative(ROOT, BASELINE_EXE)}`);
  if (stale.length) console.log(`NOTE: ${stale.length} source file(s) are newer than the exe (e.g. ${stale[0]}): BENCH_PACKAGE=1 npm run bench:wine measures a fresh build`);
  console.log(
    `Wine prefix: ${paths.prefix}; ${SAMPLES} measured calls per kind in ${ROUNDS} rounds, ${STARTS} cold + ${STARTS} warm starts, ${CALLS} calls in the program's soak`,
  );
  const bench = await Bench.start();
  let startups: Startups, idle: IdleReferences, lat: Latencies, soak: Soak;
  try {
    step('Xvfb, wineserver, fake DATEV and the fake PBX are up; start-up…');
    startups = await startupPhase(bench);
    idle = await idleReferences(bench);
    step(`idle RSS bare node.exe ${mb(idle.node.rssMB)}, packaged by pkg --sea ${mb(idle.pkg.rssMB)}; latency rounds…`);
    lat = await latencyPhase(bench);
    soak = await soakPhase(bench);
  } finally {
    await bench.close();
  }
  const table1 = rows(startups, idle, lat, soak);
  const lines = parseLog(lat.product.logs.join('\n'));
  const soakLines = parseLog(soak.log);
  const withIds = <T extends { callId: string }>(xs: T[]): { sample: T; callId: string }[] => xs.map((sample) => ({ sample, callId: sample.callId }));
  const inSegs = incomingPath(lines, withIds(lat.product.incoming));
  const lateSegs = incomingPath(soakLines, withIds(soak.lateIncoming));
  const dialSegs = dialPath(lines, withIds(lat.product.dials));
  const baseDialSegs = dialStepsWithoutLog(lat.baseline.dials);
  const load = os.loadavg().map((x) => round(x, 2));
  console.log('');
  console.log(table(table1));
  console.log('');
  console.log(printSegments("Where the program spends an incoming call (p50 of each step, from its log and the fakes' clocks):", inSegs, lat.product.incoming.length));
  if (soak.lateIncoming.length) console.log(printSegments(`The same for the last ${soak.lateIncoming.length} incoming calls of ${soak.calls}:`, lateSegs, soak.lateIncoming.length));
  console.log(printSegments('Where the program spends a Dial (p50 of each step):', dialSegs, lat.product.dials.length));
  console.log(printSegments("The baseline's Dial, for comparison:", baseDialSegs, lat.baseline.dials.length));
  console.log('');
  console.log(`load average at the end: ${load.join(' ')}; total ${((Date.now() - t0) / 1000).toFixed(0)} s; JSON: ${path.relative(ROOT, OUT)}`);
  const startSummary = (xs: StartSample[], f: (x: StartSample) => number = (x) => x.ms): Record<string, unknown> => ({
    cold: summary(xs.filter((x) => x.cold).map(f)),
    warm: summary(xs.filter((x) => !x.cold).map(f)),
  });
  const noLogs = (l: Latency): Omit<Latency, 'logs'> => ({ ...l, logs: undefined }) as Omit<Latency, 'logs'>;
  writeJson(OUT, {
    date: date.toISOString(),
    machine: { ...host, loadavgAtEnd: load },
    program: { exe: path.relative(ROOT, PACKAGED_EXE), built: exeBuilt.toISOString(), staleSources: stale },
    settings: { samples: SAMPLES, rounds: ROUNDS, starts: STARTS, calls: CALLS, warmUp: WARM_UP, idleMs: IDLE_MS, settleMs: SETTLE_MS, prefix: paths.prefix },
    table: table1,
    markdown: markdown(table1),
    paths: { incoming: inSegs, incomingLate: lateSegs, dial: dialSegs, baselineDial: baseDialSegs },
    figures: {
      incoming: {
        product: summary(pick(lat.product.incoming, (x) => x.offerToNewCallMs)),
        baseline: summary(pick(lat.baseline.incoming, (x) => x.offerToNewCallMs)),
        baselineKeptProxy: summary(pick(lat.kept.incoming, (x) => x.offerToNewCallMs)),
        productLate: soak.lateIncoming.length ? summary(pick(soak.lateIncoming, (x) => x.offerToNewCallMs)) : null,
      },
      dialReturn: { product: summary(pick(lat.product.dials, (x) => x.dialMs)), baseline: summary(pick(lat.baseline.dials, (x) => x.dialMs)) },
      dialCalledToMakeCall: { product: summary(pick(lat.product.dials, (x) => x.calledToMakeCallMs)), baseline: summary(pick(lat.baseline.dials, (x) => x.calledToMakeCallMs)) },
      dialReturnedToMakeCall: { product: summary(pick(lat.product.dials, (x) => x.returnedToMakeCallMs)), baseline: summary(pick(lat.baseline.dials, (x) => x.returnedToMakeCallMs)) },
      dialDataCalls: { product: lat.product.dials[0]?.dataCalls, baseline: lat.baseline.dials[0]?.dataCalls },
      startToRot: { product: startSummary(startups.product), baseline: startSummary(startups.baseline) },
      startToFirstLog: { product: startSummary(startups.product.filter((x) => x.firstLogMs !== undefined), (x) => x.firstLogMs!) },
      startToLineOpen: { product: startSummary(startups.product, (x) => x.readyMs), baseline: startSummary(startups.baseline, (x) => x.readyMs) },
      bareNode: { startToExit: startSummary(startups.node), startToFirstStatement: startSummary(startups.node, (x) => x.readyMs), idle: idle.node },
      pkgEmpty: { startToExit: startSummary(startups.pkg), startToFirstStatement: startSummary(startups.pkg, (x) => x.readyMs), idle: idle.pkg },
      memory: {
        product: { idle: soak.idle, settled: soak.settled, after: soak.after, afterSettled: soak.afterSettled, calls: soak.calls, every100: soak.rssTrend },
        baseline: { idle: lat.baseline.idle, after: lat.baseline.after, calls: lat.baseline.callsInFirstRound },
      },
    },
    samples: { startups, product: noLogs(lat.product), baseline: noLogs(lat.baseline), baselineKeptProxy: noLogs(lat.kept), soakLateIncoming: soak.lateIncoming },
  });
}

// exits at once: timers of the Wine helpers' bounded waits (Ctrl+C, exits) would keep it alive a while
void main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`bench:wine failed: ${(e as Error).stack ?? String(e)}`);
    process.exit(1);
  },
);
