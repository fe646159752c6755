/** Command-line parsing. Pure: returns what to do, or a clear error. */
import type { WriteDefaultsRequest } from './writeDefaults';

export interface CliOptions {
  help: boolean;
  version: boolean;
  diagnose: boolean;
  simulate: boolean;
  verbose: boolean;
  installAutostart: boolean;
  removeAutostart: boolean;
  /** Logon start: hide the console window. */
  background: boolean;
  /** Ask the running instance of this session to stop. */
  stop: boolean;
  /** Read the DATEVconnect password from stdin and store it with DPAPI. */
  setDatevConnectPassword: boolean;
  /** Write a support bundle (logs, status, settings) as a ZIP file and exit. */
  supportBundle: boolean;
  /** Show which DATEV contact the program finds for this number, and why, and exit. */
  lookup?: string;
  config?: string;
  line?: string;
  logDir?: string;
  /** With --stop: wait up to this many seconds until the instance has ended. */
  waitSeconds?: number;
  /** The installer's --write-defaults <file> [--ui-level N] NAME=VALUE… (takes the rest of the command line). */
  writeDefaults?: WriteDefaultsRequest;
}

export type ParseResult = { ok: true; options: CliOptions } | { ok: false; error: string };

const FLAGS: Record<string, keyof CliOptions> = {
  '--help': 'help',
  '-h': 'help',
  '/?': 'help',
  '--version': 'version',
  '-v': 'version',
  '--diagnose': 'diagnose',
  '--simulate': 'simulate',
  '--verbose': 'verbose',
  '--install-autostart': 'installAutostart',
  '--remove-autostart': 'removeAutostart',
  '--set-datevconnect-password': 'setDatevConnectPassword',
  '--background': 'background',
  '--stop': 'stop',
  '--support-bundle': 'supportBundle',
};
/** The flags that go with the program's normal run; every other flag is a command of its own (it does that and exits). */
const RUN_FLAGS: ReadonlySet<keyof CliOptions> = new Set<keyof CliOptions>(['verbose', 'background']);

/** The command line runs the CTI itself (not --help, --diagnose, --stop, --support-bundle, …). */
export function isProgramRun(o: CliOptions): boolean {
  for (const flag of Object.values(FLAGS)) if (!RUN_FLAGS.has(flag) && o[flag]) return false;
  return o.writeDefaults === undefined && o.lookup === undefined;
}

const VALUES: Record<string, 'config' | 'line' | 'logDir' | 'lookup'> = { '--config': 'config', '--line': 'line', '--log-dir': 'logDir', '--lookup': 'lookup' };

/** The rest of the command line after --write-defaults: <file> [--ui-level N] NAME=VALUE… */
function parseWriteDefaults(rest: string[]): WriteDefaultsRequest | string {
  const [file, ...more] = rest;
  if (file === undefined || file === '' || file.startsWith('--')) return '--write-defaults braucht eine Datei / needs a file: --write-defaults <Datei> NAME=WERT…';
  const req: WriteDefaultsRequest = { file, assignments: [] };
  for (let i = 0; i < more.length; i++) {
    const a = more[i]!;
    if (a === '--ui-level') {
      const n = Number(more[++i]);
      if (!Number.isInteger(n) || n < 0) return '--ui-level braucht eine Zahl / needs a number';
      req.uiLevel = n;
    } else req.assignments.push(a);
  }
  return req;
}

export function parseArgs(argv: string[]): ParseResult {
  const o: CliOptions = {
    help: false,
    version: false,
    diagnose: false,
    simulate: false,
    verbose: false,
    installAutostart: false,
    removeAutostart: false,
    setDatevConnectPassword: false,
    background: false,
    stop: false,
    supportBundle: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const eq = raw.indexOf('=');
    const name = raw.startsWith('--') && eq > 0 ? raw.slice(0, eq) : raw;
    const flag = Object.hasOwn(FLAGS, name) ? FLAGS[name] : undefined;
    if (flag) {
      (o as unknown as Record<string, boolean>)[flag] = true;
      continue;
    }
    if (raw === '--write-defaults') {
      const r = parseWriteDefaults(argv.slice(i + 1));
      if (typeof r === 'string') return { ok: false, error: r };
      o.writeDefaults = r;
      break;
    }
    if (name === '--wait') {
      const value = eq > 0 ? raw.slice(eq + 1) : argv[++i];
      const n = Number(value);
      if (value === undefined || !Number.isInteger(n) || n < 1 || n > 300) return { ok: false, error: '--wait braucht Sekunden (1–300) / needs seconds (1–300)' };
      o.waitSeconds = n;
      continue;
    }
    const key = Object.hasOwn(VALUES, name) ? VALUES[name] : undefined;
    if (key) {
      const value = eq > 0 && raw.startsWith('--') ? raw.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '') return { ok: false, error: `${name} braucht einen Wert / needs a value` };
      o[key] = value;
      continue;
    }
    return { ok: false, error: `Unbekannte Option / unknown option: ${raw} (siehe / see --help)` };
  }
  if (o.installAutostart && o.removeAutostart) {
    return { ok: false, error: '--install-autostart und --remove-autostart schließen sich aus / are mutually exclusive' };
  }
  if (o.waitSeconds !== undefined && !o.stop) return { ok: false, error: '--wait gibt es nur mit --stop / only with --stop' };
  return { ok: true, options: o };
}

export function helpText(version: string): string {
  return `Wildix CTI für DATEV ${version}
Verbindet die Wildix-Telefonanlage (TAPI) mit DATEV Arbeitsplatz (DATEV Telefonie).
Connects the Wildix phone system (TAPI) with DATEV Arbeitsplatz (DATEV Telefonie).

Aufruf / usage: wildix-datev-cti [Optionen / options]
  --config <Datei>   Einstellungsdatei / config file (Standard / default: %APPDATA%\\Wildix\\DatevCti\\config.json)
  --line <Leitung>   TAPI-Leitung: Name, Nebenstelle oder permanente ID / TAPI line: name, extension or permanent id
  --log-dir <Ordner> Ordner für Logdateien / log folder (Standard / default: %LOCALAPPDATA%\\Wildix\\DatevCti\\logs)
  --verbose          ausführliches Log / debug logging
  --diagnose         Prüfbericht ausgeben und beenden / print a diagnostic report and exit
  --install-autostart  beim Anmelden an Windows starten (nur dieser Benutzer) / start at logon (this user)
  --remove-autostart   nicht mehr beim Anmelden starten / no longer start at logon
  --background         ohne Konsolenfenster laufen (so startet der Autostart) / run without a console window (as autostart does)
  --stop               das laufende Programm dieser Sitzung sauber beenden / stop the running instance of this session cleanly
  --stop --wait <s>    ... und bis zu s Sekunden warten, bis es beendet ist / ... and wait up to s seconds until it has ended
  --support-bundle     Support-Paket (Logdateien, Status, Einstellungen) als ZIP auf den Desktop legen /
                     write a support bundle (logs, status, settings) as a ZIP file to the desktop
  --lookup <Nummer>    zeigen, welchen DATEV-Kontakt das Programm zu der Nummer findet und warum /
                     show which DATEV contact the program finds for the number, and why
  --set-datevconnect-password  Kennwort für DATEVconnect (auth "basic") von der Standardeingabe lesen und
                     verschlüsselt (DPAPI) speichern / read the DATEVconnect password from stdin, store it (DPAPI)
  --write-defaults <Datei> NAME=WERT…  (für das Installationspaket / for the installer) Eigenschaften wie
                     LINE=201 DIALFORMAT=national prüfen und in die Voreinstellungsdatei schreiben /
                     check properties and write them to the defaults file
  --simulate         simulierte Telefonanlage und DATEV statt der echten / simulated PBX and DATEV
  --version          Version anzeigen / show the version
  --help             diese Hilfe / this help

Läuft einmal pro Windows-Sitzung; ein zweiter Start meldet „läuft bereits“ (Exit-Code 3).
Runs once per Windows session; a second start says so (exit code 3).
`;
}
