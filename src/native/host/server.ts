/**
 * Serves port objects over one JSON-lines connection (see protocol.ts). Runs inside the port host
 * (Wine's node.exe) but has no Windows dependency, so it is also exercised on Linux.
 *
 * A port instance is addressed as "<factory>" or "<factory>#<tag>"; each distinct name gets its own
 * instance from the registry (created on first use), so several test harnesses can share one host.
 * Method "$dispose" disposes an instance; port "$fn" + method "$invoke" calls a function the host
 * returned earlier (args: [ref, ...args]).
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

export interface HostedPort {
  target: object;
  dispose?(): void | Promise<void>;
}

export type PortFactory<Ctx> = (ctx: Ctx) => HostedPort | Promise<HostedPort>;
export type PortRegistry<Ctx> = Record<string, PortFactory<Ctx>>;

/** The byte stream (a net.Socket in practice). */
export interface Connection {
  write(data: string): unknown;
  on(event: 'data', cb: (chunk: Buffer | string) => void): unknown;
  on(event: 'close', cb: () => void): unknown;
  on(event: 'error', cb: (err: Error) => void): unknown;
  setEncoding?(enc: 'utf8'): unknown;
  destroy(): unknown;
}

export class PortServer<Ctx> {
  private readonly instances = new Map<string, Promise<HostedPort>>();
  private readonly returnedFns = new Map<number, (...args: unknown[]) => unknown>();
  private readonly pendingCallbacks = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private nextFnRef = 1;
  private nextCallbackId = 1;
  private closed = false;
  private readonly done: Promise<void>;

  constructor(
    private readonly conn: Connection,
    private readonly registry: PortRegistry<Ctx>,
    private readonly ctx: Ctx,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    conn.setEncoding?.('utf8');
    const decoder = new LineDecoder((msg) => this.onMessage(msg));
    this.done = new Promise<void>((resolve) => {
      conn.on('close', () => {
        void this.shutdown().then(resolve);
      });
    });
    conn.on('error', (err) => this.log(`connection error: ${err.message}`));
    conn.on('data', (chunk) => {
      try {
        decoder.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      } catch (err) {
        this.log(`protocol error: ${(err as Error).message}`);
        conn.destroy();
      }
    });
  }

  hello(extra: { pid: number; execPath: string }): void {
    this.send({ kind: 'hello', ports: Object.keys(this.registry), ...extra });
  }

  /** Resolves when the connection closed and every instance was disposed. */
  finished(): Promise<void> {
    return this.done;
  }

  private send(msg: WireMessage): void {
    if (!this.closed) this.conn.write(encodeLine(msg));
  }

  private codecFor(port: string): FunctionCodec {
    return {
      encodeFunction: (fn) => {
        const ref = this.nextFnRef++;
        this.returnedFns.set(ref, fn);
        return { $remoteFn: ref };
      },
      decodeTag: (tag) => {
        if (typeof tag.$fn === 'number') {
          const name = `fn:${tag.$fn}`;
          return (...args: unknown[]) => {
            this.send({ kind: 'event', port, name, args: args.map((a) => encodeValue(a)) });
          };
        }
        if (typeof tag.$handlers === 'number' && Array.isArray(tag.methods)) {
          const ref = tag.$handlers;
          const handlers: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
          for (const m of tag.methods) {
            if (typeof m === 'string') handlers[m] = (...args: unknown[]) => this.callback(port, m, ref, args);
          }
          return handlers;
        }
        throw new Error(`unknown tag ${JSON.stringify(tag)}`);
      },
    };
  }

  private callback(port: string, name: string, ref: number, args: unknown[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error(`connection closed; callback ${name} not delivered`));
    const id = this.nextCallbackId++;
    return new Promise((resolve, reject) => {
      this.pendingCallbacks.set(id, { resolve, reject });
      this.send({ id, kind: 'callback', port, name, ref, args: args.map((a) => encodeValue(a)) });
    });
  }

  private onMessage(msg: WireMessage): void {
    if (msg.kind === 'callbackResult') {
      const pending = this.pendingCallbacks.get(msg.id);
      if (!pending) return;
      this.pendingCallbacks.delete(msg.id);
      if (msg.error) pending.reject(decodeError(msg.error));
      else pending.resolve(decodeValue(msg.value));
      return;
    }
    if (msg.kind !== 'call') {
      this.log(`ignored message kind ${msg.kind}`);
      return;
    }
    const { id, port, method } = msg;
    const reply = (p: Promise<unknown>): void => {
      p.then(
        (value) => this.send({ id, kind: 'result', value: encodeValue(value, this.codecFor(port)) }),
        (err: unknown) => this.send({ id, kind: 'error', error: encodeError(err) }),
      );
    };
    try {
      const args = (Array.isArray(msg.args) ? msg.args : []).map((a) => decodeValue(a, this.codecFor(port)));
      if (port === '$fn' && method === '$invoke') {
        const fn = this.returnedFns.get(Number(args[0]));
        if (!fn) throw new Error(`unknown function ref ${String(args[0])}`);
        reply(Promise.resolve(fn(...args.slice(1))));
        return;
      }
      if (method === '$dispose') {
        reply(this.disposeInstance(port));
        return;
      }
      reply(this.instance(port).then((hosted) => invoke(hosted.target, method, args)));
    } catch (err) {
      reply(Promise.reject(err));
    }
  }

  private instance(name: string): Promise<HostedPort> {
    let inst = this.instances.get(name);
    if (!inst) {
      const factoryName = name.split('#')[0] ?? name;
      const factory = Object.prototype.hasOwnProperty.call(this.registry, factoryName)
        ? this.registry[factoryName]
        : undefined;
      if (!factory) return Promise.reject(new Error(`unknown port "${factoryName}"`));
      inst = Promise.resolve().then(() => factory(this.ctx));
      inst.catch(() => this.instances.delete(name));
      this.instances.set(name, inst);
    }
    return inst;
  }

  private async disposeInstance(name: string): Promise<void> {
    const inst = this.instances.get(name);
    if (!inst) return;
    this.instances.delete(name);
    const hosted = await inst.catch(() => undefined);
    await hosted?.dispose?.();
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    for (const pending of this.pendingCallbacks.values()) pending.reject(new Error('connection closed'));
    this.pendingCallbacks.clear();
    for (const name of [...this.instances.keys()]) {
      try {
        await this.disposeInstance(name);
      } catch (err) {
        this.log(`dispose ${name} failed: ${(err as Error).message}`);
      }
    }
  }
}

async function invoke(target: object, method: string, args: unknown[]): Promise<unknown> {
  const fn = (target as Record<string, unknown>)[method];
  if (typeof fn !== 'function' || method.startsWith('_') || method === 'constructor') {
    throw new Error(`port has no method "${method}"`);
  }
  return (fn as (...a: unknown[]) => unknown).apply(target, args);
}
