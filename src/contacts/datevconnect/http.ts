/**
 * Minimal HTTP GET over node:http/https with a hard timeout and a keep-alive agent. The Windows build
 * can replace it by a WinHTTP transport from the addon (Negotiate/NTLM as the logged-on user).
 */
import http from 'node:http';
import https from 'node:https';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface HttpTransport {
  /** Rejects with a TransportError on network failure or timeout; any HTTP status resolves. */
  get(url: string, headers: Record<string, string>, timeoutMs: number): Promise<HttpResponse>;
  close?(): void;
}

export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly timeout: boolean,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY = 256 * 1024 * 1024;

export class NodeHttpTransport implements HttpTransport {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(maxSockets = 8) {
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets });
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets });
  }

  get(url: string, headers: Record<string, string>, timeoutMs: number): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const u = new URL(url);
      const lib = u.protocol === 'https:' ? https : http;
      const agent = u.protocol === 'https:' ? this.httpsAgent : this.httpAgent;
      let done = false;
      const finish = (err: TransportError | null, res?: HttpResponse): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(res!);
      };
      const req = lib.request(u, { method: 'GET', headers, agent }, (res) => {
        // decoded as it arrives: a list of 50,000 addressees (megabytes) is not decoded in one go at the end
        res.setEncoding('utf8');
        const chunks: string[] = [];
        let size = 0;
        res.on('data', (c: string) => {
          size += c.length;
          if (size > MAX_BODY) {
            req.destroy();
            finish(new TransportError(false, 'response too large'));
          } else chunks.push(c);
        });
        res.on('end', () => finish(null, { status: res.statusCode ?? 0, headers: res.headers, body: chunks.join('') }));
        res.on('error', (e) => finish(new TransportError(false, e.message)));
        res.on('aborted', () => finish(new TransportError(false, 'connection closed mid-response')));
      });
      const timer = setTimeout(() => {
        finish(new TransportError(true, `no complete answer within ${timeoutMs} ms`));
        req.destroy();
      }, timeoutMs);
      req.on('error', (e) => finish(new TransportError(false, e.message)));
      req.end();
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
