#!/usr/bin/env node
/**
 * Entry point of wildix-datev-cti(.exe). On Windows the CTI object goes into the ROT first
 * (src/native/earlyStart.ts); only then is the rest of the program loaded.
 */
import './heapSettings'; // first: V8 flags before anything allocates
import { startEarly } from './native/earlyStart';
import { installCrashHandlers, type CrashLog } from './crashHandlers';
import { CRASH_RESTARTS_ENV, MAX_RESTARTS, NATIVE_CRASH_ENV, nativeRestartPlan, RESTART_WINDOW_MS, restartDecision, tooManyRestarts, type RestartCommand } from './crashRestart';
import type { NativeWiring } from './cli/run';
import type { Logger } from './logging/logger';

/**
 * Fault injection for the Wine tests only: an exception nobody catches this many ms after the start
 * (the program's crash handling end to end). Not passed on to a program started again after it.
 */
const TEST_CRASH_ENV = 'WILDIX_CTI_TEST_CRASH_AFTER_MS';
/** The same with an access violation on a native thread (the addon's crash filter end to end). */
const TEST_NATIVE_CRASH_ENV = 'WILDIX_CTI_TEST_NATIVE_CRASH_AFTER_MS';

let crashLog: CrashLog | undefined;
/** A stop was requested (stop signal or the tray's "Beenden"): a crash from now on is not followed by a new start. */
let stopping = false;
installCrashHandlers({
  process,
  log: () => crashLog,
  stderr: (t) => process.stderr.write(t),
  exit: (code) => process.exit(code),
  restart: () => restartAfterCrash(),
});

const early = startEarly(process.argv.slice(2));

const testCrashMs = Number(process.env[TEST_CRASH_ENV] ?? '');
if (testCrashMs > 0) {
  setTimeout(() => {
    throw new Error(`crash on purpose (${TEST_CRASH_ENV})`);
  }, testCrashMs);
}
const testNativeCrashMs = Number(process.env[TEST_NATIVE_CRASH_ENV] ?? '');
if (testNativeCrashMs > 0 && early) setTimeout(() => early.addon.win.crashForTest(), testNativeCrashMs);

/** Whether this is the packaged exe (a Node single executable application), not node.exe with a script. */
function isPackaged(): boolean {
  if ('pkg' in process) return true; // pkg's bootstrap marks its executables
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('node:sea') as { isSea(): boolean }).isSea();
  } catch {
    return false;
  }
}

/**
 * The same program again, in the background, after a crash (src/crashRestart.ts): only the Windows CTI
 * itself (this session's instance), at most MAX_RESTARTS times in RESTART_WINDOW_MS. The new process
 * waits for this one to be gone (src/native/earlyStart.ts).
 */
function restartAfterCrash(): string {
  if (early?.instance !== 'acquired') return 'not started again (not the CTI of this session)';
  if (stopping) return 'not started again (the program was asked to stop: logoff, --stop, „Beenden“)';
  disarmNativeRestart(); // one new start: a native crash while this process ends must not make a second
  const decision = restartDecision(process.env[CRASH_RESTARTS_ENV], Date.now());
  if (!decision.restart) {
    return `not started again: ${tooManyRestarts(decision.recent)}; please send the log to support`;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  const cmd = restartCommand();
  const child = spawn(cmd.file, cmd.args, { detached: true, stdio: 'ignore', windowsHide: true, env: { ...cmd.env, [CRASH_RESTARTS_ENV]: decision.env } });
  child.unref();
  return `the program starts again after the crash (pid ${child.pid ?? '?'}; restart ${decision.recent + 1} of at most ${MAX_RESTARTS} in ${RESTART_WINDOW_MS / 60_000} minutes)`;
}

/** How the program starts itself again after a crash: in the background, without the test hooks. */
function restartCommand(): RestartCommand {
  // the packaged exe is the program; node.exe needs the script (and its options) again
  const args = [...(isPackaged() ? [] : [...process.execArgv, process.argv[1]!]), ...process.argv.slice(2).filter((a) => a !== '--background'), '--background'];
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [TEST_CRASH_ENV, TEST_NATIVE_CRASH_ENV, NATIVE_CRASH_ENV]) delete env[name];
  return { file: process.execPath, args, env };
}

/**
 * Prepares the start after a native crash (src/crashRestart.ts) for the CTI of this session; says so
 * in the log. After too many recent restarts it tries again once the oldest has left the window.
 */
function armNativeRestart(): void {
  if (early?.instance !== 'acquired' || stopping) return;
  // (to the log once there is one — a retry comes later —, else with the start's first lines)
  const notArmed = (why: string): void => {
    const text = `a native crash would not start the program again: ${why}`;
    if (crashLog) crashLog.writeSync('warn', text);
    else early.lines.push(['warn', text]);
  };
  const r = nativeRestartPlan(restartCommand(), Date.now());
  if ('reason' in r) {
    notArmed(r.reason);
    setTimeout(armNativeRestart, r.retryInMs).unref();
    return;
  }
  try {
    early.addon.win.armCrashRestart(r.plan);
  } catch (e) {
    notArmed((e as Error).message);
  }
}

function disarmNativeRestart(): void {
  try {
    early?.addon.win.disarmCrashRestart();
  } catch {
    // an older addon without it: a native crash from now on would start the program again
  }
}

/** A stop was requested: no new start after a crash from now on, in JavaScript or native. */
function stopRequested(): void {
  stopping = true;
  disarmNativeRestart();
}

/**
 * The rest of the program is loaded once the early registration is done (or after this long): loading
 * it takes about 300 ms of CPU under Wine, which the COM thread putting the CTI object into the ROT
 * would otherwise have to share with it (2 cores, one wineserver).
 */
const EARLY_REGISTRATION_WAIT_MS = 1000;

async function earlyRegistrationDone(): Promise<void> {
  if (!early?.registered) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    early.registered.catch(() => undefined), // its failure is reported by the usual path
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, EARLY_REGISTRATION_WAIT_MS);
    }),
  ]);
  clearTimeout(timer);
}

/** The rest of the program (src/program.ts), loaded after the early registration, on purpose. */
function loadProgram(): typeof import('./program') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./program') as typeof import('./program');
}

type Program = typeof import('./program');

let closeLog: (() => Promise<void>) | undefined;
let stopFinished: (() => void) | undefined;

/**
 * The last resort of a stop (src/stopDeadline.ts): from the stop request (stop signal or the tray's
 * "Beenden") the process ends within 10 s, whatever still hangs. Self-contained: it only watches
 * what the native wiring hands to run().
 */
function withStopDeadline(stopDeadline: Program['stopDeadline'], w: NativeWiring, log: Logger): NativeWiring {
  const deadline = stopDeadline({
    log: (m) => {
      log.error(m);
      process.stderr.write(`Wildix CTI: ${m}\n`);
    },
    flush: () => closeLog?.() ?? Promise.resolve(),
    exit: (code) => process.exit(code),
    setTimer: (fn, ms) => setTimeout(fn, ms),
  });
  stopFinished = () => deadline.done();
  const tray = w.tray;
  return {
    ...w,
    stopSignal: w.stopSignal.then((reason) => {
      stopRequested();
      deadline.request(reason);
      return reason;
    }),
    ...(tray
      ? {
          tray: (tooltip, problem, onCommand) =>
            tray(tooltip, problem, (command) => {
              if (command === 'quit') {
                stopRequested();
                deadline.request('tray');
              }
              onCommand(command);
            }),
        }
      : {}),
  };
}

async function main(): Promise<void> {
  await earlyRegistrationDone();
  armNativeRestart(); // (after the CTI object is in the ROT: nothing before it that can wait)
  // with --background the program leaves its console: a write to it then fails, and so does one to a
  // closed pipe — neither may end the program (an 'error' event nobody hears would)
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  const { createFileLogger, nativeWiring, processEnv, run, stopDeadline, version } = loadProgram();
  const env = processEnv();
  const code = await run(process.argv.slice(2), {
    version,
    env,
    // with the Node options it runs with (the exe's are baked in: scripts/package.sh)
    nodeVersion: process.execArgv.length > 0 ? `${process.version} (${process.execArgv.join(' ')})` : process.version,
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
    makeLogger: (dir, l, toConsole) => {
      const logger = createFileLogger({ dir, level: l.level, maxSizeMB: l.maxSizeMB, maxDays: l.maxDays, console: toConsole });
      closeLog = () => logger.close();
      crashLog = logger;
      return logger;
    },
    ...(env.platform === 'win32'
      ? {
          native: async (config, log, purpose) => {
            const w = await nativeWiring().createNativeWiring(config, log, early, purpose);
            return purpose === 'diagnose' ? w : withStopDeadline(stopDeadline, w, log);
          },
          workstation: () => nativeWiring().nativeWorkstation(),
          passwordStore: () => nativeWiring().datevConnectPasswordStore(),
          ...(early ? { earlyInstance: early.instance } : {}),
        }
      : {}),
  });
  stopFinished?.();
  process.exitCode = code;
  // Never hang after the work is done (logs are flushed by now): a native thread or timer that still
  // holds the event loop gets 3 s, then the process ends with the same code.
  setTimeout(() => process.exit(code), 3000).unref();
}

main().catch((e: unknown) => {
  // the program could not run at all (an error outside run()'s own handling): said, and exit code 1
  const text = `the program failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
  crashLog?.writeSync('error', text);
  process.stderr.write(`Wildix CTI: ${text}\n`);
  process.exit(1);
});
