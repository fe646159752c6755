/**
 * A working day in one process lifetime (issue 8): the real program under Wine (node.exe + build/js, and
 * in scripts/test.sh the packaged exe too, through WILDIX_E2E_EXE)
 * with the fake tapi32.dll and the fake DATEV, ~500 calls of every kind — incoming answered on the phone,
 * missed, rejected in the dialog, answered by a colleague on the shared line (CONNECTED inactive here:
 * Offered → Absence), picked up elsewhere; click-to-dial answered, busy, dropped by DATEV — mixed with DATEV
 * restarting during a call, DATEV hanging 8 s inside notifications for a while, and a TAPI re-init with
 * a call in progress. Then every call must be in DATEV with an allowed sequence and the right
 * CallID/SyncID (or, where DATEV could not have it live, be kept for later delivery), Dial must still
 * work, and RSS, threads and handles (from the program's status file) must be about where they were.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RecordedNotification } from '../../contracts/harness';
import { CALL_ID_PATTERN } from '../../src/calls/callIds';
import { STATUS_FILE, type StatusReport } from '../../src/app/statusReport';
import { CallState } from '../../src/datev/callData';
import { E2E_DIR, primaryTarget, startApp, type AppProcess } from './appProcess';
import { FakeDatevProcess } from './datevDriver';
import { removeUserData, wineEnv } from './env';
import { FakeTapiServer, type FakeTapiPbx } from './pbxDriver';
import { listWindows, winUser } from './winUser';
import { buildWineFakes } from './fakeBuilds';

const display = inject('display');
const env = wineEnv(display);
const user = winUser(display);
const LINE_NAME = 'Wildix 201 Anna Schmidt';
const LINE_ADDRESS = '201';
const INCOMING = 'Wildix CTI – Eingehender Anruf';
/** Calls in the measured part of the day (after a warm-up). */
const CALLS = 500;
const WARM_UP = 20;

type Kind = 'answered' | 'missed' | 'rejected' | 'colleague' | 'pickedUp' | 'dialAnswered' | 'dialBusy' | 'dialDropped';

interface Expected {
  i: number;
  kind: Kind;
  /** Incoming: the caller's number; dialled: the number DATEV dialled. */
  number: string;
  /** Dialled calls: DATEV's SyncID and the CallID Dial returned. */
  syncId?: string;
  callId?: string;
  /** DATEV was restarted while this call was live: DATEV cannot have it complete live. */
  acrossRestart?: boolean;
  /**
   * Played just before the restart: its notifications may still have been queued (they trail the calls
   * by a few hundred ms under load), so it may end like the call across the restart.
   */
  nearRestart?: boolean;
  /** TAPI re-initialised while the call rang: it ends for DATEV then. */
  acrossReinit?: boolean;
}

let server: FakeTapiServer;
let pbx: FakeTapiPbx;
let app: AppProcess;
let datev: FakeDatevProcess;

async function until<T>(check: () => Promise<T | undefined> | T | undefined, what: string, ms = 30000, every = 100): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) {
      // say whether the program is still there (a crash looks like a stuck call otherwise), with its output
      const alive = app?.programPid() !== undefined ? 'the program is running' : "the program's process is gone";
      throw new Error(`timed out after ${ms} ms waiting for ${what}; ${alive}; ${app?.describe() ?? ''}`);
    }
    await new Promise((r) => setTimeout(r, every));
  }
}

/** Everything DATEV received, fetched incrementally. */
class Received {
  readonly all: RecordedNotification[] = [];
  async refresh(): Promise<RecordedNotification[]> {
    this.all.push(...(await datev.notifications(this.all.length)));
    return this.all;
  }
  async waitFor(pred: (n: RecordedNotification) => boolean, what: string, ms = 30000): Promise<RecordedNotification> {
    return until(async () => (await this.refresh()).find(pred), what, ms);
  }
}

function status(): StatusReport {
  return JSON.parse(fs.readFileSync(path.join(app.logDir, STATUS_FILE), 'utf8')) as StatusReport;
}

/** A status report written after `after` (the file is rewritten every 5 s). */
async function freshStatus(after: number): Promise<StatusReport> {
  return until(
    () => {
      try {
        const s = status();
        return new Date(s.updatedAt).getTime() > after ? s : undefined;
      } catch {
        return undefined;
      }
    },
    'a fresh status file',
    20000,
    250,
  );
}

/** A Dial from DATEV, timed; the far end then does not answer (the call ends, nothing lingers). */
async function timedDial(number: string, syncId: string): Promise<{ ms: number; hresult: number; callId: string }> {
  const made = pbx.log.length;
  const t0 = Date.now();
  const r = await datev.dial({ CalledNumber: number, SyncID: syncId });
  const ms = Date.now() - t0;
  await until(() => pbx.log.slice(made).find((e) => e.ev === 'reply' && e.fn === 'lineMakeCallW'), `lineMakeCallW of ${syncId}`);
  await pbx.hangup(await pbx.lastCallId(), 'NOANSWER');
  return { ms, ...r };
}

const KINDS: Kind[] = ['answered', 'missed', 'dialAnswered', 'answered', 'dialBusy', 'colleague', 'dialDropped', 'answered', 'dialAnswered', 'pickedUp'];

function kindOf(i: number): Kind {
  return i % 20 === 7 ? 'rejected' : KINDS[i % KINDS.length]!;
}

const pad = (n: number): string => String(n).padStart(5, '0');
/** The call during which DATEV is closed and started again. */
const RESTART_AT = 150;
/** Calls before it whose notifications may still be queued then (far more than the queue ever holds). */
const RESTART_REACH = 20;

/** The state a call of this kind ends in, in DATEV's list. */
function finalState(kind: Kind): CallState {
  return kind === 'answered' || kind === 'dialAnswered' ? CallState.eCSFinished : CallState.eCSAbsence;
}

/** Plays one call through the PBX and DATEV; returns what DATEV must end up with. */
async function play(i: number, received: Received, hooks: { whileRinging?: () => Promise<void> } = {}): Promise<Expected> {
  const kind = kindOf(i);
  if (kind === 'answered' || kind === 'missed' || kind === 'rejected' || kind === 'colleague' || kind === 'pickedUp') {
    const number = `+4989555${pad(i)}`;
    const call = await pbx.incoming(LINE_ADDRESS, number);
    if (hooks.whileRinging) {
      // the call is live in DATEV before whatever happens to DATEV or TAPI now
      await received.waitFor((n) => n.method === 'NewCall' && n.data.CalledNumber === number, `NewCall of call ${i}`);
      await hooks.whileRinging();
    }
    if (kind === 'answered') {
      await pbx.answer(call);
      await pbx.hangup(call);
    } else if (kind === 'missed') {
      await pbx.hangup(call, 'NOANSWER');
    } else if (kind === 'colleague') {
      // a colleague answers it on the shared line, talks, hangs up: not a conversation of this user
      await pbx.answerElsewhere(call);
      await pbx.hangup(call);
    } else if (kind === 'pickedUp') {
      await pbx.hangup(call, 'PICKUP');
    } else {
      const from = pbx.log.length;
      // the user clicks "Ablehnen" as soon as the window shows (again, if the window was still being drawn)
      await until(
        async () => {
          const dialog = (await listWindows(display)).find((w) => w.kind === 'dialog' && w.title === INCOMING && w.texts.some((t) => t.includes(number.slice(-5))));
          if (!dialog) return undefined;
          return user.click(dialog.id, 'Ablehnen').then(
            () => true,
            () => undefined,
          );
        },
        `a click on "Ablehnen" in the incoming dialog of call ${i}`,
      );
      await until(() => pbx.log.slice(from).find((e) => e.ev === 'api' && e.fn === 'lineDrop'), `lineDrop of call ${i}`);
    }
    return { i, kind, number };
  }
  const number = `089 777${pad(i)}`;
  const syncId = `SOAK-${i}`;
  const made = pbx.log.length;
  const r = await datev.dial({ CalledNumber: number, SyncID: syncId });
  expect(r.hresult, `Dial of call ${i}`).toBe(0);
  await until(() => pbx.log.slice(made).find((e) => e.ev === 'reply' && e.fn === 'lineMakeCallW'), `lineMakeCallW of call ${i}`);
  const call = await pbx.lastCallId();
  if (kind === 'dialBusy') {
    await pbx.busy(call);
  } else {
    await pbx.ringback(call);
    if (kind === 'dialAnswered') {
      await pbx.answer(call);
      await pbx.hangup(call);
    } else {
      await received.waitFor((n) => n.data.CallID === r.callId && n.method === 'NewCall', `NewCall of call ${i}`);
      const from = pbx.log.length;
      expect((await datev.drop({ CallID: r.callId })).hresult).toBe(0);
      await until(() => pbx.log.slice(from).find((e) => e.ev === 'api' && e.fn === 'lineDrop'), `lineDrop of call ${i}`);
    }
  }
  return { i, kind, number, syncId, callId: r.callId };
}

/** The states DATEV must see live for a call of this kind. */
function liveSequence(kind: Kind): [string, CallState][] {
  const offered: [string, CallState] = ['NewCall', CallState.eCSOffered];
  switch (kind) {
    case 'answered':
    case 'dialAnswered':
      return [offered, ['CallStateChanged', CallState.eCSConnected], ['CallStateChanged', CallState.eCSFinished]];
    default:
      return [offered, ['CallStateChanged', CallState.eCSAbsence]];
  }
}

beforeAll(async () => {
  buildWineFakes();
  fs.mkdirSync(E2E_DIR, { recursive: true });
  removeUserData(); // no calls a program killed earlier in this prefix left in the journal
  server = await FakeTapiServer.start();
  datev = new FakeDatevProcess({ env, commandTimeoutMs: 60000, checkRules: true });
  await datev.ready;
  pbx = server.session();
  await pbx.addLine(LINE_NAME, LINE_ADDRESS);
  app = startApp({
    display,
    target: primaryTarget(),
    name: 'soak',
    config: {
      line: LINE_ADDRESS,
      lookupBudgetMs: 200,
      contacts: { datevConnect: { enabled: false }, learnFromDial: false },
      log: { level: 'info' },
    },
    // the fake tapi32.dll is in the prefix's System32, where the program looks (tapi32=n picks it)
    env: { FAKE_TAPI_PORT: String(server.port) },
    dllOverrides: 'tapi32=n',
  });
  await app.waitForLog(/CTI object registered in the ROT/, 40000);
  await app.waitForLog(/TAPI line open: "Wildix 201 Anna Schmidt"/, 20000);
}, 120000);

afterAll(async () => {
  await app?.interrupt().catch(() => app.killHard());
  await app?.dispose();
  await pbx?.dispose();
  await datev?.close();
  await server?.close();
  removeUserData();
});

describe(`a working day in one process lifetime (${primaryTarget().label})`, () => {
  it(`${CALLS} calls of every kind, DATEV restarting and hanging, a TAPI re-init: every call reaches DATEV, resources stay flat`, async () => {
    const received = new Received();
    const expected: Expected[] = [];
    for (let i = -WARM_UP; i < 0; i++) expected.push(await play(i + 1_000_000, received));
    const dialsBefore = [await timedDial('089 7000001', 'SOAK-D1'), await timedDial('089 7000002', 'SOAK-D2')];
    const t0 = Date.now();
    const before = await freshStatus(Date.now());
    let hungAt: number | undefined;
    const readings: StatusReport[] = [];
    for (let i = 0; i < CALLS; i++) {
      if (i % 100 === 0 && i > 0) readings.push(await freshStatus(Date.now()));
      if (i === RESTART_AT) {
        // DATEV is closed and started again while this call is live
        const e = await play(i, received, {
          whileRinging: async () => {
            await datev.stop();
            await datev.start();
          },
        });
        expected.push({ ...e, acrossRestart: true });
        continue;
      }
      if (i === 250) {
        // DATEV hangs 8 s in each of its next 3 notifications; the calls go on meanwhile
        await datev.hangNotifications(8000, 3);
        hungAt = Date.now();
      }
      if (i === 350) {
        // TAPI re-initialises while a call rings: the call is over for DATEV, the line opens again
        const number = `+4989555${pad(i)}`;
        const opened = app.logLines(/TAPI line open: "Wildix 201 Anna Schmidt"/).length;
        const call = await pbx.incoming(LINE_ADDRESS, number);
        await received.waitFor((n) => n.method === 'NewCall' && n.data.CalledNumber === number, 'NewCall of the call before the re-init');
        await pbx.command('reinit');
        await until(() => (app.logLines(/TAPI line open: "Wildix 201 Anna Schmidt"/).length > opened ? true : undefined), 'the line to open again', 30000);
        await pbx.hangup(call).catch(() => undefined);
        expected.push({ i, kind: 'missed', number, acrossReinit: true });
        continue;
      }
      const e = await play(i, received);
      expected.push(i >= RESTART_AT - RESTART_REACH && i < RESTART_AT ? { ...e, nearRestart: true } : e);
    }
    const playedMs = Date.now() - t0;
    // every call has its end in DATEV (the hung notifications are answered late, the held calls catch up)
    const journalOf = (e: Expected): RecordedNotification[] => received.all.filter((n) => n.method === 'NewJournal' && n.data.CalledNumber === e.number);
    /** The call's live notifications (by its CallID when DATEV dialled it, else by the caller's number). */
    const ownOf = (e: Expected): RecordedNotification[] =>
      received.all.filter((n) => n.method !== 'NewJournal' && (e.callId ? n.data.CallID === e.callId : n.data.CalledNumber === e.number));
    const complete = (e: Expected): boolean => {
      const ended = ownOf(e).some((n) => n.method === 'CallStateChanged' && (n.data.CallState === CallState.eCSFinished || n.data.CallState === CallState.eCSAbsence));
      // a call DATEV could not have live to its end (restarted meanwhile) reaches it as a journal entry
      return ended || ((e.acrossRestart === true || e.nearRestart === true) && journalOf(e).length > 0);
    };
    try {
      await until(
        async () => {
          await received.refresh();
          return expected.every(complete) ? true : undefined;
        },
        'every call to be complete in DATEV',
        120000,
        500,
      );
    } catch (err) {
      const open = expected.filter((e) => !complete(e)).slice(0, 10);
      const seq = (e: Expected) => [...ownOf(e), ...journalOf(e)].map((n) => `${n.method}:${n.data.CallState}`);
      throw new Error(`${(err as Error).message}; incomplete: ${JSON.stringify(open.map((e) => ({ i: e.i, kind: e.kind, seq: seq(e) })))}; log tail:\n${app.logText().slice(-4000)}`);
    }

    // ---- every call: one CallID, an allowed sequence, the right SyncID
    const problems: string[] = [];
    const journalled: string[] = [];
    let restartedLive = false;
    for (const e of expected) {
      const own = ownOf(e);
      const journal = journalOf(e);
      if (!e.acrossRestart && !e.nearRestart && journal.length > 0) problems.push(`call ${e.i} (${e.kind}): a journal entry for a call DATEV had live`);
      const ids = new Set(own.map((n) => n.data.CallID));
      if (ids.size !== 1) {
        problems.push(`call ${e.i} (${e.kind}): ${ids.size} CallIDs`);
        continue;
      }
      const callId = String([...ids][0]);
      if (!CALL_ID_PATTERN.test(callId)) problems.push(`call ${e.i}: CallID ${callId}`);
      if (e.syncId !== undefined && own.some((n) => n.data.SyncID !== e.syncId)) problems.push(`call ${e.i}: SyncID lost`);
      const steps = own.filter((n) => n.method !== 'CallAdressatChanged').map((n) => [n.method, n.data.CallState]);
      // nothing of a call reaches a run of DATEV before that run got the call's NewCall (a restarted
      // DATEV never hears of a call it does not have)
      const runs = new Map<number | undefined, string>();
      for (const n of own) if (!runs.has(n.instance)) runs.set(n.instance, n.method);
      if (own.some((n) => n.instance === undefined)) problems.push(`call ${e.i}: the fake DATEV did not say which run took a notification`);
      for (const [run, first] of runs) if (first !== 'NewCall') problems.push(`call ${e.i} (${e.kind}): DATEV run ${String(run)} got ${first} before any NewCall`);
      if (e.acrossRestart || e.nearRestart) {
        // A call live in DATEV when it restarted (the call across the restart; the calls just before it
        // whose notifications were still queued) has three right outcomes:
        // - its notifications all went out before the restart: the usual live sequence;
        // - the program did not see DATEV gone (the next notification met the new DATEV, which has no
        //   NewCall of this call): the new DATEV gets nothing under the call's CallID; the call follows
        //   as one journal entry (a new CallID, no SyncID, its final state);
        // - it did (a notification found no DATEV and was held): the new DATEV gets the whole call live
        //   under the same CallID, from NewCall on, and no journal entry.
        const live = liveSequence(e.kind).map((x) => JSON.stringify(x));
        const got = steps.map((x) => JSON.stringify(x));
        const isPrefix = (n: number): boolean => n >= 1 && n <= live.length && live.slice(0, n).every((x, k) => got[k] === x);
        const j = journal.map((n) => [n.data.CallState, n.data.SyncID, n.data.CallID === callId]);
        const normal = got.join() === live.join() && j.length === 0;
        const asJournal = got.length < live.length && isPrefix(got.length) && JSON.stringify(j) === JSON.stringify([[finalState(e.kind), '', false]]);
        const before = got.length - live.length; // notifications the old DATEV got before the whole call again
        const liveAgain = before >= 1 && isPrefix(before) && got.slice(before).join() === live.join() && j.length === 0;
        if (e.acrossRestart && normal) problems.push(`call ${e.i} across the restart: DATEV had it live though it restarted while it rang`);
        if (!normal && !asJournal && !liveAgain) problems.push(`call ${e.i} (${e.kind}) around the restart: ${JSON.stringify(steps)}, journal: ${JSON.stringify(j)}`);
        if (asJournal) journalled.push(e.number);
        if (e.acrossRestart) restartedLive = liveAgain;
        continue;
      }
      const want = e.acrossReinit ? liveSequence('missed') : liveSequence(e.kind);
      if (JSON.stringify(steps) !== JSON.stringify(want)) problems.push(`call ${e.i} (${e.kind}): ${JSON.stringify(steps)}`);
    }
    expect(problems).toEqual([]);
    expect(app.logLines(/kept for later delivery/).length).toBeGreaterThanOrEqual(1);
    // the only journal entries: the calls DATEV's restart cut short (the one across it, unless it reached
    // the new DATEV live, and any just before it whose end was still queued), each once, in time order
    expect(received.all.filter((n) => n.method === 'NewJournal').map((n) => n.data.CalledNumber)).toEqual(journalled);
    expect(journalled.includes(expected.find((e) => e.acrossRestart)!.number)).toBe(!restartedLive);
    expect(app.logLines(/DATEV answers again/).length).toBeGreaterThanOrEqual(1);
    expect(hungAt).toBeDefined();

    // ---- Dial still works; the CTI object answers its self-check; resources about where they were
    const dialsAfter = [await timedDial('089 7000003', 'SOAK-D3'), await timedDial('089 7000004', 'SOAK-D4')];
    for (const d of [...dialsBefore, ...dialsAfter]) {
      expect(d.hresult).toBe(0);
      expect(d.callId).toMatch(CALL_ID_PATTERN);
    }
    await new Promise((r) => setTimeout(r, 6000)); // let the program settle before the last reading
    const after = await freshStatus(Date.now());
    const threads = await app.threadNames();
    const mb = (b: number): string => `${(b / 1048576).toFixed(1)} MB`;
    console.log(
      [
        `soak: ${expected.length} calls (${CALLS} measured) in ${(playedMs / 1000).toFixed(0)} s, ${received.all.length} notifications to DATEV`,
        `  RSS     ${mb(before.process.rssBytes)} → ${mb(after.process.rssBytes)}`,
        `  heap    ${mb(before.process.heapUsedBytes)} → ${mb(after.process.heapUsedBytes)}`,
        `  threads ${before.process.threads} → ${after.process.threads}`,
        `  handles ${before.process.handles} → ${after.process.handles}`,
        `  by name ${[...threads].map(([name, n]) => `${name} ×${n}`).join(', ')}`,
        `  Dial    ${dialsBefore.map((d) => d.ms).join('/')} ms → ${dialsAfter.map((d) => d.ms).join('/')} ms`,
        `  DATEV   ${JSON.stringify(after.datev)}`,
        `  during  ${readings.map((r, k) => `${(k + 1) * 100}: ${mb(r.process.rssBytes)}, ${r.process.threads} threads, ${r.process.handles} handles`).join('; ')}`,
      ].join('\n'),
    );
    expect(after.status.cti).not.toBe('broken');
    expect(after.status.datevHangs).toBe(false);
    expect(after.status.waitingForDatev).toBe(0);
    expect(after.callsSeen).toBeGreaterThanOrEqual(CALLS);
    expect(after.process.threads).toBeGreaterThan(0);
    expect(after.process.handles).toBeGreaterThan(0);
    // flat: a thread, a handle set or a few MB per call would break these by far. The one step is the
    // hang: the notification set starts its other apartments (bounded: 4 in all) and keeps them.
    expect(after.process.threads - before.process.threads).toBeLessThanOrEqual(8);
    expect(after.process.handles - before.process.handles).toBeLessThanOrEqual(100);
    expect(after.process.rssBytes - before.process.rssBytes).toBeLessThan(40 * 1048576);
    const last = readings.at(-1)!; // after the hang: from here on nothing may grow
    expect(after.process.handles - last.process.handles).toBeLessThanOrEqual(20);
    expect(after.process.threads - last.process.threads).toBeLessThanOrEqual(3);
    // every call had its pop-up: they ran on the long-lived dialog threads (one kept, more only while
    // several were open at once, ending a minute after), not on a thread per call that stays
    expect(threads.get('dialog thread') ?? 0).toBeGreaterThanOrEqual(1);
    expect(threads.get('dialog thread') ?? 0).toBeLessThanOrEqual(2);
    expect(threads.get('COM CTI') ?? 0).toBe(1);
  }, 600_000);
});
