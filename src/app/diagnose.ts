/**
 * `--diagnose`: a report a support person can read over the phone. Exit code 0 only when the program
 * would work (TAPI usable, the configured line found and opened, CTI object registrable).
 */
import type { Config } from '../config/schema';
import type { ConfigProblem } from '../config/load';
import { formatProblem } from '../config/load';
import { leafKeys, valueAt, type ConfigLayer } from '../config/layers';
import type { DatevPort } from '../datev/port';
import type { TelephonyPort } from '../telephony/port';
import { describeLine, selectLine } from './lineSelection';
import { describeRunning, type StatusReport } from './statusReport';

export interface DiagnoseInput {
  version: string;
  platform: string;
  nodeVersion: string;
  configFile: string;
  configFound: boolean;
  /** The files the settings were read from, lowest first (defaults files, then config.json). */
  layers?: ConfigLayer[];
  /** Dotted key → the file or option its value comes from; absent = built-in default. */
  sources?: Record<string, string>;
  problems: ConfigProblem[];
  config: Config;
  logDir: string;
  telephony: TelephonyPort;
  datev: DatevPort;
  /** Extra facts from the native layer (e.g. the type library check). */
  extra?: () => Promise<string[]>;
  /** The status file of an instance running now in this session (fresh), if any. */
  running?: StatusReport;
  now?: Date;
}

export interface DiagnoseReport {
  ok: boolean;
  lines: string[];
}

const OK = 'OK    ';
const BAD = 'FEHLER';
const INFO = 'INFO  ';

export async function diagnose(i: DiagnoseInput): Promise<DiagnoseReport> {
  const lines: string[] = [];
  let ok = true;
  const add = (status: string, text: string): void => {
    lines.push(`${status} ${text}`);
  };
  add(INFO, `Wildix CTI für DATEV ${i.version} on ${i.platform}, Node.js ${i.nodeVersion}`);
  for (const l of i.layers ?? []) {
    if (l.kind === 'config') continue;
    const what = l.kind === 'machine' ? 'für alle Benutzer / machine-wide' : 'für diesen Benutzer / user-wide';
    add(INFO, `Voreinstellungen ${what}: ${l.file} (${l.found ? 'gefunden / found' : 'nicht vorhanden / not present'})`);
  }
  add(INFO, `Einstellungen / config: ${i.configFile} (${i.configFound ? 'gefunden / found' : 'nicht vorhanden, Standardwerte / not present, defaults'})`);
  for (const p of i.problems) add(BAD, `Einstellung / setting ${formatProblem(p)}`);
  if (i.problems.length > 0) ok = false;
  add(INFO, `Wirksam / in effect: ${JSON.stringify(i.config)}`);
  if (i.sources) {
    add(INFO, 'Herkunft der Werte / where each value comes from:');
    const builtIn: string[] = [];
    for (const key of leafKeys(i.config)) {
      const from = i.sources[key];
      if (from === undefined) builtIn.push(key);
      else add(INFO, `  ${key} = ${JSON.stringify(valueAt(i.config, key))} ← ${from}`);
    }
    if (builtIn.length > 0) add(INFO, `  eingebaute Standardwerte / built-in defaults: ${builtIn.join(', ')}`);
  }
  add(INFO, `Logs: ${i.logDir}`);
  if (i.running) for (const l of describeRunning(i.running, i.now ?? new Date())) add(INFO, l);

  try {
    const lines_ = await i.telephony.initialize('Wildix CTI für DATEV (Diagnose)');
    add(OK, `TAPI verfügbar / available, ${lines_.length} Leitung(en) / line(s)`);
    for (const l of lines_) add(INFO, `  Leitung / line ${describeLine(l)}, API 0x${l.apiVersion.toString(16)}, Adressen / addresses: ${l.addresses.map((a) => a.address).join(', ') || '-'}`);
    const chosen = selectLine(lines_, i.config.line);
    if (!chosen) {
      ok = false;
      add(BAD, i.config.line ? `Leitung „${i.config.line}“ nicht gefunden / line not found` : 'Keine Wildix-Leitung gefunden / no Wildix line found');
    } else {
      try {
        const h = await i.telephony.openLine(chosen.permanentId);
        add(OK, `Leitung geöffnet / line opened: ${describeLine(chosen)}`);
        await i.telephony.closeLine(h).catch(() => undefined);
      } catch (e) {
        ok = false;
        add(BAD, `Leitung kann nicht geöffnet werden / cannot open line ${describeLine(chosen)}: ${(e as Error).message}`);
      }
    }
  } catch (e) {
    ok = false;
    add(BAD, `TAPI nicht verfügbar / not available: ${(e as Error).message}`);
  } finally {
    await i.telephony.shutdown().catch(() => undefined);
  }

  try {
    const present = await i.datev.isPresent();
    add(present ? OK : INFO, present ? 'DATEV Telefonie läuft (im ROT) / running (in the ROT)' : 'DATEV Telefonie läuft nicht / not running (not in the ROT)');
  } catch (e) {
    add(BAD, `DATEV-Prüfung fehlgeschlagen / check failed: ${(e as Error).message}`);
  }
  if (i.running) {
    // a second CTI object in the ROT would compete with the running one: judge the running one instead
    const r = i.running.status;
    const healthy = r.datevRegistered && r.cti !== 'broken';
    if (!healthy) ok = false;
    add(
      healthy ? OK : BAD,
      healthy
        ? `CTI-Objekt der laufenden Instanz im ROT / the running instance's CTI object is in the ROT (${r.cti})`
        : `CTI-Objekt der laufenden Instanz gestört / the running instance's CTI object is not usable (${r.cti}); Programm neu starten / restart it`,
    );
  } else {
    try {
      await i.datev.register({
        dial: () => {
          throw new Error('--diagnose places no calls');
        },
        drop: () => undefined,
        getCallData: () => undefined,
      });
      add(OK, 'CTI-Objekt im ROT registrierbar / CTI object can be registered in the ROT');
      const check = await i.datev.selfCheck();
      if (check.healthy) add(OK, 'CTI-Objekt antwortet im ROT / CTI object answers in the ROT');
      else {
        ok = false;
        add(BAD, `CTI-Objekt antwortet nicht im ROT / CTI object does not answer in the ROT (${check.problem ?? '?'}): ${check.detail}`);
      }
      await i.datev.revoke();
    } catch (e) {
      ok = false;
      add(BAD, `CTI-Objekt nicht registrierbar / cannot register the CTI object: ${(e as Error).message}`);
    }
  }
  if (i.extra) {
    try {
      for (const l of await i.extra()) add(INFO, l);
    } catch (e) {
      add(BAD, (e as Error).message);
    }
  }
  add(ok ? OK : BAD, ok ? 'Ergebnis: einsatzbereit / result: ready' : 'Ergebnis: nicht einsatzbereit / result: not ready');
  return { ok, lines };
}
