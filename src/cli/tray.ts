/**
 * The notification-area icon of the running CTI (real Windows path only): shows the state of line and
 * DATEV (refreshed every 5 s and on demand), "Status anzeigen" opens a message box with the full
 * status, "Beenden" stops the program like Ctrl+C (stop reason "tray"). The icon itself is injected
 * (src/native/tray.ts), so this is tested on any machine.
 */
import type { AppStatus } from '../app/app';
import { trayStatus } from '../app/trayStatus';
import type { DialogPort } from '../dialogs/port';
import type { Logger } from '../logging/logger';
import type { Clock } from '../util/clock';

/** „Status anzeigen“, „Anrufliste“, „Support-Paket erstellen“, „Beenden“. */
export type TrayCommand = 'status' | 'calls' | 'support' | 'quit';

/** A shown tray icon. */
export interface TrayIcon {
  setStatus(tooltip: string, problem: boolean): void;
  /** Removes the icon; idempotent. */
  close(): void;
}

/**
 * Creates the icon with its first status and returns without waiting for the shell; `onCommand` gets the
 * user's choices. `shown` settles when the shell took the icon (true) or no taskbar did yet (false; it
 * is added when one starts). Throws when there can be no icon at all.
 */
export type CreateTray = (tooltip: string, problem: boolean, onCommand: (command: TrayCommand) => void) => { icon: TrayIcon; shown: Promise<boolean> };

export const TRAY_REFRESH_MS = 5000;
export const STATUS_TITLE = 'Wildix CTI – Status';
export const SUPPORT_TITLE = 'Wildix CTI – Support-Paket';
/** The menu entries as the log names them. */
const COMMAND_NAMES: Record<TrayCommand, string> = { status: '"Status anzeigen"', calls: '"Anrufliste"', support: '"Support-Paket erstellen"', quit: '"Beenden"' };
/** The status box closes by itself after this long (it must not outlive a stop). */
export const STATUS_TIMEOUT_MS = 60000;

export interface TrayDeps {
  create: CreateTray;
  /** „Anrufliste“ chosen: show the call list. */
  showCalls?: () => Promise<void>;
  /** „Support-Paket erstellen“ chosen: write the bundle; resolves with its file. */
  supportBundle?: () => Promise<string>;
  status: () => AppStatus;
  dialogs: DialogPort;
  clock: Clock;
  log: Logger;
  refreshMs?: number;
}

export interface RunningTray {
  /** Resolves with "tray" when the user chose "Beenden". */
  quit: Promise<'tray'>;
  /** Shows the current status now (e.g. after a change). */
  refresh(): void;
  /** Stops the refresh and removes the icon; idempotent. */
  close(): void;
}

/** Starts the icon; undefined (logged) when it cannot be created: the program runs on without it. */
export function startTray(d: TrayDeps): RunningTray | undefined {
  const every = d.refreshMs ?? TRAY_REFRESH_MS;
  let closed = false;
  let cancel: (() => void) | undefined;
  let statusOpen = false;
  let last = '';
  let resolveQuit: (reason: 'tray') => void = () => undefined;
  const quit = new Promise<'tray'>((resolve) => (resolveQuit = resolve));

  const showStatus = (): void => {
    if (statusOpen || closed) return; // one status box at a time
    statusOpen = true;
    const s = trayStatus(d.status());
    d.dialogs
      .message(STATUS_TITLE, s.text, s.problem ? 'error' : 'info', STATUS_TIMEOUT_MS)
      .catch((e: unknown) => d.log.warn(`tray: status message cannot be shown: ${(e as Error).message}`))
      .finally(() => (statusOpen = false));
  };

  let bundling = false;
  const makeBundle = (): void => {
    if (bundling || !d.supportBundle) return; // one at a time
    bundling = true;
    void d
      .supportBundle()
      .then(
        (file) => d.dialogs.message(SUPPORT_TITLE, `Das Support-Paket ist gespeichert:\n${file}\n\nBitte senden Sie diese Datei an Ihren Support. Sie enthält die Logdateien, den Status und die Einstellungen, nicht das Anrufjournal.`, 'info', STATUS_TIMEOUT_MS), // saved; please send this file to your support
        (e: unknown) => {
          d.log.warn(`tray: support bundle not written: ${(e as Error).message}`);
          return d.dialogs.message(SUPPORT_TITLE, `Das Support-Paket konnte nicht gespeichert werden: ${(e as Error).message}`, 'error', STATUS_TIMEOUT_MS); // could not be saved
        },
      )
      .catch((e: unknown) => d.log.warn(`tray: support bundle message cannot be shown: ${(e as Error).message}`))
      .finally(() => (bundling = false));
  };

  const onCommand = (command: TrayCommand): void => {
    if (closed) return;
    d.log.info(`tray: ${COMMAND_NAMES[command]} chosen`);
    if (command === 'quit') resolveQuit('tray');
    else if (command === 'support') makeBundle();
    else if (command === 'calls') {
      void d.showCalls?.().catch((e: unknown) => d.log.warn(`tray: the call list cannot be shown: ${(e as Error).message}`));
    } else {
      refresh();
      showStatus();
    }
  };

  let icon: TrayIcon;
  try {
    const first = trayStatus(d.status());
    const created = d.create(first.tooltip, first.problem, onCommand);
    icon = created.icon;
    last = `${first.problem}|${first.tooltip}`;
    // the shell takes the icon on the tray's own thread (at logon it may be slow): said when it has
    void created.shown.then((shown) => {
      if (shown) d.log.info(`tray icon shown: ${first.tooltip}`);
      else if (!closed) d.log.warn('tray icon not shown: no taskbar (notification area) yet; it appears when one starts');
    });
  } catch (e) {
    d.log.warn(`tray icon cannot be created, running without it: ${(e as Error).message}`);
    return undefined;
  }

  function refresh(): void {
    if (closed) return;
    const s = trayStatus(d.status());
    const key = `${s.problem}|${s.tooltip}`;
    if (key === last) return;
    last = key;
    try {
      icon.setStatus(s.tooltip, s.problem);
      d.log.debug(`tray: ${s.tooltip}`);
    } catch (e) {
      d.log.warn(`tray: status cannot be shown: ${(e as Error).message}`);
    }
  }

  const tick = (): void => {
    refresh();
    if (!closed) cancel = d.clock.setTimeout(tick, every);
  };
  cancel = d.clock.setTimeout(tick, every);

  return {
    quit,
    refresh,
    close() {
      if (closed) return;
      closed = true;
      cancel?.();
      try {
        icon.close();
      } catch (e) {
        d.log.warn(`tray icon cannot be removed: ${(e as Error).message}`);
      }
    },
  };
}
