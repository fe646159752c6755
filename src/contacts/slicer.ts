/**
 * Cooperative time slicing for long contact work (index builds, cache loads, list parsing): the work
 * checks `due()` between small steps and, when its slice is used up, `await yield()` lets timers, I/O
 * and COM callbacks run before it goes on. Keeps every block of the JavaScript thread short.
 */
import { performance } from 'node:perf_hooks';

/** Default slice: far below the 20 ms the app allows one block of the JavaScript thread. */
export const DEFAULT_SLICE_MS = 5;

export class Slicer {
  private start: number;
  private yields = 0;

  /**
   * `budgetMs` 0 yields at every check (tests use it to walk every resume path). `now`: the time source
   * (tests pass a counter, so that where the work pauses does not depend on the machine's speed).
   */
  constructor(
    readonly budgetMs = DEFAULT_SLICE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.start = now();
  }

  /** True when this slice has used its budget. Cheap; call it every few hundred small steps. */
  due(): boolean {
    return this.now() - this.start >= this.budgetMs;
  }

  /** Lets the event loop run (after pending I/O callbacks), then starts a new slice. */
  async yield(): Promise<void> {
    this.yields++;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.start = this.now();
  }

  /** Yields when the slice is used up. */
  async tick(): Promise<void> {
    if (this.due()) await this.yield();
  }

  /** How often this slicer yielded (diagnostics, tests). */
  get yieldCount(): number {
    return this.yields;
  }
}
