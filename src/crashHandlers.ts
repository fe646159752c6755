/**
 * The last resort for a programming error that escaped every handler: an exception nobody caught ends
 * the process (Node says the program's state cannot be trusted after it), but not without its stack
 * and the log lines still waiting in the log file — with `--background` stderr is seen by no one. A
 * promise rejected without a handler is logged and the program goes on (Node's default would end it:
 * one failed operation is no reason to leave the user without telephony for the rest of the day).
 * After such an exception the program starts again by itself (`restart`, src/crashRestart.ts).
 */
import type { EventEmitter } from 'node:events';

export interface CrashLog {
  /** Synchronous: the process may end right after. */
  writeSync(level: 'error' | 'warn', message: string): void;
  error(message: string): void;
}

export interface CrashDeps {
  /** The process (its 'uncaughtException' and 'unhandledRejection' events). */
  process: Pick<EventEmitter, 'on'>;
  /** The log file, once there is one. */
  log: () => CrashLog | undefined;
  stderr: (text: string) => void;
  exit: (code: number) => void;
  /**
   * Starts the program again after a crash (src/crashRestart.ts decides; it spawns): returns what to log —
   * whether it did, and why not. Absent: the program just ends.
   */
  restart?: () => string;
}

/** Exit code of a program ended by an uncaught exception (README: 1 = error). */
export const CRASH_EXIT_CODE = 1;

function describe(e: unknown): string {
  return e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
}

function attempt(f: () => void): void {
  try {
    f();
  } catch {
    // nowhere left to say it
  }
}

export function installCrashHandlers(d: CrashDeps): void {
  let ending = false;
  d.process.on('uncaughtException', (e: unknown) => {
    if (ending) return;
    ending = true;
    const text = `uncaught exception, the program ends (please send this log to support): ${describe(e)}`;
    // each step on its own: a log or a stderr that fails here (no console, a closed handle) must not keep
    // the program from starting again or from ending
    attempt(() => d.log()?.writeSync('error', text));
    attempt(() => d.stderr(`Wildix CTI: ${text}\n`));
    if (d.restart) {
      let said: string;
      try {
        said = d.restart();
      } catch (err) {
        said = `the program could not be started again: ${describe(err)}`;
      }
      attempt(() => d.log()?.writeSync('warn', said));
      attempt(() => d.stderr(`Wildix CTI: ${said}\n`));
    }
    d.exit(CRASH_EXIT_CODE);
  });
  d.process.on('unhandledRejection', (reason: unknown) => {
    const text = `a promise failed without a handler (the program goes on): ${describe(reason)}`;
    const log = d.log();
    if (log) attempt(() => log.error(text));
    else attempt(() => d.stderr(`Wildix CTI: ${text}\n`));
  });
}
