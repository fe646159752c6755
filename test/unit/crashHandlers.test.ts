import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { installCrashHandlers, type CrashLog } from '../../src/crashHandlers';
import { CRASH_RESTARTS_ENV, isRestartAfterCrash, MAX_RESTARTS, NATIVE_CRASH_ENV, nativeRestartPlan, RESTART_WINDOW_MS, restartDecision } from '../../src/crashRestart';
import { windowsCommandLine } from '../../src/util/windowsCommandLine';
import { splitWindowsCommandLine } from '../config/windowsCommandLine';

function setUp(withLog = true, restart?: () => string) {
  const proc = new EventEmitter();
  const written: { how: string; level?: string; text: string }[] = [];
  const exits: number[] = [];
  const log: CrashLog = {
    writeSync: (level, text) => written.push({ how: 'sync', level, text }),
    error: (text) => written.push({ how: 'async', level: 'error', text }),
  };
  installCrashHandlers({
    process: proc,
    log: () => (withLog ? log : undefined),
    stderr: (text) => written.push({ how: 'stderr', text }),
    exit: (c) => exits.push(c),
    ...(restart ? { restart } : {}),
  });
  return { proc, written, exits };
}

describe('crash handlers', () => {
  it('an uncaught exception is written to the log at once with its stack, then the program ends with code 1', () => {
    const { proc, written, exits } = setUp();
    proc.emit('uncaughtException', new Error('boom'));
    expect(written[0]).toMatchObject({ how: 'sync', level: 'error' });
    expect(written[0]!.text).toMatch(/uncaught exception[\s\S]*Error: boom[\s\S]*crashHandlers\.test/);
    expect(written.some((w) => w.how === 'stderr' && w.text.includes('boom'))).toBe(true);
    expect(exits).toEqual([1]);
  });

  it('a stderr that throws (no console, a closed handle) keeps neither the restart nor the exit from happening', () => {
    const proc = new EventEmitter();
    const exits: number[] = [];
    let restarts = 0;
    installCrashHandlers({
      process: proc,
      log: () => undefined,
      stderr: () => {
        throw new Error('open EBADF');
      },
      exit: (c) => exits.push(c),
      restart: () => `started again (${++restarts})`,
    });
    proc.emit('unhandledRejection', new Error('lost'));
    proc.emit('uncaughtException', new Error('boom'));
    expect([restarts, exits]).toEqual([1, [1]]);
  });

  it('a rejected promise nobody handles is logged and the program goes on', () => {
    const { proc, written, exits } = setUp();
    proc.emit('unhandledRejection', new Error('lost'));
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ how: 'async', level: 'error' });
    expect(written[0]!.text).toContain('Error: lost');
    expect(exits).toEqual([]);
  });

  it('before the log file exists, both go to stderr', () => {
    const { proc, written, exits } = setUp(false);
    proc.emit('unhandledRejection', 'plain reason');
    proc.emit('uncaughtException', new Error('early'));
    expect(written.map((w) => w.how)).toEqual(['stderr', 'stderr']);
    expect(exits).toEqual([1]);
  });

  it('after an uncaught exception the program starts again (what restart says is logged), then this one ends; a failing restart is logged too', () => {
    const a = setUp(true, () => 'the program starts again after the crash (pid 42)');
    a.proc.emit('uncaughtException', new Error('boom'));
    const sync = a.written.filter((w) => w.how === 'sync');
    expect(sync.map((w) => w.level)).toEqual(['error', 'warn']);
    expect(sync[0]!.text).toContain('uncaught exception, the program ends');
    expect(sync[1]!.text).toBe('the program starts again after the crash (pid 42)');
    expect(a.exits).toEqual([1]);
    const b = setUp(true, () => {
      throw new Error('spawn EACCES');
    });
    b.proc.emit('uncaughtException', new Error('boom'));
    expect(b.written.some((w) => w.level === 'warn' && w.text.includes('could not be started again') && w.text.includes('spawn EACCES'))).toBe(true);
    expect(b.exits).toEqual([1]);
  });
});

describe('starting again after a crash (src/crashRestart.ts)', () => {
  const now = 1_800_000_000_000;
  it(`starts again up to ${MAX_RESTARTS} times in ${RESTART_WINDOW_MS / 60_000} minutes, counting only the restarts in that window`, () => {
    const first = restartDecision(undefined, now);
    expect(first).toEqual({ restart: true, env: String(now), recent: 0 });
    const second = restartDecision(first.env, now + 1000);
    const third = restartDecision(second.env, now + 2000);
    expect([second.restart, third.restart, third.recent]).toEqual([true, true, 2]);
    const fourth = restartDecision(third.env, now + 3000);
    expect([fourth.restart, fourth.recent]).toEqual([false, 3]);
    // the window moves on: the old ones no longer count
    const later = restartDecision(third.env, now + RESTART_WINDOW_MS + 1500);
    expect([later.restart, later.recent, later.env]).toEqual([true, 1, `${now + 2000},${now + RESTART_WINDOW_MS + 1500}`]);
  });

  it('reads what a previous process passed on, ignoring what is not a time', () => {
    expect(restartDecision('x,,-5,' + String(now + 60_000), now)).toEqual({ restart: true, env: String(now), recent: 0 });
    expect(isRestartAfterCrash({ [CRASH_RESTARTS_ENV]: String(now) })).toBe(true);
    expect(isRestartAfterCrash({})).toBe(false);
    expect(isRestartAfterCrash({ [CRASH_RESTARTS_ENV]: '' })).toBe(false);
  });
});

describe('the start after a native crash, prepared ahead (src/crashRestart.ts nativeRestartPlan)', () => {
  const now = 1_800_000_000_000;
  const exe = String.raw`C:\Program Files\Wildix\wildix-datev-cti.exe`;
  const cmd = (env: NodeJS.ProcessEnv) => ({ file: exe, args: ['--config', String.raw`C:\a b\x.json`, '--background'], env });

  it('hands the addon the exe, a command line Windows reads back as these arguments, the environment without the two variables it sets, and the recent restarts', () => {
    const r = nativeRestartPlan(cmd({ PATH: String.raw`C:\Windows`, [CRASH_RESTARTS_ENV]: `${now - RESTART_WINDOW_MS - 5},${now - 1000}`, [NATIVE_CRASH_ENV]: 'old', Empty: undefined }), now);
    expect(r).toEqual({
      plan: {
        application: exe,
        commandLine: String.raw`"C:\Program Files\Wildix\wildix-datev-cti.exe" --config "C:\a b\x.json" --background`,
        environment: [String.raw`PATH=C:\Windows`],
        restartsVariable: CRASH_RESTARTS_ENV,
        restartsBefore: String(now - 1000),
        crashVariable: NATIVE_CRASH_ENV,
      },
    });
  });

  it(`none while ${MAX_RESTARTS} restarts lie in the window; ready again when the oldest has left it`, () => {
    const env = { [CRASH_RESTARTS_ENV]: [now - 3000, now - 2000, now - 1000].join(',') };
    const r = nativeRestartPlan(cmd(env), now);
    expect(r).toEqual({ reason: `3 restarts after a crash in the last 10 minutes already (at most ${MAX_RESTARTS})`, retryInMs: RESTART_WINDOW_MS - 3000 + 1000 });
    const later = nativeRestartPlan(cmd(env), now + RESTART_WINDOW_MS - 3000 + 1); // the oldest has just left
    expect('plan' in later && later.plan.restartsBefore).toBe(`${now - 2000},${now - 1000}`);
  });

  it('one command line Windows splits back into the same arguments (the splitter of the installer tests)', () => {
    const args = [exe, '--config', 'C:\\x y\\', '', 'say "hi"', 'a\\"b'];
    expect(splitWindowsCommandLine(windowsCommandLine(args))).toEqual(args);
  });
});
