/**
 * The Windows side of src/cli/workstation.ts: the per-session single-instance mutex and the per-user
 * autostart value (native/win), and the "already running" message box (native/ui). Loaded only on
 * Windows (or Wine); every call is short and synchronous except message().
 */
import type { Workstation } from '../cli/workstation';
import { AUTOSTART_VALUE, INSTANCE_MUTEX } from '../cli/workstation';
import type { NativeUi, NativeWin } from './addon';
import { loadAddon } from './addon';
import { guarded } from './guard';

/** A Win32 failure of native/win, with the Win32 error code when there is one. */
export class LifecycleError extends Error {
  override name = 'LifecycleError';
  constructor(
    message: string,
    readonly win32Error: number | undefined,
  ) {
    super(message);
  }
}

function wrap<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    const err = e as { message?: unknown; win32Error?: unknown };
    const code = typeof err.win32Error === 'number' ? err.win32Error : undefined;
    throw new LifecycleError(`${what}: ${String(err.message ?? e)}`, code);
  }
}

function isSea(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('node:sea') as { isSea(): boolean }).isSea();
  } catch {
    return false;
  }
}

/** Where this program is: the packaged exe alone, or node.exe plus the entry script. */
export function launcher(execPath: string = process.execPath, script: string | undefined = require.main?.filename): string[] {
  // the packaged exe runs its entry from pkg's virtual C:\snapshot\ tree; only the exe exists on disk
  return isSea() || !script ? [execPath] : [execPath, script];
}

export function createWorkstation(win: NativeWin, ui: NativeUi): Workstation {
  return {
    claimInstance: () => wrap('single-instance mutex', () => win.acquireSingleInstance(INSTANCE_MUTEX)),
    launcher: () => launcher(),
    readAutostart: () => wrap('reading the autostart value', () => win.getAutostart(AUTOSTART_VALUE)),
    readMachineAutostart: () => wrap('reading the autostart value for all users', () => win.getMachineAutostart(AUTOSTART_VALUE)),
    writeAutostart: (command) => wrap('writing the autostart value', () => win.setAutostart(AUTOSTART_VALUE, command)),
    deleteAutostart: () => wrap('deleting the autostart value', () => win.removeAutostart(AUTOSTART_VALUE)),
    hideConsole: () => wrap('hiding the console window', () => win.hideConsole()),
    requestStop: () => wrap('asking the running instance to stop', () => win.stopRunningInstance()),
    desktopFolder: () => wrap('finding the desktop folder', () => win.desktopFolder()),
    message: (title, text, kind, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        try {
          ui.messageBox(title, text, kind, timeoutMs, () => resolve());
        } catch (e) {
          reject(new LifecycleError(`message box: ${(e as Error).message}`, undefined));
        }
      }),
  };
}

/** How long a logoff/shutdown waits for the program to close the line and leave the ROT. */
export const SESSION_END_HOLD_MS = 15000;

/**
 * Calls onEnd('logoff' | 'shutdown') when Windows ends the session, onEnd('close') when someone asks
 * the program to close (taskkill without /F). A console program that loads user32 gets no
 * CTRL_LOGOFF_EVENT/CTRL_SHUTDOWN_EVENT, so a hidden window (native/win) listens for WM_ENDSESSION and
 * WM_CLOSE. false (and a log line) when the watcher cannot start.
 */
export function watchSessionEnd(
  win: NativeWin,
  onEnd: (reason: 'logoff' | 'shutdown' | 'close') => void,
  warn: (message: string) => void,
): boolean {
  try {
    return win.watchSessionEnd(guarded('session end', onEnd, warn), SESSION_END_HOLD_MS);
  } catch (e) {
    warn(`logoff/shutdown watcher not started: ${(e as Error).message}`);
    return false;
  }
}

/** The Workstation of this process (loads the addon). */
export function nativeWorkstation(): Workstation {
  const addon = loadAddon();
  return createWorkstation(addon.win, addon.ui);
}
