/** Default locations of the config file and the logs, per user. */
import { homedir } from 'node:os';
import { join } from 'node:path';

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
