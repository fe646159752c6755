/**
 * NativeDatevPort's own logic over a scripted addon (the real one runs under Wine in
 * test/wine/datev.wine.test.ts): the claim of DATEV's requests, start-up registration before the
 * handlers exist, late results of notifications, errors and health.
 */
import { describe, expect, it } from 'vitest';
import { CallState, Direction, type DatevCallData } from '../../src/datev/callData';
import { DatevError, type DatevRequestHandlers, type DialContext } from '../../src/datev/port';
import {
  NativeDatevPort,
  type NativeAnswer,
  type NativeBridgeHealth,
  type NativeComEvent,
  type NativeComModule,
  type NativeDatevBridge,
  type NativeNotifyResult,
} from '../../src/native/comDatevPort';

class ScriptedBridge implements NativeDatevBridge {
  emit: (e: NativeComEvent) => void = () => undefined;
  claimable = new Set<number>();
  answers: [number, NativeAnswer][] = [];
  configured: unknown[] = [];
  registerCalls = 0;
  notifyResult: () => Promise<NativeNotifyResult> = async () => ({ ticket: 1, generation: 3, datevId: '133456789012345678' });
  health_: NativeBridgeHealth | null = {
    notify: { size: 4, started: 1, busy: 0, stuck: 1, queued: 0, timeouts: 2, stalled: 1 },
    probe: { size: 2, started: 1, busy: 0, stuck: 0, queued: 0, timeouts: 0, stalled: 0 },
    registered: true,
    rebuilds: 1,
    generation: 3,
    requestsExpired: 5,
    lookupsAhead: 6,
  };
  async register() {
    this.registerCalls++;
  }
  async revoke() {}
  async isPresent() {
    return true;
  }
  notifyOptions: unknown[] = [];
  notify(_method: string, _data: unknown, options: unknown) {
    this.notifyOptions.push(options);
    return this.notifyResult();
  }
  async selfCheck() {
    return { healthy: false, code: 'timeout', hresult: 0x8001011f, message: 'no answer' };
  }
  async rebuild() {}
  claim(id: number) {
    return this.claimable.delete(id);
  }
  answer(id: number, result: NativeAnswer) {
    this.answers.push([id, result]);
  }
  setCallIdPrefix() {}
  configure(o: unknown) {
    this.configured.push(o);
  }
  health() {
    return this.health_;
  }
  async close() {}
}

function setup() {
  const bridge = new ScriptedBridge();
  const logs: string[] = [];
  const com: NativeComModule = {
    DatevBridge: class {
      constructor(_o: unknown, onEvent: (e: NativeComEvent) => void) {
        bridge.emit = onEvent;
        return bridge;
      }
    } as unknown as NativeComModule['DatevBridge'],
    typeLibStatus: () => ({ state: 'present', detail: '', path: '', hresult: 0 }),
  };
  const port = new NativeDatevPort(com, { log: (level, m) => logs.push(`${level} ${m}`) });
  const dials: [unknown, DialContext][] = [];
  const drops: unknown[] = [];
  const handlers: DatevRequestHandlers = {
    dial: (data, ctx) => {
      dials.push([data.CalledNumber, ctx]);
      if (data.CalledNumber === 'bad') throw new Error('bad number');
    },
    drop: (data) => void drops.push(data.CallID),
    getCallData: (data) => (data.CallID === 'K' ? sample() : undefined),
  };
  return { bridge, port, handlers, dials, drops, logs };
}

function sample(): DatevCallData {
  return {
    CallID: 'K',
    SyncID: '',
    Direction: Direction.eDirIncoming,
    Begin: new Date(),
    End: new Date(),
    CallState: CallState.eCSOffered,
    Adressatenname: '',
    AdressatenId: '',
    DataSource: 'Wildix',
    CalledNumber: '0891',
    Note: '',
  };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('NativeDatevPort', () => {
  it('takes a request it is in time for, answers it from the handler; one it is too late for is handled as decided', async () => {
    const s = setup();
    await s.port.register(s.handlers);
    s.bridge.claimable.add(1);
    s.bridge.emit({ type: 'request', id: 1, kind: 'dial', data: { CalledNumber: '089' }, callId: 'C1' });
    s.bridge.claimable.add(2);
    s.bridge.emit({ type: 'request', id: 2, kind: 'dial', data: { CalledNumber: 'bad' }, callId: 'C2' });
    s.bridge.emit({ type: 'request', id: 3, kind: 'dial', data: { CalledNumber: '030' }, callId: 'C3' }); // not claimable: too late
    await flush();
    expect(s.dials).toEqual([
      ['089', { callId: 'C1', decided: false }],
      ['bad', { callId: 'C2', decided: false }],
      ['030', { callId: 'C3', decided: true }],
    ]);
    expect(new Map(s.bridge.answers)).toEqual(
      new Map<number, NativeAnswer>([
        [1, { ok: true }],
        [2, { ok: false, error: 'bad number' }],
      ]),
    );
  });

  it('registered early, it takes no request until the handlers come; then Dial is handed over as decided and Drop as it came', async () => {
    const s = setup();
    await s.port.registerEarly();
    s.bridge.claimable.add(1);
    s.bridge.emit({ type: 'request', id: 1, kind: 'dial', data: { CalledNumber: '089' }, callId: 'C1' });
    s.bridge.emit({ type: 'request', id: 0, kind: 'drop', data: { CallID: 'C0' } });
    s.bridge.claimable.add(2);
    s.bridge.emit({ type: 'request', id: 2, kind: 'getCallData', data: { CallID: 'K' } });
    await flush();
    expect(s.bridge.claimable.has(1)).toBe(true); // not taken: the adapter answered DATEV itself
    expect(s.dials).toEqual([]);
    await s.port.register(s.handlers);
    await flush();
    expect(s.bridge.registerCalls).toBe(1);
    expect(s.dials).toEqual([['089', { callId: 'C1', decided: true }]]);
    expect(s.drops).toEqual(['C0']);
    expect(s.bridge.answers).toEqual([]);
    await expect(s.port.register(s.handlers)).rejects.toBeInstanceOf(DatevError);
    await expect(s.port.registerEarly()).rejects.toBeInstanceOf(DatevError);
    s.port.configure({ notifyTimeoutMs: 2500 });
    expect(s.bridge.configured).toEqual([{ notifyTimeoutMs: 2500 }]);
  });

  it('passes which DATEV a notification is meant for (generation, datevId) and names the DATEV that took it', async () => {
    const s = setup();
    await expect(s.port.notify('CallStateChanged', sample(), { last: true, datevId: '133456789012345678' })).resolves.toEqual({ generation: 3, datevId: '133456789012345678' });
    await s.port.notify('NewCall', sample(), { generation: 2 });
    expect(s.bridge.notifyOptions).toEqual([
      { last: true, generation: 0, datevId: '133456789012345678' },
      { last: false, generation: 2 },
    ]);
  });

  it("hands a notification's late outcome to settled(), whether it comes before or after the question", async () => {
    const s = setup();
    s.bridge.notifyResult = () => Promise.reject(Object.assign(new Error('no answer'), { code: 'timeout', hresult: 0x8001011f, ticket: 7 }));
    const err = (await s.port.notify('NewCall', sample()).catch((e: unknown) => e)) as DatevError;
    expect(err).toMatchObject({ code: 'timeout', ticket: 7, hresult: 0x8001011f });
    const later = s.port.settled(7);
    s.bridge.emit({ type: 'late', ticket: 7, code: 'ok', hresult: 0, message: '', generation: 4, datevId: '133456789012345678' });
    await expect(later).resolves.toEqual({ generation: 4, datevId: '133456789012345678' });
    s.bridge.emit({ type: 'late', ticket: 8, code: 'absent', hresult: 0x800401e3, message: 'gone away', generation: 0, datevId: '' });
    await expect(s.port.settled(8)).rejects.toMatchObject({ code: 'absent', hresult: 0x800401e3 });
    s.bridge.notifyResult = () => Promise.reject(Object.assign(new Error('x'), { code: 'weird' }));
    await expect(s.port.notify('NewCall', sample())).rejects.toMatchObject({ code: 'com' });
    await expect(s.port.notify('Bogus' as never, sample())).rejects.toMatchObject({ code: 'com' });
  });

  it('reports health and the self-check in the port’s terms', async () => {
    const s = setup();
    const seen: number[] = [];
    s.port.onHealthChange((h) => seen.push(h.stuck));
    s.bridge.emit({ type: 'health', ...s.bridge.health_! });
    expect(seen).toEqual([1]);
    expect(await s.port.health()).toEqual({ registered: true, threads: 4, stuck: 1, timeouts: 2, stalled: 1, rebuilds: 1, requestsExpired: 5, lookupsAhead: 6 });
    s.bridge.health_ = null;
    expect((await s.port.health()).registered).toBe(false);
    expect(await s.port.selfCheck()).toMatchObject({ healthy: false, problem: 'timeout', hresult: 0x8001011f });
    s.bridge.emit({ type: 'log', level: 'warn', message: 'hello' });
    expect(s.logs).toEqual(['warn hello']);
  });
});
