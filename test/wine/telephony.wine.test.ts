/**
 * TelephonyPort contract against the native TAPI adapter (native/tapi + NativeTelephonyPort) inside
 * Wine's node.exe (port host), with the scripted fake tapi32.dll (fakes/tapi32) as the PBX; plus the
 * fake's own conformance program and what the contract does not cover (calls present at open, REINIT,
 * LINE_CREATE/REMOVE, line states, async failures, a missing DLL, Wine's stub tapi32, tapi32 staying
 * loaded after a session was garbage-collected).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { telephonyContract } from '../../contracts/telephony.contract';
import { TelephonyError, type TelephonyEvent } from '../../src/telephony/port';
import { LINECALLPARTYID, LINEERR } from '../../src/telephony/tapiConstants';
import { paths, ROOT, wineEnv, winPath } from './env';
import { FAKE_TAPI_BUILD, FAKE_TAPI_DIR, FAKE_TAPI_DLL, FakeTapiServer, installFakeTapi32, PREFIX_TAPI_DLL, type FakeTapiPbx } from './pbxDriver';

/** Wine's own tapi32 (a builtin): what a fresh prefix has in System32. */
const WINE_BUILTIN_TAPI_DLL = '/usr/lib/x86_64-linux-gnu/wine/x86_64-windows/tapi32.dll';
import { connectHost, type Remote, type RemoteHost } from './remote';
import type { TelephonyPort } from '../../src/telephony/port';

const display = inject('display');
let server: FakeTapiServer;
let host: RemoteHost;

beforeAll(async () => {
  if (!display) throw new Error('no X display: run the Wine tests with npm run test:wine (vitest.wine.config.ts)');
  const build = spawnSync('bash', [FAKE_TAPI_BUILD, FAKE_TAPI_DIR], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`building the fake tapi32.dll failed:\n${build.stdout}${build.stderr}`);
  expect(fs.existsSync(FAKE_TAPI_DLL)).toBe(true);
  server = await FakeTapiServer.start();
  host = await connectHost({
    display,
    logName: 'telephony-host.log',
    dllOverrides: 'tapi32=n',
    env: { FAKE_TAPI_PORT: String(server.port) },
  });
});

afterAll(async () => {
  await host?.close();
  await server?.close();
});

telephonyContract('native TAPI under Wine', async () => {
  const pbx = server.session();
  const port = host.remoteTelephonyPort();
  return {
    port,
    pbx,
    dispose: async () => {
      await port.dispose();
      await pbx.dispose();
    },
  };
});

describe('fake tapi32.dll', () => {
  it('passes its conformance program (variable-size structures, request ids, LINE_REPLY first, event, shutdown, module lifetime)', () => {
    const r = spawnSync('wine', [`${FAKE_TAPI_DIR}/conformance.exe`, winPath(FAKE_TAPI_DLL)], {
      env: wineEnv(display, {
        WINEDLLOVERRIDES: 'tapi32=n',
        FAKE_TAPI_LINES: 'Wildix 201=201;Old=300=0x10004',
        FAKE_TAPI_PORT: '',
      }),
      encoding: 'utf8',
      timeout: 60000,
    });
    const failures = r.stdout.split('\n').filter((l) => l.startsWith('not ok') || l.startsWith('Bail out'));
    expect(failures).toEqual([]);
    expect(r.stdout).toMatch(/^1\.\.54$/m);
    expect(r.status).toBe(0);
  });
});

describe('native TAPI under Wine: beyond the contract', () => {
  const LINE = 'Wildix 201 Anna Schmidt';
  let pbx: FakeTapiPbx;
  let port: Remote<TelephonyPort>;
  let events: TelephonyEvent[];

  async function waitEvent(pred: (e: TelephonyEvent) => boolean, ms = 5000): Promise<TelephonyEvent> {
    const end = Date.now() + ms;
    for (;;) {
      const found = events.find(pred);
      if (found) return found;
      if (Date.now() > end) throw new Error(`event not seen within ${ms} ms; seen: ${JSON.stringify(events)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Declares the lines, initialises the port and opens the user's line; returns hLine. */
  async function start(lines: [string, string][] = [[LINE, '201']]): Promise<number> {
    pbx = server.session();
    port = host.remoteTelephonyPort();
    events = [];
    port.onEvent((e) => events.push(e));
    for (const [name, address] of lines) await pbx.addLine(name, address);
    const infos = await port.initialize('Wildix CTI für DATEV');
    return port.openLine(infos.find((l) => l.name === lines[0]![0])!.permanentId);
  }

  afterEach(async () => {
    await port?.shutdown().catch(() => undefined);
    await port?.dispose().catch(() => undefined);
    await pbx?.dispose();
  });

  it('loads the fake (not Wine builtin stubs) and drains its queue with lineGetMessage', async () => {
    await start();
    const hello = await pbx.waitFor((e) => e.ev === 'hello'); // only the fake says hello
    expect(String(hello.dll).toLowerCase()).toMatch(/\\windows\\system32\\tapi32\.dll$/);
    expect(hello.exe).toMatch(/node\.exe$/i);
    const init = (await pbx.requests()).find((r) => r.fn === 'lineInitializeExW');
    expect(init?.result).toBe(0);
    const open = pbx.log.find((e) => e.ev === 'api' && e.fn === 'lineOpenW');
    expect(open?.privileges).toBe(6); // OWNER | MONITOR
    expect(open?.mediaModes).toBe(4); // INTERACTIVEVOICE
    expect(open?.version).toBe('0x00020002');
  });

  it('announces calls that exist before the line is opened (lineGetNewCalls) as newCall + callState', async () => {
    pbx = server.session();
    port = host.remoteTelephonyPort();
    events = [];
    port.onEvent((e) => events.push(e));
    await pbx.addLine(LINE, '201');
    const lines = await port.initialize('Wildix CTI für DATEV');
    const callId = await pbx.incoming('201', '+49 89 7654321', 'Jörg Groß');
    const hLine = await port.openLine(lines[0]!.permanentId);
    const nc = await waitEvent((e) => e.type === 'newCall');
    expect(nc.type === 'newCall' && nc.hLine).toBe(hLine);
    const hCall = nc.type === 'newCall' ? nc.hCall : 0;
    await waitEvent((e) => e.type === 'callState' && e.hCall === hCall && e.state === 'OFFERING');
    const info = await port.getCallInfo(hCall);
    expect(info.callId).toBe(callId);
    expect(info.caller).toEqual({ flags: LINECALLPARTYID.ADDRESS | LINECALLPARTYID.NAME, number: '+49 89 7654321', name: 'Jörg Groß' });
  });

  it('answers a call that was already there when the line was opened (takes ownership after NOTOWNER)', async () => {
    pbx = server.session();
    port = host.remoteTelephonyPort();
    events = [];
    port.onEvent((e) => events.push(e));
    await pbx.addLine(LINE, '201');
    const lines = await port.initialize('Wildix CTI für DATEV');
    await pbx.incoming('201', '+49 89 7654321');
    await port.openLine(lines[0]!.permanentId);
    const nc = await waitEvent((e) => e.type === 'newCall');
    expect(nc.type === 'newCall' && nc.privilege).toBe(2); // MONITOR, as lineGetNewCalls hands it out
    const hCall = nc.type === 'newCall' ? nc.hCall : 0;
    const req = await port.answer(hCall);
    await waitEvent((e) => e.type === 'reply' && e.requestId === req && e.result === 0);
    await waitEvent((e) => e.type === 'callState' && e.hCall === hCall && e.state === 'CONNECTED');
    await pbx.sync();
    expect(pbx.log.some((e) => e.ev === 'api' && e.fn === 'lineSetCallPrivilege' && e.privilege === 4 && e.rc === 0)).toBe(true);
  });

  it("does not hang up the user's live call when it shuts down (handles released before lineShutdown)", async () => {
    await start();
    const callId = await pbx.incoming('201', '+49 30 3333');
    const nc = await waitEvent((e) => e.type === 'newCall');
    expect(nc.type === 'newCall' && nc.privilege).toBe(4); // OWNER: lineShutdown would drop it (CLOSEDROP)
    await pbx.answer(callId); // answered on the phone
    await waitEvent((e) => e.type === 'callState' && e.state === 'CONNECTED');
    await port.shutdown();
    await pbx.sync();
    expect(pbx.log.filter((e) => e.ev === 'state' && e.call === callId).map((e) => e.state)).toEqual([
      'LINECALLSTATE_OFFERING',
      'LINECALLSTATE_CONNECTED',
    ]);
    const fns = pbx.log.filter((e) => e.ev === 'api').map((e) => e.fn);
    expect(fns.lastIndexOf('lineDeallocateCall')).toBeLessThan(fns.lastIndexOf('lineShutdown'));
    expect(fns.lastIndexOf('lineDeallocateCall')).toBeGreaterThanOrEqual(0);
  });

  it('keeps LINE_APPNEWCALL immediately followed by LINE_CALLSTATE in the fake and reports umlauts intact', async () => {
    await start();
    await pbx.incoming('201', '+49 30 1111', 'Müller & Söhne');
    const nc = await waitEvent((e) => e.type === 'newCall');
    const info = await port.getCallInfo(nc.type === 'newCall' ? nc.hCall : 0);
    expect(info.caller.name).toBe('Müller & Söhne');
    await pbx.sync();
    const msgs = pbx.log.filter((e) => e.ev === 'msg');
    const i = msgs.findIndex((m) => m.msg === 'LINE_APPNEWCALL');
    expect(msgs[i + 1]?.msg).toBe('LINE_CALLSTATE');
    expect(msgs[i + 1]?.state).toBe('LINECALLSTATE_OFFERING');
  });

  it('reads line and provider names whole from a TSP that says ASCII in dwStringFormat (lineGetDevCapsW returns UTF-16)', async () => {
    pbx = server.session();
    port = host.remoteTelephonyPort();
    events = [];
    await pbx.addLine(LINE, '201', 'Wildix TAPI Service Provider');
    await port.initialize('Wildix CTI für DATEV');
    await pbx.command('set', 'stringformat', '1'); // STRINGFORMAT_ASCII from now on
    const lines = await port.listLines();
    expect(lines.map((l) => [l.name, l.provider])).toEqual([[LINE, 'Wildix TAPI Service Provider']]);
  });

  it('reports a TAPI that no longer knows the app (Telephony service restarted: INVALAPPHANDLE) once, as a re-init; shut down and initialised again it works', async () => {
    await start();
    await pbx.command('kill_apps');
    await waitEvent((e) => e.type === 'reinit');
    await new Promise((r) => setTimeout(r, 300));
    expect(events.filter((e) => e.type === 'reinit')).toHaveLength(1);
    await port.shutdown().catch(() => undefined);
    const lines = await port.initialize('Wildix CTI für DATEV');
    const hLine = await port.openLine(lines.find((l) => l.name === LINE)!.permanentId);
    expect(hLine).toBeGreaterThan(0);
    await pbx.incoming('201', '+49 30 2222');
    await waitEvent((e) => e.type === 'newCall');
  });

  it('reports REINIT, a new line (LINE_CREATE), a removed line (LINE_CLOSE + LINE_REMOVE) and line states', async () => {
    const hLine = await start([
      [LINE, '201'],
      ['Wildix 202', '202'],
    ]);
    await pbx.command('devstate', '201', 'OUTOFSERVICE');
    await waitEvent((e) => e.type === 'lineState' && e.hLine === hLine && e.state === 0x80);
    await pbx.addLine('Wildix 203', '203');
    const added = await waitEvent((e) => e.type === 'lineAdded');
    expect(added.type === 'lineAdded' && added.deviceId).toBe(2);
    expect((await port.listLines()).map((l) => l.name)).toContain('Wildix 203');
    await pbx.command('remove_line', '201');
    await waitEvent((e) => e.type === 'lineClosed' && e.hLine === hLine);
    const removed = await waitEvent((e) => e.type === 'lineRemoved');
    expect(removed.type === 'lineRemoved' && removed.deviceId).toBe(0);
    expect((await port.listLines()).map((l) => l.name).sort()).toEqual(['Wildix 202', 'Wildix 203']);
    await pbx.command('reinit');
    await waitEvent((e) => e.type === 'reinit');
  });

  it('delivers asynchronous failures of lineAnswer and lineDrop in LINE_REPLY and keeps working', async () => {
    await start();
    const callId = await pbx.incoming('201', '+49 30 2222');
    const nc = await waitEvent((e) => e.type === 'newCall');
    const hCall = nc.type === 'newCall' ? nc.hCall : 0;
    await pbx.failNext('lineAnswer', 'async', LINEERR.OPERATIONUNAVAIL!);
    const req = await port.answer(hCall);
    const reply = await waitEvent((e) => e.type === 'reply' && e.requestId === req);
    expect(reply.type === 'reply' && reply.result).toBe(LINEERR.OPERATIONUNAVAIL);
    await pbx.failNext('lineDrop', 'sync', LINEERR.RESOURCEUNAVAIL!);
    await expect(port.drop(hCall)).rejects.toMatchObject({ name: 'TelephonyError', fn: 'lineDrop', code: LINEERR.RESOURCEUNAVAIL });
    const req2 = await port.drop(hCall);
    await waitEvent((e) => e.type === 'reply' && e.requestId === req2 && e.result === 0);
    await waitEvent((e) => e.type === 'callState' && e.hCall === hCall && e.state === 'IDLE');
    await port.deallocate(hCall);
    const calls = (await pbx.requests()).filter((r) => r.callId === callId && r.fn !== 'lineGetCallInfoW');
    expect(calls.map((r) => r.fn)).toEqual(['lineAnswer', 'lineDrop', 'lineDrop', 'lineDeallocateCall']);
    expect(calls[1]!.result).toBe(LINEERR.RESOURCEUNAVAIL);
  });

  it('turns a failing lineOpenW (NOTREGISTERED) into a TelephonyError and opens on the next try', async () => {
    pbx = server.session();
    port = host.remoteTelephonyPort();
    await pbx.addLine(LINE, '201');
    const lines = await port.initialize('Wildix CTI für DATEV');
    await pbx.failNext('lineOpenW', 'sync', LINEERR.NOTREGISTERED!);
    const err = await port.openLine(lines[0]!.permanentId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TelephonyError);
    expect(err).toMatchObject({ fn: 'lineOpenW', code: LINEERR.NOTREGISTERED });
    expect((err as Error).message).toContain('LINEERR_NOTREGISTERED');
    expect(await port.openLine(lines[0]!.permanentId)).toBeGreaterThan(0);
  });

  it('rejects bad arguments with TelephonyErrors before calling TAPI', async () => {
    const hLine = await start();
    await expect(port.makeCall(hLine, '')).rejects.toMatchObject({ fn: 'lineMakeCallW', code: LINEERR.INVALADDRESS });
    await expect(port.makeCall(hLine, 'call me maybe')).rejects.toMatchObject({ fn: 'lineMakeCallW', code: LINEERR.INVALADDRESS });
    await expect(port.answer(-1)).rejects.toMatchObject({ fn: 'lineAnswer', code: LINEERR.INVALCALLHANDLE });
    await expect(port.getCallInfo(0x7fff0000)).rejects.toMatchObject({ fn: 'lineGetCallInfoW', code: LINEERR.INVALCALLHANDLE });
    await expect(port.closeLine(hLine)).resolves.toBeUndefined();
    await expect(port.closeLine(hLine)).rejects.toMatchObject({ fn: 'lineClose', code: LINEERR.INVALLINEHANDLE });
  });

  it('uses only functions the fake implements (no "unimplemented" export was called)', async () => {
    const hLine = await start();
    const req = await port.makeCall(hLine, '+4930123');
    await waitEvent((e) => e.type === 'reply' && e.requestId === req);
    await port.shutdown();
    await pbx.sync();
    expect(pbx.log.filter((e) => e.ev === 'unimplemented')).toEqual([]);
    expect(pbx.log.some((e) => e.ev === 'api' && e.fn === 'lineShutdown' && e.rc === 0)).toBe(true);
  });

  it('gives a lineShutdown that hangs in the TSP up after its bound: TelephonyTimeoutError, and the host goes on', async () => {
    await start();
    await pbx.command('hang', 'lineShutdown');
    const err = await port.shutdown().catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'TelephonyTimeoutError', fn: 'lineShutdown', timeoutMs: 2000 });
    expect((await pbx.requests()).filter((r) => r.fn === 'lineShutdown')).toEqual([]); // still inside the TSP
    await pbx.command('unhang');
    // the abandoned helper thread returns from the TSP and ends; nothing of the session is touched
    await pbx.waitFor((e) => e.ev === 'api' && e.fn === 'lineShutdown' && e.rc === 0);
    expect(await port.shutdown()).toBeUndefined(); // idempotent
    expect((await port.initialize('Wildix CTI für DATEV')).map((l) => l.name)).toEqual([LINE]);
  });

  it('gives a lineClose that hangs in the TSP up after its bound; the session keeps working meanwhile', async () => {
    const hLine = await start();
    await pbx.command('hang', 'lineClose');
    const err = await port.closeLine(hLine).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'TelephonyTimeoutError', fn: 'lineClose', timeoutMs: 2000 });
    expect((await port.listLines()).map((l) => l.name)).toEqual([LINE]); // the TAPI thread is free
    await pbx.command('unhang');
    await pbx.waitFor((e) => e.ev === 'api' && e.fn === 'lineClose' && e.rc === 0);
    await port.shutdown();
    await pbx.waitFor((e) => e.ev === 'api' && e.fn === 'lineShutdown' && e.rc === 0);
  });

  it('never reads past its buffers whatever sizes and offsets the TSP reports (dwUsedSize, dwNeededSize, Offset/Size)', async () => {
    await start([
      [LINE, '201'],
      ['Wildix 202', '202'],
    ]);
    const far = '0x7F000000'; // 2 GiB past the structure: reading there is an access violation
    await pbx.command('corrupt', 'lineGetDevCapsW', 'used', '0x7FFFFFF0');
    await pbx.command('corrupt', 'lineGetDevCapsW', 'needed', '0xFFFFFFF0');
    await pbx.command('corrupt', 'lineGetDevCapsW', 'part', 'LineName', far, '64');
    await pbx.command('corrupt', 'lineGetDevCapsW', 'part', 'ProviderInfo', '0xFFFFFFF0', '64');
    await pbx.command('corrupt', 'lineGetAddressCapsW', 'used', '0x7FFFFFF0');
    await pbx.command('corrupt', 'lineGetAddressCapsW', 'part', 'Address', far, '0x00100000');
    const lines = await port.listLines();
    expect(lines.map((l) => [l.name, l.provider, l.addresses.map((a) => a.address)])).toEqual([
      ['', '', ['']],
      ['', '', ['']],
    ]);
    expect(new Set(lines.map((l) => l.permanentId)).size).toBe(2); // the fixed part is still read
    await pbx.command('corrupt', 'lineGetDevCapsW', 'off');
    await pbx.command('corrupt', 'lineGetAddressCapsW', 'off');

    const callId = await pbx.incoming('201', '+49 89 1234567', 'Müller');
    const nc = await waitEvent((e) => e.type === 'newCall');
    const hCall = nc.type === 'newCall' ? nc.hCall : 0;
    await pbx.command('corrupt', 'lineGetCallInfoW', 'used', '0x7FFFFFF0');
    await pbx.command('corrupt', 'lineGetCallInfoW', 'part', 'CallerID', far, '64');
    await pbx.command('corrupt', 'lineGetCallInfoW', 'part', 'CallerIDName', '0xFFFFFFFE', '4');
    const info = await port.getCallInfo(hCall);
    expect(info.callId).toBe(callId);
    expect(info.caller).toEqual({ flags: LINECALLPARTYID.ADDRESS | LINECALLPARTYID.NAME, number: '', name: '' });
    await pbx.command('callerid', String(callId), '+49 89 7654321'); // LINE_CALLINFO: read again, as corrupt
    await waitEvent((e) => e.type === 'callInfo' && e.hCall === hCall);
    await pbx.command('corrupt', 'lineGetCallInfoW', 'off');
    expect((await port.getCallInfo(hCall)).caller.number).toBe('+49 89 7654321');

    // a call already on line 202 when it is opened: lineGetNewCalls names more handles than it holds
    await pbx.incoming('202', '+49 30 111');
    await pbx.command('corrupt', 'lineGetNewCalls', 'used', '0x7FFFFFF0');
    await pbx.command('corrupt', 'lineGetNewCalls', 'count', '0x10000000');
    await pbx.command('corrupt', 'lineGetNewCalls', 'part', 'Calls', far, '0x40000000');
    const before = events.length;
    const hLine202 = await port.openLine(lines[1]!.permanentId);
    expect(hLine202).toBeGreaterThan(0);
    expect(events.slice(before).filter((e) => e.type === 'newCall')).toEqual([]);
    await pbx.sync();
    expect(pbx.log.filter((e) => e.ev === 'corrupted').length).toBeGreaterThan(0);
    expect((await port.listLines()).map((l) => l.name).sort()).toEqual([LINE, 'Wildix 202']); // still alive
  });
});

/**
 * Runs in Wine's node.exe with --expose-gc, without the port host: one TAPI session that is shut down
 * with a reply still pending and then garbage-collected (which destroys the native session), later a
 * second session. Talks to the test through marker lines in `out` and files the test creates.
 */
const GC_SCRIPT = `
const fs = require('fs');
const [addonJs, out, dir] = process.argv.slice(2);
const mark = (s) => fs.appendFileSync(out, s + '\\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(file) { while (!fs.existsSync(dir + '\\\\' + file)) await sleep(20); }
const { NativeTapiSession } = require(addonJs).loadAddon().tapi;
let collected = false;
const registry = new FinalizationRegistry(() => { collected = true; });
(async () => {
  let s = new NativeTapiSession(() => {});
  const lines = await s.initialize('gc 1');
  mark('initialized');
  await until('go1');
  const hLine = await s.openLine(lines[0].deviceId, lines[0].apiVersion);
  await s.makeCall(hLine, '+4930123');
  await s.shutdown(); // cancels the pending reply; the fake's worker is still in its timed wait
  registry.register(s, 'session 1');
  s = null;
  for (let i = 0; i < 100 && !collected; i++) { await sleep(20); gc(); }
  for (let i = 0; i < 5; i++) { await sleep(20); gc(); } // the native finalizer may run a task later
  if (!collected) { mark('not collected'); process.exit(3); }
  mark('collected');
  await sleep(1800); // past the cancelled reply
  mark('slept');
  await until('go2');
  s = new NativeTapiSession(() => {});
  await s.initialize('gc 2');
  await s.shutdown();
  mark('done');
  process.exit(0);
})().catch((e) => { mark('error ' + e.stack); process.exit(1); });
`;

/**
 * Runs in Wine's node.exe without the port host: the real NativeTelephonyPort (closeTimeoutMs 1500)
 * on a TSP that then hangs — in lineShutdown (mode "lineShutdown"), or in lineMakeCallW so that the
 * TAPI thread itself is stuck when shutdown() comes (mode "lineMakeCallW"). The script awaits
 * shutdown() and then leaves the event loop to run dry: the process must end by itself.
 */
const HANG_SCRIPT = `
const fs = require('fs');
const [jsRoot, out, dir, hangIn] = process.argv.slice(2);
const mark = (s) => fs.appendFileSync(out, s + '\\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(file) { while (!fs.existsSync(dir + '\\\\' + file)) await sleep(20); }
const { loadAddon } = require(jsRoot + '\\\\native\\\\addon.js');
const { NativeTelephonyPort } = require(jsRoot + '\\\\native\\\\tapiTelephonyPort.js');
(async () => {
  const port = new NativeTelephonyPort({ native: loadAddon().tapi, closeTimeoutMs: 1500 });
  const lines = await port.initialize('hang in ' + hangIn);
  const hLine = await port.openLine(lines[0].permanentId);
  mark('initialized');
  await until('go');
  if (hangIn === 'lineMakeCallW') port.makeCall(hLine, '+4930123').then(() => mark('makeCall resolved'), (e) => mark('makeCall ' + e.name));
  const err = await port.shutdown().then(() => null, (e) => e);
  mark('shutdown ' + (err ? err.name + ' ' + err.fn + ' ' + err.timeoutMs : 'resolved'));
})().catch((e) => { mark('error ' + e.stack); process.exit(1); });
`;

describe('native TAPI under Wine: a TSP that hangs does not keep the program from ending', () => {
  async function runHanging(hangIn: 'lineShutdown' | 'lineMakeCallW'): Promise<{ code: number | null; markers: string[] }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wildix-tapi-hang-'));
    const script = path.join(dir, 'hang.js');
    const out = path.join(dir, 'out.txt');
    fs.writeFileSync(script, HANG_SCRIPT);
    fs.writeFileSync(out, '');
    const pbx = server.session();
    await pbx.addLine('Wildix 201', '201');
    const logFd = fs.openSync(path.join(dir, 'wine.log'), 'w');
    const jsRoot = winPath(path.join(ROOT, 'build', 'js', 'src'));
    const child = spawn('wine', [paths.nodeExe, winPath(script), jsRoot, winPath(out), winPath(dir), hangIn], {
      env: wineEnv(display, { WINEDLLOVERRIDES: 'tapi32=n', FAKE_TAPI_PORT: String(server.port) }),
      stdio: ['ignore', logFd, logFd],
    });
    fs.closeSync(logFd);
    let code: number | null | undefined;
    const exited = new Promise<void>((resolve) => child.on('exit', (c) => ((code = c), resolve())));
    const markers = (): string[] => fs.readFileSync(out, 'utf8').split('\n').filter(Boolean);
    try {
      while (!markers().includes('initialized')) {
        if (code !== undefined) throw new Error(`script ended early: ${markers().join(' | ')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await pbx.command('hang', hangIn); // no "unhang": the TSP never comes back
      fs.writeFileSync(path.join(dir, 'go'), '');
      await pbx.waitFor((e) => e.ev === 'hang' && e.fn === hangIn, 10000);
      const ended = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 30000))]);
      if (!ended) throw new Error(`node.exe is still running with ${hangIn} hanging; markers: ${markers().join(' | ')}`);
      expect(pbx.log.some((e) => e.ev === 'unhung')).toBe(false); // the TSP never returned: the process ended around it
      return { code: code ?? null, markers: markers() };
    } finally {
      if (code === undefined) child.kill('SIGKILL');
      await pbx.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it('lineShutdown hangs: shutdown() rejects with TelephonyTimeoutError and the process ends by itself', async () => {
    const { code, markers } = await runHanging('lineShutdown');
    expect(markers).toEqual(['initialized', 'shutdown TelephonyTimeoutError lineShutdown 1500']);
    expect(code).toBe(0);
  });

  it('the TAPI thread is stuck in another call (lineMakeCallW): shutdown() gives it up after the bound plus 1 s', async () => {
    const { code, markers } = await runHanging('lineMakeCallW');
    expect(markers.sort()).toEqual(['initialized', 'makeCall TelephonyTimeoutError', 'shutdown TelephonyTimeoutError lineShutdown 2500'].sort());
    expect(code).toBe(0);
  });
});

describe('native TAPI under Wine: module lifetime', () => {
  it('keeps tapi32.dll loaded after a shut-down session was garbage-collected (its own threads still run in it)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wildix-tapi-gc-'));
    const script = path.join(dir, 'gc.js');
    const out = path.join(dir, 'out.txt');
    const wineLog = path.join(dir, 'wine.log');
    fs.writeFileSync(script, GC_SCRIPT);
    fs.writeFileSync(out, '');
    const addonJs = winPath(path.join(ROOT, 'build', 'js', 'src', 'native', 'addon.js'));
    const first = server.session();
    let second: FakeTapiPbx | undefined;
    await first.addLine('Wildix 201', '201');
    const logFd = fs.openSync(wineLog, 'w'); // node.exe cannot write to a Unix pipe
    const child = spawn('wine', [paths.nodeExe, '--expose-gc', winPath(script), addonJs, winPath(out), winPath(dir)], {
      env: wineEnv(display, {
        WINEDLLOVERRIDES: 'tapi32=n',
        FAKE_TAPI_PORT: String(server.port),
      }),
      stdio: ['ignore', logFd, logFd],
    });
    fs.closeSync(logFd);
    let exitCode: number | null | undefined;
    const exited = new Promise<void>((resolve) => child.on('exit', (code) => ((exitCode = code), resolve())));
    const report = (): string =>
      `markers: ${JSON.stringify(fs.readFileSync(out, 'utf8'))}, exit ${String(exitCode)}, wine: ${fs.readFileSync(wineLog, 'utf8').slice(0, 2000)}`;
    const marker = async (m: string, ms = 20000): Promise<void> => {
      const end = Date.now() + ms;
      while (!fs.readFileSync(out, 'utf8').split('\n').includes(m)) {
        if (exitCode !== undefined || Date.now() > end) throw new Error(`no "${m}" from the script; ${report()}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      await marker('initialized');
      await first.command('set', 'reply_delay_ms', '1500');
      fs.writeFileSync(path.join(dir, 'go1'), '');
      await marker('collected');
      await marker('slept');
      // The fake's script-channel thread still answers: the DLL was not pulled out from under it.
      await first.sync();
      await first.dispose(); // "bye": that thread ends, the next initialize connects again
      second = server.session();
      await second.addLine('Wildix 201', '201');
      fs.writeFileSync(path.join(dir, 'go2'), '');
      await marker('done');
      await exited;
      expect(exitCode).toBe(0);
      const attach = (pbx: FakeTapiPbx) => pbx.log.find((e) => e.ev === 'hello')?.attach;
      expect(attach(first)).toBe(1);
      expect(attach(second)).toBe(1); // still the first load of tapi32.dll, not a fresh one
      expect(second.log.some((e) => e.ev === 'api' && e.fn === 'lineShutdown' && e.rc === 0)).toBe(true);
    } finally {
      if (exitCode === undefined) child.kill('SIGKILL');
      await first.dispose();
      await second?.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('native TAPI under Wine: TAPI not usable', () => {
  // A second host cannot start in the virtual desktop while the first one runs: end that one first.
  beforeAll(async () => {
    await host?.close();
  });

  async function initializeWith(env: Record<string, string>, dllOverrides?: string): Promise<unknown> {
    const h = await connectHost({
      display,
      logName: 'telephony-host-broken.log',
      env,
      ...(dllOverrides ? { dllOverrides } : {}),
    });
    try {
      const p = h.remoteTelephonyPort();
      const result = await p.initialize('Wildix CTI für DATEV').catch((e: unknown) => e);
      await p.shutdown();
      return result;
    } finally {
      await h.close();
    }
  }

  it('reports a missing tapi32.dll as TelephonyError(LoadLibraryExW, 0)', async () => {
    const err = await initializeWith({}, 'tapi32='); // Wine: the DLL is disabled, as if it were not there
    expect(err).toBeInstanceOf(TelephonyError);
    expect(err).toMatchObject({ fn: 'LoadLibraryExW', code: 0 });
    expect((err as Error).message).toContain('tapi32.dll (System32) could not be loaded');
  });

  it('loads the tapi32.dll TAPI_DLL names (a test double under its own file name), not System32\'s', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wildix-other-tapi-'));
    const other = path.join(dir, 'faketapi.dll');
    fs.copyFileSync(FAKE_TAPI_DLL, other); // the fake says where it was loaded from
    const pbx = server.session();
    try {
      await pbx.addLine('Wildix 201', '201');
      const lines = await initializeWith({ FAKE_TAPI_PORT: String(server.port), TAPI_DLL: winPath(other) }, 'tapi32=b');
      expect(Array.isArray(lines) && lines.map((l: { name: string }) => l.name)).toEqual(['Wildix 201']);
      const hello = await pbx.waitFor((e) => e.ev === 'hello');
      expect(String(hello.dll).toLowerCase()).toBe(winPath(other).toLowerCase());
    } finally {
      await pbx.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('under Wine loads a tapi32.dll beside the addon before System32\'s (a fake placed as feasibility-tapi.md has it, with tapi32=n, in a prefix whose System32 has Wine\'s own)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wildix-beside-tapi-'));
    const addon = path.join(dir, 'wildix_cti.node');
    fs.copyFileSync(paths.addon, addon);
    fs.copyFileSync(FAKE_TAPI_DLL, path.join(dir, 'tapi32.dll'));
    const pbx = server.session();
    try {
      await pbx.addLine('Wildix 201', '201');
      fs.copyFileSync(WINE_BUILTIN_TAPI_DLL, PREFIX_TAPI_DLL); // as in a fresh prefix (restored below)
      const lines = await initializeWith({ FAKE_TAPI_PORT: String(server.port), WILDIX_CTI_ADDON: winPath(addon) }, 'tapi32=n');
      expect(Array.isArray(lines) && lines.map((l: { name: string }) => l.name)).toEqual(['Wildix 201']);
      const hello = await pbx.waitFor((e) => e.ev === 'hello');
      expect(String(hello.dll).toLowerCase()).toBe(winPath(path.join(dir, 'tapi32.dll')).toLowerCase());
    } finally {
      installFakeTapi32();
      await pbx.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects Wine's own stub tapi32 (no app handle, no event) instead of hanging or spinning", async () => {
    const err = await initializeWith({});
    expect(err).toBeInstanceOf(TelephonyError);
    expect(err).toMatchObject({ fn: 'lineInitializeExW', code: 0 });
    expect((err as Error).message).toMatch(/no app handle or no event/);
  });
});
