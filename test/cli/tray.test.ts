/** The tray icon of the running CTI (src/cli/tray.ts) and its place in the run loop, with a fake icon. */
import { fakeJournalPorts } from '../../fakes/journalWindows/fakeJournalWindows';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { AppStatus } from '../../src/app/app';
import { run, type NativeWiring } from '../../src/cli/run';
import { startTray, STATUS_TITLE, SUPPORT_TITLE, type CreateTray, type TrayCommand } from '../../src/cli/tray';
import { MemoryLogger } from '../../src/logging/logger';
import { ManualClock } from '../../fakes/clock/manualClock';
import { FakeDatev } from '../../fakes/datev/fakeDatev';
import { FakeDialogs } from '../../fakes/dialogs/fakeDialogs';
import { FakeTapi } from '../../fakes/telephony/fakeTapi';
import { MemoryContacts } from '../../fakes/contacts/memoryContacts';

class FakeIcon {
  shownWith: { tooltip: string; problem: boolean }[] = [];
  onCommand: ((c: TrayCommand) => void) | undefined;
  closed = 0;
  /** Settles `shown` when the fake was made with 'later' (a shell slow to take the icon). */
  shellAnswers: (shown: boolean) => void = () => undefined;
  constructor(private readonly shown: boolean | 'later' = true, private readonly fail?: Error) {}
  readonly create: CreateTray = (tooltip, problem, onCommand) => {
    if (this.fail) throw this.fail;
    this.shownWith.push({ tooltip, problem });
    this.onCommand = onCommand;
    const shown = this.shown;
    return {
      shown: shown === 'later' ? new Promise<boolean>((resolve) => (this.shellAnswers = resolve)) : Promise.resolve(shown),
      icon: {
        setStatus: (t, p) => this.shownWith.push({ tooltip: t, problem: p }),
        close: () => (this.closed += 1),
      },
    };
  };
}

const ready: AppStatus = { line: 'open', lineName: '201', lineOutOfService: false, datevRegistered: true, datevPresent: true, activeCalls: 0, cti: 'ok', datevHangs: false, waitingForDatev: 0, journalWaiting: 0 };

function setup(icon = new FakeIcon(), showCalls?: () => Promise<void>, supportBundle?: () => Promise<string>) {
  let status: AppStatus = { ...ready, datevPresent: false };
  const clock = new ManualClock();
  const dialogs = new FakeDialogs(clock);
  const log = new MemoryLogger();
  const tray = startTray({ create: icon.create, status: () => status, dialogs: dialogs.port, clock, log, ...(showCalls ? { showCalls } : {}), ...(supportBundle ? { supportBundle } : {}) });
  return { tray, icon, clock, dialogs, log, set: (s: AppStatus) => (status = s) };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('tray icon', () => {
  it('starts with the current status, refreshes every 5 s only when it changed, and on demand', async () => {
    const t = setup();
    expect(t.icon.shownWith).toEqual([{ tooltip: 'Wildix CTI – DATEV nicht gestartet', problem: true }]);
    await tick();
    expect(t.log.has('info', 'tray icon shown: Wildix CTI – DATEV nicht gestartet')).toBe(true);
    t.clock.advance(5000);
    expect(t.icon.shownWith).toHaveLength(1); // unchanged: nothing sent
    t.set(ready);
    t.clock.advance(4999);
    expect(t.icon.shownWith).toHaveLength(1);
    t.clock.advance(1);
    expect(t.icon.shownWith[1]).toEqual({ tooltip: 'Wildix CTI – bereit (Leitung 201, DATEV verbunden)', problem: false });
    t.set({ ...ready, activeCalls: 1 });
    t.tray!.refresh();
    expect(t.icon.shownWith[2]).toEqual({ tooltip: 'Wildix CTI – bereit (Leitung 201, DATEV verbunden, 1 Gespräch)', problem: false });
    t.tray!.close();
    t.tray!.close();
    expect(t.icon.closed).toBe(1);
    t.set(ready);
    t.clock.advance(60000);
    t.tray!.refresh();
    expect(t.icon.shownWith).toHaveLength(3); // nothing after close
  });

  it('"Status anzeigen" opens one message box with the full status; "Beenden" resolves quit with "tray"', async () => {
    const t = setup();
    t.icon.onCommand!('status');
    t.icon.onCommand!('status'); // a second while the first is open: still one box
    await tick();
    const open = await t.dialogs.user.visible();
    expect(open).toHaveLength(1);
    expect(open[0]!.title).toBe(STATUS_TITLE);
    expect(open[0]!.text).toContain('Zustand: DATEV nicht gestartet');
    expect(open[0]!.text).toContain('Leitung: geöffnet (201)');
    await t.dialogs.user.click(open[0]!.id, 'OK');
    await tick();
    await tick();
    expect(await t.dialogs.user.visible()).toHaveLength(0);
    t.icon.onCommand!('status'); // closed: a new one may open
    await tick();
    expect(await t.dialogs.user.visible()).toHaveLength(1);
    t.clock.advance(60000); // the box does not stay forever
    await tick();
    expect(await t.dialogs.user.visible()).toHaveLength(0);
    let reason: string | undefined;
    void t.tray!.quit.then((r) => (reason = r));
    t.icon.onCommand!('quit');
    await tick();
    expect(reason).toBe('tray');
    expect(t.log.has('info', 'tray: "Beenden" chosen')).toBe(true);
  });

  it('„Anrufliste“ shows the call list; a failure to show it is logged', async () => {
    let shown = 0;
    const t = setup(new FakeIcon(), async () => {
      shown++;
      if (shown === 2) throw new Error('no desktop');
    });
    t.icon.onCommand!('calls');
    t.icon.onCommand!('calls');
    await vi.waitFor(() => expect(t.log.has('warn', 'the call list cannot be shown: no desktop')).toBe(true));
    expect(shown).toBe(2);
    expect(t.log.has('info', 'tray: "Anrufliste" chosen')).toBe(true);
    expect(t.dialogs.visible()).toEqual([]);
  });

  it('„Support-Paket erstellen“ writes the bundle (one at a time) and says where it is; a failure says why', async () => {
    let made = 0;
    let release: (() => void) | undefined;
    const t = setup(new FakeIcon(), undefined, async () => {
      made++;
      if (made === 2) throw new Error('EACCES: permission denied, open \'C:\\Users\\anna\\Desktop\\x.zip\'');
      await new Promise<void>((r) => (release = r));
      return 'C:\\Users\\anna\\Desktop\\Wildix-CTI-Support-20261204-180000.zip';
    });
    t.icon.onCommand!('support');
    t.icon.onCommand!('support'); // while the first is being written: nothing more
    await tick();
    expect(made).toBe(1);
    release!();
    await vi.waitFor(async () => expect(await t.dialogs.user.visible()).toHaveLength(1));
    const [box] = await t.dialogs.user.visible();
    expect(box!.title).toBe(SUPPORT_TITLE);
    expect(box!.text).toContain('C:\\Users\\anna\\Desktop\\Wildix-CTI-Support-20261204-180000.zip');
    expect(box!.text).toContain('an Ihren Support');
    await t.dialogs.user.click(box!.id, 'OK');
    await tick();
    t.icon.onCommand!('support');
    await vi.waitFor(async () => expect((await t.dialogs.user.visible())[0]?.text ?? '').toContain('konnte nicht gespeichert werden: EACCES'));
    expect(t.log.has('info', 'tray: "Support-Paket erstellen" chosen')).toBe(true);
    expect(t.log.has('warn', 'support bundle not written: EACCES')).toBe(true);
  });

  it('commands after close are ignored; a failing status box or icon update is logged, not thrown', async () => {
    const t = setup();
    const failing = { ...t.dialogs.port, message: () => Promise.reject(new Error('kein Desktop')) };
    const log = new MemoryLogger();
    const icon = new FakeIcon();
    const tray = startTray({ create: icon.create, status: () => ready, dialogs: failing, clock: new ManualClock(), log })!;
    icon.onCommand!('status');
    await tick();
    expect(log.has('warn', 'tray: status message cannot be shown: kein Desktop')).toBe(true);
    tray.close();
    icon.onCommand!('status');
    icon.onCommand!('quit');
    await tick();
    expect(log.entries.filter((e) => e.message.includes('chosen'))).toHaveLength(1);

    const broken = new FakeIcon();
    let status: AppStatus = ready;
    const log2 = new MemoryLogger();
    const created = startTray({
      create: (tt, p, c) => {
        const r = broken.create(tt, p, c);
        return { shown: r.shown, icon: { setStatus: () => { throw new Error('gone'); }, close: () => { throw new Error('gone too'); } } };
      },
      status: () => status,
      dialogs: t.dialogs.port,
      clock: new ManualClock(),
      log: log2,
    })!;
    status = { ...ready, line: 'missing' };
    created.refresh();
    created.close();
    expect(log2.has('warn', 'tray: status cannot be shown: gone')).toBe(true);
    expect(log2.has('warn', 'tray icon cannot be removed: gone too')).toBe(true);
  });

  it('does not wait for the shell: the icon works at once, the log says when the shell took it', async () => {
    const t = setup(new FakeIcon('later'));
    expect(t.tray).toBeDefined();
    t.set(ready);
    t.tray!.refresh(); // before the shell answered: the status goes to the icon all the same
    expect(t.icon.shownWith[1]).toEqual({ tooltip: 'Wildix CTI – bereit (Leitung 201, DATEV verbunden)', problem: false });
    await tick();
    expect(t.log.entries.some((e) => e.message.startsWith('tray icon'))).toBe(false);
    t.icon.shellAnswers(true);
    await tick();
    expect(t.log.has('info', 'tray icon shown: Wildix CTI – DATEV nicht gestartet')).toBe(true);
  });

  it('no taskbar yet: logged, the icon object still works; cannot be created at all: logged, undefined', async () => {
    const t = setup(new FakeIcon(false));
    expect(t.tray).toBeDefined();
    await tick();
    expect(t.log.has('warn', 'tray icon not shown: no taskbar')).toBe(true);
    const u = setup(new FakeIcon(true, new Error('creating the tray window failed: Win32 error 5')));
    expect(u.tray).toBeUndefined();
    expect(u.log.has('warn', 'tray icon cannot be created, running without it: creating the tray window failed: Win32 error 5')).toBe(true);
  });
});

describe('run loop with the tray icon', () => {
  function native(icon: FakeIcon, stopSignal: Promise<string> = new Promise(() => undefined)) {
    const tapi = new FakeTapi();
    tapi.addLine('Wildix 201', '201');
    const datev = new FakeDatev();
    const wiring = async (): Promise<NativeWiring> => ({
      ports: { telephony: tapi.port, datev: datev.port, dialogs: new FakeDialogs().port, contacts: new MemoryContacts(), journal: fakeJournalPorts() },
      stopSignal,
      tray: icon.create,
    });
    const logger = Object.assign(new MemoryLogger(), { close: async () => undefined });
    const d = {
      version: '9.8.7',
      env: { platform: 'win32' as const, env: {}, home: mkdtempSync(join(tmpdir(), 'wcti-')) },
      nodeVersion: 'v22.23.3',
      out: () => undefined,
      err: () => undefined,
      makeLogger: () => logger,
      native: wiring,
    };
    return { d, datev, logger };
  }

  it('"Beenden" stops the program cleanly with reason "tray" and removes the icon', async () => {
    const icon = new FakeIcon();
    const n = native(icon);
    const done = run([], n.d);
    // wait for the state (registered in the ROT, icon shown), not for a fixed time
    await vi.waitFor(async () => {
      expect(await n.datev.driver.isCtiRegistered()).toBe(true);
      expect(icon.onCommand).toBeTypeOf('function');
    }, { timeout: 10_000, interval: 5 });
    expect(icon.shownWith[0]!.tooltip).toBe('Wildix CTI – bereit (Leitung Wildix 201, DATEV verbunden)');
    icon.onCommand!('quit');
    expect(await done).toBe(0);
    expect(icon.closed).toBe(1);
    expect(await n.datev.driver.isCtiRegistered()).toBe(false);
    expect(n.logger.has('info', 'stopping (tray)')).toBe(true);
  });

  it('without an icon (no shell) the program runs on and stops with its other signals', async () => {
    let stop!: (r: string) => void;
    const n = native(new FakeIcon(true, new Error('no shell')), new Promise((r) => (stop = r)));
    const done = run([], n.d);
    await vi.waitFor(() => expect(n.logger.has('warn', 'tray icon cannot be created, running without it: no shell')).toBe(true), { timeout: 10_000, interval: 5 });
    expect(await n.datev.driver.isCtiRegistered()).toBe(true);
    stop('SIGINT');
    expect(await done).toBe(0);
    expect(n.logger.has('info', 'stopping (SIGINT)')).toBe(true);
  });
});
