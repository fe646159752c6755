/**
 * Start-up fast path (Windows): before the program loads the rest of itself (logging, settings, the
 * contact directory, TAPI), it takes this session's single-instance lock and puts its CTI object into
 * the ROT, so DATEV finds it about as soon as a bare node.exe would have started. Requests DATEV makes
 * meanwhile are answered by the adapter and handed to the program when it is ready
 * (NativeDatevPort.registerEarly). Only for the normal run of the program; every other command line
 * (help, diagnose, autostart, …) takes the usual path. Keep this file's imports light.
 */
import { isProgramRun, parseArgs } from '../cli/args';
import { INSTANCE_MUTEX } from '../cli/workstation';
import { isRestartAfterCrash } from '../crashRestart';
import { loadAddon, type NativeAddon } from './addon';
import { NativeDatevPort, type NativeComModule, type NativeDatevLog } from './comDatevPort';

export interface EarlyStart {
  addon: NativeAddon;
  /** The single-instance lock of this session: taken here, or held by another instance. */
  instance: 'acquired' | 'running';
  /** The CTI object's port, registered (or registering) in the ROT; absent when another instance runs. */
  datev?: NativeDatevPort;
  /** Settles when the early registration is done (rejects with its error). */
  registered?: Promise<void>;
  /** What happened before the logger existed, for the log. */
  lines: [NativeDatevLog['level'], string][];
}

/** How long a program started again after a crash waits for the crashed one's single-instance lock. */
const RESTART_LOCK_WAIT_MS = 10_000;

/** The fast path for `argv`, or undefined when it does not apply (another command, not Windows, no addon). */
export function startEarly(argv: string[]): EarlyStart | undefined {
  if (process.platform !== 'win32') return undefined;
  const parsed = parseArgs(argv);
  if (!parsed.ok) return undefined;
  if (!isProgramRun(parsed.options)) return undefined;
  let addon: NativeAddon;
  let instance: 'acquired' | 'running';
  try {
    addon = loadAddon();
    instance = addon.win.acquireSingleInstance(INSTANCE_MUTEX);
    // started again after a crash: the crashed process may not be gone yet (it holds the lock until then)
    const pause = new Int32Array(new SharedArrayBuffer(4)); // (Atomics.wait: a plain 100 ms sleep)
    for (let waited = 0; instance !== 'acquired' && isRestartAfterCrash(process.env) && waited < RESTART_LOCK_WAIT_MS; waited += 100) {
      Atomics.wait(pause, 0, 0, 100);
      instance = addon.win.acquireSingleInstance(INSTANCE_MUTEX);
    }
  } catch {
    return undefined; // the usual path reports it
  }
  const early: EarlyStart = { addon, instance, lines: [] };
  if (instance !== 'acquired') return early;
  const datev = new NativeDatevPort(addon.com as unknown as NativeComModule, { log: (level, message) => early.lines.push([level, message]) });
  early.datev = datev;
  early.registered = datev.registerEarly();
  early.registered.catch(() => undefined); // reported by the usual path
  return early;
}
