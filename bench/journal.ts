/**
 * Call journal benchmark (`npm run bench`, also `npm run bench:journal`): prints figures, asserts nothing.
 * The journal as the program runs it (JournalService: journal, delivery, over the DPAPI file store with
 * a DPAPI stand-in) with 0 / 500 / 1000 entries kept, for two kinds of call:
 * - live: DATEV got the call live; the journal keeps it while it goes on (its ring with DATEV's NewCall,
 *   its connect with DATEV's Connected: two writes, each the service's 25 ms later) and records its end
 *   twice (DATEV's answer pending, then acknowledged) — what every call does while DATEV runs;
 * - NewJournal: DATEV missed the call; it is recorded, sent as NewJournal (a fake notifier answers at
 *   once) and marked delivered — record → delivered.
 * JS time = CPU time of the JavaScript thread (Linux: /proc/thread-self/schedstat; file I/O on the
 * libuv pool does not count) per call, every write awaited. Bytes written = what the process wrote
 * (/proc/self/io wchar) per call. With 1000 kept (the limit) the log is compacted about every 550
 * records, so 600 calls include one or more compactions, amortised. Load = restart with the entries kept, and a
 * compaction on its own (JS-thread CPU). Before/after: run this file against the earlier store.
 */
import { mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import type { DatevNotifier } from '../src/app/datevNotifier';
import type { CallIdSource } from '../src/calls/callIds';
import type { FinalCall } from '../src/calls/finalCall';
import { DATA_SOURCE_WILDIX, Direction } from '../src/datev/callData';
import { MemoryContacts } from '../fakes/contacts/memoryContacts';
import { fakeJournalPorts } from '../fakes/journalWindows/fakeJournalWindows';
import { FileRecordLog } from '../src/journal/fileLog';
import { FileJournalStore } from '../src/journal/fileStore';
import { keepEntry, type JournalEntry } from '../src/journal/entry';
import { recordOf } from '../src/journal/record';
import { JournalService } from '../src/journal/service';
import { silentLogger, makeMasker } from '../src/logging/logger';
import { DpapiCodec, type NativeDpapi } from '../src/native/dpapi';
import type { Clock } from '../src/util/clock';

const CALLS = Number(process.env.BENCH_JOURNAL_CALLS ?? 600);
const KEPT = [0, 500, 1000];

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** DPAPI stand-in (the addon runs DPAPI on a worker thread; it only ever sees a 44-byte key). */
const standInDpapi: NativeDpapi = {
  protect: async (data) => Buffer.concat([Buffer.from([1, 0, 0, 0]), Buffer.from(data).map((b) => b ^ 0x5a)]),
  unprotect: async (data) => Buffer.from(data).subarray(4).map((b) => b ^ 0x5a),
};

/** CPU time of the calling thread in ms (the JavaScript thread when called from JavaScript). */
class ThreadCpu {
  private readonly fd: number;
  private readonly buf = Buffer.alloc(64);
  constructor() {
    let fd = -1;
    try {
      fd = openSync('/proc/thread-self/schedstat', 'r');
    } catch {
      fd = -1;
    }
    this.fd = fd;
  }
  ms(): number {
    if (this.fd < 0) {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    }
    const n = readSync(this.fd, this.buf, 0, this.buf.length, 0);
    return Number(this.buf.toString('latin1', 0, n).split(' ')[0]) / 1e6;
  }
}
const cpu = new ThreadCpu();

/** Bytes this process wrote so far (write syscalls of all its threads); NaN where /proc is missing. */
function bytesWritten(): number {
  try {
    const m = /wchar:\s*(\d+)/.exec(readFileSync('/proc/self/io', 'latin1'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** A clock that moves one minute per call (every call ends after the one before); its timers fire on `fire()`. */
class BenchClock implements Clock {
  t = Date.UTC(2026, 11, 2, 8, 0, 0);
  private timers: { fn: () => void; live: boolean }[] = [];
  now(): Date {
    return new Date(this.t);
  }
  setTimeout(fn: () => void): () => void {
    const timer = { fn, live: true };
    this.timers.push(timer);
    return () => {
      timer.live = false;
    };
  }
  /** The timers set so far fire (the journal's write of a call going on; the delivery's retry finds nothing). */
  fire(): void {
    const due = this.timers;
    this.timers = [];
    for (const t of due) if (t.live) t.fn();
  }
}

const ids = (prefix: string): CallIdSource => {
  let n = 0;
  return { next: () => `${prefix}-02122026-0800-${String(++n).padStart(7, '0')}`, claim: () => undefined };
};

/** A kept entry like a real one: a connected call with a DATEV contact, DATEV had it live. */
function keptEntry(i: number, endedAt: number): JournalEntry {
  return {
    callId: `201-01122026-0700-${String(i).padStart(7, '0')}`,
    syncId: '',
    direction: i % 2 ? Direction.eDirIncoming : Direction.eDirOutgoing,
    number: `+49 89 ${1_000_000 + i}`,
    contact: { name: `Steuerkanzlei Müller & Söhne GmbH ${i}`, id: `c0000000-0000-4000-8000-${String(i).padStart(12, '0')}`, dataSource: 'DATEV_Adressaten' },
    internal: false,
    ringAt: new Date(endedAt - 300_000).toISOString(),
    connectedAt: new Date(endedAt - 290_000).toISOString(),
    endedAt: new Date(endedAt).toISOString(),
    datev: 'live',
    autoDeliver: true,
    attempts: 0,
    notes: [],
  };
}

function finalCall(id: string, clock: BenchClock, datev: FinalCall['datev'], i: number): FinalCall {
  const end = clock.now();
  return {
    callId: id,
    syncId: '',
    direction: Direction.eDirIncoming,
    number: `+49 911 ${2_000_000 + i}`,
    contact: { name: `Dr. Erika Schneider ${i}`, id: `d0000000-0000-4000-8000-${String(i).padStart(12, '0')}`, dataSource: 'DATEV_Adressaten' },
    internal: false,
    ringAt: new Date(end.getTime() - 200_000),
    connectedAt: new Date(end.getTime() - 190_000),
    endedAt: end,
    datev,
  };
}

interface Run {
  service: JournalService;
  store: FileJournalStore;
  clock: BenchClock;
  delivered: () => number;
  dir: string;
}

/** A journal with `kept` entries on disk, started again (the load is measured). */
async function prepare(kept: number): Promise<{ run: Run; loadMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-journal-'));
  const file = join(dir, 'journal');
  const codec = new DpapiCodec(standInDpapi);
  const clock = new BenchClock();
  const seed = new FileJournalStore(file, silentLogger, codec);
  await seed.load(clock.now());
  for (let i = 0; i < kept; i++) seed.put(keptEntry(i, clock.t - (kept - i) * 60_000), clock.now());
  await seed.flush();
  gc();
  const store = new FileJournalStore(file, silentLogger, codec);
  let delivered = 0;
  const notifier = {
    send: (_n: unknown, done: (o: { type: 'delivered'; generation: number }) => void) =>
      setImmediate(() => {
        delivered++;
        done({ type: 'delivered', generation: 1 });
      }),
  } as unknown as DatevNotifier;
  const service = new JournalService(
    {
      ports: { ...fakeJournalPorts(clock), store },
      contacts: new MemoryContacts([]),
      notifier,
      ids: ids('900'),
      clock,
      log: silentLogger,
      mask: makeMasker(true),
      canDeliver: () => true,
      dataSource: DATA_SOURCE_WILDIX,
    },
    { notePrompt: 'off', notePromptSeconds: 180, deliverMissed: true, retrySeconds: 30 },
  );
  const t0 = cpu.ms();
  await service.start();
  const loadMs = cpu.ms() - t0;
  return { run: { service, store, clock, delivered: () => delivered, dir }, loadMs };
}

/** Lets the store's write of the last change happen (as the time between two events of a call does). */
async function settle(r: Run): Promise<void> {
  await new Promise((res) => setImmediate(res));
  await r.store.flush();
}

async function liveCall(r: Run, id: string, i: number): Promise<void> {
  r.clock.t += 60_000;
  const { endedAt: _end, datev: _datev, ...going } = finalCall(id, r.clock, 'live', i);
  const openIn = { datevId: '133456789012345678', reported: 'offered' as const };
  const { connectedAt: _connected, ...ringing } = going;
  r.service.onOpen({ ...ringing, openIn, tapiCallId: 1000 + i }); // rings, DATEV has its NewCall
  r.clock.fire();
  await settle(r);
  r.service.onOpen({ ...going, openIn: { ...openIn, reported: 'connected' }, tapiCallId: 1000 + i }); // connected, DATEV has it
  r.clock.fire();
  await settle(r);
  r.service.onFinal(finalCall(id, r.clock, 'waiting', i));
  await settle(r);
  r.service.onFinal(finalCall(id, r.clock, 'live', i));
  await settle(r);
}

async function missedCall(r: Run, id: string, i: number): Promise<void> {
  r.clock.t += 60_000;
  const before = r.delivered();
  r.service.onFinal(finalCall(id, r.clock, 'lost', i));
  while (r.delivered() === before) await new Promise((res) => setImmediate(res));
  await settle(r);
  if (r.service.journal.get(id)?.datev !== 'journal') throw new Error(`call ${id} was not delivered`);
}

interface Figures {
  loadMs: number;
  /** Per call: JS-thread CPU (µs), bytes written, heap growth over all calls (MB). */
  live: { us: number; bytes: number; heapMb: number };
  journal: { us: number; bytes: number; heapMb: number };
}

async function measure(kept: number, kind: 'live' | 'NewJournal'): Promise<{ loadMs: number; us: number; bytes: number; heapMb: number }> {
  const { run, loadMs } = await prepare(kept);
  try {
    const call = kind === 'live' ? liveCall : missedCall;
    for (let i = 0; i < 10; i++) await call(run, `warm-${i}`, i); // JIT warm-up
    gc();
    const heap0 = process.memoryUsage().heapUsed;
    const w0 = bytesWritten();
    const c0 = cpu.ms();
    for (let i = 0; i < CALLS; i++) await call(run, `call-${i}`, i);
    const cpuMs = cpu.ms() - c0;
    const bytes = bytesWritten() - w0;
    gc();
    return { loadMs, us: (cpuMs / CALLS) * 1000, bytes: bytes / CALLS, heapMb: (process.memoryUsage().heapUsed - heap0) / 1048576 };
  } finally {
    await run.service.stop();
    rmSync(run.dir, { recursive: true, force: true });
  }
}

/**
 * What a compaction does at the limit (the live entries' JSON, encrypted, written to a new file): its
 * JS-thread CPU. With 1000 entries kept it happens about once per 550 calls of 2 records (a live call writes 4).
 */
async function compaction(kept: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-journal-'));
  try {
    const t = Date.UTC(2026, 11, 2, 8, 0, 0);
    const entries = Array.from({ length: kept }, (_, i) => keepEntry(keptEntry(i, t - (kept - i) * 60_000)));
    const log = new FileRecordLog(join(dir, 'journal'), new DpapiCodec(standInDpapi));
    await log.rewrite(entries.map(recordOf)); // warm-up
    gc();
    const c0 = cpu.ms();
    await log.rewrite(entries.map(recordOf));
    return cpu.ms() - c0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function row(label: string, cells: string[]): void {
  console.log(`${label.padEnd(46)}${cells.map((c) => c.padStart(12)).join('')}`);
}

const kb = (b: number): string => (Number.isNaN(b) ? 'n/a' : `${(b / 1024).toFixed(1)} KB`);

async function main(): Promise<void> {
  console.log(`\nCall journal benchmark: ${CALLS} calls per figure (Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'})`);
  await measure(0, 'live'); // JIT warm-up for the whole run
  const figures: Figures[] = [];
  for (const kept of KEPT) {
    const live = await measure(kept, 'live');
    const journal = await measure(kept, 'NewJournal');
    figures.push({ loadMs: live.loadMs, live, journal });
  }
  row('entries kept at the start', KEPT.map((k) => `${k} kept`));
  row('journal: JS time per call (record → delivered)', []);
  row('  live call (ring, connect, end pending → live)', figures.map((f) => `${f.live.us.toFixed(0)} µs`));
  row('  missed call, delivered as NewJournal', figures.map((f) => `${f.journal.us.toFixed(0)} µs`));
  row('journal: bytes written per call', []);
  row('  live call', figures.map((f) => kb(f.live.bytes)));
  row('  missed call, delivered as NewJournal', figures.map((f) => kb(f.journal.bytes)));
  row(`journal: heap growth over ${CALLS} calls (after GC)`, []);
  row('  live call', figures.map((f) => `${f.live.heapMb.toFixed(2)} MB`));
  row('  missed call, delivered as NewJournal', figures.map((f) => `${f.journal.heapMb.toFixed(2)} MB`));
  row('journal: restart (load), JS CPU', figures.map((f) => `${f.loadMs.toFixed(1)} ms`));
  const compactions: string[] = [];
  for (const k of KEPT) compactions.push(k === 0 ? '–' : `${(await compaction(k)).toFixed(1)} ms`);
  row('journal: a compaction (rewrite), JS CPU', compactions);
  row('machine load average (1 min) / cores', [`${loadavg()[0]!.toFixed(2)} / ${cpus().length}`]);
}

main().catch((e: unknown) => {
  console.error('benchmark failed:', e);
  process.exitCode = 1;
});
