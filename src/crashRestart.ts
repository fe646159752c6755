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
 */

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

/** Whether to start again after a crash at `now`, given CRASH_RESTARTS_ENV as this process got it. */
export function restartDecision(previous: string | undefined, now: number): RestartDecision {
  const recent = (previous ?? '')
    .split(',')
    .map((t) => Number(t))
    .filter((t) => Number.isFinite(t) && t > now - RESTART_WINDOW_MS && t <= now);
  const restart = recent.length < MAX_RESTARTS;
  return { restart, env: [...recent, now].join(','), recent: recent.length };
}

/** Whether this process was started again after a crash (it may have to wait for the crashed one to be gone). */
export function isRestartAfterCrash(env: NodeJS.ProcessEnv): boolean {
  return (env[CRASH_RESTARTS_ENV] ?? '') !== '';
}
