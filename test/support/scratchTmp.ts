/**
 * Vitest global setup: the tests' scratch files (mkdtemp under os.tmpdir()) go into one folder per test
 * run, which is removed when the run ends, instead of piling up in /tmp (thousands of folders after a
 * few hundred runs). The test workers are started after this and inherit TMPDIR (os.tmpdir() reads it
 * at every call). WILDIX_KEEP_TMP=1 keeps the folder and prints where it is, to look at a failure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let scratch: string | undefined;

export function setup(): void {
  scratch = mkdtempSync(join(tmpdir(), 'wildix-tests-'));
  process.env.TMPDIR = scratch;
}

export function teardown(): void {
  if (!scratch) return;
  if (process.env.WILDIX_KEEP_TMP === '1') {
    console.log(`test scratch files kept in ${scratch}`);
    return;
  }
  rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
}
