/**
 * winston to rotating files. One line per event, local time with milliseconds:
 *   2026-11-26 09:30:15.123 INFO  [tapi] LINE_CALLSTATE OFFERING callId=201-26112026-0930-0912387
 * A failing log file never stops the program: transport errors are swallowed after one note on stderr.
 *
 * Lines are handed to winston HANDOVER_DELAY_MS after the first of them (stamped with the moment they
 * were logged): formatting and writing a line costs 0.1-0.3 ms under Wine, and a call event logs
 * several lines on its way to DATEV, which should neither wait for them nor share the CPU with them
 * while DATEV takes the notification (bench:wine). Errors go out at once, after whatever is pending,
 * as they may be the last words before an exit; close() hands over everything first.
 */
import { mkdirSync } from 'node:fs';
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
}

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

const lineFormat = winston.format.printf((info) => {
  const { level, message, meta, at } = info as { level: string; message: string; meta?: LogMeta; at?: Date };
  return `${localTimestamp(at ?? new Date())} ${level.toUpperCase().padEnd(5)} ${message}${formatMeta(meta)}`;
});

interface PendingLine {
  level: string;
  message: string;
  meta: LogMeta | undefined;
  at: Date;
}

export interface ClosableLogger extends Logger {
  /** Flush and close the files. */
  close(): Promise<void>;
  /** Where the files go. */
  readonly dir: string;
}

export function createFileLogger(o: FileLoggerOptions): ClosableLogger {
  const transports: winston.transport[] = [];
  let warned = false;
  const onError = (e: unknown): void => {
    if (warned) return;
    warned = true;
    process.stderr.write(`Wildix CTI: Logdatei kann nicht geschrieben werden / cannot write log file in ${o.dir}: ${(e as Error).message}\n`);
  };
  try {
    mkdirSync(o.dir, { recursive: true });
    const file = new DailyRotateFile({
      dirname: o.dir,
      filename: 'wildix-datev-cti-%DATE%.log',
      datePattern: 'YYYY-MM-DD',
      maxSize: `${o.maxSizeMB}m`,
      maxFiles: `${o.maxDays}d`,
      format: lineFormat,
    });
    file.on('error', onError);
    transports.push(file);
  } catch (e) {
    onError(e);
  }
  if (o.console || transports.length === 0) transports.push(new winston.transports.Console({ format: lineFormat }));
  const w = winston.createLogger({ level: o.level, transports, exitOnError: false });
  w.on('error', onError);
  const pending: PendingLine[] = [];
  let scheduled = false;
  const handOver = (): void => {
    scheduled = false;
    for (const line of pending.splice(0)) {
      try {
        w.log(line.level, line.message, line.meta ? { meta: line.meta, at: line.at } : { at: line.at });
      } catch (e) {
        onError(e);
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
        // first winston drains into the transports, then each file stream is ended; at most 2 s
        const t = setTimeout(resolve, 2000);
        const files = transports.filter((x): x is DailyRotateFile => x instanceof DailyRotateFile);
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
  };
}
