/**
 * Builds the ContactDirectory from the app's contact settings and the per-user data directory.
 * No global state: transport, clock, logger and secret source are injected.
 */
import { join } from 'node:path';
import type { Config } from '../config/schema';
import type { Clock } from '../util/clock';
import type { AmbiguityRule } from './ambiguity';
import { BasicAuthProvider, noAuth, type AuthProvider, type SecretSource } from './datevconnect/auth';
import { DatevConnectClient, DEFAULT_BASE_URL, LIST_TIMEOUT_MS } from './datevconnect/client';
import { DatevConnectError } from './datevconnect/errors';
import { NodeHttpTransport, type HttpTransport } from './datevconnect/http';
import { DatevConnectSource } from './datevconnect/source';
import { ContactDirectory } from './directory';
import type { FileCodec } from './jsonFile';
import { LAST_CHOICES_FILE, LastChoiceStore } from './lastChoice';
import { LEARNED_FILE, LearnedStore } from './learned';
import type { Logger } from './logger';
import { ManualList } from './manualList';
import { numberRulesOrDefaults, type NumberRules } from './numbers';

export interface ContactsConfig {
  country: string;
  areaCode: string;
  extensionLength: number;
  ambiguity: AmbiguityRule;
  learnFromDial: boolean;
  /** Path of the manual CSV list; "" = none. */
  manualListFile: string;
  datevConnect: {
    enabled: boolean;
    baseUrl: string;
    /** "basic" (user + password from the secret store), "windows" (the logged-on Windows user; needs a transport that signs in), "none". */
    auth: 'basic' | 'windows' | 'none';
    user: string;
    concurrency: number;
    timeoutSeconds: number;
    refreshMinutes: number;
    fullRebuildHours: number;
  };
}

export const DEFAULT_CONTACTS_CONFIG: ContactsConfig = {
  country: 'DE',
  areaCode: '',
  extensionLength: 4,
  ambiguity: 'ask',
  learnFromDial: true,
  manualListFile: '',
  datevConnect: {
    enabled: true,
    baseUrl: DEFAULT_BASE_URL,
    auth: 'basic',
    user: '',
    concurrency: 4,
    timeoutSeconds: 15,
    refreshMinutes: 10,
    fullRebuildHours: 24,
  },
};

/**
 * The directory's settings from the program's. No outside-line prefix: the directory reads numbers
 * without it (the call flow takes it off the numbers of calls before it looks them up).
 */
export function contactsConfigOf(config: Config): ContactsConfig {
  return {
    ...DEFAULT_CONTACTS_CONFIG,
    country: config.country,
    areaCode: config.areaCode,
    extensionLength: config.extensionLength,
    ambiguity: config.ambiguity,
    learnFromDial: config.contacts.learnFromDial,
    manualListFile: config.contacts.manualListFile,
    datevConnect: { ...config.contacts.datevConnect },
  };
}

export interface ContactDirectoryEnv {
  config: ContactsConfig;
  /** Per-user folder for the cache files (e.g. %LOCALAPPDATA%\WildixDatevCti). */
  dataDir: string;
  clock: Clock;
  logger: Logger;
  /** The Basic password (Windows: DPAPI-protected store). */
  secret?: SecretSource;
  transport?: HttpTransport;
  /** `transport` answers Negotiate/NTLM challenges as the logged-on Windows user (WinHTTP); enables auth "windows". */
  windowsSignIn?: boolean;
  codec?: FileCodec;
}

/** Windows sign-in: the transport logs on by itself, so no Authorization header is sent. */
const windowsSignInAuth: AuthProvider = {
  description: 'Windows sign-in (Negotiate/NTLM, logged-on user)',
  authorization: async () => undefined,
};

/** Authentication that is configured but not available in this build: every request fails with a clear error. */
class UnavailableAuth implements AuthProvider {
  constructor(readonly description: string) {}
  async authorization(): Promise<string> {
    throw new DatevConnectError('authUnavailable', `${this.description} authentication is not implemented yet`);
  }
}

/** The number settings; one the directory cannot use falls back to its default with an error logged, never a throw. */
function numberRules(c: ContactsConfig, logger: Logger): NumberRules {
  const { rules, problems } = numberRulesOrDefaults({
    country: c.country as NumberRules['country'],
    areaCode: c.areaCode,
    // (no outside-line prefix: the call flow takes it off the numbers it looks up — withoutOutsideLinePrefix)
    extensionLength: c.extensionLength,
  });
  for (const p of problems) {
    logger.error(`Rufnummern-Einstellung ${p.key} unbrauchbar, Standardwert wird verwendet / number setting ${p.key} unusable, the default is used`, { error: p.error, used: rules[p.key] });
  }
  return rules;
}

/** HTTP (not HTTPS) to a host other than this machine: DATEVconnect's HTTP port is meant for localhost (datev-contacts.md §2.1). */
export function plainHttpToAnotherHost(baseUrl: string): boolean {
  try {
    const u = new URL(baseUrl);
    const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    return u.protocol === 'http:' && !(host === 'localhost' || host === '::1' || /^127\./.test(host));
  } catch {
    return false;
  }
}

export function createContactDirectory(env: ContactDirectoryEnv): { directory: ContactDirectory; close(): void } {
  const c = env.config;
  const rules = numberRules(c, env.logger);
  const now = (): Date => env.clock.now();
  const transport = env.transport ?? new NodeHttpTransport(Math.max(1, c.datevConnect.concurrency));
  let directory: ContactDirectory | null = null;
  let source: DatevConnectSource | undefined;
  if (c.datevConnect.enabled) {
    let auth: AuthProvider;
    if (c.datevConnect.auth === 'basic') {
      auth = c.datevConnect.user.trim() !== '' && env.secret ? new BasicAuthProvider(c.datevConnect.user, env.secret) : new UnavailableAuth('Basic without user/password');
      if (plainHttpToAnotherHost(c.datevConnect.baseUrl)) {
        env.logger.warn(
          'DATEVconnect über HTTP an einen anderen Rechner: das Kennwort geht unverschlüsselt durchs Netz. Für einen entfernten DATEV-Server HTTPS verwenden (Port 58452) / DATEVconnect over plain HTTP to another host: the password crosses the network unencrypted; use HTTPS (port 58452) for a remote DATEV server',
          { baseUrl: c.datevConnect.baseUrl },
        );
      }
    } else if (c.datevConnect.auth === 'none') auth = noAuth;
    else auth = env.windowsSignIn && env.transport ? windowsSignInAuth : new UnavailableAuth('Windows (Negotiate/NTLM)');
    source = new DatevConnectSource({
      client: new DatevConnectClient({
        baseUrl: c.datevConnect.baseUrl,
        transport,
        auth,
        timeoutMs: c.datevConnect.timeoutSeconds * 1000,
        listTimeoutMs: Math.max(LIST_TIMEOUT_MS, c.datevConnect.timeoutSeconds * 1000),
      }),
      rules,
      cacheFile: join(env.dataDir, 'datevconnect-contacts.bin'),
      legacyCacheFile: join(env.dataDir, 'datevconnect-contacts.json'),
      codec: env.codec,
      clock: env.clock,
      logger: env.logger,
      concurrency: c.datevConnect.concurrency,
      refreshIntervalMs: c.datevConnect.refreshMinutes * 60_000,
      fullRebuildIntervalMs: c.datevConnect.fullRebuildHours * 3_600_000,
      retryDelayMs: Math.min(60_000, c.datevConnect.refreshMinutes * 60_000),
      onChange: (deleted) => directory?.indexChanged(deleted),
    });
  }
  directory = new ContactDirectory({
    rules,
    logger: env.logger,
    ambiguity: c.ambiguity,
    datevConnect: source,
    learned: c.learnFromDial ? new LearnedStore({ file: join(env.dataDir, LEARNED_FILE), rules, logger: env.logger, now, codec: env.codec }) : undefined,
    manual: c.manualListFile !== '' ? new ManualList(c.manualListFile, rules, env.logger) : undefined,
    lastChoices: new LastChoiceStore(join(env.dataDir, LAST_CHOICES_FILE), env.logger, now, env.codec),
    clock: env.clock,
  });
  return {
    directory,
    close: () => {
      directory?.stop();
      transport.close?.();
    },
  };
}
