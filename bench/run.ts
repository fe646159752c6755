/**
 * Contact directory benchmark (`npm run bench`): prints figures, asserts nothing.
 * 50,000 addressees with 120,000 phone numbers served by a fake DATEVconnect in its own process.
 * "before" runs a frozen copy of the previous implementation (bench/baseline) in the same run.
 * Targets (issue 9 / issue 8): index ≤ 10 MB, lookup p99 < 20 µs, restart from the cache ≤ 100 ms
 * CPU, no event-loop block > 20 ms during start-up, crawl or refresh.
 * Memory = V8 heap + ArrayBuffers (typed arrays live outside the V8 heap), after GC, as a delta.
 * Event-loop lag = perf_hooks.monitorEventLoopDelay (1 ms resolution) during the phase.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { noAuth } from '../src/contacts/datevconnect/auth';
import { DatevConnectClient } from '../src/contacts/datevconnect/client';
import { NodeHttpTransport } from '../src/contacts/datevconnect/http';
import { toRecord } from '../src/contacts/datevconnect/records';
import { DatevConnectSource } from '../src/contacts/datevconnect/source';
import { ContactDirectory } from '../src/contacts/directory';
import { silentLogger } from '../src/contacts/logger';
import { checkNumberRules, type NumberRules } from '../src/contacts/numbers';
import { Slicer } from '../src/contacts/slicer';
import { TableBuilder } from '../src/contacts/table/builder';
import type { Clock } from '../src/util/clock';
import { systemClock } from '../src/util/clock';
import { generateDataset } from '../fakes/datevconnect/data';
import { indexRecords, oldRestart } from './baseline/oldCache';

const ADDRESSEES = Number(process.env.BENCH_ADDRESSEES ?? 50_000);
const PHONES = Number(process.env.BENCH_PHONES ?? 120_000);
const LOOKUPS = 20_000;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A clock whose timers never fire: a started source does not crawl on its own. */
const frozenClock: Clock = { now: () => new Date(), setTimeout: () => () => undefined };

interface Memory {
  heap: number;
  buffers: number;
}

function memory(): Memory {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed / 1048576, buffers: m.arrayBuffers / 1048576 };
}

function memoryDelta(before: Memory): string {
  const now = memory();
  const heap = now.heap - before.heap;
  const buffers = now.buffers - before.buffers;
  return `${(heap + buffers).toFixed(1)} MB (heap ${heap.toFixed(1)} + buffers ${buffers.toFixed(1)})`;
}

function line(label: string, value: string, target?: string, met?: boolean): void {
  const t = target === undefined ? '' : `  target ${target}: ${met ? 'MET' : 'NOT MET'}`;
  console.log(`${label.padEnd(50)} ${value.padStart(14)}${t}`);
}

interface Phase<T> {
  value: T;
  cpuMs: number;
  wallMs: number;
  lagP99: number;
  lagMax: number;
}

/** Runs `fn`, measuring this process's CPU, wall time and the event-loop delay meanwhile. */
async function phase<T>(fn: () => Promise<T>): Promise<Phase<T>> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  await new Promise((r) => setTimeout(r, 5));
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const wallMs = performance.now() - t0;
  const d = process.cpuUsage(cpu);
  await new Promise((r) => setTimeout(r, 5)); // lets the monitor record a block that ended just now
  h.disable();
  return { value, cpuMs: (d.user + d.system) / 1000, wallMs, lagP99: h.percentile(99) / 1e6, lagMax: h.max / 1e6 };
}

function lagLine(label: string, p: Phase<unknown>): void {
  line(`${label}: event-loop lag p99 / max`, `${p.lagP99.toFixed(1)} / ${p.lagMax.toFixed(1)} ms`, '≤ 20 ms', p.lagMax <= 20);
}

/** The lag of this process doing nothing, now (the machine's own floor: other processes, scheduling). */
async function idleFloor(): Promise<void> {
  const idle = await phase(() => new Promise((r) => setTimeout(r, 1000)));
  line('idle process for 1 s (floor of this machine now): lag p99 / max', `${idle.lagP99.toFixed(1)} / ${idle.lagMax.toFixed(1)} ms`);
}

async function startFake(): Promise<{ url: string; edit(changed: number, removed: number, added: number): Promise<void>; stop(): void }> {
  const child = fork(join(__dirname, 'fakeServer.js'), [String(ADDRESSEES), String(PHONES)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`fake DATEVconnect exited with ${String(code)}`)));
  });
  return {
    url,
    edit: (changed, removed, added) =>
      new Promise<void>((resolve) => {
        child.once('message', () => resolve());
        child.send({ op: 'edit', changed, removed, added });
      }),
    stop: () => child.kill('SIGTERM'),
  };
}

/** Caller numbers as a PBX reports them (half known: E.164, national, 0049 forms; half unknown), and the old cache file. */
function prepare(file: string, url: string): string[] {
  const data = generateDataset(ADDRESSEES, PHONES);
  const out: string[] = [];
  for (let i = 0; out.length < LOOKUPS; i++) {
    const a = data[(i * 7919) % data.length]!;
    const std = a.communications.find((c) => c.type === 'phone')?.number_standardized ?? '0049891234567';
    const digits = std.slice(2);
    const forms = ['+' + digits, '0' + digits.slice(2), '00' + digits, '+49' + String(300000000 + i)];
    out.push(forms[i % forms.length]!);
  }
  const addressees = data.map((a) => toRecord(a as unknown as Record<string, unknown>)!);
  const stamp = Date.now();
  writeFileSync(file, JSON.stringify({ version: 1, baseUrl: url, lastFullCrawl: stamp, lastRefresh: stamp, deletionMark: '2024-01-15T09:30:00.000', addressees }));
  return out;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Lookups through the port (await lookup()), each timed on its own. */
async function lookups(label: string, directory: ContactDirectory, sample: string[]): Promise<void> {
  for (let i = 0; i < 2000; i++) await directory.lookup(sample[i]!);
  const times = new Float64Array(sample.length);
  let hits = 0;
  gc(); // a clean heap at the start; collections during the loop still count
  for (let k = 0; k < sample.length; k++) {
    const t0 = process.hrtime.bigint();
    const r = await directory.lookup(sample[k]!);
    times[k] = Number(process.hrtime.bigint() - t0) / 1000;
    if (r.length > 0) hits++;
  }
  times.sort();
  const p99 = percentile(times, 99);
  line(`${label}: found / total`, `${hits} / ${sample.length}`);
  line(`${label}: p50 / p99`, `${percentile(times, 50).toFixed(1)} / ${p99.toFixed(1)} µs`, '< 20 µs', p99 < 20);
}

function source(url: string, transport: NodeHttpTransport, rules: NumberRules, cacheFile: string, clock: Clock): DatevConnectSource {
  return new DatevConnectSource({
    client: new DatevConnectClient({ baseUrl: url, transport, auth: noAuth, timeoutMs: 30_000 }),
    rules,
    cacheFile,
    clock,
    logger: silentLogger,
    concurrency: 8,
    refreshIntervalMs: 3_600_000,
    fullRebuildIntervalMs: 86_400_000,
    retryDelayMs: 60_000,
  });
}

async function before(oldCache: string, rules: NumberRules, sample: string[]): Promise<void> {
  console.log('\nBEFORE (previous implementation, frozen copy in bench/baseline)');
  const base = memory();
  const restart = await phase(() => oldRestart(oldCache, rules));
  line('restart from cache (JSON parse + index): CPU', `${restart.cpuMs.toFixed(0)} ms`, '≤ 100 ms', restart.cpuMs <= 100);
  lagLine('restart from cache', restart);
  line('index + records in memory', memoryDelta(base), '≤ 10 MB', false);
  const { index } = restart.value;
  const fakeSource = { find: (e164: string) => index.find(e164) } as unknown as DatevConnectSource;
  await lookups('lookup', new ContactDirectory({ rules, logger: silentLogger, datevConnect: fakeSource }), sample);
  const records = [...restart.value.records.values()];
  const build = await phase(async () => indexRecords(records, rules));
  line('index build from records: CPU', `${build.cpuMs.toFixed(0)} ms`);
}

async function after(dir: string, oldCache: string, rules: NumberRules, sample: string[], fake: Awaited<ReturnType<typeof startFake>>): Promise<void> {
  console.log('\nAFTER (compact table)');
  const transport = new NodeHttpTransport(8);
  try {
    const cacheFile = join(dir, 'contacts.bin');
    const crawled = source(fake.url, transport, rules, cacheFile, systemClock);
    const base = memory();
    const crawl = await phase(() => crawled.refreshNow());
    const st = crawled.status();
    if (st.lastError) throw new Error(`crawl failed: ${st.lastError.message}`);
    line('crawl: addressees / numbers indexed', `${st.addressees} / ${st.numbers}`);
    line('crawl: wall time (incl. server) / client CPU', `${(crawl.wallMs / 1000).toFixed(2)} / ${(crawl.cpuMs / 1000).toFixed(2)} s`);
    lagLine('crawl (HTTP + build + save)', crawl);
    const indexMemory = memoryDelta(base);
    const mb = crawled.indexBytes / 1048576;
    line('index in memory (columns + id hash)', `${mb.toFixed(1)} MB`, '≤ 10 MB', mb <= 10);
    line('index in memory (process, after GC)', indexMemory);

    const directory = new ContactDirectory({ rules, logger: silentLogger, datevConnect: crawled });
    await lookups('lookup', directory, sample);

    await fake.edit(500, 50, 50);
    const refresh = await phase(() => crawled.refreshNow());
    line('incremental refresh (500 changed, 50 deleted, 50 new): CPU', `${refresh.cpuMs.toFixed(0)} ms`);
    line('incremental refresh: addressees / numbers after', `${crawled.status().addressees} / ${crawled.status().numbers}`);
    lagLine('incremental refresh', refresh);

    const full = await phase(() => crawled.refreshNow(true));
    line('full rebuild (crawl again): client CPU', `${(full.cpuMs / 1000).toFixed(2)} s`);
    lagLine('full rebuild', full);
    crawled.stop();

    const memBefore = memory();
    const restarted = source(fake.url, transport, rules, cacheFile, frozenClock);
    const restart = await phase(() => restarted.start());
    line('restart from cache (read + check + views): CPU', `${restart.cpuMs.toFixed(0)} ms`, '≤ 100 ms', restart.cpuMs <= 100);
    lagLine('restart from cache', restart);
    line('restart from cache: addressees / numbers', `${restarted.status().addressees} / ${restarted.status().numbers}`);
    line('restarted index in memory (process, after GC)', memoryDelta(memBefore));
    restarted.stop();

    const migrated = source(fake.url, transport, rules, oldCache, frozenClock);
    const migration = await phase(() => migrated.start());
    line('first start after the update (old JSON cache → table): CPU', `${(migration.cpuMs / 1000).toFixed(2)} s`);
    lagLine('migration of the old cache', migration);
    migrated.stop();

    const records = generateDataset(ADDRESSEES, PHONES).map((a) => toRecord(a as unknown as Record<string, unknown>)!);
    const build = await phase(async () => {
      const b = new TableBuilder(rules);
      for (const r of records) b.add(r);
      return b.finish(new Slicer());
    });
    line('table build from records (parse numbers + sort): CPU', `${build.cpuMs.toFixed(0)} ms`);
  } finally {
    transport.close();
  }
}

async function main(): Promise<void> {
  console.log(`Contact directory benchmark: ${ADDRESSEES} addressees, ${PHONES} phone numbers (Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'})`);
  const rules = checkNumberRules({});
  const fake = await startFake();
  const dir = mkdtempSync(join(tmpdir(), 'bench-contacts-'));
  try {
    const oldCache = join(dir, 'old-contacts.json');
    const sample = prepare(oldCache, fake.url);
    await idleFloor();
    await before(oldCache, rules, sample);
    gc();
    await after(dir, oldCache, rules, sample, fake);
    await idleFloor();
    line('\nmachine load average (1 min) / cores', `${loadavg()[0]!.toFixed(2)} / ${cpus().length}`);
  } finally {
    fake.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error('benchmark failed:', e);
  process.exitCode = 1;
});
