/**
 * The other end of PortServer: calls port methods in the host and serves the host's events and
 * handler callbacks. Used by the Linux test side (test/wine/remote.ts); no Wine dependency.
 *
 * Function arguments: a bare function is a listener (host → 'event', return value ignored); an object
 * whose values are all functions is a handler object (host → 'callback', the answer — value, Promise
 * or thrown error — goes back as 'callbackResult').
 */
import {
  decodeError,
  decodeValue,
  encodeError,
  encodeLine,
  encodeValue,
  LineDecoder,
  type FunctionCodec,
  type WireMessage,
} from './protocol';
import type { Connection } from './server';

type AnyFn = (...args: unknown[]) => unknown;

export class HostClosedError extends Error {
  override name = 'HostClosedError';
}

export interface HelloInfo {
  ports: string[];
  pid: number;
  execPath: string;
}

export class PortClient {
  private nextId = 1;
  private nextRef = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; what: string }>();
  private readonly listeners = new Map<string, AnyFn>();
  private readonly handlers = new Map<number, Record<string, AnyFn>>();
  private closedReason: string | undefined;
  readonly hello: Promise<HelloInfo>;

  constructor(
    private readonly conn: Connection,
    private readonly callTimeoutMs = 30000,
  ) {
    conn.setEncoding?.('utf8');
    let helloResolve!: (h: HelloInfo) => void;
    let helloReject!: (e: Error) => void;
    this.hello = new Promise<HelloInfo>((res, rej) => {
      helloResolve = res;
      helloReject = rej;
    });
    this.hello.catch(() => undefined);
    const decoder = new LineDecoder((msg) => {
      if (msg.kind === 'hello') helloResolve({ ports: msg.ports, pid: msg.pid, execPath: msg.execPath });
      else this.onMessage(msg);
    });
    conn.on('data', (chunk) => {
      try {
        decoder.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      } catch (err) {
        this.fail(`protocol error: ${(err as Error).message}`);
        conn.destroy();
      }
    });
    conn.on('error', (err) => this.fail(`connection error: ${err.message}`));
    conn.on('close', () => {
      this.fail('port host connection closed');
      helloReject(new HostClosedError(this.closedReason ?? 'closed before hello'));
    });
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  /** Calls `method` on port instance `port`; rejects with the host's error (class and fields kept). */
  call(port: string, method: string, args: unknown[] = []): Promise<unknown> {
    if (this.closedReason) return Promise.reject(new HostClosedError(this.closedReason));
    const id = this.nextId++;
    const codec = this.codec();
    const encoded = args.map((a) => encodeValue(a, codec));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending.delete(id)) {
          reject(new Error(`port host did not answer ${port}.${method} within ${this.callTimeoutMs} ms`));
        }
      }, this.callTimeoutMs);
      const done = <T>(f: (v: T) => void) => (v: T) => {
        clearTimeout(timer);
        f(v);
      };
      this.pending.set(id, { resolve: done(resolve), reject: done(reject), what: `${port}.${method}` });
      this.conn.write(encodeLine({ id, kind: 'call', port, method, args: encoded }));
    });
  }

  close(): void {
    this.fail('closed by client');
    this.conn.destroy();
  }

  private codec(): FunctionCodec {
    return {
      encodeFunction: (fn) => {
        const ref = this.nextRef++;
        this.listeners.set(`fn:${ref}`, fn);
        return { $fn: ref };
      },
      encodeHandlers: (obj) => {
        const ref = this.nextRef++;
        this.handlers.set(ref, obj);
        return { $handlers: ref, methods: Object.keys(obj) };
      },
      decodeTag: (tag) => {
        if (typeof tag.$remoteFn === 'number') {
          const ref = tag.$remoteFn;
          return (...args: unknown[]) => {
            void this.call('$fn', '$invoke', [ref, ...args]).catch(() => undefined);
          };
        }
        throw new Error(`unexpected tag from host: ${JSON.stringify(tag)}`);
      },
    };
  }

  private onMessage(msg: WireMessage): void {
    switch (msg.kind) {
      case 'result':
      case 'error': {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.kind === 'error') p.reject(decodeError(msg.error));
        else p.resolve(decodeValue(msg.value, this.codec()));
        return;
      }
      case 'event': {
        const fn = this.listeners.get(msg.name);
        if (fn) fn(...msg.args.map((a) => decodeValue(a)));
        return;
      }
      case 'callback': {
        void this.answerCallback(msg.id, msg.ref, msg.name, msg.args);
        return;
      }
      default:
        return;
    }
  }

  private async answerCallback(id: number, ref: number, name: string, args: unknown[]): Promise<void> {
    const target = this.handlers.get(ref);
    try {
      const fn = target?.[name];
      if (!target || typeof fn !== 'function') throw new Error(`no handler "${name}" (ref ${ref})`);
      const value = await fn.apply(target, args.map((a) => decodeValue(a)));
      this.write({ id, kind: 'callbackResult', value: encodeValue(value) });
    } catch (err) {
      this.write({ id, kind: 'callbackResult', error: encodeError(err) });
    }
  }

  private write(msg: WireMessage): void {
    if (!this.closedReason) this.conn.write(encodeLine(msg));
  }

  private fail(reason: string): void {
    if (this.closedReason) return;
    this.closedReason = reason;
    for (const p of this.pending.values()) p.reject(new HostClosedError(`${p.what}: ${reason}`));
    this.pending.clear();
  }
}
