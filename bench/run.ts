/**
 * Contact directory benchmark (`npm run bench`): prints figures, asserts nothing.
 * 50,000 addressees with 120,000 phone numbers served by the fake DATEVconnect in its own process.
 * Targets: index built from the server's data in < 2 s CPU, lookup p99 < 20 µs, heap < 60 MB.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { noAuth } from '../src/contacts/datevconnect/auth';
import { DatevConnectClient } from '../src/contacts/datevconnect/client';
import { NodeHttpTransport } from '../src/contacts/datevconnect/http';
import { DatevConnectSource, indexRecords } from '../src/contacts/datevconnect/source';
import type { AddresseeRecord } from '../src/contacts/datevconnect/records';
import { ContactDirectory } from '../src/contacts/directory';
import { silentLogger } from '../src/contacts/logger';
import { checkNumberRules, type NumberRules } from '../src/contacts/numbers';
import { systemClock } from '../src/util/clock';
import { generateDataset } from '../fakes/datevconnect/data';

const ADDRESSEES = Number(process.env.BENCH_ADDRESSEES ?? 50_000);
const PHONES = Number(process.env.BENCH_PHONES ?? 120_000);
const LOOKUPS = 20_000;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function cpuMs(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

function heapMB(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1048576;
}

function line(label: string, value: string, target?: string, met?: boolean): void {
  const t = target === undefined ? '' : `  target ${target}: ${met ? 'MET' : 'NOT MET'}`;
  console.log(`${label.padEnd(44)} ${value.padStart(12)}${t}`);
}

async function startFake(): Promise<{ url: string; stop(): void }> {
  const child = fork(join(__dirname, '..', 'fakes', 'datevconnect', 'main.js'), [String(ADDRESSEES), String(PHONES)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`fake DATEVconnect exited with ${String(code)}`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

/** Caller numbers as a PBX reports them: half known (E.164, national, 0049 forms), half unknown. */
function lookupSample(): string[] {
  const data = generateDataset(ADDRESSEES, PHONES);
  const out: string[] = [];
  for (let i = 0; out.length < LOOKUPS; i++) {
    const a = data[(i * 7919) % data.length]!;
    const std = a.communications.find((c) => c.type === 'phone')?.number_standardized ?? '0049891234567';
    const digits = std.slice(2);
    const forms = ['+' + digits, '0' + digits.slice(2), '00' + digits, '+49' + String(300000000 + i)];
    out.push(forms[i % forms.length]!);
  }
  return out;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Index built from the server's data (the records the crawl fetched, as persisted). */
async function buildFromData(dir: string, rules: NumberRules): Promise<void> {
  const records = (JSON.parse(readFileSync(join(dir, 'cache.json'), 'utf8')) as { addressees: AddresseeRecord[] }).addressees;
  const cpu = process.cpuUsage();
  const built = indexRecords(records, rules);
  const buildCpu = cpuMs(cpu);
  line('index build from data: numbers', String(built.index.size));
  line('index build from data: CPU', `${(buildCpu / 1000).toFixed(2)} s`, '< 2 s', buildCpu < 2000);
}

/** Restart from the per-user cache (no request to DATEVconnect needed). */
async function restartFromCache(dir: string, rules: NumberRules, url: string, transport: NodeHttpTransport): Promise<void> {
  const restarted = new DatevConnectSource({
    client: new DatevConnectClient({ baseUrl: url, transport, auth: noAuth, timeoutMs: 30_000 }),
    rules,
    cacheFile: join(dir, 'cache.json'),
    clock: { now: () => new Date(), setTimeout: () => () => undefined },
    logger: silentLogger,
    concurrency: 8,
    refreshIntervalMs: 3_600_000,
    fullRebuildIntervalMs: 86_400_000,
    retryDelayMs: 60_000,
  });
  const cpu = process.cpuUsage();
  await restarted.start();
  line('restart from cache: CPU (read+parse+index)', `${(cpuMs(cpu) / 1000).toFixed(2)} s`);
  restarted.stop();
}

async function main(): Promise<void> {
  console.log(`Contact directory benchmark: ${ADDRESSEES} addressees, ${PHONES} phone numbers (Node ${process.version})\n`);
  const rules = checkNumberRules({});
  const sample = lookupSample();
  const baseHeap = heapMB();
  const fake = await startFake();
  const dir = mkdtempSync(join(tmpdir(), 'bench-contacts-'));
  const transport = new NodeHttpTransport(8);
  try {
    const source = new DatevConnectSource({
      client: new DatevConnectClient({ baseUrl: fake.url, transport, auth: noAuth, timeoutMs: 30_000 }),
      rules,
      cacheFile: join(dir, 'cache.json'),
      clock: systemClock,
      logger: silentLogger,
      concurrency: 8,
      refreshIntervalMs: 3_600_000,
      fullRebuildIntervalMs: 86_400_000,
      retryDelayMs: 60_000,
    });
    const directory = new ContactDirectory({ rules, logger: silentLogger, datevConnect: source });

    // 1. Full crawl over HTTP (wall time is mostly the fake server's; CPU is this process only).
    let wall = performance.now();
    let cpu = process.cpuUsage();
    await source.refreshNow();
    const crawlCpu = cpuMs(cpu);
    wall = performance.now() - wall;
    const st = source.status();
    if (st.lastError) throw new Error(`crawl failed: ${st.lastError.message}`);
    line('crawl: addressees / numbers indexed', `${st.addressees} / ${st.numbers}`);
    line('crawl: wall time (incl. server)', `${(wall / 1000).toFixed(2)} s`);
    line('crawl: client CPU (HTTP+JSON+index+cache)', `${(crawlCpu / 1000).toFixed(2)} s`);

    await buildFromData(dir, rules);
    await restartFromCache(dir, rules, fake.url, transport);

    // 4. Lookups through the port (await lookup()), each timed on its own.
    for (let i = 0; i < 2000; i++) await directory.lookup(sample[i]!);
    const times: number[] = new Array<number>(sample.length);
    let hits = 0;
    let k = 0;
    gc(); // start the timed loop with a clean heap; collections during the loop still count
    for (const n of sample) {
      const t0 = process.hrtime.bigint();
      const r = await directory.lookup(n);
      times[k++] = Number(process.hrtime.bigint() - t0) / 1000;
      if (r.length > 0) hits++;
    }
    times.sort((a, b) => a - b);
    const p99 = percentile(times, 99);
    line('lookup: found / total', `${hits} / ${sample.length}`);
    line('lookup: p50 / p90 (µs)', `${percentile(times, 50).toFixed(1)} / ${percentile(times, 90).toFixed(1)}`);
    line('lookup: p99 (µs)', p99.toFixed(1), '< 20 µs', p99 < 20);

    // Same lookups without the promise (the synchronous core), for comparison.
    k = 0;
    gc();
    for (const n of sample) {
      const t0 = process.hrtime.bigint();
      directory.lookupDetailed(n);
      times[k++] = Number(process.hrtime.bigint() - t0) / 1000;
    }
    times.sort((a, b) => a - b);
    line('lookupDetailed (sync core): p50 / p99 (µs)', `${percentile(times, 50).toFixed(1)} / ${percentile(times, 99).toFixed(1)}`);
    line('machine load average (1 min, cores)', `${loadavg()[0]!.toFixed(2)} / ${cpus().length}`);

    // 5. Heap with the index in memory (after GC).
    const heap = heapMB();
    line('heap used with index (MB, after GC)', heap.toFixed(1), '< 60 MB', heap < 60);
    line('heap of which index+records (MB)', (heap - baseHeap).toFixed(1));
    directory.stop();
  } finally {
    transport.close();
    fake.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error('benchmark failed:', e);
  process.exitCode = 1;
});
