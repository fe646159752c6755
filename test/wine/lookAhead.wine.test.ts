/**
 * The DATEV lookup ahead of an incoming call's NewCall (native/common/new_call_hint.h): the TAPI thread
 * announces a new call (LINE_APPNEWCALL) to the DATEV bridge in the same process, which looks DATEV up in
 * the ROT while the event travels to JavaScript. Proven here with both native adapters in one port host
 * under Wine, the fake tapi32.dll and the fake DATEV exe: the NewCall uses that lookup once, and a DATEV
 * restarted between the call's appearance and its NewCall gets the NewCall on its new object.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CallState, Direction, type DatevCallData } from '../../src/datev/callData';
import type { TelephonyEvent } from '../../src/telephony/port';
import { FAKE_DATEV_BUILD, FAKE_DATEV_EXE, FakeDatevProcess } from './datevDriver';
import { wineEnv } from './env';
import { FAKE_TAPI_BUILD, FAKE_TAPI_DIR, FAKE_TAPI_DLL, FakeTapiServer, type FakeTapiPbx } from './pbxDriver';
import { connectHost, type DatevPortKind, type RemoteHost } from './remote';

const display = inject('display');
const LINE_NAME = 'Wildix 201 Anna Schmidt';
const LINE_ADDRESS = '201';
let server: FakeTapiServer;
let host: RemoteHost;

beforeAll(async () => {
  for (const [script, args, file] of [
    [FAKE_TAPI_BUILD, [FAKE_TAPI_DIR], FAKE_TAPI_DLL],
    [FAKE_DATEV_BUILD, [], FAKE_DATEV_EXE],
  ] as const) {
    const build = spawnSync('bash', [script, ...args], { encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`${script} failed:\n${build.stdout}${build.stderr}`);
    expect(fs.existsSync(file)).toBe(true);
  }
  server = await FakeTapiServer.start();
  host = await connectHost({ display, logName: 'look-ahead-host.log', dllOverrides: 'tapi32=n', env: { FAKE_TAPI_PORT: String(server.port) } });
});

afterAll(async () => {
  await host?.close();
  await server?.close();
});

function callData(CallID: string): DatevCallData {
  const now = new Date();
  return {
    CallID,
    SyncID: '',
    Direction: Direction.eDirIncoming,
    Begin: now,
    End: now,
    CallState: CallState.eCSOffered,
    Adressatenname: '',
    AdressatenId: '',
    DataSource: 'Wildix',
    CalledNumber: '+49 89 1234567',
    Note: '',
  };
}

describe('DATEV looked up ahead of an incoming call', () => {
  async function world(kind: DatevPortKind = 'datevLookAhead'): Promise<{
    datev: FakeDatevProcess;
    pbx: FakeTapiPbx;
    incoming: () => Promise<void>;
    port: ReturnType<RemoteHost['remoteDatevPort']>;
    dispose: () => Promise<void>;
  }> {
    const datev = new FakeDatevProcess({ env: wineEnv(display) });
    await datev.ready;
    const pbx = server.session();
    await pbx.addLine(LINE_NAME, LINE_ADDRESS);
    const telephony = host.remoteTelephonyPort();
    const port = host.remoteDatevPort(kind);
    const events: TelephonyEvent[] = [];
    telephony.onEvent((e) => events.push(e));
    const lines = await telephony.initialize('look-ahead test');
    const line = lines.find((l) => l.name === LINE_NAME);
    if (!line) throw new Error(`line ${LINE_NAME} missing: ${JSON.stringify(lines)}`);
    await telephony.openLine(line.permanentId);
    /** A call rings on the line; resolves when the program's JavaScript has its LINE_APPNEWCALL. */
    const incoming = async (): Promise<void> => {
      const before = events.filter((e) => e.type === 'newCall').length;
      await pbx.incoming(LINE_ADDRESS, '+49 89 1234567');
      for (let i = 0; events.filter((e) => e.type === 'newCall').length === before; i++) {
        if (i > 400) throw new Error(`no newCall event; seen ${JSON.stringify(events)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    return {
      datev,
      pbx,
      incoming,
      port,
      dispose: async () => {
        await port.dispose();
        await telephony.dispose();
        await pbx.dispose();
        await datev.close();
      },
    };
  }

  it("an incoming call's NewCall goes out on the lookup made when the call appeared, once", async () => {
    const w = await world();
    try {
      const before = (await w.port.health()).lookupsAhead;
      await w.incoming();
      await w.port.notify('NewCall', callData('A-1'));
      expect((await w.port.health()).lookupsAhead).toBe(before + 1);
      // the lookup served that one notification: the next one looks DATEV up itself
      await w.port.notify('CallStateChanged', { ...callData('A-1'), CallState: CallState.eCSAbsence }, { last: true });
      expect((await w.port.health()).lookupsAhead).toBe(before + 1);
      expect((await w.datev.notifications()).map((n) => [n.method, n.data.CallID])).toEqual([
        ['NewCall', 'A-1'],
        ['CallStateChanged', 'A-1'],
      ]);
    } finally {
      await w.dispose();
    }
  });

  it('with the lookup ahead off (datevLookAheadMs 0) the NewCall looks DATEV up itself', async () => {
    const w = await world('datevNoLookAhead');
    try {
      await w.incoming();
      await w.port.notify('NewCall', callData('O-1'));
      expect((await w.port.health()).lookupsAhead).toBe(0);
      expect((await w.datev.notifications()).map((n) => n.data.CallID)).toEqual(['O-1']);
    } finally {
      await w.dispose();
    }
  });

  it('a DATEV restarted between the call appearing and its NewCall gets the NewCall on its new object', async () => {
    const w = await world();
    try {
      const first = await w.port.notify('NewCall', callData('R-0')); // DATEV's first run, known to the program
      await w.incoming();
      await w.datev.stop(); // revokes and disconnects the object the lookup ahead found
      await w.datev.start();
      const before = (await w.port.health()).lookupsAhead;
      const delivered = await w.port.notify('NewCall', callData('R-1'));
      expect(delivered.generation).toBeGreaterThan(first.generation);
      expect((await w.port.health()).lookupsAhead).toBe(before);
      const got = await w.datev.notifications();
      expect(got.map((n) => [n.data.CallID, n.instance])).toEqual([
        ['R-0', 1],
        ['R-1', 2],
      ]);
    } finally {
      await w.dispose();
    }
  });
});
