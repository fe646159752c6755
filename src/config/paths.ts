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
