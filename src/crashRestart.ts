/**
 * After a crash (an exception nobody caught) the program starts again by itself: a CTI that is gone
 * leaves the user without DATEV's click-to-dial and call list for the rest of the day, and nobody
 * watches a tray icon. The new process ends in DATEV, live, the calls the crashed one had open, and
 * goes on with those still going on (src/journal: "calls going on when the program dies").
 *
 * Not in a loop: the restarts of the last RESTART_WINDOW_MS travel with the environment to the next
 * process (CRASH_RESTARTS_ENV, times in ms), and after MAX_RESTARTS of them in that window the program
 * stays down — a fault that comes back at every start is not made worse by starting again forever.
 * Pure: the caller spawns the process.
 *
 * A native crash (an access violation in the addon or a DLL, on any thread) gives JavaScript no chance
 * to do this: the program prepares the new start while it is healthy (`nativeRestartPlan`) and the
 * addon's unhandled-exception filter uses it (native/win/crash_restart.h), adding the crash's time to
 * CRASH_RESTARTS_ENV (the same limit applies) and what crashed as NATIVE_CRASH_ENV.
 */
import type { NativeCrashRestartPlan } from './native/addon';
import { windowsCommandLine } from './util/windowsCommandLine';

/** Environment variable with the times (epoch ms, comma-separated) of the recent restarts after a crash. */
export const CRASH_RESTARTS_ENV = 'WILDIX_CTI_CRASH_RESTARTS';
/** At most this many restarts after a crash … */
export const MAX_RESTARTS = 3;
/** … within this long. */
export const RESTART_WINDOW_MS = 10 * 60_000;

export interface RestartDecision {
  restart: boolean;
  /** The value of CRASH_RESTARTS_ENV for the new process (this restart added). */
  env: string;
  /** Restarts in the window before this one. */
  recent: number;
}

/** Set for a process started again after a native crash: what crashed (exception code, address, thread). */
export const NATIVE_CRASH_ENV = 'WILDIX_CTI_NATIVE_CRASH';

/** The restarts of CRASH_RESTARTS_ENV (as this process got it) within the window before `now`. */
export function recentRestarts(previous: string | undefined, now: number): number[] {
  return (previous ?? '')
    .split(',')
    .map((t) => Number(t))
    .filter((t) => Number.isFinite(t) && t > now - RESTART_WINDOW_MS && t <= now);
}

/** Why there is no new start: this many restarts lie in the window already. */
export function tooManyRestarts(recent: number): string {
  return `${recent} restarts after a crash in the last ${RESTART_WINDOW_MS / 60_000} minutes already (at most ${MAX_RESTARTS})`;
}

/** Whether to start again after a crash at `now`, given CRASH_RESTARTS_ENV as this process got it. */
export function restartDecision(previous: string | undefined, now: number): RestartDecision {
  const recent = recentRestarts(previous, now);
  const restart = recent.length < MAX_RESTARTS;
  return { restart, env: [...recent, now].join(','), recent: recent.length };
}

/** Whether this process was started again after a crash (it may have to wait for the crashed one to be gone). */
export function isRestartAfterCrash(env: NodeJS.ProcessEnv): boolean {
  return (env[CRASH_RESTARTS_ENV] ?? '') !== '';
}

/** How the program starts itself again: the exe, its arguments, its environment. */
export interface RestartCommand {
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

export type NativeRestartPlan =
  | { plan: NativeCrashRestartPlan }
  /** No start after a native crash now; `retryInMs`: when the oldest recent restart leaves the window. */
  | { reason: string; retryInMs: number };

/**
 * The start after a native crash, prepared at `now` from this process's CRASH_RESTARTS_ENV: none while
 * MAX_RESTARTS restarts lie within the window (the same rule as `restartDecision`, only judged ahead).
 */
export function nativeRestartPlan(cmd: RestartCommand, now: number): NativeRestartPlan {
  const recent = recentRestarts(cmd.env[CRASH_RESTARTS_ENV], now);
  if (recent.length >= MAX_RESTARTS) {
    return {
      reason: tooManyRestarts(recent.length),
      retryInMs: Math.min(...recent) + RESTART_WINDOW_MS - now + 1000,
    };
  }
  const own = new Set([CRASH_RESTARTS_ENV, NATIVE_CRASH_ENV]);
  const environment = Object.entries(cmd.env)
    .filter((e): e is [string, string] => e[1] !== undefined && !own.has(e[0].toUpperCase()))
    .map(([k, v]) => `${k}=${v}`);
  return {
    plan: {
      application: cmd.file,
      commandLine: windowsCommandLine([cmd.file, ...cmd.args]),
      environment,
      restartsVariable: CRASH_RESTARTS_ENV,
      restartsBefore: recent.join(','),
      crashVariable: NATIVE_CRASH_ENV,
    },
  };
}
