/**
 * What the running program says about itself in its status file (next to its logs, rewritten every
 * few seconds): for support (--diagnose of a second start shows it), and for the soak test that proves
 * resource use stays flat over a working day. Pure: built from what the parts report.
 */
import type { DatevHealth } from '../datev/port';
import type { AppStatus } from './app';
import type { NotifierStats } from './datevNotifier';
import type { DirectoryStatus } from '../contacts/directory';

export interface ProcessStats {
  rssBytes: number;
  heapUsedBytes: number;
  /** Windows handles and threads of the process (-1 where not known, e.g. away from Windows). */
  handles: number;
  threads: number;
}

export interface StatusReport {
  version: string;
  pid: number;
  startedAt: string;
  updatedAt: string;
  status: AppStatus;
  /** Calls the program followed since start. */
  callsSeen: number;
  notifications: NotifierStats;
  datev: DatevHealth | undefined;
  /** The last failed self-check of the CTI object ('' when none failed). */
  lastSelfCheckProblem: string;
  /** The contact sources (DATEVconnect index, learned numbers, manual list); absent when not known. */
  contacts?: DirectoryStatus;
  process: ProcessStats;
}

export const STATUS_FILE = 'status.json';

/** The lines --diagnose prints about a running instance, from its status file. */
export function describeRunning(r: StatusReport, now: Date): string[] {
  const ageS = Math.round((now.getTime() - new Date(r.updatedAt).getTime()) / 1000);
  const mb = (b: number): string => (b >= 0 ? `${(b / 1048576).toFixed(0)} MB` : '?');
  const s = r.status;
  return [
    `Laufende Instanz / running instance: pid ${r.pid}, Version ${r.version}, seit / since ${r.startedAt}, Stand vor ${ageS} s / updated ${ageS} s ago`,
    `  Leitung / line: ${s.line}${s.lineName ? ` (${s.lineName})` : ''}; DATEV: ${s.datevPresent ? 'läuft / running' : 'nicht gestartet / not running'}${s.datevHangs ? ', antwortet nicht / hangs' : ''}`,
    `  CTI-Objekt / CTI object: ${s.cti}${r.lastSelfCheckProblem ? ` (letzter Fehler / last problem: ${r.lastSelfCheckProblem})` : ''}; Neuaufbauten / rebuilds: ${r.datev?.rebuilds ?? 0}`,
    `  Anrufe / calls: ${r.callsSeen} seit Start / since start, ${s.activeCalls} laufend / active, ${s.waitingForDatev} warten auf DATEV / waiting for DATEV, ${s.journalWaiting} für DATEV nachzutragen / to be delivered to DATEV`,
    `  Meldungen an DATEV / notifications: ${r.notifications.sent} zugestellt / delivered, ${r.notifications.droppedAbsent} ohne DATEV / DATEV absent, ${r.notifications.failed} fehlgeschlagen / failed, ${r.notifications.timeouts} Zeitüberschreitungen / timeouts`,
    `  Speicher / memory: ${mb(r.process.rssBytes)} RSS, ${mb(r.process.heapUsedBytes)} Heap; ${r.process.threads} Threads, ${r.process.handles} Handles`,
    ...contactLines(r.contacts),
  ];
}

/** The running instance's contact sources, as --diagnose prints them. */
export function contactLines(c: DirectoryStatus | undefined): string[] {
  if (!c) return [];
  const dc = c.datevConnect;
  const parts = [
    dc
      ? `DATEVconnect ${dc.state}, ${dc.addressees} Adressaten / addressees, ${dc.numbers} Nummern / numbers${dc.lastFullCrawl ? `, vollständig gelesen / full crawl ${dc.lastFullCrawl}` : ''}${dc.lastError ? `; letzter Fehler / last error: ${dc.lastError.en}` : ''}`
      : 'DATEVconnect aus / off',
    `${c.learnedNumbers ?? 0} gelernte Nummern / learned numbers`,
    c.manualList ? 'manuelle Liste / manual list' : 'keine manuelle Liste / no manual list',
  ];
  return [`  Kontakte / contacts: ${parts.join('; ')}`];
}
