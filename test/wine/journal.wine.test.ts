/**
 * The call journal of the real program under Wine (issue 11): node.exe build/js/src/main.js with the
 * fake tapi32.dll as the Wildix PBX, the fake DATEV exe recording every NewJournal with all 11 fields,
 * and win-user.exe as the user in front of the note window, the call list (opened from the tray's
 * menu command) and the contact chooser.
 *
 * One program run plays a working morning in order (each step builds on the one before):
 *   1. DATEV is not running: two missed calls (an unknown number R, then Steuerbüro Schmidt A) are kept.
 *      DATEV starts and refuses the first NewJournal (R, the oldest).
 *   2. The call list from the tray shows both; „Kontakt zuordnen…“ on R: the user types part of a name
 *      in the chooser and picks Müller & Söhne.
 *   3. DATEV refuses R twice more (the journal asks again 15 s after each refusal): „nein (abgelehnt)“;
 *      „An DATEV senden“ sends it. R (with the assigned contact) and A (Absence) reach DATEV once each.
 *   4. A connected call with Müller & Söhne (B): the note window appears without taking the focus
 *      from the program the user is typing in; the user writes a note and presses „Speichern“: DATEV
 *      gets one NewJournal with all 11 fields (Finished, connect → hang-up, the note).
 *   5. A second note on B from the call list while DATEV hangs in NewJournal: exactly one arrives.
 *   6. DATEV closes; the number of R calls again (the assigned contact is remembered) and is missed;
 *      the program stops while DATEV is closed. DATEV runs again, the program starts: that call
 *      arrives as one NewJournal, and nothing else is sent twice.
 *   7. The program is killed hard (SIGKILL) during a connected call while DATEV runs on: the next start
 *      ends that call in DATEV, live under its CallID (Finished, connect → last seen), no journal entry.
 * The journal's pauses after a refusal (journal.retrySeconds: 15 s here, 30 s by default; long enough
 * for step 2's user to finish before the next attempt) make steps 1–3 take about 45 s; nothing else
 * waits on a clock.
 * The journal lives in the Wine prefix's %LOCALAPPDATA%; this file starts and ends with none.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RecordedNotification } from '../../contracts/harness';
import { CallState, DATEV_FIELDS, Direction } from '../../src/datev/callData';
import { CHOOSER_TITLE, COLUMNS, LABELS, NOTE_TITLE } from '../../src/journal/texts';
import { CHOOSER_STATUS } from '../../src/journal/texts';
import { E2E_DIR, primaryTarget, startApp, type AppProcess } from './appProcess';
import { FakeDatevProcess } from './datevDriver';
import { paths, removeUserData, screenshot, VIRTUAL_DESKTOP, wineEnv, winPath } from './env';
import { FakeTapiServer, type FakeTapiPbx } from './pbxDriver';
import { clickButton, listWindows, newestWindow, selectRow, typeInto, winUserJsonSync, type WinUserWindow } from './winUser';
import { buildWineFakes } from './fakeBuilds';

const display = inject('display');
const env = wineEnv(display);

const LINE_NAME = 'Wildix 201 Anna Schmidt';
const LINE_ADDRESS = '201';
const CALL_ID = /^201-\d{8}-\d{4}-\d+$/;
const INCOMING = 'Wildix CTI – Eingehender Anruf';
const TRAY_CLASS = 'WildixCtiTray';
const COMMAND_CALLS = 1003; // native/tray: „Anrufliste“
const E_FAIL = 0x80004005;
/** The bound of one notification (config datevTimeoutMs); DATEV hangs longer than this in step 5. */
const DATEV_TIMEOUT_MS = 2000;

const CONTACTS = {
  mueller: { number: '+49 911 2345678', caller: '+499112345678', name: 'Müller & Söhne GmbH', id: '10042', source: 'DATEV_Adressaten' },
  schmidt: { number: '0911 3456789', caller: '09113456789', name: 'Steuerbüro Schmidt', id: '10043', source: 'DATEV_Adressaten' },
};
/** The caller without a DATEV contact (R), who gets one assigned in the call list. */
const UNKNOWN = '+4930111222333';

let server: FakeTapiServer;
let csvFile: string;


beforeAll(async () => {
  if (!display) throw new Error('no X display: run the Wine tests with vitest.wine.config.ts (npm run test:wine)');
  buildWineFakes();
  fs.mkdirSync(E2E_DIR, { recursive: true });
  csvFile = path.join(E2E_DIR, 'journal-contacts.csv');
  const rows = Object.values(CONTACTS).map((c) => `${c.number};${c.name};${c.id};${c.source}`);
  fs.writeFileSync(csvFile, ['Nummer;Name;ID;DataSource', ...rows, ''].join('\r\n'), 'utf8');
  removeUserData();
  server = await FakeTapiServer.start();
});

afterAll(async () => {
  await server?.close();
  removeUserData();
});

// ------------------------------------------------------------------------------------------- helpers

async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, ms = 20000, every = 150): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

async function findWindow(what: string, pred: (w: WinUserWindow) => boolean, ms = 20000): Promise<WinUserWindow> {
  let last: WinUserWindow[] = [];
  try {
    return await until(what, async () => (last = await listWindows(display)).find(pred), ms, 100);
  } catch (e) {
    throw new Error(`${(e as Error).message}; windows: ${JSON.stringify(last.map((w) => [w.kind, w.title, w.texts]))}`);
  }
}

async function windowGone(id: number, what: string): Promise<void> {
  await until(`${what} to close`, async () => ((await listWindows(display)).some((w) => w.id === id) ? undefined : true));
}

/** win-user.exe with a JSON answer (foreground, command). */
const winUserJson = <T>(args: string[]): T => winUserJsonSync<T>(env, args, [0, 2]);

const foreground = () => winUserJson<{ title: string; focusClass: string }>(['foreground']);

/** All NewJournal notifications DATEV received. */
async function journals(datev: FakeDatevProcess): Promise<RecordedNotification[]> {
  return (await datev.notifications()).filter((n) => n.method === 'NewJournal');
}

/** The NewJournal whose CalledNumber/Note match, once DATEV has it. */
async function journalFor(datev: FakeDatevProcess, what: string, pred: (n: RecordedNotification) => boolean, ms = 60000): Promise<RecordedNotification> {
  return until(`the NewJournal ${what}`, async () => (await journals(datev)).find(pred), ms, 300);
}

/** Every field a NewJournal has (DATEV's 11), with the values DATEV read. */
function expectAllFields(n: RecordedNotification): void {
  expect(Object.keys(n.data).sort()).toEqual([...DATEV_FIELDS].sort());
  expect(n.data.CallID).toMatch(CALL_ID);
  expect(n.data.SyncID).toBe('');
  expect(n.data.Begin).toBeInstanceOf(Date);
  expect(n.data.End).toBeInstanceOf(Date);
  expect((n.data.End as Date).getTime()).toBeGreaterThanOrEqual((n.data.Begin as Date).getTime());
}

const logCount = (app: AppProcess, pattern: RegExp): number => app.logLines(pattern).length;

function appConfig(): Record<string, unknown> {
  return {
    line: LINE_ADDRESS,
    lookupBudgetMs: 2000,
    datevTimeoutMs: DATEV_TIMEOUT_MS,
    contacts: { datevConnect: { enabled: false }, manualListFile: winPath(csvFile), learnFromDial: true },
    journal: { notePrompt: 'contact', notePromptSeconds: 300, deliverMissed: true, retrySeconds: 15 },
    log: { level: 'debug' },
  };
}

async function launch(name: string, pbx: FakeTapiPbx): Promise<AppProcess> {
  const app = startApp({
    display,
    target: primaryTarget(),
    name,
    config: appConfig(),
    env: { FAKE_TAPI_PORT: String(server.port) },
    dllOverrides: 'tapi32=n',
  });
  try {
    await app.waitForLog(/CTI object registered in the ROT/, 40000);
    await app.waitForLog(/TAPI line open: "Wildix 201 Anna Schmidt"/, 20000);
    await app.waitForLog(/manual list loaded.*entries=2/, 10000);
    await app.waitForLog(/tray icon shown/, 20000);
    await pbx.waitFor((e) => e.ev === 'api' && e.fn === 'lineOpenW' && Number(e.rc) >= 0, 5000);
  } catch (e) {
    await app.dispose();
    throw e;
  }
  return app;
}

/** A call that rings and is not answered; resolves when its dialog is gone. Returns when it rang. */
async function missedCall(pbx: FakeTapiPbx, caller: string, shows: string): Promise<{ rang: number; ended: number }> {
  const rang = Date.now();
  const call = await pbx.incoming(LINE_ADDRESS, caller);
  const dialog = await findWindow(`the incoming dialog of ${caller}`, (w) => w.kind === 'dialog' && w.title === INCOMING && w.texts.join('\n').includes(shows));
  await pbx.hangup(call);
  const ended = Date.now();
  await windowGone(dialog.id, 'the incoming dialog');
  return { rang, ended };
}

/** The call list as the user opens it from the tray (the menu item's WM_COMMAND), in front. */
async function openCallList(app: AppProcess): Promise<WinUserWindow> {
  const before = logCount(app, /tray: "Anrufliste" chosen/);
  expect(winUserJson<{ ok: boolean }>(['command', TRAY_CLASS, String(COMMAND_CALLS)])).toEqual({ ok: true });
  await until('the tray command to be handled', () => (logCount(app, /tray: "Anrufliste" chosen/) > before ? true : undefined));
  return until('the call list', () => newestWindow(display, 'calllist'));
}

const NUMBER_COLUMN = COLUMNS.indexOf('Nummer');
const CONTACT_COLUMN = COLUMNS.indexOf('Kontakt');
const DATEV_COLUMN = COLUMNS.indexOf('DATEV');

/** The call list's row (index and cells) of the newest call with this number, once `pred` holds for it. */
async function listRow(number: string, what: string, pred: (cells: string[]) => boolean = () => true): Promise<{ list: WinUserWindow; index: number; cells: string[] }> {
  return until(`the call list's row of ${number} ${what}`, async () => {
    const list = await newestWindow(display, 'calllist');
    const rows = list?.lists[0]?.rows ?? [];
    const index = rows.findIndex((cells) => cells[NUMBER_COLUMN] === number);
    return list && index >= 0 && pred(rows[index]!) ? { list, index, cells: rows[index]! } : undefined;
  });
}

/** Selects the call's row and presses an action button (it must be enabled). */
async function actOnRow(number: string, label: string): Promise<void> {
  const { list, index } = await listRow(number, 'to act on');
  await selectRow(display, list.id, index);
  const now = await until(`„${label}“ enabled for ${number}`, async () => {
    const l = await newestWindow(display, 'calllist');
    return l?.lists[0]?.selected === index && l.buttons.find((b) => b.label === label)?.enabled ? l : undefined;
  });
  await clickButton(display, now.id, label);
}

/** A note window for the party, its text typed by the user and „Speichern“ pressed. */
async function writeNote(party: string, text: string): Promise<WinUserWindow> {
  const note = await findWindow(`the note window for ${party}`, (w) => w.kind === 'note' && w.texts[0]?.includes(party) === true);
  expect(note.title).toBe(NOTE_TITLE);
  await typeInto(display, note.id, text);
  await clickButton(display, note.id, LABELS.save);
  await windowGone(note.id, 'the note window');
  return note;
}

// ------------------------------------------------------------------------------------------ scenario

describe(`the call journal of the program under Wine (${primaryTarget().label})`, () => {
  let pbx: FakeTapiPbx;
  let app: AppProcess;
  let datev: FakeDatevProcess;
  let editor: ChildProcess | undefined;
  const EDITOR = 'Mandantenakte – Editor';
  const times: Record<string, { rang: number; ended: number }> = {};

  beforeAll(async () => {
    pbx = server.session();
    await pbx.addLine(LINE_NAME, LINE_ADDRESS);
    datev = new FakeDatevProcess({ env, stopped: true, checkRules: true }); // running, but not in the ROT: DATEV is closed
    await datev.ready;
    app = await launch('journal', pbx);
  });

  afterAll(async () => {
    if (editor && editor.exitCode === null) {
      spawnSync('wine', ['explorer', `/desktop=${VIRTUAL_DESKTOP}`, paths.winUser, 'close', EDITOR], { env, stdio: 'ignore', timeout: 20000 });
      editor.kill('SIGKILL');
    }
    await app?.dispose();
    await pbx?.dispose();
    await datev?.close();
  });

  it('1. DATEV closed: missed calls are kept for it; DATEV starts and refuses the oldest NewJournal', async () => {
    times.r = await missedCall(pbx, UNKNOWN, 'Kein DATEV-Kontakt gefunden');
    await until('R kept for DATEV', () => (logCount(app, /Journal: der Anruf wird an DATEV nachgetragen/) === 1 ? true : undefined));
    times.a = await missedCall(pbx, CONTACTS.schmidt.caller, CONTACTS.schmidt.name);
    await until('A kept for DATEV', () => (logCount(app, /Journal: der Anruf wird an DATEV nachgetragen/) === 2 ? true : undefined));
    expect(await datev.notifications()).toEqual([]);

    await datev.failNextNotification(E_FAIL);
    await datev.start();
    await app.waitForLog(/DATEV NewJournal failed \(com\)/, 20000);
    expect(await datev.notifications()).toEqual([]); // a refused notification is not DATEV's
    // DATEV will refuse the next one too (nothing else is sent to DATEV until the journal asks again)
    await datev.failNextNotification(E_FAIL);
  });

  it('2. the call list from the tray shows the calls; „Kontakt zuordnen…“ assigns a contact found by name', async () => {
    const list = await openCallList(app);
    expect(list.focused).toBe(true);
    expect(list.lists[0]!.columns).toEqual(COLUMNS);
    const rows = list.lists[0]!.rows;
    // newest first: A, then R; both missed and waiting for DATEV
    expect(rows.map((r) => r[NUMBER_COLUMN])).toEqual([CONTACTS.schmidt.number, UNKNOWN]);
    expect(rows[0]).toEqual([
      expect.stringMatching(/^\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}$/),
      'eingehend',
      CONTACTS.schmidt.number,
      `${CONTACTS.schmidt.name} (10043)`,
      '0:00',
      'verpasst',
      'nein, folgt',
    ]);
    expect(rows[1]![CONTACT_COLUMN]).toBe('–');
    expect(rows[1]![DATEV_COLUMN]).toMatch(/^(nein, folgt|wird gesendet)$/);
    screenshot(display, 'journal-app-calllist');

    await actOnRow(UNKNOWN, LABELS.assign);
    const chooser = await until('the contact chooser in front', async () => {
      const w = await newestWindow(display, 'chooser');
      return w?.focused ? w : undefined;
    });
    expect(chooser.title).toBe(CHOOSER_TITLE);
    expect(chooser.texts[0]).toBe(UNKNOWN);
    await typeInto(display, chooser.id, 'müller');
    const found = await until('the matches', async () => {
      const w = await newestWindow(display, 'chooser');
      return w && !w.texts.includes(CHOOSER_STATUS.searching) ? w : undefined;
    });
    expect(found.lists[0]!.rows).toEqual([[`${CONTACTS.mueller.name} (10042)`]]);
    screenshot(display, 'journal-app-chooser');
    await selectRow(display, found.id, 0);
    await clickButton(display, found.id, LABELS.choose);
    await windowGone(found.id, 'the contact chooser');
    await app.waitForLog(/Anrufliste: Kontakt zugeordnet/);
    await listRow(UNKNOWN, 'with the assigned contact', (cells) => cells[CONTACT_COLUMN] === `${CONTACTS.mueller.name} (10042)`);
  });

  it('3. DATEV refuses R three times: „nein (abgelehnt)“; „An DATEV senden“ sends it; R and A reach DATEV once each', { timeout: 200000 }, async () => {
    await until('the second refusal', () => (logCount(app, /DATEV NewJournal failed \(com\)/) === 2 ? true : undefined), 80000, 500);
    await datev.failNextNotification(E_FAIL);
    await until('the third refusal', () => (logCount(app, /DATEV NewJournal failed \(com\)/) === 3 ? true : undefined), 80000, 500);
    await app.waitForLog(/Journal: DATEV lehnt den Eintrag ab/);
    await listRow(UNKNOWN, '„nein (abgelehnt)“', (cells) => cells[DATEV_COLUMN] === 'nein (abgelehnt)');
    expect(await journals(datev)).toEqual([]);

    await actOnRow(UNKNOWN, LABELS.send);
    await app.waitForLog(/Anrufliste: send/);
    const r = await journalFor(datev, 'of R', (n) => n.data.CalledNumber === UNKNOWN, 80000);
    expectAllFields(r);
    expect(r.data).toMatchObject({
      CallState: CallState.eCSAbsence,
      Direction: Direction.eDirIncoming,
      Adressatenname: CONTACTS.mueller.name, // assigned in the call list, sent with the journal entry
      AdressatenId: CONTACTS.mueller.id,
      DataSource: CONTACTS.mueller.source,
      Note: '',
    });
    expect((r.data.Begin as Date).getTime()).toBeGreaterThanOrEqual(times.r!.rang - 1000);
    expect((r.data.End as Date).getTime()).toBeLessThanOrEqual(times.r!.ended + 2000);

    // the call missed while DATEV was closed: one NewJournal (Absence, ring start → hang-up)
    const a = await journalFor(datev, 'of A', (n) => n.data.CalledNumber === CONTACTS.schmidt.number, 80000);
    expectAllFields(a);
    expect(a.data).toMatchObject({
      CallState: CallState.eCSAbsence,
      Direction: Direction.eDirIncoming,
      Adressatenname: CONTACTS.schmidt.name,
      AdressatenId: CONTACTS.schmidt.id,
      DataSource: CONTACTS.schmidt.source,
      Note: '',
    });
    expect((a.data.Begin as Date).getTime()).toBeGreaterThanOrEqual(times.a!.rang - 1000);
    expect((a.data.End as Date).getTime()).toBeLessThanOrEqual(times.a!.ended + 2000);
    expect(r.data.CallID).not.toBe(a.data.CallID);
    expect(await journals(datev)).toHaveLength(2);
    await listRow(UNKNOWN, '„ja“', (cells) => cells[DATEV_COLUMN] === 'ja');
    await listRow(CONTACTS.schmidt.number, '„ja“', (cells) => cells[DATEV_COLUMN] === 'ja');
  });

  it('4. a connected call with a DATEV contact: the note appears without the focus; the saved note reaches DATEV with all 11 fields', async () => {
    const c = CONTACTS.mueller;
    editor = spawn('wine', ['explorer', `/desktop=${VIRTUAL_DESKTOP}`, paths.winUser, 'editor', EDITOR], { env, stdio: 'ignore' });
    await until('the editor in front', () => {
      const f = foreground();
      return f.title === EDITOR && f.focusClass.toLowerCase() === 'edit' ? f : undefined;
    });
    const known = (await datev.notifications()).length;
    const call = await pbx.incoming(LINE_ADDRESS, c.caller);
    await findWindow('the incoming dialog of Müller', (w) => w.kind === 'dialog' && w.title === INCOMING && w.texts.join('\n').includes(c.name));
    await pbx.answer(call);
    const offered = await until('NewCall of B', async () => (await datev.notifications()).slice(known).find((n) => n.method === 'NewCall'));
    const callIdB = String(offered.data.CallID);
    await until('B connected in DATEV', async () => ((await datev.notifications()).some((n) => n.data.CallID === callIdB && n.data.CallState === CallState.eCSConnected) ? true : undefined));
    await pbx.hangup(call);
    const liveB = await until('B finished in DATEV', async () => {
      const mine = (await datev.notifications()).filter((n) => n.data.CallID === callIdB);
      return mine.length === 3 ? mine : undefined;
    });
    expect(liveB.map((n) => [n.method, n.data.CallState])).toEqual([
      ['NewCall', CallState.eCSOffered],
      ['CallStateChanged', CallState.eCSConnected],
      ['CallStateChanged', CallState.eCSFinished],
    ]);

    const note = await findWindow('the note window', (w) => w.kind === 'note');
    expect(note).toMatchObject({ title: NOTE_TITLE, focused: false, topmost: true });
    expect(note.texts[0]).toBe(`${c.name} (${c.number})`);
    expect(note.texts[1]).toMatch(/^Eingehender Anruf am \d{2}\.\d{2}\.\d{4} \d{2}:\d{2}, Dauer \d+:\d{2}$/);
    expect(note.buttons).toEqual([
      { label: LABELS.save, enabled: true },
      { label: LABELS.discard, enabled: true },
    ]);
    expect(foreground()).toMatchObject({ title: EDITOR, focusClass: 'Edit' }); // the user types on undisturbed
    screenshot(display, 'journal-app-note');
    await writeNote(c.name, 'Rückruf wegen USt-VA\nUnterlagen folgen per Post');
    spawnSync('wine', ['explorer', `/desktop=${VIRTUAL_DESKTOP}`, paths.winUser, 'close', EDITOR], { env, stdio: 'ignore', timeout: 20000 });

    const j = await journalFor(datev, 'with the note', (n) => n.data.Note !== '');
    expectAllFields(j);
    const [newCall, , finished] = liveB;
    expect(j.data.CallID).not.toBe(callIdB); // a new CallID, not the live call's
    expect(j.data).toMatchObject({
      CallState: CallState.eCSFinished,
      Direction: Direction.eDirIncoming,
      Adressatenname: c.name,
      AdressatenId: c.id,
      DataSource: c.source,
      CalledNumber: newCall!.data.CalledNumber, // as in its NewCall
      Note: 'Rückruf wegen USt-VA\nUnterlagen folgen per Post',
    });
    // Begin/End = connect and hang-up, as DATEV got them live with Finished
    expect(Math.abs((j.data.Begin as Date).getTime() - (finished!.data.Begin as Date).getTime())).toBeLessThanOrEqual(1);
    expect(Math.abs((j.data.End as Date).getTime() - (finished!.data.End as Date).getTime())).toBeLessThanOrEqual(1);
    expect(await journals(datev)).toHaveLength(3);
  });

  it('5. DATEV hangs in the NewJournal of a second note: it is waited for, and DATEV has it once', async () => {
    await datev.hangNextNotification(DATEV_TIMEOUT_MS + 3000);
    await actOnRow(CONTACTS.mueller.number, LABELS.note);
    await writeNote(CONTACTS.mueller.name, 'Zweite Notiz: Frist 31.05.');
    await app.waitForLog(/DATEV NewJournal: no answer within 2000 ms; DATEV hangs/, 20000);
    const second = await journalFor(datev, 'with the second note', (n) => n.data.Note === 'Zweite Notiz: Frist 31.05.', 30000);
    expectAllFields(second);
    expect(second.data).toMatchObject({ CallState: CallState.eCSFinished, AdressatenId: CONTACTS.mueller.id });
    await app.waitForLog(/DATEV NewJournal \(late\)/);
    expect((await journals(datev)).filter((n) => n.data.Note === 'Zweite Notiz: Frist 31.05.')).toHaveLength(1);
    expect(await journals(datev)).toHaveLength(4);
  });

  it('6. a call missed while DATEV is closed, the program stopped and started again: DATEV gets it once', { timeout: 120000 }, async () => {
    await datev.close(); // DATEV closes (its ROT entry goes with it)
    // the number R got a contact in the call list: the incoming dialog names it now
    times.m = await missedCall(pbx, UNKNOWN, CONTACTS.mueller.name);
    await until('M kept for DATEV', () => (logCount(app, /Journal: der Anruf wird an DATEV nachgetragen/) === 3 ? true : undefined));
    await app.interrupt(); // Ctrl+C while DATEV is closed
    expect(await newestWindow(display, 'calllist')).toBeUndefined(); // the call list went with the program

    datev = new FakeDatevProcess({ env, checkRules: true });
    await datev.ready;
    await pbx.dispose();
    pbx = server.session(); // the new process's tapi32.dll connects anew
    await pbx.addLine(LINE_NAME, LINE_ADDRESS);
    app = await launch('journal-restarted', pbx);
    await app.waitForLog(/Journal: 1 Einträge warten auf DATEV/);
    const m = await journalFor(datev, 'of the call missed before the restart', (n) => n.data.CalledNumber === UNKNOWN, 40000);
    expectAllFields(m);
    expect(m.data).toMatchObject({ CallState: CallState.eCSAbsence, Direction: Direction.eDirIncoming, AdressatenId: CONTACTS.mueller.id, Note: '' });
    expect((m.data.Begin as Date).getTime()).toBeGreaterThanOrEqual(times.m!.rang - 1000);
    await app.interrupt();
    // nothing else was sent again after the restart, and M only once
    expect((await datev.notifications()).map((n) => [n.method, n.data.CalledNumber])).toEqual([['NewJournal', UNKNOWN]]);
  });

  it('7. the program killed hard during a call, DATEV running on: the next start ends the call in DATEV, live under its CallID; no journal entry', { timeout: 150000 }, async () => {
    const c = CONTACTS.mueller;
    await pbx.dispose();
    pbx = server.session();
    await pbx.addLine(LINE_NAME, LINE_ADDRESS);
    app = await launch('journal-killed', pbx);
    const known = (await datev.notifications()).length;
    const call = await pbx.incoming(LINE_ADDRESS, c.caller);
    await pbx.answer(call);
    const offered = await until('the NewCall', async () => (await datev.notifications()).slice(known).find((n) => n.method === 'NewCall'));
    const callId = String(offered.data.CallID);
    const connected = await until('the call connected in DATEV', async () => (await datev.notifications()).find((n) => n.data.CallID === callId && n.data.CallState === CallState.eCSConnected));
    await new Promise((r) => setTimeout(r, 1500)); // the journal writes the call down within moments
    await app.killHard(); // SIGKILL: no handler runs, the call is not ended; DATEV keeps it open
    const killedAt = Date.now();

    await pbx.dispose();
    pbx = server.session();
    await pbx.addLine(LINE_NAME, LINE_ADDRESS);
    app = await launch('journal-after-kill', pbx);
    const end = await until('the end of the call in DATEV', async () => (await datev.notifications()).find((n) => n.data.CallID === callId && n.method === 'CallStateChanged' && n.data.CallState === CallState.eCSFinished), 40000);
    expectAllFields({ ...end, data: { ...end.data, SyncID: '' } });
    expect(end.data).toMatchObject({ Direction: Direction.eDirIncoming, AdressatenId: c.id, CalledNumber: offered.data.CalledNumber, SyncID: offered.data.SyncID });
    expect((end.data.Begin as Date).getTime()).toBe((connected.data.Begin as Date).getTime()); // connect → last seen going on
    expect((end.data.End as Date).getTime()).toBeLessThanOrEqual(killedAt + 1000);
    await app.waitForLog(/DATEV has the end of the call, live/);
    await app.interrupt();
    expect((await datev.notifications()).slice(known).map((n) => [n.method, n.data.CallID, n.data.CallState])).toEqual([
      ['NewCall', callId, CallState.eCSOffered],
      ['CallStateChanged', callId, CallState.eCSConnected],
      ['CallStateChanged', callId, CallState.eCSFinished],
    ]);
  });
});
