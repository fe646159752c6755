/**
 * When a Windows process under test stops answering (a hung fake DATEV, a program that does not come
 * back), the backtraces of every thread of every Windows process of the Wine session say which call
 * each one waits in — Wine's own DLLs carry their symbols (combase, rpcrt4, user32: "CoWaitForMultipleHandles",
 * "NdrClientCall"), so a cross-process COM deadlock shows as the two threads waiting for each other.
 * `winedbg --command "bt all"` prints them without stopping anything.
 * The dump goes to .cache/logs/threads-<label>-<time>.txt; the caller names it in its error.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { paths } from './env';

function winedbg(env: NodeJS.ProcessEnv, args: string[], timeoutMs: number): string {
  // the tests' environment turns winedbg off (a crash then ends a process at once: env.ts wineEnv)
  const overrides = (env.WINEDLLOVERRIDES ?? '')
    .split(';')
    .filter((o) => o && !/^winedbg\.exe=/i.test(o))
    .join(';');
  const r = spawnSync('wine', ['winedbg', ...args], {
    env: { ...env, WINEDEBUG: '-all', WINEDLLOVERRIDES: overrides },
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  return r.error ? `${text}\n(winedbg: ${r.error.message})` : text;
}

/** One thread's backtrace from a dump: the process's executable path and the frames. */
export interface ThreadTrace {
  exe: string;
  frames: string;
}

/** Splits `bt all` output ("Backtracing for thread 0024 in process 0020 (Z:\\…\\node.exe):" + frames). */
export function threadTraces(dump: string): ThreadTrace[] {
  return dump
    .split(/^Backtracing for thread /m)
    .slice(1)
    .map((part) => ({ exe: /^\S+ in process \S+ \(([^)]*)\)/.exec(part)?.[1] ?? '', frames: part }));
}

/**
 * Writes the backtraces of every thread of every process of the Wine session (`winedbg --command
 * "bt all"`; the processes go on) to a file and returns its path, or a text saying why there is none.
 * Bounded: 60 s.
 */
export function dumpWineThreads(env: NodeJS.ProcessEnv, label: string): string {
  try {
    const text = winedbg(env, ['--command', 'info process'], 15000) + winedbg(env, ['--command', 'bt all'], 45000);
    fs.mkdirSync(paths.logs, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const file = path.join(paths.logs, `threads-${label.replace(/[^\w.-]+/g, '_')}-${stamp}.txt`);
    fs.writeFileSync(file, text);
    return file;
  } catch (e) {
    return `no thread dump (${(e as Error).message})`;
  }
}
