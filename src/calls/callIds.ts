/**
 * CallIDs: never empty, unique across restarts. Format like other DATEV CTI programs:
 * `{extension}-{ddMMyyyy}-{HHmm}-{7 random digits}` (e.g. `201-26112026-0930-0912387`), plus a
 * per-process counter suffix when two calls start in the same minute with the same random part.
 */
import { randomInt } from 'node:crypto';
import type { Clock } from '../util/clock';

export interface CallIdSource {
  next(): string;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

export function makeCallIdSource(
  clock: Clock,
  extension: () => string,
  random: () => number = () => randomInt(0, 10_000_000),
): CallIdSource {
  const used = new Set<string>();
  return {
    next() {
      const t = clock.now();
      const ext = extension().replace(/[^0-9A-Za-z]/g, '') || 'CTI';
      const base = `${ext}-${pad(t.getDate())}${pad(t.getMonth() + 1)}${t.getFullYear()}-${pad(t.getHours())}${pad(t.getMinutes())}-${pad(random(), 7)}`;
      let id = base;
      for (let i = 2; used.has(id); i++) id = `${base}-${i}`;
      used.add(id);
      if (used.size > 10_000) used.clear();
      return id;
    },
  };
}
