/**
 * `BENCH_MAIN=bench/wine/memoryMap.ts npm run bench:wine`: where the idle RSS of the packaged program goes,
 * side by side with a bare node.exe under Wine — /proc/<pid>/smaps of both, summed per mapping (an image or
 * file by its name, anonymous memory as one line), largest differences first; then what the program's
 * first calls add (BENCH_MAP_CALLS incoming calls and Dials, default 20 each). Figures only.
 * BENCH_MAP_STARTS (default 1): start each this many times and compare the runs of median RSS (idle RSS
 * under Wine moves by several MB from one start to the next; an A/B of a few MB needs more than one).
 * It names the threads of each (Wine gives a Linux thread the name SetThreadDescription gave the Windows
 * thread; a thread started by a named one inherits its name); BENCH_MAP_PKG=1 adds pkg --sea's own
 * (bench/wine/pkg-empty with --idle). Each idle figure is taken BENCH_IDLE_MS (default 20000) after the start.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exeTarget, startApp } from '../../test/wine/appProcess';
import { ROOT } from '../../test/wine/env';
import { Bench, bareNodeTarget, benchNodeOptions, productSubject } from './benchEnv';
import { dialCall, incomingCall } from './calls';
import { sleep } from './clock';

// settled: V8's memory reducer compacts the program's heap some seconds after start-up (bench/wine/main.ts SETTLE_MS)
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 20000);
const CALLS = Number(process.env.BENCH_MAP_CALLS ?? 20);
const STARTS = Math.max(1, Number(process.env.BENCH_MAP_STARTS ?? 1));

interface Mapping {
  rssKB: number;
  anonKB: number;
}

/** Sums of Rss and Anonymous per mapping name ("[anonymous]" for nameless ones). */
function smapsOf(pid: number): Map<string, Mapping> {
  const out = new Map<string, Mapping>();
  let name = '';
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      name = head[1]!.trim() || '[anonymous]';
      if (!out.has(name)) out.set(name, { rssKB: 0, anonKB: 0 });
      continue;
    }
    const field = /^(Rss|Anonymous):\s+(\d+) kB/.exec(line);
    if (!field) continue;
    const m = out.get(name)!;
    if (field[1] === 'Rss') m.rssKB += Number(field[2]);
    else m.anonKB += Number(field[2]);
  }
  return out;
}

/** Threads of a process (Wine runs each Windows thread as a Linux thread). */
const threadsOf = (pid: number): number => fs.readdirSync(`/proc/${pid}/task`).length;

/** The threads' names (the Linux thread name, which Wine sets from SetThreadDescription), counted by name. */
function threadNamesOf(pid: number): string {
  const counts = new Map<string, number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    let name = '?';
    try {
      name = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
    } catch {
      // the thread ended while it was read
    }
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts].map(([n, c]) => (c > 1 ? `${n} ×${c}` : n)).join(', ');
}

const short = (name: string): string => (name.length > 70 ? '…' + name.slice(-69) : name);

async function main(): Promise<void> {
  const bench = await Bench.start();
  try {
    const nodeMaps: Map<string, Mapping>[] = [];
    const nodeThreads: number[] = [];
    for (let i = 0; i < STARTS; i++) {
      const node = startApp({ display: bench.display.display, target: bareNodeTarget('setInterval(()=>{},1000)'), name: `map-node-${i}`, config: {}, env: benchNodeOptions() });
      try {
        const pid = await node.waitForProgramPid();
        await sleep(IDLE_MS);
        nodeMaps.push(smapsOf(pid));
        nodeThreads.push(threadsOf(pid));
        if (i === 0) console.log(`bare node.exe threads: ${threadNamesOf(pid)}`);
      } finally {
        await node.interrupt(10000).catch(() => node.killHard().catch(() => undefined));
        await node.dispose();
      }
    }
    if (process.env.BENCH_MAP_PKG === '1') {
      // pkg --sea's own idle threads (the same setInterval packaged like the program)
      const target = exeTarget(path.join(ROOT, '.cache', 'bench', 'pkg-empty.exe'), 'pkg --sea of setInterval');
      target.command.push('--idle');
      const pkg = startApp({ display: bench.display.display, target, name: 'map-pkg', config: {}, env: benchNodeOptions() });
      try {
        const pid = await pkg.waitForProgramPid();
        await sleep(IDLE_MS);
        console.log(`pkg --sea setInterval threads: ${threadNamesOf(pid)}`);
      } finally {
        await pkg.interrupt(10000).catch(() => pkg.killHard().catch(() => undefined));
        await pkg.dispose();
      }
    }
    const programMaps: Map<string, Mapping>[] = [];
    const programThreads: number[] = [];
    let afterCalls: Map<string, Mapping> | undefined;
    for (let i = 0; i < STARTS; i++) {
      const r = bench.launch(productSubject(), `map-product-${i}`);
      try {
        await bench.ready(r);
        const pid = await r.app.waitForProgramPid();
        await sleep(IDLE_MS);
        programMaps.push(smapsOf(pid));
        programThreads.push(threadsOf(pid));
        if (i === 0) console.log(`program idle threads: ${threadNamesOf(pid)}`);
        if (i < STARTS - 1) continue;
        for (let c = 0; c < CALLS; c++) {
          await incomingCall(bench, r, 2 * c);
          await dialCall(bench, r, 2 * c + 1);
        }
        await sleep(IDLE_MS);
        afterCalls = smapsOf(pid);
        console.log(`program threads after the calls: ${threadNamesOf(pid)}`);
      } finally {
        await bench.stop(r);
      }
    }
    const nodeMap = median('bare node.exe', nodeMaps);
    const programMap = median('program idle', programMaps);
    console.log(`threads: bare node.exe ${nodeThreads.join(', ')}; program idle ${programThreads.join(', ')} (under Wine each costs about 1 MB of RSS: its stack region)`);
    printDiff('bare node.exe', nodeMap, 'program idle', programMap);
    console.log('');
    printDiff(`program idle${STARTS > 1 ? ' (last start)' : ''}`, programMaps[programMaps.length - 1]!, `after ${CALLS} incoming calls and ${CALLS} Dials`, afterCalls!);
  } finally {
    await bench.close();
  }
}

const totalKB = (m: Map<string, Mapping>): number => [...m.values()].reduce((s, v) => s + v.rssKB, 0);

/** The run of median total RSS; with several, every run's total is printed. */
function median(label: string, maps: Map<string, Mapping>[]): Map<string, Mapping> {
  const sorted = [...maps].sort((x, y) => totalKB(x) - totalKB(y));
  if (maps.length > 1) console.log(`${label}: RSS of ${maps.length} starts ${maps.map((m) => (totalKB(m) / 1024).toFixed(1)).join(', ')} MB; median ${(totalKB(sorted[(sorted.length - 1) >> 1]!) / 1024).toFixed(1)} MB`);
  return sorted[(sorted.length - 1) >> 1]!;
}

/** Both maps side by side, per mapping, differences of 256 KB or more, largest first. */
function printDiff(beforeLabel: string, before: Map<string, Mapping>, afterLabel: string, after: Map<string, Mapping>): void {
  const none: Mapping = { rssKB: 0, anonKB: 0 };
  const rows = [...new Set([...before.keys(), ...after.keys()])].map((n) => {
    const x = before.get(n) ?? none;
    const y = after.get(n) ?? none;
    return { n, before: x.rssKB, after: y.rssKB, anon: y.anonKB, diff: y.rssKB - x.rssKB };
  });
  rows.sort((x, y) => Math.abs(y.diff) - Math.abs(x.diff));
  console.log(`RSS: ${beforeLabel} ${(totalKB(before) / 1024).toFixed(1)} MB, ${afterLabel} ${(totalKB(after) / 1024).toFixed(1)} MB`);
  console.log('mapping'.padEnd(72) + 'before KB'.padStart(10) + 'after KB'.padStart(12) + 'of it anon'.padStart(12) + 'diff KB'.padStart(10));
  for (const row of rows.filter((x) => Math.abs(x.diff) >= 256)) {
    console.log(short(row.n).padEnd(72) + String(row.before).padStart(10) + String(row.after).padStart(12) + String(row.anon).padStart(12) + String(row.diff).padStart(10));
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
