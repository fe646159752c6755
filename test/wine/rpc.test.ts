/**
 * The port host protocol on Linux (no Wine): PortServer and PortClient over a real loopback socket,
 * with in-memory ports. Runs in the normal unit suite.
 */
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DatevError } from '../../src/datev/port';
import { TelephonyError } from '../../src/telephony/port';
import { PortClient, HostClosedError } from '../../src/native/host/client';
import { PortServer, type PortRegistry } from '../../src/native/host/server';
import { LineDecoder, ProtocolError } from '../../src/native/host/protocol';

interface Ctx {
  disposed: string[];
}

class Echo {
  count = 0;
  private listeners: ((e: unknown) => void)[] = [];
  private handlers?: { ask(q: string): unknown };
  echo(v: unknown): unknown {
    this.count++;
    return v;
  }
  async later(ms: number): Promise<string> {
    await new Promise((r) => setTimeout(r, ms));
    return 'late';
  }
  nothing(): void {}
  failDatev(): never {
    throw new DatevError('com', 'DATEV sagt nein', 0x80004005);
  }
  async failTapi(): Promise<never> {
    throw new TelephonyError('lineOpenW', 0x80000048, 'kein Gerät');
  }
  onEvent(l: (e: unknown) => void): () => void {
    this.listeners.push(l);
    return () => {
      this.listeners = this.listeners.filter((x) => x !== l);
    };
  }
  emit(e: unknown): number {
    for (const l of this.listeners) l(e);
    return this.listeners.length;
  }
  register(h: { ask(q: string): unknown }): void {
    this.handlers = h;
  }
  async ask(q: string): Promise<unknown> {
    return this.handlers!.ask(q);
  }
}

async function pair(ctx: Ctx = { disposed: [] }) {
  const registry: PortRegistry<Ctx> = {
    echo: (c) => {
      const target = new Echo();
      return { target, dispose: () => void c.disposed.push('echo') };
    },
    broken: () => {
      throw new Error('factory failed');
    },
  };
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((r) => srv.once('connection', r));
  const hostSocket = net.connect(port, '127.0.0.1');
  const clientSocket = await accepted;
  srv.close();
  const server = new PortServer(hostSocket, registry, ctx);
  await new Promise<void>((r) => hostSocket.once('connect', () => r()));
  server.hello({ pid: 42, execPath: 'C:\\node.exe' });
  const client = new PortClient(clientSocket, 500);
  return { client, server, ctx, hostSocket };
}

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});

async function setup() {
  const p = await pair();
  cleanup.push(() => p.client.close());
  return p;
}

describe('port host protocol', () => {
  it('says hello with the served ports', async () => {
    const { client } = await setup();
    expect(await client.hello).toEqual({ ports: ['echo', 'broken'], pid: 42, execPath: 'C:\\node.exe' });
  });

  it('round-trips values including Dates, nested undefined and umlauts', async () => {
    const { client } = await setup();
    const value = { when: new Date('2026-11-26T09:30:15.000Z'), list: [1, undefined, 'Müller'], n: null };
    const back = (await client.call('echo', 'echo', [value])) as typeof value;
    expect(back.when).toBeInstanceOf(Date);
    expect(back.when.toISOString()).toBe('2026-11-26T09:30:15.000Z');
    expect(back.list).toEqual([1, undefined, 'Müller']);
    expect(back.n).toBeNull();
    expect(await client.call('echo', 'nothing')).toBeUndefined();
    expect(await client.call('echo', 'later', [20])).toBe('late');
  });

  it('keeps the class and fields of DatevError and TelephonyError', async () => {
    const { client } = await setup();
    const d = await client.call('echo', 'failDatev').catch((e: unknown) => e);
    expect(d).toBeInstanceOf(DatevError);
    expect(d).toMatchObject({ code: 'com', hresult: 0x80004005, message: 'DATEV sagt nein', name: 'DatevError' });
    const t = await client.call('echo', 'failTapi').catch((e: unknown) => e);
    expect(t).toBeInstanceOf(TelephonyError);
    expect(t).toMatchObject({ fn: 'lineOpenW', code: 0x80000048, message: 'kein Gerät' });
  });

  it('reports unknown ports, unknown methods and failing factories as errors', async () => {
    const { client } = await setup();
    await expect(client.call('nope', 'x')).rejects.toThrow('unknown port "nope"');
    await expect(client.call('echo', 'missing')).rejects.toThrow('no method "missing"');
    await expect(client.call('echo', 'constructor')).rejects.toThrow('no method');
    await expect(client.call('broken', 'x')).rejects.toThrow('factory failed');
  });

  it('gives each "<name>#<tag>" its own instance and disposes it on $dispose', async () => {
    const { client, ctx } = await setup();
    await client.call('echo#1', 'echo', [1]);
    await client.call('echo#1', 'echo', [1]);
    await client.call('echo#2', 'echo', [1]);
    expect(await client.call('echo#1', 'echo', ['count'])).toBe('count');
    await client.call('echo#1', '$dispose');
    expect(ctx.disposed).toEqual(['echo']);
  });

  it('delivers listener events in order and honours the returned unsubscribe function', async () => {
    const { client } = await setup();
    const got: unknown[] = [];
    const unsubscribe = (await client.call('echo', 'onEvent', [(e: unknown) => got.push(e)])) as () => void;
    expect(await client.call('echo', 'emit', [{ type: 'a', at: new Date(0) }])).toBe(1);
    expect(await client.call('echo', 'emit', [{ type: 'b' }])).toBe(1);
    expect(got).toEqual([{ type: 'a', at: new Date(0) }, { type: 'b' }]);
    unsubscribe();
    expect(await client.call('echo', 'emit', [{ type: 'c' }])).toBe(0);
    expect(got).toHaveLength(2);
  });

  it('awaits handler callbacks: plain value, Promise and thrown error', async () => {
    const { client } = await setup();
    await client.call('echo', 'register', [
      {
        ask: (q: unknown) => {
          if (q === 'boom') throw new DatevError('timeout', 'zu langsam');
          if (q === 'slow') return new Promise((r) => setTimeout(() => r('slow answer'), 20));
          return `answer to ${String(q)}`;
        },
      },
    ]);
    expect(await client.call('echo', 'ask', ['x'])).toBe('answer to x');
    expect(await client.call('echo', 'ask', ['slow'])).toBe('slow answer');
    const err = await client.call('echo', 'ask', ['boom']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatevError);
    expect((err as DatevError).code).toBe('timeout');
  });

  it('rejects pending and later calls when the host goes away, and disposes its ports', async () => {
    const { client, hostSocket, ctx, server } = await setup();
    await client.call('echo', 'echo', [1]);
    const pending = client.call('echo', 'later', [1000]);
    hostSocket.destroy();
    await expect(pending).rejects.toBeInstanceOf(HostClosedError);
    await expect(client.call('echo', 'echo', [1])).rejects.toBeInstanceOf(HostClosedError);
    await server.finished();
    expect(ctx.disposed).toEqual(['echo']);
  });

  it('times out a call the host never answers', async () => {
    const { client } = await setup();
    await expect(client.call('echo', 'later', [3000])).rejects.toThrow('did not answer echo.later within 500 ms');
  });

  it('rejects malformed lines', () => {
    const d = new LineDecoder(() => undefined);
    expect(() => d.push('{oops\n')).toThrow(ProtocolError);
    expect(() => d.push('[1]\n')).toThrow(ProtocolError);
  });
});
