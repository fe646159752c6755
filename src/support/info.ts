/** info.txt of the support bundle: which program, where, with which settings from where. Pure. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigLayer } from '../config/layers';
import { formatProblem, type ConfigProblem } from '../config/load';
import type { Env } from '../config/paths';
import type { Config } from '../config/schema';

export interface SupportInfoInput {
  version: string;
  platform: string;
  nodeVersion: string;
  logDir: string;
  configFile: string;
  configFound: boolean;
  /** The files the settings were read from, lowest first. */
  layers: ConfigLayer[];
  /** Dotted key → the file or option its value comes from (absent: built-in default). */
  sources: Record<string, string>;
  problems: ConfigProblem[];
  config: Config;
  now: Date;
}

/** "+01:00" for a local time one hour ahead of UTC. */
function utcOffset(d: Date): string {
  const m = -d.getTimezoneOffset();
  const a = Math.abs(m);
  return `${m < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

export function supportInfo(i: SupportInfoInput): string[] {
  const lines = [
    `Wildix CTI für DATEV ${i.version} — Support-Paket / support bundle`,
    `Erstellt / made: ${i.now.toISOString()} (Ortszeit / local time UTC${utcOffset(i.now)})`,
    `Plattform / platform: ${i.platform}, Node.js ${i.nodeVersion}`,
    `Logordner / log folder: ${i.logDir}`,
  ];
  for (const l of i.layers) lines.push(`Einstellungen / settings (${l.kind}): ${l.file} (${l.found ? 'gefunden / found' : 'nicht vorhanden / not present'})`);
  if (!i.layers.some((l) => l.kind === 'config')) lines.push(`Einstellungen / settings: ${i.configFile} (${i.configFound ? 'gefunden / found' : 'nicht vorhanden / not present'})`);
  lines.push(`Wirksam / in effect: ${JSON.stringify(i.config)}`);
  const from = Object.entries(i.sources).sort(([a], [b]) => a.localeCompare(b));
  if (from.length > 0) lines.push(`Herkunft / from: ${from.map(([k, v]) => `${k} ← ${v}`).join('; ')} (alle anderen: Standard / all others: default)`);
  for (const p of i.problems) lines.push(`Problem in den Einstellungen / settings problem: ${formatProblem(p)}`);
  lines.push('Nicht enthalten: das Anrufjournal (Nummern und Namen unmaskiert) / not included: the call journal (numbers and names unmasked)');
  return lines;
}

/**
 * Where the bundle goes: the desktop Windows names (`known`: SHGetKnownFolderPath, also when redirected
 * to OneDrive or a share), else `Desktop` in the profile folder when there is one, else the profile folder.
 */
export function bundleTargetDir(e: Env, known?: string | null, exists: (dir: string) => boolean = existsSync): string {
  if (known && exists(known)) return known;
  const home = e.platform === 'win32' ? (e.env.USERPROFILE ?? e.home) : e.home;
  const desktop = join(home, 'Desktop');
  return exists(desktop) ? desktop : home;
}
