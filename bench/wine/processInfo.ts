/**
 * What Linux knows about a Wine process: its memory from /proc/<pid>/status (the same way for the
 * program, the baseline and a bare node.exe), and evicting files from the page cache for cold starts.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

export interface Memory {
  /** VmRSS: resident set of the Wine process (its Windows image, Wine's DLLs, heaps), MB. */
  rssMB: number;
  /** RssAnon (private memory: heaps, JS heap) and RssFile (mapped files), MB. */
  anonMB: number;
  fileMB: number;
  /** Threads of the process. */
  threads: number;
}

export function memoryOf(pid: number): Memory {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    if (!m) throw new Error(`/proc/${pid}/status has no ${key}`);
    return Number(m[1]) / 1024;
  };
  const threads = Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
  return { rssMB: kb('VmRSS'), anonMB: kb('RssAnon'), fileMB: kb('RssFile'), threads };
}

/**
 * Drops the files' pages from the page cache (posix_fadvise DONTNEED through GNU dd), so the next start
 * reads them from disk: a "cold" start. Pages mapped by a running process stay; Wine's own DLLs, which
 * the running fake DATEV maps, stay warm as Windows' system DLLs would.
 */
export function evictFromPageCache(files: readonly string[]): void {
  for (const file of files) {
    const r = spawnSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`dd could not evict ${file} from the page cache: ${r.stderr}`);
  }
}
