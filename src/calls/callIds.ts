/**
 * CallIDs: never empty, unique across restarts. Format like other DATEV CTI programs:
 * `{extension}-{ddMMyyyy}-{HHmm}-{7 random digits}` (e.g. `201-26112026-0930-0912387`), plus a
 * per-process counter suffix when two calls start in the same minute with the same random part.
 * The native adapter mints the CallIDs of calls DATEV starts (Dial) in the same format
 * (native/com/call_id.cc), so Dial never waits for JavaScript.
 */
import { randomInt } from 'node:crypto';
import type { Clock } from '../util/clock';

export interface CallIdSource {
  next(): string;
  /** Remember an id minted elsewhere (the adapter's Dial CallIDs), so it is never handed out again. */
  claim(id: string): void;
}

/** What every CallID looks like (the optional suffix tells apart two ids of one minute). */
export const CALL_ID_PATTERN = /^[0-9A-Za-z]+-\d{8}-\d{4}-\d{7}(-\d+)?$/;

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** The CallID for a call of `prefix` (the extension; letters and digits only, else "CTI") at `t`. */
export function formatCallId(prefix: string, t: Date, random: number): string {
  const ext = prefix.replace(/[^0-9A-Za-z]/g, '') || 'CTI';
  return `${ext}-${pad(t.getDate())}${pad(t.getMonth() + 1)}${t.getFullYear()}-${pad(t.getHours())}${pad(t.getMinutes())}-${pad(random % 10_000_000, 7)}`;
}

export function randomCallIdPart(): number {
  return randomInt(0, 10_000_000);
}

export function makeCallIdSource(clock: Clock, extension: () => string, random: () => number = randomCallIdPart): CallIdSource {
  const used = new Set<string>();
  const remember = (id: string): void => {
    used.add(id);
    if (used.size > 10_000) used.clear();
  };
  return {
    next() {
      const base = formatCallId(extension(), clock.now(), random());
      let id = base;
      for (let i = 2; used.has(id); i++) id = `${base}-${i}`;
      remember(id);
      return id;
    },
    claim: remember,
  };
}
