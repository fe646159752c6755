/**
 * End-to-end scenarios of the whole program under Wine: the real program (node.exe + build/js, or the
 * exe named by WILDIX_E2E_EXE; see appProcess.ts) with the fake tapi32.dll as the Wildix PBX, the fake
 * DATEV Arbeitsplatz exe on the other side of the ROT, and win-user.exe as the user in front of the
 * dialogs. Each scenario checks what DATEV received, what the PBX saw and what the user saw.
 *
 * One program process serves scenarios 6, 1, 2, 3, 4, 5, 7 and 8a (in that order: it starts without
 * DATEV); 8b starts a second one to kill it. A labelled subset runs against the packaged
 * dist/wildix-datev-cti.exe as well (npm run package; scripts/test.sh builds it): a missing exe makes
 * these tests fail, never vanish.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RecordedNotification } from '../../contracts/harness';
import { CallState, Direction, type RawCallData } from '../../src/datev/callData';
import type { NotificationMethod } from '../../src/datev/port';
import { AppProcess, E2E_DIR, packagedTarget, primaryTarget, startApp, type AppTarget } from './appProcess';
import { FakeDatevProcess } from './datevDriver';
import { removeUserData, screenshot, wineEnv, winPath } from './env';
import { FakeTapiServer, type FakeTapiPbx } from './pbxDriver';
import { listWindows, winUser, type WinUserWindow } from './winUser';
import { buildWineFakes } from './fakeBuilds';

const display = inject('display');
const env = wineEnv(display);
const user = winUser(display);
let server: FakeTapiServer;
let csvFile: string;

const LINE_NAME = 'Wildix 201 Anna Schmidt';
const LINE_ADDRESS = '201';
/** CallIDs the program makes: extension, date, time, random. */
const CALL_ID = /^201-\d{8}-\d{4}-\d+$/;
const INCOMING = 'Wildix CTI – Eingehender Anruf';
const OUTGOING = 'Wildix CTI – Ausgehender Anruf';

/** The manual contact list the program is given (UTF-8, with umlauts and an ampersand). */
const CONTACTS = {
  mueller: { number: '+49 911 2345678', caller: '+499112345678', name: 'Müller & Söhne GmbH', id: '10042', source: 'DATEV_Adressaten' },
  schmidt: { number: '0911 3456789', caller: '09113456789', name: 'Steuerbüro Schmidt', id: '10043', source: 'DATEV_Adressaten' },
};
const UNKNOWN_CALLER = '+4930987654321';

beforeAll(async () => {
  if (!display) throw new Error('no X display: run the Wine tests with vitest.wine.config.ts (npm run test:wine)');
  buildWineFakes();
  fs.mkdirSync(E2E_DIR, { recursive: true });
  removeUserData();
  csvFile = path.join(E2E_DIR, 'contacts.csv');
  const rows = Object.values(CONTACTS).map((c) => `${c.number};${c.name};${c.id};${c.source}`);
  fs.writeFileSync(csvFile, ['Nummer;Name;ID;DataSource', ...rows, ''].join('\r\n'), 'utf8');
  server = await FakeTapiServer.start();
});

afterAll(async () => {
  await server?.close();
  removeUserData();
});

// ------------------------------------------------------------------------------------------- helpers

async function until<T>(check: () => Promise<T | undefined> | T | undefined, what: string, ms = 15000, every = 150): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

async function findWindow(pred: (w: WinUserWindow) => boolean, what: string, ms = 15000): Promise<WinUserWindow> {
  let last: WinUserWindow[] = [];
  try {
    return await until(async () => (last = await listWindows(display)).find(pred), what, ms, 50);
  } catch (e) {
    throw new Error(`${(e as Error).message}; windows: ${JSON.stringify(last)}`);
  }
}

async function windowGone(id: number, what: string, ms = 15000): Promise<void> {
  await until(async () => ((await listWindows(display)).some((w) => w.id === id) ? undefined : true), `${what} to close`, ms, 100);
}

const text = (w: WinUserWindow): string => w.texts.join('\n');

/** Notifications DATEV received for one CallID, once there are `count` of them. */
async function notificationsOf(datev: FakeDatevProcess, callId: string, count: number, ms = 15000): Promise<RecordedNotification[]> {
  let seen: RecordedNotification[] = [];
  try {
    return await until(
      async () => {
        seen = (await datev.notifications()).filter((n) => n.data.CallID === callId);
        return seen.length >= count ? seen : undefined;
      },
      `${count} notifications for ${callId}`,
      ms,
      200,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}; got ${JSON.stringify(seen.map((n) => [n.method, n.data.CallState]))}`);
  }
}

/** The newest NewCall's CallID (a call the PBX started; its CallID is the program's). */
async function newCallAfter(datev: FakeDatevProcess, known: number): Promise<RecordedNotification> {
  return until(async () => (await datev.notifications()).slice(known).find((n) => n.method === 'NewCall'), 'NewCall');
}

function steps(list: RecordedNotification[]): [NotificationMethod, CallState | undefined][] {
  return list.map((n) => [n.method, n.data.CallState as CallState | undefined]);
}

/** PBX requests for one switch call id (lineGetMessage left out) after the index `from` of the log. */
async function pbxCalls(pbx: FakeTapiPbx, fn: string, from = 0): Promise<Record<string, unknown>[]> {
  await pbx.sync();
  return pbx.log.slice(from).filter((e) => e.ev === 'api' && e.fn === fn);
}

/**
 * The other side hung up a call the program owns: the program cleared it (one lineDrop of the
 * DISCONNECTED call) and freed its handle once it was IDLE (tapi.md §1.6) — and did nothing else to it.
 */
async function expectClearedAfterHangup(pbx: FakeTapiPbx, from: number): Promise<void> {
  const drops = await pbxCalls(pbx, 'lineDrop', from);
  expect(drops).toHaveLength(1);
  expect(drops[0]!.rc).toBeGreaterThan(0); // a request id
  const end = Date.now() + 5000;
  let freed = await pbxCalls(pbx, 'lineDeallocateCall', from);
  while (freed.length === 0 && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    freed = await pbxCalls(pbx, 'lineDeallocateCall', from);
  }
  expect(freed.map((e) => [e.rc, e.state])).toEqual([[0, 'LINECALLSTATE_IDLE']]);
  const at = (e: Record<string, unknown>): number => (pbx.log as unknown[]).indexOf(e);
  expect(at(freed[0]!)).toBeGreaterThan(at(drops[0]!));
}

function expectTimes(n: RecordedNotification, startedAt: number): void {
  const begin = n.data.Begin as Date;
  const end = n.data.End as Date;
  expect(begin).toBeInstanceOf(Date);
  expect(end).toBeInstanceOf(Date);
  // DATE carries whole milliseconds at best; the clocks are the same machine's
  expect(begin.getTime()).toBeGreaterThanOrEqual(startedAt - 2000);
  expect(begin.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
  expect(end.getTime()).toBeGreaterThanOrEqual(begin.getTime() - 1);
}

interface Running {
  app: AppProcess;
  pbx: FakeTapiPbx;
}

function appConfig(): Record<string, unknown> {
  return {
    line: LINE_ADDRESS,
    lookupBudgetMs: 2000,
    contacts: { datevConnect: { enabled: false }, manualListFile: winPath(csvFile), learnFromDial: false },
    log: { level: 'debug' },
  };
}

/** Starts the program with a fresh PBX session and waits until it has its line, its ROT entry and the contacts. */
async function launch(target: AppTarget, name: string): Promise<Running> {
  const pbx = server.session();
  await pbx.addLine(LINE_NAME, LINE_ADDRESS);
  const app = startApp({
    display,
    target,
    name,
    config: appConfig(),
    env: { FAKE_TAPI_PORT: String(server.port) },
    dllOverrides: 'tapi32=n',
  });
  try {
    await app.waitForLog(/CTI object registered in the ROT/, 40000);
    await app.waitForLog(/TAPI line open: "Wildix 201 Anna Schmidt"/, 20000);
    await app.waitForLog(/manual list loaded.*entries=2/, 10000);
    await pbx.waitFor((e) => e.ev === 'api' && e.fn === 'lineOpenW' && Number(e.rc) >= 0, 5000);
  } catch (e) {
    await app.dispose();
    await pbx.dispose();
    throw e;
  }
  return { app, pbx };
}

async function startDatev(): Promise<FakeDatevProcess> {
  const datev = new FakeDatevProcess({ env, checkRules: true });
  await datev.ready;
  return datev;
}

// ------------------------------------------------------------------------------------------ scenarios

/** Scenario 1: DATEV dials, the far end rings, answers and hangs up. */
async function clickToDial(r: Running, datev: FakeDatevProcess): Promise<void> {
  const { pbx } = r;
  const from = pbx.log.length;
  const t0 = Date.now();
  // LINE_REPLY held back for 4 s: the dialog's "Auflegen" is disabled until TAPI has the call
  await pbx.command('set', 'reply_delay_ms', '4000');
  let reply;
  try {
    const dial = await datev.dial({
      CalledNumber: '089 / 123 45-67',
      Adressatenname: 'Ärztekammer Nürnberg',
      AdressatenId: '4711',
      DataSource: 'DATEV_Institutionen',
      SyncID: 'SYNC-0815',
    });
    // CallID at once: Dial has returned while TAPI has not answered lineMakeCallW yet (the PBX's own
    // log, synced over its channel, has no LINE_REPLY) — an order of events, not a time bound
    expect(dial.hresult).toBe(0);
    expect(dial.callId).toMatch(CALL_ID);
    await pbx.sync();
    expect(pbx.log.slice(from).some((e) => e.ev === 'reply')).toBe(false);

    const dialog = await findWindow((w) => w.kind === 'dialog' && w.title === OUTGOING, 'the outgoing dialog');
    expect(text(dialog)).toContain('Anruf an Ärztekammer Nürnberg');
    expect(text(dialog)).toContain('DATEV-Nr. 4711');
    expect(dialog.buttons).toEqual([{ label: 'Auflegen', enabled: false }]);
    const made = await pbx.waitFor((e) => e.ev === 'api' && e.fn === 'lineMakeCallW', 5000);
    expect(made.dest).toBe('+49891234567');
    await findWindow((w) => w.id === dialog.id && w.buttons[0]?.enabled === true, '"Auflegen" enabled after LINE_REPLY');
    reply = await pbx.waitFor((e) => e.ev === 'reply' && e.fn === 'lineMakeCallW');
    expect(Number(reply.result)).toBe(0);
    await pbx.command('set', 'reply_delay_ms', '0');

    const call = await pbx.lastCallId();
    await pbx.ringback(call);
    await findWindow((w) => w.id === dialog.id && text(w).includes('Es klingelt'), 'the dialog to say "Es klingelt …"');
    await pbx.answer(call);
    await findWindow((w) => w.id === dialog.id && w.texts.some((t) => t.includes('Verbunden mit Ärztekammer Nürnberg')), 'the dialog to say "Verbunden"');
    const connected = await notificationsOf(datev, dial.callId, 2);
    expect(steps(connected)).toEqual([
      ['NewCall', CallState.eCSOffered],
      ['CallStateChanged', CallState.eCSConnected],
    ]);
    await pbx.hangup(call);
    await windowGone(dialog.id, 'the outgoing dialog');

    const all = await notificationsOf(datev, dial.callId, 3);
    expect(steps(all)).toEqual([
      ['NewCall', CallState.eCSOffered],
      ['CallStateChanged', CallState.eCSConnected],
      ['CallStateChanged', CallState.eCSFinished],
    ]);
    for (const n of all) {
      expect(n.data).toMatchObject({
        CallID: dial.callId,
        SyncID: 'SYNC-0815',
        Direction: Direction.eDirOutgoing,
        Adressatenname: 'Ärztekammer Nürnberg',
        AdressatenId: '4711',
        DataSource: 'DATEV_Institutionen',
        CalledNumber: '089 / 123 45-67',
      });
      expectTimes(n, t0);
    }
    expect((all[2]!.data.End as Date).getTime()).toBeGreaterThanOrEqual((all[1]!.data.Begin as Date).getTime());
    // DATEV's call list asks again later (IDatevCtiHistory.GetCallData): the ended call is still known
    const history = await datev.getCallData(dial.callId);
    expect(history.hresult).toBe(0);
    expect(history.data).toMatchObject({ CallID: dial.callId, SyncID: 'SYNC-0815', CallState: CallState.eCSFinished, AdressatenId: '4711' });
    expect((await datev.getCallData('201-01012000-0000-0000000')).hresult).toBe(1); // S_FALSE: unknown CallID
    // the PBX saw one call, not answered by the program, cleared by it once the other side had hung up
    expect(await pbxCalls(pbx, 'lineMakeCallW', from)).toHaveLength(1);
    await expectClearedAfterHangup(pbx, from);
  } finally {
    if (!reply) await pbx.command('set', 'reply_delay_ms', '0').catch(() => undefined);
  }
}

/** Scenario 2: a known client calls, the user presses "Annehmen", later the client hangs up. */
async function incomingAnswered(r: Running, datev: FakeDatevProcess): Promise<void> {
  const { pbx } = r;
  const c = CONTACTS.schmidt;
  const known = (await datev.notifications()).length;
  const from = pbx.log.length;
  const t0 = Date.now();
  const call = await pbx.incoming(LINE_ADDRESS, c.caller);
  const dialog = await findWindow((w) => w.kind === 'dialog' && w.title === INCOMING && text(w).includes(c.name), `the incoming dialog with ${c.name}`);
  screenshot(display, `app-incoming-${r.app.options.name}`); // for a human look: .cache/screenshots/
  expect(dialog.texts[0]).toBe(c.name);
  expect(text(dialog)).toContain(c.number);
  expect(text(dialog)).toContain(`DATEV-Nr. ${c.id}`);
  expect(dialog.buttons).toEqual([
    { label: 'Annehmen', enabled: true },
    { label: 'Ablehnen', enabled: true },
  ]);
  const offered = await newCallAfter(datev, known);
  const callId = String(offered.data.CallID);
  expect(callId).toMatch(CALL_ID);
  expect(offered.data).toMatchObject({
    CallState: CallState.eCSOffered,
    Direction: Direction.eDirIncoming,
    SyncID: '',
    Adressatenname: c.name,
    AdressatenId: c.id,
    DataSource: c.source,
    CalledNumber: c.number, // the contact's own format when the number is known
  });

  await user.click(dialog.id, 'Annehmen');
  const answer = await pbx.waitFor((e) => e.ev === 'api' && e.fn === 'lineAnswer', 5000);
  expect(Number(answer.rc)).toBeGreaterThan(0); // a request id
  await windowGone(dialog.id, 'the incoming dialog');
  expect(steps(await notificationsOf(datev, callId, 2))).toEqual([
    ['NewCall', CallState.eCSOffered],
    ['CallStateChanged', CallState.eCSConnected],
  ]);
  await pbx.hangup(call);
  const all = await notificationsOf(datev, callId, 3);
  expect(steps(all)).toEqual([
    ['NewCall', CallState.eCSOffered],
    ['CallStateChanged', CallState.eCSConnected],
    ['CallStateChanged', CallState.eCSFinished],
  ]);
  for (const n of all) {
    expect(n.data).toMatchObject({ CallID: callId, Direction: Direction.eDirIncoming, Adressatenname: c.name, AdressatenId: c.id, DataSource: c.source, CalledNumber: c.number });
    expectTimes(n, t0);
  }
  expect(await pbxCalls(pbx, 'lineAnswer', from)).toHaveLength(1);
  await expectClearedAfterHangup(pbx, from);
}

/** Scenario 8a: Ctrl+C ends the program; it revokes its ROT entry and its log is complete. */
async function ctrlC(r: Running, datev: FakeDatevProcess): Promise<void> {
  const { app, pbx } = r;
  expect(await datev.isCtiRegistered()).toBe(true);
  await app.interrupt();
  expect(await datev.isCtiRegistered()).toBe(false);
  const log = app.logText().trimEnd().split('\n');
  const stopping = log.findIndex((l) => / INFO  stopping \(SIGINT\)/.test(l));
  expect(stopping, app.describe()).toBeGreaterThan(0);
  expect(log.slice(stopping).some((l) => l.includes('CTI object revoked from the ROT'))).toBe(true);
  expect(log.slice(stopping).some((l) => / (ERROR|WARN) /.test(l))).toBe(false);
  expect(app.output()).not.toMatch(/Wildix CTI: /); // no fatal error, no unwritable log file
  // the PBX saw the line closed and TAPI shut down
  const fns = pbx.log.filter((e) => e.ev === 'api').map((e) => e.fn);
  expect(fns).toContain('lineClose');
  expect(fns).toContain('lineShutdown');
  expect(await listWindows(display)).toEqual([]);
}

// ----------------------------------------------------------------------------- the full scenario run

const primary = primaryTarget();

describe(`the program under Wine (${primary.label})`, () => {
  let run: Running;
  let datev: FakeDatevProcess | undefined;
  /** The fake DATEV scenario 6 started (or a new one when 6 failed or was filtered out with -t). */
  const dv = async (): Promise<FakeDatevProcess> => (datev ??= await startDatev());

  beforeAll(async () => {
    run = await launch(primary, 'main');
  });

  afterAll(async () => {
    await run?.app.dispose();
    await run?.pbx.dispose();
    await datev?.close();
  });

  it('6. DATEV absent at start: an incoming call gets its dialog and nothing is queued; DATEV appears and the next call reaches it', async () => {
    const { app, pbx } = run;
    const c = CONTACTS.mueller;
    const first = await pbx.incoming(LINE_ADDRESS, c.caller);
    const dialog = await findWindow((w) => w.kind === 'dialog' && w.title === INCOMING && text(w).includes(c.name), 'the incoming dialog');
    expect(dialog.buttons.map((b) => b.label)).toEqual(['Annehmen', 'Ablehnen']);
    await pbx.hangup(first);
    await windowGone(dialog.id, 'the incoming dialog');
    await app.waitForLog(/DATEV not running, the call is kept for later delivery/);
    // the call ended without DATEV: nothing more is sent live, it is kept for later delivery
    await app.waitForLog(/does not have this call completely; kept for later delivery/);

    datev = await startDatev();
    // the program registered once, at its start, long before DATEV: DATEV finds it at once
    expect(await datev.isCtiRegistered()).toBe(true);
    expect(app.logLines(/CTI object registered in the ROT \(CLSID/)).toHaveLength(1);
    expect(await datev.notifications()).toEqual([]);

    const t0 = Date.now();
    const second = await pbx.incoming(LINE_ADDRESS, c.caller);
    const d2 = await findWindow((w) => w.kind === 'dialog' && w.title === INCOMING && text(w).includes(c.name), 'the second incoming dialog');
    await pbx.hangup(second);
    await windowGone(d2.id, 'the second incoming dialog');
    const offered = await newCallAfter(datev, 0);
    const all = await notificationsOf(datev, String(offered.data.CallID), 2);
    expect(steps(all)).toEqual([
      ['NewCall', CallState.eCSOffered],
      ['CallStateChanged', CallState.eCSAbsence],
    ]);
    expect((await datev.notifications()).length).toBe(2); // nothing of the first call
    for (const n of all) {
      expect(n.data).toMatchObject({ Direction: Direction.eDirIncoming, Adressatenname: c.name, AdressatenId: c.id, DataSource: c.source, CalledNumber: c.number });
      expectTimes(n, t0);
    }
  });

  it('1. click-to-dial: CallID at once, "Auflegen" disabled then enabled, lineMakeCallW, Offered → Connected → Finished with DATEV\'s SyncID', async () => {
    await clickToDial(run, await dv());
  });

  it('2. incoming call answered with "Annehmen": dialog with name, number and DATEV id; lineAnswer; Offered → Connected → Finished', async () => {
    await incomingAnswered(run, await dv());
  });

  it('3. incoming call rejected with "Ablehnen": lineDrop; Offered → Absence', async () => {
    const datev = await dv();
    const { pbx } = run;
    const c = CONTACTS.mueller;
    const known = (await datev.notifications()).length;
    const from = pbx.log.length;
    await pbx.incoming(LINE_ADDRESS, c.caller);
    const dialog = await findWindow((w) => w.kind === 'dialog' && w.title === INCOMING && text(w).includes(c.name), 'the incoming dialog');
    expect(text(dialog)).toContain(`DATEV-Nr. ${c.id}`);
    await user.click(dialog.id, 'Ablehnen');
    const drop = await pbx.waitFor((e) => e.ev === 'api' && e.fn === 'lineDrop', 5000);
    expect(Number(drop.rc)).toBeGreaterThan(0);
    await windowGone(dialog.id, 'the incoming dialog');
    const offered = await newCallAfter(datev, known);
    const all = await notificationsOf(datev, String(offered.data.CallID), 2);
    expect(steps(all)).toEqual([
      ['NewCall', CallState.eCSOffered],
      ['CallStateChanged', CallState.eCSAbsence],
    ]);
    for (const n of all) {
      expect(n.data).toMatchObject({ Direction: Direction.eDirIncoming, AdressatenId: c.id, Adressatenname: c.name, DataSource: c.source, CalledNumber: c.number });
    }
    expect(await pbxCalls(pbx, 'lineAnswer', from)).toEqual([]);
    expect(await pbxCalls(pbx, 'lineDrop', from)).toHaveLength(1);
  });

  it('4. missed call from an unknown number: dialog says so, closes when the caller hangs up; Offered → Absence', async () => {
    const datev = await dv();
    const { pbx } = run;
    const known = (await datev.notifications()).length;
    const from = pbx.log.length;
    const call = await pbx.incoming(LINE_ADDRESS, UNKNOWN_CALLER);
    const dialog = await findWindow((w) => w.kind === 'dialog' && w.title === INCOMING && text(w).includes('Kein DATEV-Kontakt gefunden'), 'the incoming dialog of an unknown caller');
    expect(dialog.texts[0]!.replace(/[^0-9+]/g, '')).toBe(UNKNOWN_CALLER);
    await pbx.hangup(call);
    await windowGone(dialog.id, 'the incoming dialog');
    const offered = await newCallAfter(datev, known);
    const all = await notificationsOf(datev, String(offered.data.CallID), 2);
    expect(steps(all)).toEqual([
      ['NewCall', CallState.eCSOffered],
      ['CallStateChanged', CallState.eCSAbsence],
    ]);
    for (const n of all) {
      expect(n.data).toMatchObject({ Direction: Direction.eDirIncoming, Adressatenname: '', AdressatenId: '', DataSource: 'Wildix', CalledNumber: UNKNOWN_CALLER });
    }
    expect(await pbxCalls(pbx, 'lineAnswer', from)).toEqual([]);
    await expectClearedAfterHangup(pbx, from);
  });

  it('4b. answered by a colleague at another phone of a shared line (CONNECTED, LINECONNECTEDMODE_INACTIVE): the dialog closes, DATEV gets no Connected; the end is Offered → Absence', async () => {
    const datev = await dv();
    const { pbx } = run;
    const c = CONTACTS.mueller;
    const known = (await datev.notifications()).length;
    const from = pbx.log.length;
    const call = await pbx.incoming(LINE_ADDRESS, c.caller);
    const dialog = await findWindow((w) => w.kind === 'dialog' && w.title === INCOMING && text(w).includes(c.name), 'the incoming dialog');
    await pbx.answerElsewhere(call);
    await windowGone(dialog.id, 'the incoming dialog');
    await pbx.hangup(call);
    const offered = await newCallAfter(datev, known);
    const all = await notificationsOf(datev, String(offered.data.CallID), 2);
    expect(steps(all)).toEqual([
      ['NewCall', CallState.eCSOffered],
      ['CallStateChanged', CallState.eCSAbsence],
    ]);
    expect(await pbxCalls(pbx, 'lineAnswer', from)).toEqual([]);
  });

  it('4c. a colleague puts a client through (the colleague\'s internal call, answered here, becomes the client\'s: LINE_CALLINFO CALLERID): the client call reaches DATEV from then on — NewCall, Connected, Finished with the contact', async () => {
    const datev = await dv();
    const { pbx } = run;
    const c = CONTACTS.mueller;
    const known = (await datev.notifications()).length;
    const from = pbx.log.length;
    const call = await pbx.incoming(LINE_ADDRESS, '17', 'Kollege Huber', true);
    // (the program has the colleague's call, and then has it connected, before the client is put through)
    const dialog = await findWindow((w) => w.kind === 'dialog' && w.title === 'Wildix CTI – Interner Anruf' && text(w).includes('17'), 'the dialog of the colleague\'s call');
    await pbx.answer(call);
    await windowGone(dialog.id, 'the incoming dialog');
    await pbx.callerId(call, c.caller);
    const offered = await newCallAfter(datev, known);
    await notificationsOf(datev, String(offered.data.CallID), 2);
    await pbx.hangup(call);
    const all = await notificationsOf(datev, String(offered.data.CallID), 3);
    expect(steps(all)).toEqual([
      ['NewCall', CallState.eCSOffered],
      ['CallStateChanged', CallState.eCSConnected],
      ['CallStateChanged', CallState.eCSFinished],
    ]);
    for (const n of all) expect(n.data).toMatchObject({ Direction: Direction.eDirIncoming, Adressatenname: c.name, AdressatenId: c.id, DataSource: c.source, CalledNumber: c.number });
    // the internal part never went to DATEV; the call's handle is cleared and freed once
    expect((await datev.notifications()).slice(known).filter((n) => n.data.CallID !== offered.data.CallID)).toEqual([]);
    await expectClearedAfterHangup(pbx, from);
  });

  it('4d. a caller a colleague transferred blind (LINECALLREASON_TRANSFER, origin INTERNAL: the colleague\'s leg): the caller\'s call for DATEV, with the contact', async () => {
    const datev = await dv();
    const { pbx } = run;
    const c = CONTACTS.mueller;
    const known = (await datev.notifications()).length;
    const call = await pbx.transferredIn(LINE_ADDRESS, c.caller);
    const offered = await newCallAfter(datev, known);
    expect(offered.data).toMatchObject({ Direction: Direction.eDirIncoming, AdressatenId: c.id, CalledNumber: c.number });
    await pbx.hangup(call);
    const all = await notificationsOf(datev, String(offered.data.CallID), 2);
    expect(steps(all)).toEqual([
      ['NewCall', CallState.eCSOffered],
      ['CallStateChanged', CallState.eCSAbsence],
    ]);
  });

  it('5. Drop from DATEV during a connected outgoing call: lineDrop, Finished, dialog closed', async () => {
    const datev = await dv();
    const { pbx } = run;
    const from = pbx.log.length;
    const dial = await datev.dial({ CalledNumber: '+49 40 7654321', SyncID: 'SYNC-DROP' });
    expect(dial.hresult).toBe(0);
    const made = await pbx.waitFor((e) => e.ev === 'api' && e.fn === 'lineMakeCallW' && pbx.log.indexOf(e) >= from, 5000);
    expect(made.dest).toBe('+49407654321');
    const dialog = await findWindow((w) => w.kind === 'dialog' && w.title === OUTGOING && w.buttons[0]?.enabled === true, 'the outgoing dialog with "Auflegen" enabled');
    const call = await pbx.lastCallId();
    await pbx.answer(call);
    await notificationsOf(datev, dial.callId, 2);
    expect((await datev.drop({ CallID: dial.callId })).hresult).toBe(0);
    const drop = await pbx.waitFor((e) => e.ev === 'api' && e.fn === 'lineDrop' && pbx.log.indexOf(e) >= from, 5000);
    expect(Number(drop.call)).toBe(call);
    await windowGone(dialog.id, 'the outgoing dialog');
    const all = await notificationsOf(datev, dial.callId, 3);
    expect(steps(all)).toEqual([
      ['NewCall', CallState.eCSOffered],
      ['CallStateChanged', CallState.eCSConnected],
      ['CallStateChanged', CallState.eCSFinished],
    ]);
    for (const n of all) expect(n.data).toMatchObject({ CallID: dial.callId, SyncID: 'SYNC-DROP', Direction: Direction.eDirOutgoing, CalledNumber: '+49 40 7654321' });
  });

  it('7. malformed Dial data (dialAnswer "immediate", the default): DATEV gets its CallID at once and the attempt as a call that did not happen, an error message for the user, nothing dialled; the next good Dial works', async () => {
    const datev = await dv();
    const { pbx } = run;
    const from = pbx.log.length;
    const known = (await datev.notifications()).length;
    const bad: [string, RawCallData, RegExp][] = [
      ['empty object', {}, /CalledNumber fehlt oder hat den falschen Typ \(undefined\)/],
      ['100 KB CalledNumber', { CalledNumber: '1'.repeat(100 * 1024) }, /Nummer ist zu lang/],
      ['a number', { CalledNumber: 891234567 }, /CalledNumber fehlt oder hat den falschen Typ \(number\)/],
      ['VT_NULL', { CalledNumber: null }, /CalledNumber fehlt oder hat den falschen Typ \(null\)/],
      ['letters only', { CalledNumber: 'Müller anrufen' }, /Keine Ziffern in „Müller anrufen“/],
    ];
    for (const [what, data, reason] of bad) {
      const r = await datev.dial(data);
      expect(r.hresult, what).toBe(0);
      expect(r.callId, what).toMatch(CALL_ID);
      // DATEV's CallID does not dangle: the attempt is in DATEV's list as a call that did not happen
      expect(steps(await notificationsOf(datev, r.callId, 2)), what).toEqual([
        ['NewCall', CallState.eCSOffered],
        ['CallStateChanged', CallState.eCSAbsence],
      ]);
      const box = await findWindow(
        (w) => w.kind === 'messagebox' && w.title === 'Wildix CTI' && reason.test(text(w)),
        `the error message for ${what}`,
      );
      expect(text(box)).toContain('DATEV hat einen Anruf angefordert, der nicht gewählt werden kann');
      await user.click(box.id, box.buttons[0]!.label);
      await windowGone(box.id, `the error message for ${what}`);
    }
    expect(await pbxCalls(pbx, 'lineMakeCallW', from)).toEqual([]);
    expect((await datev.notifications()).length).toBe(known + 2 * bad.length);
    expect((await listWindows(display)).filter((w) => w.kind === 'dialog')).toEqual([]);

    const good = await datev.dial({ CalledNumber: '0911 2345678', SyncID: 'SYNC-AFTER-BAD' });
    expect(good.hresult).toBe(0);
    expect(good.callId).toMatch(CALL_ID);
    const made = await pbx.waitFor((e) => e.ev === 'api' && e.fn === 'lineMakeCallW' && pbx.log.indexOf(e) >= from, 5000);
    expect(made.dest).toBe('+499112345678');
    const dialog = await findWindow((w) => w.kind === 'dialog' && w.title === OUTGOING && w.buttons[0]?.enabled === true, 'the outgoing dialog');
    // the user hangs up in the dialog before anyone answers
    await user.click(dialog.id, 'Auflegen');
    await pbx.waitFor((e) => e.ev === 'api' && e.fn === 'lineDrop' && pbx.log.indexOf(e) >= from, 5000);
    await windowGone(dialog.id, 'the outgoing dialog');
    const all = await notificationsOf(datev, good.callId, 2);
    expect(steps(all)).toEqual([
      ['NewCall', CallState.eCSOffered],
      ['CallStateChanged', CallState.eCSAbsence],
    ]);
    expect(all[0]!.data).toMatchObject({ SyncID: 'SYNC-AFTER-BAD', Direction: Direction.eDirOutgoing, CalledNumber: '0911 2345678' });
  });

  it('8a. stopped with Ctrl+C: ROT entry revoked, TAPI shut down, log complete', async () => {
    await ctrlC(run, await dv());
  });

  it('8b. killed hard (SIGKILL of its Wine process): its ROT entry disappears', async () => {
    const datev = await dv();
    const second = await launch(primary, 'killed');
    try {
      expect(await datev.isCtiRegistered()).toBe(true);
      await second.app.killHard();
      const gone = await until(async () => ((await datev.isCtiRegistered()) ? undefined : true), 'the ROT entry to disappear', 10000, 200);
      expect(gone).toBe(true);
      expect((await datev.dial({ CalledNumber: '0891234567' })).hresult >>> 0).toBeGreaterThanOrEqual(0x80000000);
      expect(second.app.logText()).not.toContain('stopping (');
    } finally {
      await second.app.dispose();
      await second.pbx.dispose();
    }
  });
});

// ------------------------------------------------- the packaged exe (subset; a missing exe fails them)

const packaged = packagedTarget();
if (packaged) {
  describe(`the program under Wine (${packaged.label}) — subset: 1, 2, 8a`, () => {
    let run: Running;
    let datev: FakeDatevProcess;

    beforeAll(async () => {
      datev = await startDatev();
      run = await launch(packaged, 'packaged');
    });

    afterAll(async () => {
      await run?.app.dispose();
      await run?.pbx.dispose();
      await datev?.close();
    });

    it('1. click-to-dial', async () => {
      await clickToDial(run, datev);
    });

    it('2. incoming call answered', async () => {
      await incomingAnswered(run, datev);
    });

    it('8a. stopped with Ctrl+C', async () => {
      await ctrlC(run, datev);
    });
  });
}
