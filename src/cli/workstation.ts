/**
 * The program on a workstation: one instance per Windows session and the per-user autostart.
 * The Windows side is injected (src/native/lifecycle.ts under Windows, a fake in the tests), so this
 * logic runs on any machine.
 */
import type { Logger } from '../logging/logger';
import { quoteWindowsArg } from '../util/windowsCommandLine';

/** What the CLI needs of the Windows session. */
export interface Workstation {
  /** Takes this session's single-instance lock ("acquired") or finds it held by another process ("running"). */
  claimInstance(): 'acquired' | 'running';
  /** What starts this program: [exe] for the packaged exe, [node.exe, script] otherwise. */
  launcher(): string[];
  /** The current autostart value, null when there is none. */
  readAutostart(): string | null;
  /** The all-users installation's logon start (HKLM, read only), null when there is none. */
  readMachineAutostart?(): string | null;
  writeAutostart(command: string): void;
  /** false when there was no autostart value. */
  deleteAutostart(): boolean;
  /** Hides this process's console window; false when it has none. */
  hideConsole(): boolean;
  /** Asks the instance running in this session to stop (as taskkill without /F would); false when none runs. */
  requestStop(): boolean;
  /** A message box with one OK button; resolves when it is closed or after timeoutMs. */
  message(title: string, text: string, kind: 'info' | 'error', timeoutMs: number): Promise<void>;
  /** The user's desktop folder as Explorer shows it (also when redirected), null when there is none. */
  desktopFolder?(): string | null;
}

/** Per-session mutex (Local\ = this logon session, so every terminal-server user runs their own). */
export const INSTANCE_MUTEX = 'Local\\WildixDatevCti';
/** Value name under HKCU\Software\Microsoft\Windows\CurrentVersion\Run. */
export const AUTOSTART_VALUE = 'WildixDatevCti';
export const RUN_KEY = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run';
export const MACHINE_RUN_KEY = 'HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run';

/** Exit code of a second start in the same session. */
export const EXIT_ALREADY_RUNNING = 3;
/** How long the "already running" box waits for the user before the second process ends anyway. */
export const ALREADY_RUNNING_TIMEOUT_MS = 120_000;

export const texts = {
  title: 'Wildix CTI für DATEV',
  alreadyRunning: 'Wildix CTI für DATEV läuft bereits.\n\nDas Programm ist in dieser Windows-Sitzung schon gestartet; ein zweites Mal wird es nicht benötigt.',
  alreadyRunningConsole: 'Wildix CTI für DATEV läuft bereits in dieser Windows-Sitzung / is already running in this Windows session.',
  installed: (command: string) => `Autostart eingerichtet / autostart installed: ${RUN_KEY}\\${AUTOSTART_VALUE} = ${command}`,
  removed: `Autostart entfernt / autostart removed: ${RUN_KEY}\\${AUTOSTART_VALUE}`,
  notInstalled: `Autostart war nicht eingerichtet / autostart was not installed: ${RUN_KEY}\\${AUTOSTART_VALUE}`,
  machineInstalled: `Autostart für alle Benutzer ist schon eingerichtet (Installation für alle Benutzer), kein eigener nötig / autostart for all users is already set up (all-users installation), none of its own needed: ${MACHINE_RUN_KEY}\\${AUTOSTART_VALUE}`,
  machineRemains: `Der Autostart für alle Benutzer gehört zur Installation und bleibt; entfernen kann ihn nur ein Administrator (Deinstallation) / the autostart for all users belongs to the installation and stays; only an administrator can remove it (uninstall): ${MACHINE_RUN_KEY}\\${AUTOSTART_VALUE}`,
  failed: (what: string, message: string) => `Autostart ${what} fehlgeschlagen / failed: ${message}`,
  noWindows: 'Autostart gibt es nur unter Windows / autostart needs Windows',
  stopRequested: 'Wildix CTI für DATEV wird beendet / the running instance was asked to stop.',
  notRunning: 'Wildix CTI für DATEV läuft nicht in dieser Windows-Sitzung / is not running in this Windows session.',
  stopNoWindows: '--stop gibt es nur unter Windows / --stop needs Windows',
};

/** The Run command: the launcher always quoted (paths with blanks), then the options to keep. */
export function autostartCommand(launcher: string[], options: string[]): string {
  return [...launcher.map((a) => `"${a}"`), ...options.map(quoteWindowsArg)].join(' ');
}

export interface WorkstationIo {
  out: (text: string) => void;
  err: (text: string) => void;
  log: Logger;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Creates the Workstation on demand (loads the addon); undefined away from Windows. */
export type WorkstationFactory = (() => Workstation) | undefined;

/**
 * --install-autostart: writes the Run value (the program plus `options`, e.g. --config, so the logon
 * start uses the same settings) and reads it back. Exit code 0 or 1.
 */
export function installAutostart(get: WorkstationFactory, options: string[], io: WorkstationIo): number {
  if (!get) {
    io.err(texts.noWindows);
    return 1;
  }
  try {
    const ws = get();
    const launcher = ws.launcher();
    if (launcher.length === 0 || launcher.some((a) => a === '' || a.includes('"'))) {
      throw new Error(`no usable program path: ${JSON.stringify(launcher)}`);
    }
    const machine = ws.readMachineAutostart?.() ?? null;
    if (machine !== null) {
      // a second start at logon would only end with "läuft bereits"
      io.log.info(`autostart not installed: the all-users installation starts the program at logon (${MACHINE_RUN_KEY}\\${AUTOSTART_VALUE} = ${machine})`);
      io.out(texts.machineInstalled);
      return 0;
    }
    const command = autostartCommand(launcher, options);
    const before = ws.readAutostart();
    ws.writeAutostart(command);
    const after = ws.readAutostart();
    if (after !== command) throw new Error(`read back ${JSON.stringify(after)} instead of ${JSON.stringify(command)}`);
    io.log.info(`autostart installed: ${RUN_KEY}\\${AUTOSTART_VALUE} = ${command}${before !== null && before !== command ? ` (was ${before})` : ''}`);
    io.out(texts.installed(command));
    return 0;
  } catch (e) {
    io.log.error(`autostart install failed: ${message(e)}`);
    io.err(texts.failed('einrichten / install', message(e)));
    return 1;
  }
}

/** --remove-autostart: deletes the Run value; not having one is fine. Exit code 0 or 1. */
export function removeAutostart(get: WorkstationFactory, io: WorkstationIo): number {
  if (!get) {
    io.err(texts.noWindows);
    return 1;
  }
  try {
    const ws = get();
    const removed = ws.deleteAutostart();
    if (ws.readAutostart() !== null) throw new Error('the value is still there after deleting it');
    const machine = ws.readMachineAutostart?.() ?? null;
    if (machine !== null) {
      io.log.info(`${removed ? 'autostart removed' : 'no autostart of the user'}; the all-users installation's stays (${MACHINE_RUN_KEY}\\${AUTOSTART_VALUE} = ${machine})`);
      if (removed) io.out(texts.removed);
      io.out(texts.machineRemains);
      return 0;
    }
    io.log.info(removed ? 'autostart removed' : 'autostart was not installed');
    io.out(removed ? texts.removed : texts.notInstalled);
    return 0;
  } catch (e) {
    io.log.error(`autostart remove failed: ${message(e)}`);
    io.err(texts.failed('entfernen / remove', message(e)));
    return 1;
  }
}

/**
 * The single-instance check before the real CTI starts. true: this process may go on. false: another
 * instance runs in this session; the user has been told (console and message box).
 * A failing check (no mutex possible) is logged and lets the program run: better two instances than none.
 */
export async function claimSingleInstance(get: WorkstationFactory, io: WorkstationIo, known?: 'acquired' | 'running'): Promise<boolean> {
  if (!get) return true;
  let ws: Workstation;
  let state: 'acquired' | 'running';
  try {
    ws = get();
    // the start-up fast path (src/native/earlyStart.ts) took the lock already
    state = known ?? ws.claimInstance();
  } catch (e) {
    io.log.error(`single-instance check failed, starting anyway: ${message(e)}`);
    return true;
  }
  if (state === 'acquired') {
    io.log.info(`single instance: ${INSTANCE_MUTEX} acquired (pid ${process.pid})`);
    return true;
  }
  io.log.warn(`another instance is running in this session (${INSTANCE_MUTEX}); exiting`);
  io.err(texts.alreadyRunningConsole);
  try {
    await ws.message(texts.title, texts.alreadyRunning, 'info', ALREADY_RUNNING_TIMEOUT_MS);
  } catch (e) {
    io.log.error(`cannot show the "already running" message: ${message(e)}`);
  }
  return false;
}

/** How long --stop keeps asking when no instance answers yet (one may be starting). */
export const STOP_RETRY_MS = 1500;
/** The pause between two stop requests while none answers. */
export const STOP_RETRY_STEP_MS = 100;

/** Waits without giving up the thread (the stop commands have nothing else to do meanwhile). */
export function blockFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Asks the instance of this session to stop. An instance that is still starting has no stop window
 * yet (made once the program is loaded, a few hundred ms after its lock): while none answers, asks
 * again every STOP_RETRY_STEP_MS for up to `forMs` before saying none runs. true: one was asked.
 */
export function askToStop(ws: Workstation, pause: (ms: number) => void = blockFor, forMs: number = STOP_RETRY_MS): boolean {
  for (let waited = 0; ; waited += STOP_RETRY_STEP_MS) {
    if (ws.requestStop()) return true;
    if (waited >= forMs) return false;
    pause(STOP_RETRY_STEP_MS);
  }
}

/** --stop: asks the instance of this session to stop cleanly. Exit code 0 (asked) or 1 (none runs, or failed). */
export function stopRunningInstance(get: WorkstationFactory, io: WorkstationIo): number {
  if (!get) {
    io.err(texts.stopNoWindows);
    return 1;
  }
  try {
    const asked = askToStop(get());
    io.log.info(asked ? 'asked the running instance to stop' : '--stop: no instance runs in this session');
    if (asked) io.out(texts.stopRequested);
    else io.err(texts.notRunning);
    return asked ? 0 : 1;
  } catch (e) {
    io.log.error(`--stop failed: ${message(e)}`);
    io.err(`--stop: ${message(e)}`);
    return 1;
  }
}

/** --background (the logon start): no console window; the program is stopped with --stop, logoff or taskkill. */
export function hideConsoleWindow(get: WorkstationFactory, io: WorkstationIo): void {
  if (!get) return;
  try {
    io.log.info(get().hideConsole() ? 'console window hidden and left (--background)' : '--background: no console window to hide (or it could not be left)');
  } catch (e) {
    io.log.warn(`--background: console window not hidden: ${message(e)}`);
  }
}
