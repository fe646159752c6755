/**
 * The packaged program (dist/wildix-datev-cti.exe from `npm run package`) on a Wine "workstation":
 * copied alone into its own folder (so nothing of the build tree can help it), it answers --version,
 * --help and --diagnose (with and without the fake tapi32.dll and the fake DATEV), installs and
 * removes its per-user autostart, refuses a second instance in the same session with a message box,
 * and on Ctrl+C (SIGINT), taskkill without /F (WM_CLOSE) and at logoff/shutdown (WM_ENDSESSION) closes
 * the TAPI line and leaves the ROT.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FAKE_DATEV_BUILD, FAKE_DATEV_EXE, FakeDatevProcess } from './datevDriver';
import { paths, ROOT, wineEnv, winPath } from './env';
import { FAKE_TAPI_BUILD, FAKE_TAPI_DIR, FAKE_TAPI_DLL, FakeTapiServer } from './pbxDriver';
import type { WinUserWindow } from './winUser';

const display = inject('display');
const PACKAGED_EXE = path.join(ROOT, 'dist', 'wildix-datev-cti.exe');
const WORK = path.join(ROOT, '.cache', 'exe-test');
const EXE = path.join(WORK, 'bin', 'wildix-datev-cti.exe');
const CONFIG = path.join(WORK, 'config.json');
const RUN_KEY = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run';
const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

let server: FakeTapiServer;
let runs = 0;

interface Started {
  child: ChildProcess;
  output: string;
  exit: Promise<number | null>;
  read(): string;
}

/**
 * Starts the exe under Wine; its output goes to a file (a Windows node cannot write to a Unix pipe).
 * It runs on Wine's default desktop (not the tests' virtual desktop: "explorer /desktop" would not
 * pass the exit code on), where userOnDefaultDesktop() sees its windows.
 */
function start(args: string[], extraEnv: Record<string, string> = {}): Started {
  const output = path.join(WORK, `run-${++runs}.txt`);
  const fd = fs.openSync(output, 'w');
  const child = spawn('wine', [EXE, ...args], { env: wineEnv(display, extraEnv), stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  const exit = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code));
    child.on('error', () => resolve(null));
  });
  return { child, output, exit, read: () => fs.readFileSync(output, 'utf8') };
}

async function runExe(args: string[], extraEnv: Record<string, string> = {}, timeoutMs = 60000): Promise<{ code: number | null; out: string }> {
  const s = start(args, extraEnv);
  const timer = setTimeout(() => s.child.kill('SIGKILL'), timeoutMs);
  const code = await s.exit;
  clearTimeout(timer);
  return { code, out: s.read() };
}

/** Environment for the real TAPI path: the fake tapi32.dll instead of Wine's stub. */
function fakeTapiEnv(): Record<string, string> {
  return { WINEDLLOVERRIDES: 'tapi32=n', FAKE_TAPI_PORT: String(server.port) };
}

/** win-user.exe (the test user, fakes/win-user) on Wine's default desktop. */
function userOnDefaultDesktop(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('wine', [paths.winUser, ...args], { env: wineEnv(display), encoding: 'utf8', timeout: 20000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`win-user.exe ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 30000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The Unix pid of the Windows process (wine exec()s into it; else one of its descendants). */
function unixPid(child: ChildProcess): number {
  const cmd = (pid: number): string => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return '';
    }
  };
  const queue = [child.pid!];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    if (cmd(pid).includes('wildix-datev-cti.exe')) return pid;
    const kids = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
    queue.push(...kids);
  }
  throw new Error(`no process of wildix-datev-cti.exe below pid ${child.pid}`);
}

/** The text of the program's log file in `logDir` ('' until it exists). */
function logOf(logDir: string): () => string {
  return () => {
    const f = fs.existsSync(logDir) ? fs.readdirSync(logDir).find((n) => n.endsWith('.log')) : undefined;
    return f ? fs.readFileSync(path.join(logDir, f), 'utf8') : '';
  };
}

/**
 * Until the program is up (fails at once if it exits): its CTI object in the ROT (it goes there first,
 * before the program has loaded the rest of itself), the program's own log line that it has taken
 * over the object, and its tray icon's line — the last step of its start. A stop request that comes
 * earlier is kept, but waits while the start still holds the JavaScript thread (the tray waits up to
 * 10 s for the taskbar): most likely why a taskkill in a loaded run went unanswered for 20 s.
 */
async function untilRegistered(running: Started, datev: FakeDatevProcess, logText: () => string): Promise<void> {
  await until('the CTI object in the ROT and the program up', async () => {
    if (running.child.exitCode !== null) throw new Error(`the program exited (${running.child.exitCode}):\n${running.read()}`);
    const log = logText();
    const up = log.includes('CTI object registered in the ROT (CLSID') && /tray icon (shown|not shown|cannot be created)/.test(log);
    return up && (await datev.isCtiRegistered()) ? true : undefined;
  });
}

function regQuery(): { code: number | null; out: string } {
  const r = spawnSync('wine', ['reg', 'query', RUN_KEY, '/v', 'WildixDatevCti'], { env: wineEnv(display), encoding: 'utf8', timeout: 30000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

beforeAll(async () => {
  if (!display) throw new Error('no X display: run the Wine tests with npm run test:wine (vitest.wine.config.ts)');
  if (!fs.existsSync(PACKAGED_EXE)) throw new Error(`${PACKAGED_EXE} missing: run npm run package (scripts/test.sh does)`);
  for (const [script, arg] of [
    [FAKE_TAPI_BUILD, FAKE_TAPI_DIR],
    [FAKE_DATEV_BUILD, undefined],
  ] as const) {
    const build = spawnSync('bash', arg ? [script, arg] : [script], { encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`${script} failed:\n${build.stdout}${build.stderr}`);
  }
  expect(fs.existsSync(FAKE_TAPI_DLL) && fs.existsSync(FAKE_DATEV_EXE)).toBe(true);
  // the exe alone in a folder: no addon, node_modules or package.json next to it
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(EXE), { recursive: true });
  try {
    fs.linkSync(PACKAGED_EXE, EXE);
  } catch {
    fs.copyFileSync(PACKAGED_EXE, EXE);
  }
  fs.writeFileSync(CONFIG, '{}\n');
  server = await FakeTapiServer.start();
});

afterAll(async () => {
  spawnSync('wine', ['reg', 'delete', RUN_KEY, '/v', 'WildixDatevCti', '/f'], { env: wineEnv(display), timeout: 30000 });
  await server?.close();
});

describe('packaged exe under Wine', () => {
  it('is a single file with the addon inside: --version and --help from a folder of its own', async () => {
    expect(fs.readdirSync(path.dirname(EXE))).toEqual(['wildix-datev-cti.exe']);
    expect(fs.statSync(EXE).size).toBeGreaterThan(80 * 1024 * 1024); // node.exe + program + addon
    const v = await runExe(['--version']);
    expect(v).toEqual({ code: 0, out: `${version}\n` });
    const h = await runExe(['--help']);
    expect(h.code).toBe(0);
    expect(h.out).toContain(`Wildix CTI für DATEV ${version}`);
    expect(h.out).toContain('--install-autostart');
    const bad = await runExe(['--frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.out).toContain('unknown option: --frobnicate');
  });

  it("shows the product and package.json's version in its file properties (VERSIONINFO)", () => {
    // Windows' own reading (version.dll through scrrun's FileSystemObject.GetFileVersion)
    const vbs = path.join(WORK, 'file-version.vbs');
    fs.writeFileSync(vbs, 'WScript.Echo "FileVersion=" & CreateObject("Scripting.FileSystemObject").GetFileVersion(WScript.Arguments(0))\r\n');
    const r = spawnSync('wine', ['cscript', '//nologo', winPath(vbs), winPath(EXE)], { env: wineEnv(display), encoding: 'utf8', timeout: 30000 });
    expect(`${r.stdout}${r.stderr}`).toContain(`FileVersion=${version}.0`);
    // the strings, read back from the resource
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { printVersionInfo } = require('../../scripts/set-version-info.js') as { printVersionInfo(exe: string): { strings: Record<string, string> } };
    expect(printVersionInfo(EXE).strings).toMatchObject({
      ProductName: 'Wildix CTI für DATEV',
      FileDescription: 'Wildix CTI für DATEV',
      ProductVersion: version,
      FileVersion: version,
      OriginalFilename: 'wildix-datev-cti.exe',
    });
  });

  it('--diagnose without TAPI and DATEV: exit 1, says what is missing', async () => {
    const logDir = path.join(WORK, 'logs-diag-none');
    const r = await runExe(['--diagnose', '--config', winPath(CONFIG), '--log-dir', winPath(logDir)]);
    expect(r.code).toBe(1);
    // the Node options baked into the exe (scripts/package.sh) are in effect
    expect(r.out).toContain(`Wildix CTI für DATEV ${version} on win32, Node.js v22.23.3 (--v8-pool-size=1)`);
    expect(r.out).toMatch(/FEHLER TAPI nicht verfügbar/);
    expect(r.out).toContain('DATEV Telefonie läuft nicht');
    expect(r.out).toContain('CTI-Objekt im ROT registrierbar');
    expect(r.out).toContain('Ergebnis: nicht einsatzbereit');
    // the log header carries the version too
    const logs = fs.readdirSync(logDir).filter((f) => f.endsWith('.log'));
    expect(logs).toHaveLength(1);
    expect(fs.readFileSync(path.join(logDir, logs[0]!), 'utf8')).toContain(`Wildix CTI für DATEV ${version} starting`);
  });

  it('--diagnose with the fake tapi32.dll and the fake DATEV running: exit 0', async () => {
    const datev = new FakeDatevProcess({ env: wineEnv(display), checkRules: true });
    const pbx = server.session();
    try {
      await datev.ready;
      await pbx.addLine('Wildix 201 Anna Schmidt', '201');
      const r = await runExe(['--diagnose', '--config', winPath(CONFIG), '--log-dir', winPath(path.join(WORK, 'logs-diag'))], fakeTapiEnv());
      expect(r.out).toContain('Leitung geöffnet / line opened');
      expect(r.out).toContain('DATEV Telefonie läuft (im ROT)');
      expect(r.out).toContain('Ergebnis: einsatzbereit');
      expect(r.code).toBe(0);
    } finally {
      await pbx.dispose();
      await datev.close();
    }
  });

  it('--lookup answers from the directory the program uses: the manual list here (a real index, the real number rules)', async () => {
    const csv = path.join(WORK, 'kontakte.csv');
    fs.writeFileSync(csv, 'Nummer;Name;ID;DataSource\r\n089 / 12 34 56-0;Kanzlei Huber & Partner;7001;DATEV_Adressaten\r\n');
    const config = path.join(WORK, 'config-lookup.json');
    fs.writeFileSync(config, JSON.stringify({ contacts: { manualListFile: winPath(csv), datevConnect: { enabled: false } } }));
    // a direct dial-in of the switchboard number "…-0": found through the switchboard base
    const r = await runExe(['--lookup', '+49 89 123456-77', '--config', winPath(config), '--log-dir', winPath(path.join(WORK, 'logs-lookup'))]);
    expect(r.out).toContain('→ +498912345677');
    expect(r.out).toContain('Kanzlei Huber & Partner (DATEV_Adressaten 7001)');
    expect(r.out).toContain('DATEV bekommt / DATEV gets: Kanzlei Huber & Partner');
    expect(r.code).toBe(0);
  });

  it('installs and removes its per-user autostart (HKCU Run), read back with reg.exe', async () => {
    const install = await runExe(['--install-autostart']);
    expect(install.code).toBe(0);
    expect(install.out).toContain('Autostart eingerichtet');
    const q = regQuery();
    expect(q.code).toBe(0);
    expect(q.out).toMatch(new RegExp(`WildixDatevCti\\s+REG_SZ\\s+"${winPath(EXE).replace(/\\/g, '\\\\')}" --background\\s*$`, 'm'));
    const remove = await runExe(['--remove-autostart']);
    expect(remove.code).toBe(0);
    expect(remove.out).toContain('Autostart entfernt');
    expect(regQuery().code).not.toBe(0);
    const again = await runExe(['--remove-autostart']);
    expect(again.code).toBe(0);
    expect(again.out).toContain('Autostart war nicht eingerichtet');
  });

  it('runs once per session: a second start shows „läuft bereits“ and exits 3; --support-bundle beside it writes the ZIP; Ctrl+C closes the line and leaves the ROT', async () => {
    const datev = new FakeDatevProcess({ env: wineEnv(display), checkRules: true });
    const pbx = server.session();
    const logDir = path.join(WORK, 'logs-run');
    let first: Started | undefined;
    try {
      await datev.ready;
      await pbx.addLine('Wildix 201 Anna Schmidt', '201');
      first = start(['--config', winPath(CONFIG), '--log-dir', winPath(logDir)], fakeTapiEnv());
      const running = first;
      await untilRegistered(running, datev, logOf(logDir));
      await pbx.waitFor((e) => e.ev === 'api' && e.fn === 'lineOpenW', 20000);

      // second start in the same session: a message box, then exit code 3
      const second = start(['--config', winPath(CONFIG), '--log-dir', winPath(path.join(WORK, 'logs-second'))], fakeTapiEnv());
      const box = await until('the „läuft bereits“ message box', async () =>
        (JSON.parse(await userOnDefaultDesktop(['list'])) as WinUserWindow[]).find((w) => w.texts.join('\n').includes('Wildix CTI für DATEV läuft bereits.')),
      );
      expect(box).toMatchObject({ kind: 'messagebox', title: 'Wildix CTI für DATEV', buttons: [{ label: 'OK', enabled: true }] });
      expect(second.child.exitCode).toBeNull(); // waits for the user
      expect(JSON.parse(await userOnDefaultDesktop(['click', String(box.id), 'OK']))).toMatchObject({ ok: true });
      expect(await second.exit).toBe(3);
      expect(second.read()).toContain('läuft bereits');
      expect(await datev.isCtiRegistered()).toBe(true); // the first one is untouched

      // --support-bundle beside the running one: not a second instance (no lock, no ROT), a ZIP with its
      // logs and its status file, exit 0
      const bundle = await runExe(['--support-bundle', '--config', winPath(CONFIG), '--log-dir', winPath(logDir)]);
      expect(bundle.code).toBe(0);
      const zipWin = /support bundle written: (.*\.zip)/.exec(bundle.out)?.[1];
      expect(zipWin, bundle.out).toMatch(/\\Desktop\\Wildix-CTI-Support-\d{8}-\d{6}\.zip$/); // the desktop Windows names (SHGetKnownFolderPath)
      const zipUnix = spawnSync('wine', ['winepath', '-u', zipWin!], { env: wineEnv(display), encoding: 'utf8', timeout: 20000 }).stdout.trim();
      try {
        const zip = fs.readFileSync(zipUnix);
        for (const name of ['info.txt', 'status.json', 'logs/wildix-datev-cti-']) expect(zip.includes(Buffer.from(name))).toBe(true);
      } finally {
        fs.rmSync(zipUnix, { force: true });
      }
      expect(await datev.isCtiRegistered()).toBe(true);

      // Ctrl+C on the first (Wine turns SIGINT into CTRL_C_EVENT, node into 'SIGINT')
      process.kill(unixPid(first.child), 'SIGINT');
      expect(await Promise.race([first.exit, new Promise((r) => setTimeout(() => r('timeout'), 20000))])).toBe(0);
      expect(await datev.isCtiRegistered()).toBe(false);
      const fns = (await pbx.requests()).map((r) => r.fn);
      expect(fns).toContain('lineClose');
      expect(fns[fns.length - 1]).toBe('lineShutdown');
      const log = fs.readFileSync(path.join(logDir, fs.readdirSync(logDir).find((f) => f.endsWith('.log'))!), 'utf8');
      expect(log).toMatch(/single instance: Local\\WildixDatevCti acquired \(pid \d+\)/);
      expect(log).toContain('stopping (SIGINT)');
      expect(log).toContain('CTI object revoked from the ROT');
    } finally {
      if (first && first.child.exitCode === null) first.child.kill('SIGKILL');
      await pbx.dispose();
      await datev.close();
    }
  });

  it('taskkill without /F (WM_CLOSE) stops it cleanly as well', async () => {
    const datev = new FakeDatevProcess({ env: wineEnv(display), checkRules: true });
    const logDir = path.join(WORK, 'logs-taskkill');
    let run: Started | undefined;
    try {
      await datev.ready;
      run = start(['--config', winPath(CONFIG), '--log-dir', winPath(logDir)]);
      const running = run;
      const logText = logOf(logDir);
      await untilRegistered(running, datev, logOf(logDir));
      const pid = Number(/acquired \(pid (\d+)\)/.exec(logText())?.[1]);
      expect(pid).toBeGreaterThan(0);
      const kill = spawnSync('wine', ['taskkill', '/pid', String(pid)], { env: wineEnv(display), encoding: 'utf8', timeout: 30000 });
      expect(kill.status).toBe(0);
      expect(await Promise.race([run.exit, new Promise((r) => setTimeout(() => r('timeout'), 20000))])).toBe(0);
      expect(await datev.isCtiRegistered()).toBe(false);
      expect(logText()).toContain('stopping (close)');
      expect(logText()).toContain('CTI object revoked from the ROT');
    } finally {
      if (run && run.child.exitCode === null) run.child.kill('SIGKILL');
      await datev.close();
    }
  });

  it('--background runs without a console window; --stop from a second start ends it cleanly', async () => {
    const datev = new FakeDatevProcess({ env: wineEnv(display), checkRules: true });
    const logDir = path.join(WORK, 'logs-background');
    let run: Started | undefined;
    try {
      await datev.ready;
      // no instance yet: --stop says so
      const none = await runExe(['--stop', '--log-dir', winPath(path.join(WORK, 'logs-stop-none'))]);
      expect(none.code).toBe(1);
      expect(none.out).toContain('läuft nicht');
      run = start(['--config', winPath(CONFIG), '--log-dir', winPath(logDir), '--background']);
      const running = run;
      const logText = logOf(logDir);
      await untilRegistered(running, datev, logOf(logDir));
      await until('the --background log line', () => (/console window hidden|no console window to hide/.test(logText()) ? true : undefined));
      const stop = await runExe(['--stop', '--log-dir', winPath(path.join(WORK, 'logs-stop'))]);
      expect(stop.code).toBe(0);
      expect(stop.out).toContain('wird beendet');
      expect(await Promise.race([run.exit, new Promise((r) => setTimeout(() => r('timeout'), 20000))])).toBe(0);
      expect(await datev.isCtiRegistered()).toBe(false);
      expect(logText()).toContain('stopping (close)');
      expect(logText()).toContain('CTI object revoked from the ROT');
    } finally {
      if (run && run.child.exitCode === null) run.child.kill('SIGKILL');
      await datev.close();
    }
  });

  it('--background started in a console of its own (a logon start) leaves it and runs on; it stops on --stop', async () => {
    const datev = new FakeDatevProcess({ env: wineEnv(display), checkRules: true });
    const logDir = path.join(WORK, 'logs-own-console');
    let starter: ReturnType<typeof spawn> | undefined;
    try {
      await datev.ready;
      // `start` gives the program a new console, as Windows does for a console program started at logon
      starter = spawn('wine', ['cmd', '/c', 'start', '""', '/wait', winPath(EXE), '--config', winPath(CONFIG), '--log-dir', winPath(logDir), '--background'], { env: wineEnv(display), stdio: 'ignore' });
      // (`start /wait`: cmd ends when the program has ended)
      const ended = new Promise<string>((resolve) => starter!.on('exit', () => resolve('ended')));
      const logText = logOf(logDir);
      await until('the --background log line', () => (/console window hidden|no console window to hide/.test(logText()) ? true : undefined));
      // the program is no longer attached to it: on Windows the console (its window, or the Windows
      // Terminal tab hosting it) closes with its last process; Wine's conhost stays while handles to it
      // are open, so that part is not visible here
      expect(logText()).toContain('console window hidden and left (--background)');
      await until('the ROT registration', async () => ((await datev.isCtiRegistered()) ? true : undefined));
      const stop = await runExe(['--stop', '--log-dir', winPath(path.join(WORK, 'logs-stop-own-console'))]);
      expect(stop.code).toBe(0);
      // the process has ended (its lock is free for the next test's start), not only left the ROT
      expect(await Promise.race([ended, new Promise((r) => setTimeout(() => r('timeout'), 20000))])).toBe('ended');
      expect(logText()).toContain('CTI object revoked from the ROT');
      expect(await datev.isCtiRegistered()).toBe(false);
    } finally {
      if (starter && starter.exitCode === null) {
        await runExe(['--stop', '--log-dir', winPath(path.join(WORK, 'logs-stop-own-console'))]).catch(() => undefined);
        starter.kill('SIGKILL');
      }
      await datev.close();
    }
  });

  it('ends cleanly when Windows ends the session (wineboot --end-session: WM_ENDSESSION) and may start again', async () => {
    const datev = new FakeDatevProcess({ env: wineEnv(display), checkRules: true });
    const pbx = server.session();
    const logDir = path.join(WORK, 'logs-end-session');
    let run: Started | undefined;
    try {
      await datev.ready;
      await pbx.addLine('Wildix 201 Anna Schmidt', '201');
      // the lock of the earlier test's process went with it: this start is the first again
      run = start(['--config', winPath(CONFIG), '--log-dir', winPath(logDir)], fakeTapiEnv());
      const running = run;
      await untilRegistered(running, datev, logOf(logDir));
      await pbx.waitFor((e) => e.ev === 'api' && e.fn === 'lineOpenW', 20000);
      const end = spawnSync('wine', ['wineboot', '--end-session'], { env: wineEnv(display), encoding: 'utf8', timeout: 60000 });
      expect(end.status).toBe(0);
      expect(await Promise.race([run.exit, new Promise((r) => setTimeout(() => r('timeout'), 20000))])).toBe(0);
      expect(await datev.isCtiRegistered()).toBe(false);
      const fns = (await pbx.requests()).map((r) => r.fn);
      expect(fns).toContain('lineClose');
      expect(fns[fns.length - 1]).toBe('lineShutdown');
      const log = fs.readFileSync(path.join(logDir, fs.readdirSync(logDir).find((f) => f.endsWith('.log'))!), 'utf8');
      expect(log).toMatch(/stopping \((shutdown|logoff)\)/);
      expect(log).toContain('CTI object revoked from the ROT');
    } finally {
      if (run && run.child.exitCode === null) run.child.kill('SIGKILL');
      await pbx.dispose();
      await datev.close();
    }
  });
});
