/** Single instance and autostart: the CLI logic against a fake Windows session. */
import { fakeJournalPorts } from '../../fakes/journalWindows/fakeJournalWindows';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parseArgs, helpText } from '../../src/cli/args';
import { run, type NativeWiring, type RunDeps } from '../../src/cli/run';
import {
  ALREADY_RUNNING_TIMEOUT_MS,
  askToStop,
  AUTOSTART_VALUE,
  autostartCommand,
  claimSingleInstance,
  EXIT_ALREADY_RUNNING,
  INSTANCE_MUTEX,
  installAutostart,
  removeAutostart,
  STOP_RETRY_MS,
  STOP_RETRY_STEP_MS,
  type Workstation,
} from '../../src/cli/workstation';
import { quoteWindowsArg } from '../../src/util/windowsCommandLine';
import { MemoryLogger } from '../../src/logging/logger';
import { FakeDatev } from '../../fakes/datev/fakeDatev';
import { FakeTapi } from '../../fakes/telephony/fakeTapi';
import { FakeDialogs } from '../../fakes/dialogs/fakeDialogs';
import { MemoryContacts } from '../../fakes/contacts/memoryContacts';

const EXE = 'C:\\Program Files\\Wildix\\wildix-datev-cti.exe';

/** One Windows session: a mutex that one "process" can hold, and the Run key. */
class FakeSession {
  held = false;
  runKey = new Map<string, string>();
  /** HKLM's Run value of the all-users installation (read only for the program). */
  machineRunValue: string | null = null;
  messages: { title: string; text: string; kind: string; timeoutMs: number }[] = [];
  /** Make the next registry write store something else (a policy rewriting the value). */
  corruptWrites = false;
  /** Make deletes leave the value (a policy restoring it). */
  stickyValue = false;
  failWith: Partial<Record<keyof Workstation, Error>> = {};
  hidden = 0;
  stopRequests = 0;

  process(launcher: string[] = [EXE]): Workstation {
    let mine = false;
    const fail = (k: keyof Workstation): void => {
      const e = this.failWith[k];
      if (e) throw e;
    };
    return {
      claimInstance: () => {
        fail('claimInstance');
        if (mine) return 'acquired';
        if (this.held) return 'running';
        this.held = mine = true;
        return 'acquired';
      },
      launcher: () => launcher,
      readAutostart: () => {
        fail('readAutostart');
        return this.runKey.get(AUTOSTART_VALUE) ?? null;
      },
      readMachineAutostart: () => this.machineRunValue,
      writeAutostart: (command) => {
        fail('writeAutostart');
        this.runKey.set(AUTOSTART_VALUE, this.corruptWrites ? 'something else' : command);
      },
      deleteAutostart: () => {
        fail('deleteAutostart');
        const had = this.runKey.has(AUTOSTART_VALUE);
        if (!this.stickyValue) this.runKey.delete(AUTOSTART_VALUE);
        return had;
      },
      hideConsole: () => {
        fail('hideConsole');
        this.hidden++;
        return true;
      },
      requestStop: () => {
        fail('requestStop');
        if (!this.held || mine) return false;
        this.stopRequests++;
        return true;
      },
      message: async (title, text, kind, timeoutMs) => {
        fail('message');
        this.messages.push({ title, text, kind, timeoutMs });
      },
    };
  }
}

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const log = new MemoryLogger();
  return { out, err, log, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), log } };
}

describe('Windows command lines', () => {
  it('leaves plain arguments alone and quotes blanks, quotes and trailing backslashes', () => {
    expect(quoteWindowsArg('201')).toBe('201');
    expect(quoteWindowsArg('C:\\a\\b.json')).toBe('C:\\a\\b.json');
    expect(quoteWindowsArg('')).toBe('""');
    expect(quoteWindowsArg('Wildix 201')).toBe('"Wildix 201"');
    expect(quoteWindowsArg('C:\\My Logs\\')).toBe('"C:\\My Logs\\\\"');
    expect(quoteWindowsArg('a "b" c')).toBe('"a \\"b\\" c"');
    expect(quoteWindowsArg('x\\"y')).toBe('"x\\\\\\"y"');
  });

  it('always quotes the program path, then the kept options', () => {
    expect(autostartCommand([EXE], [])).toBe(`"${EXE}"`);
    expect(autostartCommand(['C:\\node\\node.exe', 'C:\\app\\main.js'], ['--line', 'Wildix 201', '--verbose'])).toBe(
      '"C:\\node\\node.exe" "C:\\app\\main.js" --line "Wildix 201" --verbose',
    );
  });
});

describe('--install-autostart / --remove-autostart', () => {
  it('writes the Run value, reads it back and says what it did', () => {
    const s = new FakeSession();
    const a = io();
    expect(installAutostart(() => s.process(), [], a.io)).toBe(0);
    expect(s.runKey.get('WildixDatevCti')).toBe(`"${EXE}"`);
    expect(a.out[0]).toContain('HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\WildixDatevCti');
    expect(a.out[0]).toContain(`"${EXE}"`);
    expect(a.log.has('info', 'autostart installed')).toBe(true);
  });

  it('replaces an older value (another install folder) and logs the old one', () => {
    const s = new FakeSession();
    s.runKey.set(AUTOSTART_VALUE, '"D:\\old\\wildix-datev-cti.exe"');
    const a = io();
    expect(installAutostart(() => s.process(), ['--config', 'C:\\c.json'], a.io)).toBe(0);
    expect(s.runKey.get(AUTOSTART_VALUE)).toBe(`"${EXE}" --config C:\\c.json`);
    expect(a.log.has('info', 'was "D:\\old\\wildix-datev-cti.exe"')).toBe(true);
  });

  it('fails (exit 1) when the value read back differs, the registry refuses, or the path is unusable', () => {
    const s = new FakeSession();
    s.corruptWrites = true;
    const a = io();
    expect(installAutostart(() => s.process(), [], a.io)).toBe(1);
    expect(a.err[0]).toContain('Autostart einrichten / install fehlgeschlagen / failed: read back "something else"');
    expect(a.log.has('error', 'autostart install failed')).toBe(true);

    const t = new FakeSession();
    t.failWith.writeAutostart = new Error('Win32 error 5 (Zugriff verweigert)');
    const b = io();
    expect(installAutostart(() => t.process(), [], b.io)).toBe(1);
    expect(b.err[0]).toContain('Zugriff verweigert');

    for (const bad of [[], [''], ['C:\\a "b".exe']]) {
      const c = io();
      expect(installAutostart(() => new FakeSession().process(bad), [], c.io)).toBe(1);
      expect(c.err[0]).toContain('no usable program path');
    }
  });

  it('a missing addon is a clear error (exit 1), and away from Windows there is no autostart', () => {
    const a = io();
    expect(installAutostart(() => {
      throw new Error('wildix_cti.node not found');
    }, [], a.io)).toBe(1);
    expect(a.err[0]).toContain('wildix_cti.node not found');
    const b = io();
    expect(installAutostart(undefined, [], b.io)).toBe(1);
    expect(removeAutostart(undefined, b.io)).toBe(1);
    expect(b.err).toEqual(['Autostart gibt es nur unter Windows / autostart needs Windows', 'Autostart gibt es nur unter Windows / autostart needs Windows']);
  });

  it('removes the value; removing twice is fine', () => {
    const s = new FakeSession();
    s.runKey.set(AUTOSTART_VALUE, `"${EXE}"`);
    s.runKey.set('OtherProgram', 'other.exe');
    const a = io();
    expect(removeAutostart(() => s.process(), a.io)).toBe(0);
    expect(a.out[0]).toContain('Autostart entfernt / autostart removed');
    expect([...s.runKey.keys()]).toEqual(['OtherProgram']);
    expect(removeAutostart(() => s.process(), a.io)).toBe(0);
    expect(a.out[1]).toContain('Autostart war nicht eingerichtet');
  });

  it('with the all-users installation (HKLM logon start): no second autostart of the user; removing says the machine-wide one stays', () => {
    const s = new FakeSession();
    s.machineRunValue = `"C:\\Program Files\\Wildix\\DatevCti\\wildix-datev-cti.exe" --background`;
    const a = io();
    expect(installAutostart(() => s.process(), [], a.io)).toBe(0);
    expect(s.runKey.has(AUTOSTART_VALUE)).toBe(false); // a second start at logon would only say "läuft bereits"
    expect(a.out[0]).toContain('Autostart für alle Benutzer ist schon eingerichtet');
    expect(removeAutostart(() => s.process(), a.io)).toBe(0);
    expect(a.out[1]).toContain('nur ein Administrator');
    expect(a.out.join('\n')).not.toContain('war nicht eingerichtet');
  });

  it('fails (exit 1) when the value stays or cannot be deleted', () => {
    const s = new FakeSession();
    s.runKey.set(AUTOSTART_VALUE, `"${EXE}"`);
    s.stickyValue = true;
    const a = io();
    expect(removeAutostart(() => s.process(), a.io)).toBe(1);
    expect(a.err[0]).toContain('still there');
    s.failWith.deleteAutostart = new Error('Win32 error 5');
    expect(removeAutostart(() => s.process(), a.io)).toBe(1);
    expect(a.err[1]).toContain('Autostart entfernen / remove fehlgeschlagen / failed: Win32 error 5');
    expect(a.log.has('error', 'autostart remove failed')).toBe(true);
  });
});

describe('asking the instance to stop (--stop, and --stop --wait before it waits)', () => {
  /** Answers after `refusals` requests (an instance still starting has no stop window yet). */
  function starting(refusals: number) {
    let requests = 0;
    const pauses: number[] = [];
    const ws = { requestStop: () => ++requests > refusals } as unknown as Workstation;
    return { ws, pause: (ms: number) => void pauses.push(ms), requests: () => requests, pauses };
  }

  it('asks again every STOP_RETRY_STEP_MS while none answers', () => {
    const s = starting(2);
    expect(askToStop(s.ws, s.pause)).toBe(true);
    expect(s.requests()).toBe(3);
    expect(s.pauses).toEqual([STOP_RETRY_STEP_MS, STOP_RETRY_STEP_MS]);
  });

  it('says none runs after STOP_RETRY_MS (or the time given) without an answer', () => {
    const s = starting(Infinity);
    expect(askToStop(s.ws, s.pause)).toBe(false);
    expect(s.pauses.reduce((a, b) => a + b, 0)).toBe(STOP_RETRY_MS);
    expect(s.requests()).toBe(STOP_RETRY_MS / STOP_RETRY_STEP_MS + 1);
    const once = starting(Infinity);
    expect(askToStop(once.ws, once.pause, 0)).toBe(false);
    expect(once.requests()).toBe(1);
  });
});

describe('one instance per Windows session', () => {
  it('the first process goes on, the second is told (console + message box) and stops', async () => {
    const s = new FakeSession();
    const first = io();
    expect(await claimSingleInstance(() => s.process(), first.io)).toBe(true);
    expect(first.log.has('info', `${INSTANCE_MUTEX} acquired`)).toBe(true);
    const second = io();
    expect(await claimSingleInstance(() => s.process(), second.io)).toBe(false);
    expect(second.err[0]).toContain('läuft bereits');
    expect(s.messages).toEqual([
      { title: 'Wildix CTI für DATEV', text: expect.stringContaining('Wildix CTI für DATEV läuft bereits.'), kind: 'info', timeoutMs: ALREADY_RUNNING_TIMEOUT_MS },
    ]);
    expect(second.log.has('warn', 'another instance is running')).toBe(true);
  });

  it('a message box that cannot be shown is logged; the second process still stops', async () => {
    const s = new FakeSession();
    s.held = true;
    s.failWith.message = new Error('no desktop');
    const a = io();
    expect(await claimSingleInstance(() => s.process(), a.io)).toBe(false);
    expect(a.log.has('error', 'cannot show the "already running" message: no desktop')).toBe(true);
  });

  it('a failing check (mutex or addon) is logged and the program starts anyway; no check away from Windows', async () => {
    const s = new FakeSession();
    s.failWith.claimInstance = new Error('Win32 error 1450');
    const a = io();
    expect(await claimSingleInstance(() => s.process(), a.io)).toBe(true);
    expect(a.log.has('error', 'single-instance check failed, starting anyway: Win32 error 1450')).toBe(true);
    const b = io();
    expect(await claimSingleInstance(() => {
      throw new Error('addon missing');
    }, b.io)).toBe(true);
    expect(await claimSingleInstance(undefined, b.io)).toBe(true);
  });
});

describe('the command line with a Windows session', () => {
  function deps(extra: Partial<RunDeps> = {}) {
    const out: string[] = [];
    const err: string[] = [];
    const logger = Object.assign(new MemoryLogger(), { close: async () => undefined });
    const d: RunDeps = {
      version: '9.8.7',
      env: { platform: 'win32', env: {}, home: mkdtempSync(join(tmpdir(), 'wcti-ws-')) },
      nodeVersion: 'v22.23.3',
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      makeLogger: () => logger,
      ...extra,
    };
    return { d, out, err, logger };
  }

  it('parses the new flags, rejects both at once, and documents them', () => {
    const p = parseArgs(['--install-autostart']);
    expect(p.ok && p.options.installAutostart && !p.options.removeAutostart).toBe(true);
    const q = parseArgs(['--remove-autostart']);
    expect(q.ok && q.options.removeAutostart).toBe(true);
    const both = parseArgs(['--install-autostart', '--remove-autostart']);
    expect(both).toEqual({ ok: false, error: expect.stringContaining('mutually exclusive') });
    expect(helpText('1.0.0')).toContain('--install-autostart');
    expect(helpText('1.0.0')).toContain('--remove-autostart');
    expect(helpText('1.0.0')).toContain('läuft bereits');
  });

  it('--install-autostart keeps --config/--log-dir (absolute), --line and --verbose for the logon start', async () => {
    const s = new FakeSession();
    const a = deps({ workstation: () => s.process() });
    expect(await run(['--install-autostart', '--config', 'cfg.json', '--line', 'Wildix 201', '--log-dir', 'logs', '--verbose'], a.d)).toBe(0);
    expect(s.runKey.get(AUTOSTART_VALUE)).toBe(
      `"${EXE}" --config ${quoteWindowsArg(resolve('cfg.json'))} --line "Wildix 201" --log-dir ${quoteWindowsArg(resolve('logs'))} --verbose --background`,
    );
    const b = deps({ workstation: () => s.process() });
    expect(await run(['--remove-autostart'], b.d)).toBe(0);
    expect(s.runKey.size).toBe(0);
    const c = deps({ workstation: () => s.process() });
    expect(await run(['--remove-autostart', '--install-autostart'], c.d)).toBe(2);
  });

  it('a second start exits 3 before the native adapters are created; the first runs', async () => {
    const s = new FakeSession();
    s.held = true;
    let created = 0;
    const native = async (): Promise<NativeWiring> => {
      created++;
      throw new Error('not expected');
    };
    const a = deps({ native, workstation: () => s.process() });
    expect(await run([], a.d)).toBe(EXIT_ALREADY_RUNNING);
    expect(created).toBe(0);
    expect(a.err[0]).toContain('läuft bereits');
    expect(s.messages).toHaveLength(1);
  });

  it('--diagnose closes the native adapters afterwards (their threads and timers must not keep the process alive)', async () => {
    const tapi = new FakeTapi();
    tapi.addLine('Wildix 201', '201');
    let closed = 0;
    const native = async (): Promise<NativeWiring> => ({
      ports: { telephony: tapi.port, datev: new FakeDatev().port, dialogs: new FakeDialogs().port, contacts: new MemoryContacts(), journal: fakeJournalPorts() },
      stopSignal: new Promise(() => undefined),
      close: async () => {
        closed++;
      },
    });
    const a = deps({ native });
    expect(await run(['--diagnose'], a.d)).toBe(0);
    expect(closed).toBe(1);
  });

  it('the first start runs until the stop signal; --diagnose and the simulation take no lock', async () => {
    const s = new FakeSession();
    const tapi = new FakeTapi();
    tapi.addLine('Wildix 201', '201');
    let stop!: (r: string) => void;
    const native = async (): Promise<NativeWiring> => ({
      ports: { telephony: tapi.port, datev: new FakeDatev().port, dialogs: new FakeDialogs().port, contacts: new MemoryContacts(), journal: fakeJournalPorts() },
      stopSignal: new Promise((r) => (stop = r)),
    });
    const diag = deps({ native, workstation: () => s.process() });
    await run(['--diagnose'], diag.d);
    const sim = deps({ native, workstation: () => s.process() });
    expect(await run(['--simulate'], sim.d)).toBe(0);
    expect(s.held).toBe(false);
    const a = deps({ native, workstation: () => s.process() });
    const done = run([], a.d);
    await vi.waitFor(() => expect(s.held).toBe(true), { timeout: 10_000, interval: 5 });
    stop('SIGHUP');
    expect(await done).toBe(0);
  });

  it('--stop asks the running instance of the session to stop (exit 0), or says none runs (exit 1)', async () => {
    const s = new FakeSession();
    const none = deps({ workstation: () => s.process() });
    expect(await run(['--stop'], none.d)).toBe(1);
    expect(none.err[0]).toContain('läuft nicht');
    s.held = true;
    const a = deps({ workstation: () => s.process() });
    expect(await run(['--stop'], a.d)).toBe(0);
    expect(s.stopRequests).toBe(1);
    expect(a.out[0]).toContain('wird beendet');
    s.failWith.requestStop = new Error('Win32 error 5');
    const f = deps({ workstation: () => s.process() });
    expect(await run(['--stop'], f.d)).toBe(1);
    expect(f.err[0]).toContain('Win32 error 5');
    const linux = deps({ env: { platform: 'linux', env: {}, home: '/tmp' } });
    expect(await run(['--stop'], linux.d)).toBe(1);
    expect(linux.err[0]).toContain('needs Windows');
  });

  it('--background hides the console window once the instance is claimed; a failure is only logged', async () => {
    const s = new FakeSession();
    const tapi = new FakeTapi();
    tapi.addLine('Wildix 201', '201');
    let stop!: (r: string) => void;
    const native = async (): Promise<NativeWiring> => ({
      ports: { telephony: tapi.port, datev: new FakeDatev().port, dialogs: new FakeDialogs().port, contacts: new MemoryContacts(), journal: fakeJournalPorts() },
      stopSignal: new Promise((r) => (stop = r)),
    });
    const a = deps({ native, workstation: () => s.process() });
    const done = run(['--background'], a.d);
    await vi.waitFor(() => expect(a.logger.has('info', 'console window hidden')).toBe(true), { timeout: 10_000, interval: 5 });
    expect(s.hidden).toBe(1);
    stop('close');
    expect(await done).toBe(0);
    s.failWith.hideConsole = new Error('no console');
    s.held = false;
    const b = deps({ native, workstation: () => s.process() });
    const done2 = run(['--background'], b.d);
    await vi.waitFor(() => expect(b.logger.has('warn', 'console window not hidden')).toBe(true), { timeout: 10_000, interval: 5 });
    stop('close');
    expect(await done2).toBe(0);
  });
});
