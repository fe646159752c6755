/**
 * Loads the native addon wildix_cti.node (built by `npm run build:native`, see CMakeLists.txt).
 * Only works in a Windows node (real Windows or Wine). Each module's typed surface is declared by the
 * adapter that uses it (`ui` here; `com` and `tapi` in their adapters).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Button as passed to native/ui. */
export interface NativeDialogButton {
  id: string;
  label: string;
  enabled: boolean;
}

export interface NativeDialogSpec {
  title: string;
  heading: string;
  text: string;
  buttons: NativeDialogButton[];
  /** 0 = no timeout. */
  timeoutMs: number;
  /** false: shown without activation (the focus stays where it is). */
  takeFocus: boolean;
}

/** Events of one dialog, delivered on the JS thread: exactly one 'shown' or 'failed', then one 'closed' after 'shown'. */
export type NativeDialogEvent =
  | { type: 'shown' }
  | { type: 'failed'; message: string }
  | { type: 'closed'; reason: 'button' | 'dismissed' | 'closed' | 'timeout'; choice: string };

/** native/ui: every dialog runs on a thread of its own while open (long-lived, reused); calls never block the JS thread. */
export interface NativeUi {
  /** Hands the dialog to a dialog thread; returns the dialog id (also stored in the window, see native/ui/README.md). */
  showDialog(spec: NativeDialogSpec, onEvent: (event: NativeDialogEvent) => void): number;
  /** false when the dialog is not open (any more). */
  updateDialog(id: number, heading: string, text: string): boolean;
  setButtonEnabled(id: number, buttonId: string, enabled: boolean): boolean;
  /** From now on the dialog's result is 'closed', even if a click is handled before the window goes. */
  closeDialog(id: number): boolean;
  /** MessageBoxW on its own thread; `done` gets the MessageBox result (32000 = timed out, -1 = failed). */
  messageBox(title: string, text: string, kind: 'info' | 'error', timeoutMs: number, done: (result: number) => void): number;
}

/**
 * native/win: small synchronous Win32 helpers (wrapped by src/native/lifecycle.ts). Bad arguments
 * throw TypeError/RangeError; Win32 failures throw an Error with code "win32" and win32Error.
 */
export interface NativeWin {
  /** Named mutex held until the process ends: "acquired" (first in this session) or "running". */
  acquireSingleInstance(name: string): 'acquired' | 'running';
  /** Closes the held mutex; false when none was held. */
  releaseSingleInstance(): boolean;
  /** HKCU\Software\Microsoft\Windows\CurrentVersion\Run value, null when absent. */
  getAutostart(valueName: string): string | null;
  /** HKLM\...\Run: the all-users MSI's logon start (read only). */
  getMachineAutostart(valueName: string): string | null;
  setAutostart(valueName: string, command: string): void;
  /** false when the value was not there. */
  removeAutostart(valueName: string): boolean;
  /**
   * Logoff/shutdown (WM_ENDSESSION to a hidden window on its own thread): calls onEnd on the JS thread
   * and holds the session end up to holdMs (0..60000) or until the process exits. A WM_CLOSE to that
   * window (taskkill without /F) calls onEnd('close'). Once per process; the callback does not keep
   * the event loop alive.
   */
  watchSessionEnd(onEnd: (reason: 'logoff' | 'shutdown' | 'close') => void, holdMs: number): boolean;
  /** Hides this process's console window; false when there is none. */
  hideConsole(): boolean;
  /** The user's desktop folder as Explorer shows it (SHGetKnownFolderPath, also when redirected); null when there is none. */
  desktopFolder(): string | null;
  /** Posts WM_CLOSE to the session-watch window of the instance running in this session; false when none. */
  stopRunningInstance(): boolean;
  /**
   * The start after a native crash (native/win/crash_restart.h): prepared now, used by the
   * unhandled-exception filter. TypeError when the plan cannot be used.
   */
  armCrashRestart(plan: NativeCrashRestartPlan): void;
  /** A native crash from now on ends the program without a new start. */
  disarmCrashRestart(): void;
  /** Test hook: an access violation nobody handles, on a thread of its own. */
  crashForTest(): void;
}

/** What a new start after a native crash needs (src/crashRestart.ts makes it). */
export interface NativeCrashRestartPlan {
  /** The exe to start. */
  application: string;
  /** Its whole command line, the exe first, quoted as Windows parses it. */
  commandLine: string;
  /** "NAME=value" each; the two variables below are added at the crash. */
  environment: string[];
  /** Gets the recent restarts, then the crash's time (epoch ms, comma-separated). */
  restartsVariable: string;
  restartsBefore: string;
  /** Gets what crashed: the exception code, its address, the thread. */
  crashVariable: string;
}

/** What the user chose on the tray icon: "Status anzeigen" (menu or left double-click), "Anrufliste" or "Beenden". */
export type NativeTrayCommand = 'status' | 'calls' | 'support' | 'quit';
/** What the tray reports: whether the shell took the icon at the start, then the user's commands. */
export type NativeTrayEvent = NativeTrayCommand | 'shown' | 'no-shell';

/**
 * native/tray: one notification-area icon per process (hidden window "WildixCtiTray" on its own
 * thread, wrapped by src/native/tray.ts). Tooltips: 1..127 UTF-16 units (else TypeError/RangeError).
 */
export interface NativeTray {
  /**
   * Starts the icon's window and returns; the icon is added after that on the tray thread (a shell slow
   * to take it holds only that thread): onEvent gets "shown", or "no-shell" when no taskbar took it (it
   * is added when one starts), once, then the user's commands. onEvent runs on the JS thread and does
   * not keep the event loop alive. Throws (code "tray-running" | "win32") when a tray exists already or
   * the window cannot be created.
   */
  create(tooltip: string, problem: boolean, onEvent: (event: NativeTrayEvent) => void): 'started';
  /** Tooltip and icon (problem: warning icon); false when no tray runs. */
  setStatus(tooltip: string, problem: boolean): boolean;
  /** Removes the icon and ends its thread; false when none ran. */
  close(): boolean;
  /** WM_COMMAND ids of the window (posted by a menu click, or by a test): 1001, 1003, 1004 and 1002. */
  commandStatus: number;
  commandCalls: number;
  commandSupport: number;
  commandQuit: number;
}

/** native/proc: the process's own resource use (-1 where Windows could not tell), counted on a worker thread. */
export interface NativeProc {
  /**
   * The process's own resource use (-1 where Windows could not tell). Under Wine the handle count is
   * reused while at most `handlesMaxAgeMs` old (default 4000): it costs a wineserver request per handle value.
   */
  stats(options?: { handlesMaxAgeMs?: number }): Promise<{ handles: number; threads: number; workingSetBytes: number; privateBytes: number }>;
}

export interface NativeAddon {
  /** native/com (DATEV COM/ROT bridge); typed by the DATEV adapter. */
  com: Record<string, unknown>;
  /** native/tapi (TAPI 2.x); typed by the telephony adapter. */
  tapi: Record<string, unknown>;
  /** native/ui (dialogs). */
  ui: NativeUi;
  /** native/win (single instance, autostart). */
  win: NativeWin;
  /** native/tray (notification-area icon). */
  tray: NativeTray;
  /** native/proc: the process's own resource use. */
  proc: NativeProc;
  /** Bumped when the JS/native contract changes. */
  abiVersion: number;
}

export class AddonLoadError extends Error {
  override name = 'AddonLoadError';
  constructor(message: string, readonly tried: string[]) {
    super(message);
  }
}

export const ADDON_FILE = 'wildix_cti.node';

/** Where the addon is looked for, in order: $WILDIX_CTI_ADDON, next to the exe, the build tree. */
export function addonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const list: string[] = [];
  if (env.WILDIX_CTI_ADDON) list.push(env.WILDIX_CTI_ADDON);
  list.push(path.join(path.dirname(process.execPath), ADDON_FILE));
  // The build tree's build/Release/wildix_cti.node, from build/js/src/native/addon.js (tsc's output) or
  // build/bundle/early/native/addon.js (scripts/bundle.js, what the exe runs). In the packaged exe this
  // path is inside pkg's snapshot (C:\snapshot\…\build\Release\wildix_cti.node, a pkg asset, see
  // scripts/pkg.config.json), and pkg's process.dlopen extracts it to %USERPROFILE%\.cache\pkg\<sha256>\
  list.push(path.resolve(__dirname, '..', '..', '..', 'Release', ADDON_FILE));
  return list;
}

let cached: NativeAddon | undefined;

export function loadAddon(): NativeAddon {
  if (cached) return cached;
  if (process.platform !== 'win32') {
    throw new AddonLoadError(`${ADDON_FILE} needs Windows (or Wine); platform is ${process.platform}`, []);
  }
  const tried = addonCandidates();
  const file = tried.find((f) => fs.existsSync(f));
  if (!file) throw new AddonLoadError(`${ADDON_FILE} not found; tried: ${tried.join(', ')}`, tried);
  const mod = { exports: {} as unknown };
  try {
    process.dlopen(mod, file);
  } catch (err) {
    throw new AddonLoadError(`cannot load ${file}: ${(err as Error).message}`, tried);
  }
  const addon = mod.exports as NativeAddon;
  if (typeof addon.ui !== 'object' || typeof addon.com !== 'object' || typeof addon.tapi !== 'object' || typeof addon.win !== 'object') {
    throw new AddonLoadError(`${file} does not export com/tapi/ui/win`, tried);
  }
  cached = addon;
  return addon;
}
