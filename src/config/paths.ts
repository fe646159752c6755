/** Default locations of the config file and the logs, per user. */
import { homedir } from 'node:os';
import { join, posix, win32 } from 'node:path';

export interface Env {
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  home: string;
}

export const processEnv = (): Env => ({ platform: process.platform, env: process.env, home: homedir() });

export function defaultConfigFile(e: Env): string {
  if (e.platform === 'win32') return join(e.env.APPDATA ?? join(e.home, 'AppData', 'Roaming'), 'Wildix', 'DatevCti', 'config.json');
  return join(e.env.XDG_CONFIG_HOME ?? join(e.home, '.config'), 'wildix-datev-cti', 'config.json');
}

export function defaultLogDir(e: Env): string {
  if (e.platform === 'win32') return join(e.env.LOCALAPPDATA ?? join(e.home, 'AppData', 'Local'), 'Wildix', 'DatevCti', 'logs');
  return join(e.env.XDG_STATE_HOME ?? join(e.home, '.local', 'state'), 'wildix-datev-cti', 'logs');
}

/**
 * Machine-wide defaults (written by the per-machine/terminal-server MSI from its properties):
 * %ProgramData%\Wildix\DatevCti\defaults.json (elsewhere /etc/wildix-datev-cti/defaults.json).
 */
export function machineDefaultsFile(e: Env): string {
  if (e.platform === 'win32') return join(e.env.ProgramData ?? e.env.PROGRAMDATA ?? 'C:\\ProgramData', 'Wildix', 'DatevCti', 'defaults.json');
  return '/etc/wildix-datev-cti/defaults.json';
}

/**
 * User-wide defaults (written by the per-user MSI from its properties), next to the user's own
 * config.json: %APPDATA%\Wildix\DatevCti\defaults.json (elsewhere ~/.config/wildix-datev-cti/defaults.json).
 */
export function userDefaultsFile(e: Env): string {
  if (e.platform === 'win32') return join(e.env.APPDATA ?? join(e.home, 'AppData', 'Roaming'), 'Wildix', 'DatevCti', 'defaults.json');
  return join(e.env.XDG_CONFIG_HOME ?? join(e.home, '.config'), 'wildix-datev-cti', 'defaults.json');
}

/** `%NAME%` replaced by that environment variable (on Windows its name in any case); unknown names stay. */
export function expandEnvVars(value: string, e: Env): string {
  return value.replace(/%([^%\s]+)%/g, (whole, name: string) => {
    const key = e.platform === 'win32' ? Object.keys(e.env).find((k) => k.toUpperCase() === name.toUpperCase()) : name;
    const v = key === undefined ? undefined : e.env[key];
    return v === undefined || v === '' ? whole : v;
  });
}

/**
 * The log folder in effect for `configured` (log.dir; '' = the default, per user). It may name
 * environment variables (`D:\Logs\%USERNAME%`); a relative folder is taken from the user's data folder,
 * not from the working directory of whatever started the program. A folder from the machine-wide
 * defaults (the terminal-server MSI's LOGDIR) that names no per-user variable gets a subfolder per
 * Windows user:
 * otherwise 20–40 sessions would write, rotate and delete the same files (and the same status file).
 */
export function logDirOf(configured: string, fromMachineDefaults: boolean, e: Env): string {
  if (configured.trim() === '') return defaultLogDir(e);
  const p = e.platform === 'win32' ? win32 : posix;
  const expanded = expandEnvVars(configured.trim(), e);
  const absolute = p.isAbsolute(expanded) ? expanded : p.join(p.dirname(defaultLogDir(e)), expanded);
  const user = e.env.USERNAME ?? e.env.USER;
  if (!fromMachineDefaults || namesUser(configured) || !user) return absolute;
  return p.join(absolute, user);
}

/** Variables that differ per Windows user: a folder naming one is the user's own already. */
const PER_USER_VARS = new Set(['USERNAME', 'USERPROFILE', 'LOCALAPPDATA', 'APPDATA', 'HOMEPATH', 'TEMP', 'TMP', 'USERDOMAIN_ROAMINGPROFILE']);

function namesUser(configured: string): boolean {
  for (const m of configured.matchAll(/%([^%\s]+)%/g)) if (PER_USER_VARS.has(m[1]!.toUpperCase())) return true;
  return false;
}
