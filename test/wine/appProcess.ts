/**
 * The real program under Wine, for the end-to-end scenarios (test/wine/app.wine.test.ts):
 * `wine explorer /desktop=<test desktop> <exe> [main.js] --config <cfg> --log-dir <dir>`, in the shared
 * Xvfb + Wine virtual desktop, so win-user.exe sees its dialogs.
 *
 *   const app = startApp({ display, name: 'main', config: {...}, env: { FAKE_TAPI_PORT: ... } });
 *   await app.waitForLog(/TAPI line open/);
 *   ...
 *   await app.interrupt();          // Ctrl+C: SIGINT to the Wine process → CTRL_C_EVENT in node
 *   app.killHard();                 // SIGKILL of the Wine process (no cleanup at all)
 *
 * What runs is chosen by WILDIX_E2E_EXE (a Windows exe that takes the program's command line, e.g. the
 * packaged dist/wildix-datev-cti.exe); unset: Wine's node.exe with build/js/src/main.js.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { coverageEnv, paths, ROOT, VIRTUAL_DESKTOP, wineEnv, winPath } from './env';

export const E2E_EXE_ENV = 'WILDIX_E2E_EXE';
export const MAIN_JS = path.join(ROOT, 'build', 'js', 'src', 'main.js');
export const PACKAGED_EXE = path.join(ROOT, 'dist', 'wildix-datev-cti.exe');
/** Scratch folders of the runs (config, CSV, logs, stdout); kept for inspection, like .cache/logs. */
export const E2E_DIR = path.join(ROOT, '.cache', 'e2e');

/** How the program is started: a label for test names and the Unix command (exe first). */
export interface AppTarget {
  label: string;
  /** Unix path of the Windows exe, then its leading arguments (e.g. the script for node.exe). */
  command: string[];
  /** Checked before a start; a missing file makes the test fail with this hint. */
  files: { file: string; hint: string }[];
  /** It runs build/js in node.exe, so its V8 coverage counts (env.ts coverageEnv). */
  measured: boolean;
}

export function nodeTarget(): AppTarget {
  return {
    label: 'node.exe build/js/src/main.js',
    command: [paths.nodeExe, winPath(MAIN_JS)],
    files: [
      { file: paths.nodeExe, hint: 'run scripts/setup-windows-toolchain.sh' },
      { file: MAIN_JS, hint: 'run npm run build' },
      { file: paths.addon, hint: 'run npm run build:native' },
    ],
    measured: true,
  };
}

export function exeTarget(exe: string, label: string): AppTarget {
  const file = path.resolve(exe);
  return { label, command: [file], files: [{ file, hint: 'run npm run package, or unset WILDIX_E2E_EXE' }], measured: false };
}

/** The target of the full scenario run: $WILDIX_E2E_EXE when set, else node.exe + main.js. */
export function primaryTarget(): AppTarget {
  const exe = process.env[E2E_EXE_ENV];
  return exe ? exeTarget(exe, `WILDIX_E2E_EXE=${exe}`) : nodeTarget();
}

/**
 * The packaged exe for the extra labelled subset; undefined only when it is the primary target already.
 * A missing exe is not a reason to leave the subset out: starting it fails with the hint.
 */
export function packagedTarget(): AppTarget | undefined {
  const exe = process.env[E2E_EXE_ENV];
  if (exe && path.resolve(exe) === PACKAGED_EXE) return undefined;
  return exeTarget(PACKAGED_EXE, 'packaged dist/wildix-datev-cti.exe');
}

export interface AppStartOptions {
  /** X display (inject('display')). */
  display: string;
  target: AppTarget;
  /** Name of the scratch folder under .cache/e2e/ (emptied first). */
  name: string;
  /** The program's config.json (written as given). */
  config: Record<string, unknown>;
  /** Extra environment, e.g. FAKE_TAPI_PORT. */
  env?: Record<string, string>;
  /** WINEDLLOVERRIDES, e.g. "tapi32=n". */
  dllOverrides?: string;
  /** Extra command-line arguments after --config/--log-dir. */
  args?: string[];
}

async function poll<T>(check: () => T | undefined | Promise<T | undefined>, ms: number, what: () => string, every = 100): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** Unix pid's process group and command line, or undefined when it is gone. */
function procInfo(pid: number): { pgid: number; cmdline: string } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid pgrp …; comm may contain spaces and parentheses
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    return { pgid: Number(fields[2]), cmdline };
  } catch {
    return undefined;
  }
}

export class AppProcess {
  readonly dir: string;
  readonly logDir: string;
  readonly configFile: string;
  /** The program's own stdout/stderr (node.exe cannot write to a Unix pipe). */
  readonly outFile: string;
  readonly exited: Promise<void>;
  private readonly child: ChildProcess;
  private running = true;

  private constructor(readonly options: AppStartOptions) {
    for (const f of options.target.files) {
      if (!fs.existsSync(f.file)) throw new Error(`cannot start the program (${options.target.label}): ${f.file} is missing (${f.hint})`);
    }
    this.dir = path.join(E2E_DIR, options.name);
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(this.dir, { recursive: true });
    this.logDir = path.join(this.dir, 'logs');
    this.configFile = path.join(this.dir, 'config.json');
    this.outFile = path.join(this.dir, 'stdout.txt');
    fs.writeFileSync(this.configFile, JSON.stringify(options.config, null, 2));
    // Wine's errors (class err: an unhandled exception, a page fault) go to the program's output, where a
    // test that finds the process gone shows them; its fixmes do not (WINEDEBUG is -all for the other Wine
    // processes of the tests; WILDIX_WINEDEBUG sets both)
    const extra: Record<string, string> = {
      WINEDEBUG: process.env.WILDIX_WINEDEBUG ?? 'fixme-all',
      ...(options.target.measured ? coverageEnv() : {}),
      ...(options.env ?? {}),
    };
    if (options.dllOverrides) extra.WINEDLLOVERRIDES = options.dllOverrides;
    const [exe, ...lead] = options.target.command;
    const argv = [
      'explorer',
      `/desktop=${VIRTUAL_DESKTOP}`,
      exe!,
      ...lead,
      '--config',
      winPath(this.configFile),
      '--log-dir',
      winPath(this.logDir),
      ...(options.args ?? []),
    ];
    const out = fs.openSync(this.outFile, 'w');
    // detached: its own process group (start.exe, explorer.exe and the program), killed as one
    this.child = spawn('wine', argv, { env: wineEnv(options.display, extra), stdio: ['ignore', out, out], detached: true });
    fs.closeSync(out);
    this.exited = new Promise<void>((resolve) => {
      const done = (): void => {
        this.running = false;
        resolve();
      };
      this.child.on('exit', done);
      this.child.on('error', done);
    });
  }

  static start(options: AppStartOptions): AppProcess {
    return new AppProcess(options);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Everything the program logged so far (all files in its log folder). */
  logText(): string {
    let files: string[];
    try {
      files = fs.readdirSync(this.logDir).filter((f) => f.endsWith('.log')).sort();
    } catch {
      return '';
    }
    return files.map((f) => fs.readFileSync(path.join(this.logDir, f), 'utf8')).join('');
  }

  /** Log lines matching the pattern. */
  logLines(pattern: RegExp): string[] {
    return this.logText()
      .split('\n')
      .filter((l) => pattern.test(l));
  }

  /** The program's stdout/stderr so far. */
  output(): string {
    try {
      return fs.readFileSync(this.outFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** Tail of log and output, for error messages. */
  describe(): string {
    return `log (${this.logDir}):\n${this.logText().slice(-3000)}\nstdout/stderr:\n${this.output().slice(-1500)}`;
  }

  /** Waits until a log line matches (lines logged earlier count); fails early when the program exits. */
  async waitForLog(pattern: RegExp, ms = 15000): Promise<string> {
    return poll(
      () => {
        const line = this.logLines(pattern)[0];
        if (line !== undefined) return line;
        if (!this.running) throw new Error(`the program exited while waiting for ${pattern}; ${this.describe()}`);
        return undefined;
      },
      ms,
      () => `log line ${pattern}; ${this.describe()}`,
    );
  }

  /** Unix pid of the program itself (not start.exe / explorer.exe of its group), undefined when gone. */
  programPid(): number | undefined {
    const pgid = this.child.pid;
    if (pgid === undefined) return undefined;
    const exe = this.options.target.command[0]!;
    const marker = winPath(this.configFile);
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const info = procInfo(Number(entry));
      if (!info || info.pgid !== pgid) continue;
      // Wine shows a Windows process's command line: "<exe> <args>"; explorer/start.exe carry it as arguments
      if (info.cmdline.startsWith(exe) && info.cmdline.includes(marker)) return Number(entry);
    }
    return undefined;
  }

  /** Waits until the program's own Wine process is there. */
  waitForProgramPid(ms = 15000): Promise<number> {
    return poll(() => this.programPid(), ms, () => `the program's Wine process; ${this.describe()}`);
  }

  /**
   * The program's threads by name (each counted): the addon names its own (winx::NameCurrentThread),
   * Node and Wine some of theirs; under Wine the name is the Linux thread's, which a thread also
   * inherits from the thread that started it.
   */
  async threadNames(): Promise<Map<string, number>> {
    const pid = await this.waitForProgramPid(5000);
    const out = new Map<string, number>();
    for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
      let name: string;
      try {
        name = fs.readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').trim();
      } catch {
        continue; // the thread ended meanwhile
      }
      out.set(name, (out.get(name) ?? 0) + 1);
    }
    return out;
  }

  /** Ctrl+C: SIGINT to the program's Wine process (Wine raises CTRL_C_EVENT in it); waits for the exit. */
  async interrupt(ms = 15000): Promise<void> {
    const pid = await this.waitForProgramPid(5000);
    process.kill(pid, 'SIGINT');
    const exited = await Promise.race([this.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
    if (!exited) throw new Error(`the program did not exit within ${ms} ms after Ctrl+C; ${this.describe()}`);
  }

  /** Hard kill of the program's Wine process (SIGKILL: no handler, no cleanup). Resolves when it is gone. */
  async killHard(ms = 10000): Promise<void> {
    const pid = await this.waitForProgramPid(5000);
    process.kill(pid, 'SIGKILL');
    await poll(() => (procInfo(pid) === undefined ? true : undefined), ms, () => `pid ${pid} to disappear`);
  }

  /** Kills whatever is left of the program's process group. */
  async dispose(): Promise<void> {
    if (!this.running || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      this.child.kill('SIGKILL');
    }
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 5000))]);
  }
}

export function startApp(options: AppStartOptions): AppProcess {
  return AppProcess.start(options);
}
