/** The file logger when its file cannot be written, across option changes and at a crash. */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFileLogger, localTimestamp } from '../../src/logging/fileLogger';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'wildix-log-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const todaysFile = (dir: string): string => join(dir, `wildix-datev-cti-${localTimestamp(new Date()).slice(0, 10)}.log`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const options = (dir: string) => ({ dir, level: 'info' as const, maxSizeMB: 10, maxDays: 14, console: false });

describe('file logger', () => {
  it('a log file that cannot be opened or written (disk full, locked, a folder in its place) does not end the program; the log comes back', async () => {
    const dir = tempDir();
    mkdirSync(todaysFile(dir)); // the day's file cannot be opened (EISDIR)
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const log = createFileLogger({ ...options(dir), retryMs: 200 });
    log.error('first line');
    await sleep(150);
    expect(stderr.mock.calls.some(([t]) => String(t).includes('cannot write log file'))).toBe(true);
    rmSync(todaysFile(dir), { recursive: true }); // the cause goes away
    await sleep(300);
    log.error('after the retry');
    await log.close();
    expect(readFileSync(todaysFile(dir), 'utf8')).toContain('after the retry');
  });

  it('a log folder that cannot be made yet (a share not connected at logon) is tried again until it can', async () => {
    const base = tempDir();
    const blocker = join(base, 'share');
    writeFileSync(blocker, 'not a folder'); // the folder cannot be made: a file is in its place
    const dir = join(blocker, 'logs');
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true); // the console stands in meanwhile
    const log = createFileLogger({ ...options(dir), retryMs: 100 });
    await sleep(250); // two attempts fail
    rmSync(blocker);
    await sleep(250);
    log.error('after the share came back');
    await log.close();
    expect(readFileSync(todaysFile(dir), 'utf8')).toContain('after the share came back');
  });

  it('keeps one audit file (the list of files to delete) when the size or age limits change', async () => {
    const dir = tempDir();
    const first = createFileLogger(options(dir));
    first.info('one');
    await first.close();
    const second = createFileLogger({ ...options(dir), maxSizeMB: 20, maxDays: 30 });
    second.info('two');
    await second.close();
    expect(readdirSync(dir).filter((f) => f.endsWith('-audit.json'))).toHaveLength(1);
  });

  it('day files older than maxDays go at start, also those an earlier version listed in another audit file', async () => {
    const dir = tempDir();
    for (const name of ['wildix-datev-cti-2020-01-01.log', 'wildix-datev-cti-2020-01-01.log.1', 'other.log']) writeFileSync(join(dir, name), 'x');
    const recent = `wildix-datev-cti-${localTimestamp(new Date(Date.now() - 2 * 86_400_000)).slice(0, 10)}.log`;
    writeFileSync(join(dir, recent), 'x');
    const log = createFileLogger(options(dir)); // maxDays 14
    await log.close();
    const left = readdirSync(dir);
    expect(left).not.toContain('wildix-datev-cti-2020-01-01.log');
    expect(left).not.toContain('wildix-datev-cti-2020-01-01.log.1');
    expect(left).toEqual(expect.arrayContaining(['other.log', recent]));
  });

  it('at a crash, the lines not yet written and the crash itself are in the file before the process ends', async () => {
    const dir = tempDir();
    const log = createFileLogger(options(dir));
    log.info('written in time');
    await sleep(100);
    log.info('the last line before the crash');
    log.error('the error that explains the crash'); // handed to the file's stream at once: not on disk yet
    log.info('pending at the crash');
    log.writeSync('error', 'uncaught exception: Error: boom');
    // no await: the process would end right here
    const text = readFileSync(todaysFile(dir), 'utf8');
    expect(text).toMatch(/written in time[\s\S]*the last line before the crash[\s\S]*the error that explains the crash[\s\S]*pending at the crash[\s\S]*ERROR uncaught exception: Error: boom/);
    await log.close();
    // (had the process lived on, what was still waiting goes once; lines handed over in the crash's own
    // turn may appear twice — rather twice than lost)
    expect(readFileSync(todaysFile(dir), 'utf8').match(/pending at the crash/g)).toHaveLength(1);
  });
});
