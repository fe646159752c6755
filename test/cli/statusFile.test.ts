/** The running program's status file: written, refreshed, read by a second start's --diagnose. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/app/diagnose';
import { describeRunning, STATUS_FILE, type StatusReport } from '../../src/app/statusReport';
import { readRunningStatus, startStatusFile, STATUS_REFRESH_MS } from '../../src/cli/statusFile';
import { defaultConfig } from '../../src/config/schema';
import { FakeDatev } from '../../fakes/datev/fakeDatev';
import { FakeTapi } from '../../fakes/telephony/fakeTapi';
import { makeWorld } from '../support/world';
import { MemoryContacts } from '../../fakes/contacts/memoryContacts';
import type { DirectoryStatus } from '../../src/contacts/directory';

const CONTACTS_STATUS: DirectoryStatus = {
  datevConnect: {
    url: 'http://localhost:58454',
    auth: 'windows',
    state: 'ready',
    ready: true,
    fromCache: false,
    addressees: 50000,
    numbers: 120000,
    unusableNumbers: 12,
    lastFullCrawl: '2026-12-04T06:00:00.000Z',
    failedAddressees: 0,
    waitingForNewPassword: false,
    lastError: { kind: 'timeout', message: 'timed out', de: 'DATEVconnect antwortet nicht', en: 'DATEVconnect does not answer', since: '2026-12-04T07:00:00.000Z' },
  },
  learnedNumbers: 42,
  manualList: null,
  ambiguity: 'ask',
};

const read = (dir: string): StatusReport => JSON.parse(readFileSync(join(dir, STATUS_FILE), 'utf8')) as StatusReport;

/** The status file once it is written (off the JavaScript thread) and `ready` holds for it (at most 5 s). */
async function written(dir: string, ready: (r: StatusReport) => boolean = () => true): Promise<StatusReport> {
  const end = Date.now() + 5000;
  for (;;) {
    try {
      const r = read(dir);
      if (ready(r)) return r;
    } catch {
      // not there yet
    }
    if (Date.now() > end) throw new Error(`status file in ${dir} not written`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

describe('status file', () => {
  it('is written at start, rewritten every few seconds with what the program knows, and once more at stop', async () => {
    const w = await makeWorld();
    const dir = mkdtempSync(join(tmpdir(), 'wcti-status-'));
    const file = startStatusFile({ app: w.app, dir, version: '1.2.3', clock: w.clock, log: w.log, processStats: () => Promise.resolve({ handles: 321, threads: 17 }) });
    await w.settle();
    const first = await written(dir);
    expect(first).toMatchObject({ version: '1.2.3', pid: process.pid, callsSeen: 0, process: { handles: 321, threads: 17 } });
    expect(first.status).toMatchObject({ line: 'open', datevRegistered: true, cti: 'unchecked' });
    expect(first.datev).toMatchObject({ registered: true, threads: 4, stuck: 0 });
    expect(first.process.rssBytes).toBeGreaterThan(0);
    const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    await w.tapi.pbx.hangup(id);
    await w.settle();
    await w.advance(STATUS_REFRESH_MS);
    const later = await written(dir, (r) => r.callsSeen === 1);
    expect(later.callsSeen).toBe(1);
    expect(later.notifications.sent).toBe(2);
    expect(new Date(later.updatedAt).getTime()).toBeGreaterThan(new Date(first.updatedAt).getTime());
    const timers = w.clock.pendingTimers;
    file.stop();
    expect(w.clock.pendingTimers).toBe(timers - 1); // no refresh any more
  });

  it('a log folder on a share that stalls holds nothing: calls reach DATEV while the write waits, and no second write starts meanwhile', async () => {
    const w = await makeWorld();
    let writes = 0;
    const stalled = new Promise<void>(() => undefined); // the share never answers
    const file = startStatusFile({
      app: w.app,
      dir: '\\\\fileserver\\logs\\anna',
      version: '1',
      clock: w.clock,
      log: w.log,
      files: { writeFile: () => (writes++, stalled), rename: () => Promise.resolve() },
    });
    await w.settle();
    const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    await w.tapi.pbx.hangup(id);
    await w.settle();
    await w.advance(STATUS_REFRESH_MS * 4);
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);
    expect(writes).toBe(1);
    file.stop();
    expect(writes).toBe(1);
  });

  it('a folder that cannot be written is logged once and never stops the program', async () => {
    const w = await makeWorld();
    const file = startStatusFile({ app: w.app, dir: join(tmpdir(), 'does-not-exist-wcti', 'x'), version: '1', clock: w.clock, log: w.log });
    const warnings = (): number => w.log.entries.filter((e) => e.level === 'warn' && e.message.startsWith('status file')).length;
    const realTime = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    for (let t = 0; t < 250 && warnings() === 0; t++) await realTime(20); // the first write fails (off the JavaScript thread)
    expect(warnings()).toBe(1);
    for (let i = 0; i < 3; i++) {
      await w.advance(STATUS_REFRESH_MS); // the next refreshes fail as well …
      await realTime(50);
    }
    expect(warnings()).toBe(1); // … said once
    file.stop();
  });

  it('counts as a running instance only when fresh and its process lives', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wcti-status-'));
    const now = new Date(2026, 11, 2, 9, 0, 0);
    const report = { pid: 4242, updatedAt: now.toISOString() } as StatusReport;
    writeFileSync(join(dir, STATUS_FILE), JSON.stringify(report));
    expect(readRunningStatus(dir, now, () => true)).toMatchObject({ pid: 4242 });
    expect(readRunningStatus(dir, now, () => false)).toBeUndefined();
    expect(readRunningStatus(dir, new Date(now.getTime() + 60_000), () => true)).toBeUndefined();
    writeFileSync(join(dir, STATUS_FILE), '{broken');
    expect(readRunningStatus(dir, now, () => true)).toBeUndefined();
    expect(readRunningStatus(join(dir, 'none'), now, () => true)).toBeUndefined();
  });

  it('is written with unknown handle and thread counts when counting them fails', async () => {
    const w = await makeWorld();
    const dir = mkdtempSync(join(tmpdir(), 'wcti-status-'));
    const file = startStatusFile({ app: w.app, dir, version: '1.2.3', clock: w.clock, log: w.log, processStats: () => Promise.reject(new Error('snapshot failed')) });
    await w.settle();
    file.stop();
    const report = await written(dir);
    expect(report.process).toMatchObject({ handles: -1, threads: -1 });
    expect(report.process.rssBytes).toBeGreaterThan(0);
    expect(w.log.has('warn', 'status file')).toBe(false);
  });

  it('--diagnose next to a running instance reports it and does not put a second CTI object into the ROT', async () => {
    const w = await makeWorld();
    const dir = mkdtempSync(join(tmpdir(), 'wcti-status-'));
    const file = startStatusFile({ app: w.app, dir, version: '1.2.3', clock: w.clock, log: w.log, processStats: () => Promise.resolve({ handles: 321, threads: 17 }) });
    await w.settle();
    file.stop();
    const running = await written(dir);
    const tapi = new FakeTapi();
    tapi.addLine('Wildix 201 Anna Schmidt', '201');
    const datev = new FakeDatev();
    let registered = 0;
    const register = datev.port.register;
    datev.port.register = (h) => (registered++, register(h));
    const report = await diagnose({
      version: '1.2.3',
      platform: 'win32',
      nodeVersion: 'v22',
      configFile: 'x',
      configFound: false,
      problems: [],
      config: defaultConfig(),
      logDir: dir,
      telephony: tapi.port,
      datev: datev.port,
      running,
      now: new Date(running.updatedAt),
    });
    expect(registered).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.lines.some((l) => l.includes('Laufende Instanz / running instance: pid'))).toBe(true);
    expect(report.lines.some((l) => l.includes("running instance's CTI object is in the ROT"))).toBe(true);
    expect(report.lines.some((l) => l.includes('321 Handles'))).toBe(true);
    const broken = await diagnose({
      version: '1',
      platform: 'w',
      nodeVersion: 'v',
      configFile: 'x',
      configFound: false,
      problems: [],
      config: defaultConfig(),
      logDir: dir,
      telephony: tapi.port,
      datev: datev.port,
      running: { ...running, status: { ...running.status, cti: 'broken' } },
    });
    expect(broken.ok).toBe(false);
  });

  it("carries the contact sources' state (index size, last crawl, last error) for support, and --diagnose reads it out", async () => {
    class ContactsWithStatus extends MemoryContacts {
      status(): DirectoryStatus {
        return CONTACTS_STATUS;
      }
    }
    const w = await makeWorld({ contacts: new ContactsWithStatus() });
    const dir = mkdtempSync(join(tmpdir(), 'wcti-status-'));
    const file = startStatusFile({ app: w.app, dir, version: '1.2.3', clock: w.clock, log: w.log });
    await w.settle();
    const r = await written(dir);
    file.stop();
    expect(r.contacts).toEqual(CONTACTS_STATUS);
    const text = describeRunning(r, new Date(r.updatedAt)).join('\n');
    expect(text).toContain('Kontakte / contacts: DATEVconnect ready, 50000 Adressaten / addressees, 120000 Nummern / numbers, vollständig gelesen / full crawl 2026-12-04T06:00:00.000Z; letzter Fehler / last error: DATEVconnect does not answer; 42 gelernte Nummern / learned numbers; keine manuelle Liste / no manual list');
    // a port that cannot tell: no contacts in the file
    const v = await makeWorld();
    const dir2 = mkdtempSync(join(tmpdir(), 'wcti-status-'));
    const file2 = startStatusFile({ app: v.app, dir: dir2, version: '1.2.3', clock: v.clock, log: v.log });
    await v.settle();
    expect((await written(dir2)).contacts).toBeUndefined();
    file2.stop();
  });

  it('describes a running instance in lines a support person can read out', () => {
    const lines = describeRunning(
      {
        version: '1',
        pid: 7,
        startedAt: '2026-12-02T08:00:00.000Z',
        updatedAt: '2026-12-02T09:00:00.000Z',
        status: { line: 'open', lineName: '201', lineOutOfService: false, datevRegistered: true, datevPresent: true, activeCalls: 1, cti: 'rebuilt', datevHangs: true, waitingForDatev: 2, journalWaiting: 3 },
        callsSeen: 120,
        notifications: { sent: 300, droppedAbsent: 1, failed: 2, timeouts: 3, stalled: 1 },
        datev: { registered: true, threads: 4, stuck: 1, timeouts: 3, stalled: 1, rebuilds: 1, requestsExpired: 0, lookupsAhead: 0 },
        lastSelfCheckProblem: 'timeout: no answer',
        process: { rssBytes: 150 * 1048576, heapUsedBytes: 20 * 1048576, handles: 400, threads: 30 },
      },
      new Date('2026-12-02T09:00:04.000Z'),
    );
    expect(lines.join('\n')).toContain('Stand vor 4 s');
    expect(lines.join('\n')).toContain('antwortet nicht / hangs');
    expect(lines.join('\n')).toContain('rebuilt (letzter Fehler / last problem: timeout: no answer)');
    expect(lines.join('\n')).toContain('120 seit Start');
    expect(lines.join('\n')).toContain('2 warten auf DATEV');
    expect(lines.join('\n')).toContain('3 für DATEV nachzutragen');
    expect(lines.join('\n')).toContain('150 MB RSS');
  });
});
