/**
 * How requests to DATEVconnect are authenticated. Portable part: Basic with a DATEV user whose
 * password comes from a secret source (on Windows: stored with DPAPI by the addon — a hook, not done
 * yet). Windows SSO (Negotiate/NTLM as the logged-on user) needs WinHTTP in the addon: it must be
 * plugged in as an `HttpTransport` (see http.ts), because the handshake spans several requests on one
 * connection; it is not done yet.
 */
import { createHash } from 'node:crypto';

export interface AuthProvider {
  /** Shown in status/diagnose, never the secret. */
  readonly description: string;
  /** The Authorization header value for the next request (undefined = send none). */
  authorization(): Promise<string | undefined>;
  /**
   * A fingerprint of the credentials the next request would use (a hash, never the secret), or
   * undefined when unknown. After a 401 the source retries only once it changes, so a wrong password
   * does not lock the account. Providers without it are retried rarely instead.
   */
  credentialKey?(): Promise<string | undefined>;
}

/** Where the Basic password comes from (config for tests, DPAPI store on Windows). */
export type SecretSource = () => Promise<string>;

export class BasicAuthProvider implements AuthProvider {
  readonly description: string;
  readonly #user: string;
  readonly #secret: SecretSource;

  constructor(user: string, secret: SecretSource) {
    if (typeof user !== 'string' || user.trim() === '' || user.includes(':')) {
      throw new TypeError('DATEVconnect Basic auth: user name must be non-empty and must not contain ":"');
    }
    this.#user = user;
    this.#secret = secret;
    this.description = `Basic (${user})`;
  }

  async authorization(): Promise<string> {
    const password = await this.#secret();
    return 'Basic ' + Buffer.from(`${this.#user}:${password}`, 'utf8').toString('base64');
  }

  /** SHA-256 of the Authorization value: changes when a new password is stored; undefined when the password cannot be read. */
  async credentialKey(): Promise<string | undefined> {
    try {
      return createHash('sha256').update(await this.authorization()).digest('hex');
    } catch {
      return undefined;
    }
  }

  toJSON(): { description: string } {
    return { description: this.description };
  }
}

/** No Authorization header (for a server that accepts the request as is, e.g. tests or SSO proxies). */
export const noAuth: AuthProvider = {
  description: 'none',
  authorization: async () => undefined,
};
