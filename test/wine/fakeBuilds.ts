/**
 * Builds the fakes the program's Wine scenarios run against — the fake DATEV exe and the fake tapi32.dll
 * (each build script skips what is up to date) — and checks they are there. Throws with the script's
 * output when a build fails.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { FAKE_DATEV_BUILD, FAKE_DATEV_EXE } from './datevDriver';
import { FAKE_TAPI_BUILD, FAKE_TAPI_DIR, FAKE_TAPI_DLL } from './pbxDriver';

export function buildWineFakes(): void {
  for (const [script, args] of [
    [FAKE_DATEV_BUILD, []],
    [FAKE_TAPI_BUILD, [FAKE_TAPI_DIR]],
  ] as const) {
    const build = spawnSync('bash', [script, ...args], { encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`${script} failed:\n${build.stdout}${build.stderr}`);
  }
  for (const file of [FAKE_DATEV_EXE, FAKE_TAPI_DLL]) if (!fs.existsSync(file)) throw new Error(`${file} was not built`);
}
