/**
 * How requests to DATEVconnect are authenticated. Portable part: Basic with a DATEV user whose
 * password comes from a secret source (on Windows: stored with DPAPI by the addon — a hook, not done
 * yet). Windows SSO (Negotiate/NTLM as the logged-on user) needs WinHTTP in the addon: it must be
 * plugged in as an `HttpTransport` (see http.ts), because the handshake spans several requests on one
 * connection; it is not done yet.
 */

export interface AuthProvider {
  /** Shown in status/diagnose, never the secret. */
  readonly description: string;
  /** The Authorization header value for the next request (undefined = send none). */
  authorization(): Promise<string | undefined>;
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

  toJSON(): { description: string } {
    return { description: this.description };
  }
}

/** No Authorization header (for a server that accepts the request as is, e.g. tests or SSO proxies). */
export const noAuth: AuthProvider = {
  description: 'none',
  authorization: async () => undefined,
};
