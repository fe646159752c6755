/** Injected time source and timers, so tests control time. */
export interface Clock {
  now(): Date;
  setTimeout(fn: () => void, ms: number): () => void;
}

/** Waits for `p` to settle, but at most `ms` on `clock`; true when it settled in time. Never rejects. */
export async function settlesWithin(clock: Clock, p: Promise<unknown>, ms: number): Promise<boolean> {
  let cancel = (): void => undefined;
  const expired = new Promise<boolean>((resolve) => {
    cancel = clock.setTimeout(() => resolve(false), ms);
  });
  const settled = p.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, expired]);
  } finally {
    cancel();
  }
}

export const systemClock: Clock = {
  now: () => new Date(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};
