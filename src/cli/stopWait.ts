/**
 * `--stop --wait <seconds>`: asks the instance of this Windows session to stop (as --stop does) and
 * waits until it has ended — the installer runs this before it replaces or removes the program's
 * files. The end is seen when this session's single-instance mutex becomes free (it goes with the
 * last handle, i.e. the process). An instance that holds the mutex but has no stop window yet (it is
 * still starting) is asked again and again within the same seconds.
 */
import { askToStop, blockFor, STOP_RETRY_MS, texts, type Workstation, type WorkstationFactory, type WorkstationIo } from './workstation';

export const STOP_POLL_MS = 200;

export interface StopWaitDeps {
  sleep: (ms: number) => Promise<void>;
  /** Milliseconds, monotonic enough for a deadline. */
  now: () => number;
  /** The pause between two stop requests (default: blocks, as --stop does). */
  pause?: (ms: number) => void;
}

/** What asking came to: an instance was asked, none runs, or one runs but never answered. */
type Asked = 'asked' | 'none' | 'silent';

/**
 * Asks as --stop does (askToStop: again and again for STOP_RETRY_MS while none answers). When none
 * answered but this session's mutex is still held, an instance is starting (it takes the mutex
 * before its stop window exists): asks on, round by round, for up to `ms` in all.
 */
function askWithin(ws: Workstation, ms: number, pause: (ms: number) => void): Asked {
  for (let left = ms; ; ) {
    const round = Math.min(STOP_RETRY_MS, left);
    if (askToStop(ws, pause, round)) return 'asked';
    if (ws.claimInstance() === 'acquired') return 'none';
    left -= round;
    if (left <= 0) return 'silent';
  }
}

export async function stopAndWait(get: WorkstationFactory, seconds: number, io: WorkstationIo, d: StopWaitDeps): Promise<number> {
  if (!get) {
    io.err(texts.stopNoWindows);
    return 1;
  }
  try {
    const ws = get();
    const deadline = d.now() + seconds * 1000;
    const asked = askWithin(ws, seconds * 1000, d.pause ?? blockFor);
    if (asked === 'none') {
      io.log.info('--stop --wait: no instance runs in this session');
      io.err(texts.notRunning);
      return 1;
    }
    if (asked === 'silent') {
      io.log.warn(`an instance holds this session's lock but did not answer a stop request within ${seconds} s`);
      io.err(`Wildix CTI für DATEV läuft, antwortet aber nicht in ${seconds} s / runs but does not answer within ${seconds} s`);
      return 1;
    }
    io.log.info(`asked the running instance to stop; waiting for its end (up to ${seconds} s in all)`);
    io.out(texts.stopRequested);
    for (;;) {
      await d.sleep(STOP_POLL_MS);
      if (ws.claimInstance() === 'acquired') {
        io.log.info('the running instance has ended');
        io.out('Wildix CTI für DATEV ist beendet / has ended.');
        return 0;
      }
      if (d.now() >= deadline) break;
    }
    io.log.warn(`the running instance still runs after ${seconds} s`);
    io.err(`Wildix CTI für DATEV läuft nach ${seconds} s noch / still runs after ${seconds} s`);
    return 1;
  } catch (e) {
    io.log.error(`--stop --wait failed: ${(e as Error).message}`);
    io.err(`--stop: ${(e as Error).message}`);
    return 1;
  }
}
