/**
 * Wall clock in microseconds since 1970 on the Linux side. The fakes stamp their records with
 * GetSystemTimePreciseAsFileTime, which Wine takes from the same CLOCK_REALTIME, so differences between
 * the two are meaningful (to well under a millisecond; used only for start-up times here).
 */
export function nowUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/** Milliseconds between two µs stamps. */
export const msBetween = (fromUs: number, toUs: number): number => (toUs - fromUs) / 1000;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every `every` ms until it returns a value; fails after `ms` with `what`. */
export async function until<T>(check: () => T | undefined | Promise<T | undefined>, what: string, ms = 15000, every = 10): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(every);
  }
}
