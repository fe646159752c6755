/**
 * The process-level last resort of a stop (used by src/main.ts only): once the program was asked to
 * stop (Ctrl+C, console close, logoff, taskkill, "Beenden"), the process ends at the latest
 * STOP_DEADLINE_MS later — whatever still hangs (a TSP in lineClose, DATEV in a notification, …). It
 * logs why, lets the log flush for a moment, does nothing else (no revoke, no TAPI: those are what
 * hang) and exits with EXIT_STOP_DEADLINE. Windows removes the ROT entry of an ended process and
 * frees the single-instance mutex with it.
 */

/** From the stop request to the forced exit (the session end is held 15 s; stopping should take < 10 s). */
export const STOP_DEADLINE_MS = 9000;
/** How long the log may flush after the deadline before the process ends. */
export const STOP_DEADLINE_FLUSH_MS = 800;
/** Exit code of a stop that did not finish in time. */
export const EXIT_STOP_DEADLINE = 4;

export interface StopDeadlineDeps {
  /** Writes the reason (German and English), e.g. to the log file. */
  log(message: string): void;
  /** Flushes the log; not awaited longer than STOP_DEADLINE_FLUSH_MS. */
  flush(): Promise<void>;
  /** Ends the process (process.exit). */
  exit(code: number): void;
  setTimer(fn: () => void, ms: number): { unref?(): void };
  deadlineMs?: number;
}

/**
 * Returns `request(reason)`: call it when the stop is requested (first call counts; later ones are
 * ignored), and `done()`: call it when stopping has finished (the deadline is then moot).
 */
export function stopDeadline(d: StopDeadlineDeps): { request(reason: string): void; done(): void } {
  const ms = d.deadlineMs ?? STOP_DEADLINE_MS;
  let requested = false;
  let finished = false;
  return {
    request(reason) {
      if (requested || finished) return;
      requested = true;
      const timer = d.setTimer(() => {
        if (finished) return;
        d.log(
          `Beenden dauerte länger als ${ms / 1000} s (${reason}); das Programm endet jetzt ohne weitere Aufräumarbeiten / ` +
            `stop did not finish within ${ms} ms after the stop request (${reason}): exiting with code ${EXIT_STOP_DEADLINE}`,
        );
        let exited = false;
        const exit = (): void => {
          if (exited) return;
          exited = true;
          d.exit(EXIT_STOP_DEADLINE);
        };
        d.setTimer(exit, STOP_DEADLINE_FLUSH_MS);
        d.flush().then(exit, exit);
      }, ms);
      timer.unref?.(); // the deadline alone never keeps the process alive
    },
    done() {
      finished = true;
    },
  };
}
