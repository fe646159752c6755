/**
 * winston to rotating files. One line per event, local time with milliseconds:
 *   2026-11-26 09:30:15.123 INFO  [tapi] LINE_CALLSTATE OFFERING callId=201-26112026-0930-0912387
 * A failing log file never stops the program: transport errors are swallowed after one note on stderr.
 *
 * Lines are handed to winston HANDOVER_DELAY_MS after the first of them (stamped with the moment they
 * were logged): formatting and writing a line costs 0.1-0.3 ms under Wine, and a call event logs
 * several lines on its way to DATEV, which should neither wait for them nor share the CPU with them
 * while DATEV takes the notification (bench:wine). Errors go out at once, after whatever is pending,
 * as they may be the last words before an exit; close() hands over everything first. writeSync() is
 * for the very last words (an uncaught exception): it writes what is pending and its line at once.
 *
 * A file that cannot be opened or written (disk full, access denied, the share gone) costs the lines
 * of that moment, never the program: the file is opened afresh after `retryMs`.
 */
import { appendFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import winston from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';
import type { LogMeta, Logger } from './logger';

/**
 * How long lines wait before winston formats and writes them. After a TAPI event the program's next
 * 15-20 ms belong to DATEV: it receives the NewCall and reads the call's fields back from this process.
 * Writing the event's log lines in that time competes with it for the CPU and (under Wine) the
 * wineserver. A/B with bench:wine's short run, three runs each: OFFERING → NewCall p50 3.7 / 4.3 / 4.0 ms
 * with the lines written after the current turn, 3.0 / 3.2 / 3.3 ms with 25 ms (100 ms: no further gain).
 */
export const HANDOVER_DELAY_MS = 25;

export interface FileLoggerOptions {
  dir: string;
  level: 'error' | 'warn' | 'info' | 'debug';
  maxSizeMB: number;
  maxDays: number;
  /** Also write to the console (stdout). */
  console: boolean;
  /** After a failure of the log file, the next attempt to open it (default 60 s). */
  retryMs?: number;
}

const DEFAULT_RETRY_MS = 60_000;
const FILE_PREFIX = 'wildix-datev-cti-';
/**
 * The rotator's list of the files it made and deletes after `maxDays`. Named, not left to the
 * rotator: its default name is a hash of the options, so a changed limit (or format) started a new list
 * and the files in the old one were never deleted.
 */
export const AUDIT_FILE = '.wildix-datev-cti-audit.json';

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

export function localTimestamp(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function formatMeta(meta: LogMeta | undefined): string {
  if (!meta) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(meta)) {
    if (v === undefined) continue;
    const s = typeof v === 'string' ? (/[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v) : v instanceof Error ? JSON.stringify(v.message) : JSON.stringify(v);
    parts.push(`${k}=${s}`);
  }
  return parts.length ? ' ' + parts.join(' ') : '';
}

function formatLine(level: string, message: string, meta: LogMeta | undefined, at: Date): string {
  return `${localTimestamp(at)} ${level.toUpperCase().padEnd(5)} ${message}${formatMeta(meta)}`;
}

const lineFormat = winston.format.printf((info) => {
  const { level, message, meta, at } = info as { level: string; message: string; meta?: LogMeta; at?: Date };
  return formatLine(level, message, meta, at ?? new Date());
});

interface PendingLine {
  level: string;
  message: string;
  meta: LogMeta | undefined;
  at: Date;
}

/**
 * Deletes the day files older than `maxDays` by the date in their name. The rotator deletes only the
 * files in its own list (its audit file), and an earlier version named that list after a hash of its
 * options: the files it listed would stay for good.
 */
export function pruneOldLogs(dir: string, maxDays: number, now: Date, onError: (e: unknown) => void): void {
  const oldest = localTimestamp(new Date(now.getFullYear(), now.getMonth(), now.getDate() - maxDays)).slice(0, 10);
  try {
    for (const name of readdirSync(dir)) {
      const m = /^wildix-datev-cti-(\d{4}-\d{2}-\d{2})\.log(\.\d+)?$/.exec(name);
      if (m && m[1]! < oldest) rmSync(join(dir, name), { force: true });
    }
  } catch (e) {
    onError(e);
  }
}

export interface ClosableLogger extends Logger {
  /** Flush and close the files. */
  close(): Promise<void>;
  /**
   * The last words before the process ends (an uncaught exception): the lines still waiting and this
   * one are written to the file synchronously, now. Never throws.
   */
  writeSync(level: 'error' | 'warn', message: string): void;
  /** Where the files go. */
  readonly dir: string;
}

export function createFileLogger(o: FileLoggerOptions): ClosableLogger {
  const transports: winston.transport[] = [];
  let warned = false;
  const note = (e: unknown): void => {
    if (warned) return;
    warned = true;
    process.stderr.write(`Wildix CTI: Logdatei kann nicht geschrieben werden / cannot write log file in ${o.dir}: ${(e as Error).message}\n`);
  };
  /** The file written now (the rotator names it), for writeSync. */
  let currentFile = join(o.dir, `${FILE_PREFIX}${localTimestamp(new Date()).slice(0, 10)}.log`);
  let file: DailyRotateFile | undefined;
  let reopen: NodeJS.Timeout | undefined;
  let closed = false;
  const openFile = (): DailyRotateFile | undefined => {
    try {
      mkdirSync(o.dir, { recursive: true });
      const f = new DailyRotateFile({
        dirname: o.dir,
        filename: `${FILE_PREFIX}%DATE%.log`,
        datePattern: 'YYYY-MM-DD',
        maxSize: `${o.maxSizeMB}m`,
        maxFiles: `${o.maxDays}d`,
        auditFile: join(o.dir, AUDIT_FILE),
        format: lineFormat,
      });
      f.on('error', failed);
      // the rotator re-emits its file's errors on its own stream, which the transport does not listen
      // to: unheard, an 'error' event ends the process
      (f as unknown as { logStream?: NodeJS.EventEmitter }).logStream?.on('error', failed);
      f.on('new', (name: string) => (currentFile = name));
      f.on('rotate', (_old: string, name: string) => (currentFile = name));
      return f;
    } catch (e) {
      note(e);
      return undefined;
    }
  };
  /** The file failed: it is dropped, and opened afresh later (its stream is dead now). */
  function failed(e: unknown): void {
    note(e);
    if (!file || reopen || closed) return;
    const broken = file;
    file = undefined;
    try {
      w.remove(broken);
    } catch {
      // already gone
    }
    scheduleReopen();
  }
  /** Tries to open the file again after `retryMs`, and again after that until it works. */
  function scheduleReopen(): void {
    if (reopen || closed) return;
    reopen = setTimeout(() => {
      reopen = undefined;
      if (closed) return;
      const f = openFile();
      if (!f) {
        scheduleReopen();
        return;
      }
      file = f;
      w.add(f);
      warned = false;
    }, o.retryMs ?? DEFAULT_RETRY_MS);
    reopen.unref();
  }
  file = openFile();
  if (file) {
    transports.push(file);
    pruneOldLogs(o.dir, o.maxDays, new Date(), note);
  } else scheduleReopen(); // (a folder on a share that is not connected yet at logon)
  if (o.console || transports.length === 0) transports.push(new winston.transports.Console({ format: lineFormat }));
  const w = winston.createLogger({ level: o.level, transports, exitOnError: false });
  w.on('error', note);
  const pending: PendingLine[] = [];
  let scheduled = false;
  /**
   * Lines handed to winston in this turn of the event loop: its file stream writes them later, so a crash
   * in the same turn (writeSync) writes them itself — rather twice than not at all.
   */
  let handedThisTurn: PendingLine[] = [];
  const handOver = (): void => {
    scheduled = false;
    // (no file between a failure and its reopening: the lines of that moment are lost, not piled up)
    if (w.transports.length === 0) pending.length = 0;
    if (pending.length > 0 && handedThisTurn.length === 0) setImmediate(() => (handedThisTurn = [])).unref();
    handedThisTurn.push(...pending);
    for (const line of pending.splice(0)) {
      try {
        w.log(line.level, line.message, line.meta ? { meta: line.meta, at: line.at } : { at: line.at });
      } catch (e) {
        note(e);
      }
    }
  };
  const threshold = w.levels[o.level] ?? 0;
  const write = (level: string) => (message: string, meta?: LogMeta) => {
    if ((w.levels[level] ?? 0) > threshold) return;
    // meta is copied: the caller may change its objects after this call
    pending.push({ level, message, meta: meta ? { ...meta } : undefined, at: new Date() });
    if (level === 'error') {
      handOver();
    } else if (!scheduled) {
      scheduled = true;
      setTimeout(handOver, HANDOVER_DELAY_MS);
    }
  };
  return {
    dir: o.dir,
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        clearTimeout(reopen);
        // first winston drains into the transports, then each file stream is ended; at most 2 s
        const t = setTimeout(resolve, 2000);
        const files = w.transports.filter((x): x is DailyRotateFile => x instanceof DailyRotateFile);
        w.on('finish', () => {
          let pending = files.length;
          if (pending === 0) {
            clearTimeout(t);
            resolve();
          }
          for (const f of files) {
            f.on('finish', () => {
              if (--pending > 0) return;
              clearTimeout(t);
              resolve();
            });
            (f as unknown as { close(): void }).close();
          }
        });
        handOver();
        w.end();
      }),
    writeSync: (level, message) => {
      const lines = [...handedThisTurn, ...pending.splice(0)];
      handedThisTurn = [];
      lines.push({ level, message, meta: undefined, at: new Date() });
      try {
        appendFileSync(currentFile, lines.map((l) => formatLine(l.level, l.message, l.meta, l.at) + '\n').join(''));
      } catch (e) {
        note(e);
      }
    },
  };
}
