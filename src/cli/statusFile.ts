/**
 * Writes the running program's status report (src/app/statusReport.ts) to `<log dir>/status.json`
 * every few seconds and at stop: replaced atomically (temp file + rename), never throws into the
 * program (a folder that cannot be written is logged once). Written off the JavaScript thread: the
 * log folder may be a share (the all-users installer's LOGDIR), and a share that stalls (its server
 * restarts, the network drops) would hold a synchronous write — and with it every call's way to DATEV —
 * for as long as SMB waits; a write still waiting is not started again.
 */
import { promises as fs, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from '../app/app';
import { STATUS_FILE, type ProcessStats, type StatusReport } from '../app/statusReport';
import type { Logger } from '../logging/logger';
import type { Clock } from '../util/clock';

export const STATUS_REFRESH_MS = 5000;

export interface StatusFileDeps {
  app: App;
  dir: string;
  version: string;
  clock: Clock;
  log: Logger;
  /** Windows handles/threads of the process (native, counted off the JavaScript thread); default: memory only. */
  processStats?: () => Promise<Partial<ProcessStats>>;
  /** The file operations (default: node:fs's, asynchronous). */
  files?: StatusFiles;
}

export interface StatusFiles {
  writeFile(path: string, text: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
}

export function startStatusFile(d: StatusFileDeps): { stop(): void } {
  const file = join(d.dir, STATUS_FILE);
  const files: StatusFiles = d.files ?? fs;
  const startedAt = d.clock.now().toISOString();
  let failed = false;
  let stopped = false;
  let cancel: (() => void) | undefined;
  let busy = false;
  const write = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      // figures only: a failed count leaves them at -1 ("unknown"), the report is still written
      const native = d.processStats ? await d.processStats().catch((): Partial<ProcessStats> => ({})) : {};
      const mem = process.memoryUsage();
      const contacts = d.app.contactsStatus();
      const report: StatusReport = {
        version: d.version,
        pid: process.pid,
        startedAt,
        updatedAt: d.clock.now().toISOString(),
        status: d.app.status(),
        callsSeen: d.app.calls.callsSeen,
        notifications: { ...d.app.notifier.stats },
        datev: await d.app.datevHealth(),
        lastSelfCheckProblem: d.app.supervisor.state.lastProblem,
        ...(contacts ? { contacts } : {}),
        process: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, handles: -1, threads: -1, ...native },
      };
      await files.writeFile(`${file}.tmp`, `${JSON.stringify(report, null, 1)}\n`);
      await files.rename(`${file}.tmp`, file);
      failed = false;
    } catch (e) {
      if (!failed) d.log.warn(`status file ${file} cannot be written: ${(e as Error).message}`);
      failed = true;
    } finally {
      busy = false;
    }
  };
  const tick = (): void => {
    if (stopped) return;
    cancel = d.clock.setTimeout(() => {
      void write().finally(tick);
    }, STATUS_REFRESH_MS);
  };
  void write();
  tick();
  return {
    stop() {
      stopped = true;
      cancel?.();
      cancel = undefined;
      void write();
    },
  };
}

/** A status file counts as a running instance's when it was rewritten this recently and its process lives. */
export const RUNNING_FRESH_MS = 3 * STATUS_REFRESH_MS;

/** The report of an instance running now (fresh status file, live pid), else undefined. */
export function readRunningStatus(dir: string, now: Date, isAlive: (pid: number) => boolean = pidAlive): StatusReport | undefined {
  try {
    const report = JSON.parse(readFileSync(join(dir, STATUS_FILE), 'utf8')) as StatusReport;
    const age = now.getTime() - new Date(report.updatedAt).getTime();
    if (!(age >= -RUNNING_FRESH_MS && age <= RUNNING_FRESH_MS)) return undefined;
    if (report.pid === process.pid || !isAlive(report.pid)) return undefined;
    return report;
  } catch {
    return undefined; // none, unreadable or from another version: no running instance known
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
