/**
 * „Support-Paket“: one ZIP file a user can send to support — the program's log files of the last days,
 * its status file, the settings files as they are, and what is in effect (version, platform, settings
 * with where each comes from, their problems). Not the call journal: it holds numbers and names
 * unmasked (professional secrecy); the logs mask them unless `log.mask` is off.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { readPatiently, replaceFile } from '../util/safeFile';
import { STATUS_FILE } from '../app/statusReport';
import { zip, type ZipEntry } from './zip';

/** Log files younger than this go in. */
export const BUNDLE_LOG_DAYS = 7;
/** At most this much of them (newest first): the archive must still go by e-mail. */
export const BUNDLE_LOG_BYTES = 50 * 1024 * 1024;

const LOG_FILE = /\.log(\.\d+)?$/;

export interface SupportBundleInput {
  /** The program's log folder (its status file lies there too). */
  logDir: string;
  /** Where the archive goes. */
  targetDir: string;
  /** The lines of info.txt: version, platform, settings in effect and where they come from, problems. */
  info: string[];
  /** The settings files to include as they are (missing ones are named in info.txt). */
  configFiles: { kind: string; file: string }[];
  now: Date;
  /** Limit of the log files' bytes (default BUNDLE_LOG_BYTES). */
  maxLogBytes?: number;
}

export interface SupportBundle {
  /** The archive written. */
  file: string;
  /** Names inside it. */
  included: string[];
  /** Log files left out (too old or over the size limit). */
  left: string[];
}

function stamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** The log files worth sending: younger than BUNDLE_LOG_DAYS, newest first up to BUNDLE_LOG_BYTES. */
async function logFiles(dir: string, now: Date, maxBytes: number): Promise<{ take: { file: string; mtime: Date }[]; left: string[] }> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const found: { file: string; mtime: Date; size: number }[] = [];
  for (const name of names) {
    if (!LOG_FILE.test(name)) continue;
    const file = join(dir, name);
    const s = await stat(file).catch(() => undefined);
    if (s?.isFile()) found.push({ file, mtime: s.mtime, size: s.size });
  }
  found.sort((a, b) => b.mtime.getTime() - a.mtime.getTime());
  const take: { file: string; mtime: Date }[] = [];
  const left: string[] = [];
  let bytes = 0;
  const oldest = now.getTime() - BUNDLE_LOG_DAYS * 86_400_000;
  for (const f of found) {
    if (f.mtime.getTime() < oldest || bytes + f.size > maxBytes) {
      left.push(basename(f.file));
      continue;
    }
    bytes += f.size;
    take.push(f);
  }
  return { take, left };
}

/** Writes the archive into `targetDir` (named with the time) and says what is in it. */
export async function writeSupportBundle(i: SupportBundleInput): Promise<SupportBundle> {
  const entries: ZipEntry[] = [];
  const info = [...i.info];
  const maxBytes = i.maxLogBytes ?? BUNDLE_LOG_BYTES;
  const logs = await logFiles(i.logDir, i.now, maxBytes);
  for (const f of logs.take) {
    const data = await readPatiently(f.file).catch(() => undefined);
    if (data) entries.push({ name: `logs/${basename(f.file)}`, data, mtime: f.mtime });
    else info.push(`Logdatei nicht lesbar / log file not readable: ${f.file}`);
  }
  if (logs.left.length > 0) info.push(`Nicht enthalten (älter als ${BUNDLE_LOG_DAYS} Tage oder über ${(maxBytes / 1048576).toFixed(0)} MB) / left out (older or over the limit): ${logs.left.join(', ')}`);
  const status = join(i.logDir, STATUS_FILE);
  const statusData = await readPatiently(status).catch(() => undefined);
  const statusTime = await stat(status).then((s) => s.mtime, () => i.now);
  if (statusData) entries.push({ name: STATUS_FILE, data: statusData, mtime: statusTime });
  else info.push(`Statusdatei fehlt / no status file: ${status} (das Programm läuft nicht / the program is not running)`);
  for (const c of i.configFiles) {
    const data = await readPatiently(c.file).catch(() => undefined);
    const mtime = await stat(c.file).then((s) => s.mtime, () => i.now);
    if (data) entries.push({ name: `settings/${c.kind}-${basename(c.file)}`, data, mtime });
    else info.push(`Einstellungsdatei nicht vorhanden / settings file not present: ${c.file}`);
  }
  entries.unshift({ name: 'info.txt', data: Buffer.from(`${info.join('\r\n')}\r\n`, 'utf8'), mtime: i.now });
  const file = join(i.targetDir, `Wildix-CTI-Support-${stamp(i.now)}.zip`);
  await replaceFile(file, await zip(entries));
  return { file, included: entries.map((e) => e.name), left: logs.left };
}
