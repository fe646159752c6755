/**
 * What every per-user file of the program needs to survive a working day: a read that waits out a lock
 * of a moment (a virus scanner, a backup), a replace that leaves the old or the new file whole after a
 * power loss (temp file flushed to disk, then renamed), the name a file that cannot be used is kept under
 * (never overwritten), and the removal of temp files a killed process left. The journal
 * (src/journal/fileLog.ts) and the contact files (src/contacts/jsonFile.ts) use these.
 */
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A file locked for a moment is read again this often, this far apart. */
export const READ_TRIES = 5;
export const READ_RETRY_MS = 200;
const TRANSIENT = new Set(['EBUSY', 'EPERM', 'EACCES', 'EAGAIN', 'EMFILE', 'ENFILE']);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const pad = (n: number): string => String(n).padStart(2, '0');

export const errorCode = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? '';

/** The file's bytes; a lock of a moment is waited out. Rejects with the file system error (ENOENT too). */
export async function readPatiently(path: string): Promise<Buffer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fs.readFile(path);
    } catch (e) {
      if (attempt >= READ_TRIES || !TRANSIENT.has(errorCode(e))) throw e;
      await sleep(READ_RETRY_MS);
    }
  }
}

/** Where a file that cannot be used is kept: `<path>.unreadable-<yyyymmdd-hhmmss>`. */
export function unreadableName(path: string, now: Date): string {
  const d = now;
  return `${path}.unreadable-${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
}

/** Moves `path` to `keepAs`: true when moved, false when there was no file; rejects otherwise — the file then stays unharmed. */
export async function keepAside(path: string, keepAs: string): Promise<boolean> {
  try {
    await fs.rename(path, keepAs);
    return true;
  } catch (e) {
    if (errorCode(e) !== 'ENOENT') throw e;
    return false;
  }
}

/** The temp file of this process for `path`. */
export const tempOf = (path: string): string => `${path}.${process.pid}.tmp`;

/** Writes `data` to a temp file, flushes it to disk and renames it over `path`. Rejects with the error (no temp file left). */
export async function replaceFile(path: string, data: string | Buffer, encoding?: BufferEncoding): Promise<void> {
  const tmp = tempOf(path);
  try {
    const fh = await fs.open(tmp, 'w');
    try {
      await (typeof data === 'string' ? fh.writeFile(data, encoding) : fh.writeFile(data));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

/** Removes the temp files (`<name>.<pid>.tmp`) of `path` that other (killed) processes left. */
export async function removeStaleTemps(path: string): Promise<void> {
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  const own = `${process.pid}.tmp`;
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const n of names) {
    const rest = n.slice(prefix.length);
    if (n.startsWith(prefix) && /^\d+\.tmp$/.test(rest) && rest !== own) await fs.rm(join(dir, n), { force: true }).catch(() => undefined);
  }
}
