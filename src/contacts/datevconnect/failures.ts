/**
 * Failure bookkeeping for the DATEVconnect source: which addressees could not be read in a run, when
 * a run counts as failed as a whole (the server is sick), and the back-off between failed runs.
 */
import { DatevConnectError } from './errors';

/** More failed addressees than this (and more than SICK_SHARE of them) fail the whole run. */
export const SICK_MIN_FAILED = 10;
export const SICK_SHARE = 0.2;
/** This many failures in a row end a run early (a server that went down mid-crawl, or hangs). */
export const SICK_STREAK = 20;
/** The ids a log line names at most. */
const LOGGED_IDS = 50;

/** Failures that concern every request, not one addressee: the run stops at once (each 401 is a failed logon). */
export function failsTheRun(e: unknown): boolean {
  return !(e instanceof DatevConnectError) || e.kind === 'unauthorized' || e.kind === 'authUnavailable';
}

/** The wait before retry number `failures` (1, 2, 4 … × `baseMs`, at most `maxMs`). */
export function backoffMs(failures: number, baseMs: number, maxMs: number): number {
  const doublings = Math.min(Math.max(failures - 1, 0), 30);
  return Math.min(maxMs, baseMs * 2 ** doublings);
}

/** The addressees of one run that could not be read. */
export class AddresseeFailures {
  readonly ids: string[] = [];
  private readonly kinds = new Map<string, number>();
  private first: DatevConnectError | null = null;
  private streak = 0;
  /** Failures of addressees that had failed before (in `again`): they say nothing about the server. */
  private repeated = 0;

  /** `again`: the addressees of this run that failed in an earlier one (rights, bad data). */
  constructor(
    private readonly total: number,
    private readonly again: ReadonlySet<string> = new Set(),
  ) {}

  get count(): number {
    return this.ids.length;
  }

  ok(): void {
    this.streak = 0;
  }

  add(id: string, e: DatevConnectError): void {
    this.ids.push(id);
    this.kinds.set(e.kind, (this.kinds.get(e.kind) ?? 0) + 1);
    if (this.again.has(id)) {
      // an addressee that cannot be read for good (a right missing, bad data) fails every refresh: it
      // must not make the refresh of the day's changes look like a sick server
      this.repeated++;
      return;
    }
    this.first ??= e;
    this.streak++;
  }

  /** True when the run is lost whatever the rest brings: too many failures already, or too many in a row. */
  hopeless(): boolean {
    return this.tooMany() || this.streak >= SICK_STREAK;
  }

  /** True when more than SICK_MIN_FAILED and more than SICK_SHARE of the addressees failed (not counting repeated ones). */
  tooMany(): boolean {
    const failed = this.count - this.repeated;
    return failed > SICK_MIN_FAILED && failed > (this.total - this.repeated) * SICK_SHARE;
  }

  /** The error a sick run fails with: the first failure's kind and details, with the counts. */
  asRunError(): DatevConnectError {
    const first = this.first ?? new DatevConnectError('malformed', 'no new failure recorded');
    return new DatevConnectError(first.kind, `${this.count} of ${this.total} addressees failed (first: ${first.message})`, first.details);
  }

  /** What the log gets: counts, failure kinds and the ids (no names or numbers). */
  summary(): Record<string, unknown> {
    return {
      failed: this.count,
      of: this.total,
      kinds: Object.fromEntries(this.kinds),
      ids: this.ids.slice(0, LOGGED_IDS),
      ...(this.count > LOGGED_IDS ? { moreIds: this.count - LOGGED_IDS } : {}),
    };
  }
}
