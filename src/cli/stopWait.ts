/**
 * `--stop --wait <seconds>`: asks the instance of this Windows session to stop (as --stop does) and
 * waits until it has ended — the installer runs this before it replaces or removes the program's
 * files. The end is seen when this session's single-instance mutex becomes free (it goes with the
 * last handle, i.e. the process).
 */
import { texts, type WorkstationFactory, type WorkstationIo } from './workstation';

export const STOP_POLL_MS = 200;

export interface StopWaitDeps {
  sleep: (ms: number) => Promise<void>;
  /** Milliseconds, monotonic enough for a deadline. */
  now: () => number;
}

export async function stopAndWait(get: WorkstationFactory, seconds: number, io: WorkstationIo, d: StopWaitDeps): Promise<number> {
  if (!get) {
    io.err(texts.stopNoWindows);
    return 1;
  }
  try {
    const ws = get();
    if (!ws.requestStop()) {
      io.log.info('--stop --wait: no instance runs in this session');
      io.err(texts.notRunning);
      return 1;
    }
    io.log.info(`asked the running instance to stop; waiting up to ${seconds} s`);
    io.out(texts.stopRequested);
    const deadline = d.now() + seconds * 1000;
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
