/**
 * The real Windows adapters behind the ports (loaded only on Windows or under Wine), plus the stop
 * signal (Ctrl+C, console close, logoff/shutdown) and the extra --diagnose facts of the native layer.
 */
import { join } from 'node:path';
import type { NativeWiring } from '../cli/run';
import type { Config } from '../config/schema';
import { contactsConfigOf, createContactDirectory } from '../contacts/factory';
import type { Logger } from '../logging/logger';
import { systemClock } from '../util/clock';
import { loadAddon, type NativeWin } from './addon';
import { NativeDatevPort, type NativeComModule } from './comDatevPort';
import { NativeTelephonyPort } from './tapiTelephonyPort';
import { Win32DialogPort } from './win32DialogPort';
import { watchSessionEnd } from './lifecycle';
import { DpapiCodec, DpapiSecretStore, nativeDpapi, PASSWORD_FILE } from './dpapi';
import { nativeHttp, WinHttpTransport } from './winHttpTransport';
import { nativeTray } from './tray';
import type { EarlyStart } from './earlyStart';
import { FileJournalStore, JOURNAL_FILE } from '../journal/fileStore';
import { NativeCallList, NativeContactChooser, NativeNoteWindows, type NativeJournalUi } from './journalWindows';

/** Single instance and autostart (src/cli/workstation.ts), loaded with the addon like the ports. */
export { nativeWorkstation } from './lifecycle';

/** Per-user data folder (caches, stored password): %LOCALAPPDATA%\Wildix\DatevCti. */
function userDataDir(): string {
  return join(process.env.LOCALAPPDATA ?? process.cwd(), 'Wildix', 'DatevCti');
}

/** The DPAPI-protected DATEVconnect password (--set-datevconnect-password). */
export function datevConnectPasswordStore(): DpapiSecretStore {
  return new DpapiSecretStore(join(userDataDir(), PASSWORD_FILE), nativeDpapi(loadAddon()));
}

function stopSignal(win: NativeWin, log: Logger): Promise<string> {
  return new Promise((resolve) => {
    // SIGINT: Ctrl+C; SIGHUP: console window closed; SIGBREAK: Ctrl+Break
    for (const s of ['SIGINT', 'SIGTERM', 'SIGBREAK', 'SIGHUP'] as const) process.once(s, () => resolve(s));
    // logoff/shutdown: WM_ENDSESSION (the console handler gets no CTRL_LOGOFF_EVENT once user32 is
    // loaded); "close": WM_CLOSE from taskkill without /F
    watchSessionEnd(win, resolve, (m) => log.warn(m));
  });
}

export async function createNativeWiring(config: Config, log: Logger, early?: EarlyStart, purpose: 'run' | 'diagnose' = 'run'): Promise<NativeWiring> {
  const addon = loadAddon();
  const com = addon.com as unknown as NativeComModule;
  const comLog = (level: 'info' | 'warn' | 'error', message: string): void => log[level](`COM ${message}`);
  let datev: NativeDatevPort;
  if (early?.datev) {
    // registered before the settings were read: now the real bounds and the log
    datev = early.datev;
    datev.configure({ notifyTimeoutMs: config.datevTimeoutMs, lookAheadMs: config.datevLookAheadMs });
    datev.setLog(comLog);
    for (const [level, message] of early.lines.splice(0)) comLog(level, message);
    await early.registered?.then(
      () => log.info('CTI object put into the ROT at start, before the rest of the program was loaded'),
      (e: unknown) => log.warn(`early registration failed (${(e as Error).message}); registering again`),
    );
  } else {
    datev = new NativeDatevPort(com, { notifyTimeoutMs: config.datevTimeoutMs, lookAheadMs: config.datevLookAheadMs, log: comLog });
  }
  const telephony = new NativeTelephonyPort({
    onListenerError: (e) => log.error(`telephony listener failed: ${(e as Error).message}`),
    onForeignLibrary: (from) => log.warn(`TAPI: tapi32.dll loaded from ${from}, not Windows' own from System32 (a test double?)`),
  });
  const dialogs = new Win32DialogPort(addon.ui);
  const dataDir = userDataDir();
  const dc = config.contacts.datevConnect;
  // WinHTTP for every DATEVconnect mode: Windows sign-in, and TLS checked against the Windows store
  const transport = new WinHttpTransport({ native: nativeHttp(addon), windowsSignIn: dc.auth === 'windows', concurrency: dc.concurrency });
  const passwords = new DpapiSecretStore(join(dataDir, PASSWORD_FILE), nativeDpapi(addon));
  const contacts = createContactDirectory({
    config: contactsConfigOf(config),
    dataDir,
    clock: systemClock,
    logger: log,
    transport,
    windowsSignIn: transport.windowsSignIn,
    secret: passwords.secretSource(),
    codec: new DpapiCodec(nativeDpapi(addon)),
  });
  // the index is built in the background; lookups answer from what is known meanwhile
  contacts.directory.start().catch((e: unknown) => log.error(`contact directory cannot start: ${(e as Error).message}`));
  const journalUi = addon.ui as unknown as NativeJournalUi;
  const journal = {
    store: new FileJournalStore(join(dataDir, JOURNAL_FILE), log, new DpapiCodec(nativeDpapi(addon))),
    notes: new NativeNoteWindows(journalUi),
    list: new NativeCallList(journalUi),
    chooser: new NativeContactChooser(journalUi),
  };
  return {
    ports: { datev, telephony, dialogs, contacts: contacts.directory, journal },
    diagnostics: async () => {
      const t = com.typeLibStatus();
      return [
        `COM-Typbibliothek / type library: ${t.state}${t.detail ? ` (${t.detail})` : ''}${t.path ? ` ${t.path}` : ''}`,
        `Kontakte / contacts: ${JSON.stringify(contacts.directory.status())}`,
        ...(dc.enabled && dc.auth === 'windows'
          ? [`DATEVconnect-Anmeldung / sign-in: Windows-Benutzer / user ${process.env.USERDOMAIN ?? '?'}\\${process.env.USERNAME ?? '?'} (Negotiate/NTLM, WinHTTP)`]
          : []),
        ...(dc.enabled && dc.auth === 'basic'
          ? [`DATEVconnect-Kennwort / password (DPAPI): ${(await passwords.exists()) ? 'gespeichert / stored' : 'FEHLT / missing (--set-datevconnect-password)'} ${passwords.file}`]
          : []),
      ];
    },
    // --diagnose waits for no stop: its process must not put up the window --stop looks for
    stopSignal: purpose === 'run' ? stopSignal(addon.win, log) : new Promise<string>(() => undefined),
    processStats: async () => {
      const s = await addon.proc.stats();
      return { handles: s.handles, threads: s.threads };
    },
    tray: nativeTray(addon.tray),
    close: async () => {
      contacts.close();
      await dialogs.closeAll();
      await datev.close();
    },
  };
}
