/**
 * Correlates TAPI request ids with their LINE_REPLY. A reply may arrive before the caller registered
 * its interest (the request id is only known when the request returns), so early replies are kept
 * for a while. A request whose reply never comes fails after a timeout instead of hanging.
 */
import type { Clock } from '../util/clock';

export interface Reply {
  result: number;
  hCall?: number;
}

const EARLY_LIMIT = 256;
/** Timed-out requests whose late LINE_REPLY is still watched for. */
const LATE_LIMIT = 64;

export class RequestTracker {
  private readonly waiting = new Map<number, { done: (r: Reply) => void; cancel: () => void }>();
  private readonly early = new Map<number, Reply>();
  private readonly late = new Map<number, (r: Reply) => void>();

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: number,
  ) {}

  /** Feed every LINE_REPLY here. Returns false when nobody waits for it (yet). */
  handleReply(requestId: number, reply: Reply): boolean {
    const w = this.waiting.get(requestId);
    const lateHandler = this.late.get(requestId);
    if (!w && lateHandler) {
      this.late.delete(requestId);
      lateHandler(reply);
      return true;
    }
    if (!w) {
      this.early.set(requestId, reply);
      if (this.early.size > EARLY_LIMIT) this.early.delete(this.early.keys().next().value as number);
      return false;
    }
    this.waiting.delete(requestId);
    w.cancel();
    w.done(reply);
    return true;
  }

  /**
   * Calls `onReply` synchronously when the reply arrives (or at once, if it already did), or with
   * `{result: TIMEOUT}` when it does not arrive in time.
   */
  expect(requestId: number, onReply: (r: Reply) => void): void {
    const got = this.early.get(requestId);
    if (got) {
      this.early.delete(requestId);
      onReply(got);
      return;
    }
    this.waiting.get(requestId)?.cancel(); // an id TAPI handed out again: the older wait is void
    const entry = {
      done: onReply,
      cancel: this.clock.setTimeout(() => {
        if (this.waiting.get(requestId) !== entry) return;
        this.waiting.delete(requestId);
        onReply({ result: RequestTracker.TIMEOUT });
      }, this.timeoutMs),
    };
    this.waiting.set(requestId, entry);
  }

  /**
   * TAPI re-initialised: the old session's requests get no LINE_REPLY any more, and the new session
   * hands out request ids from the start again. Every request still waiting is answered with `result`
   * now; early and late replies are forgotten.
   */
  abandonAll(result: number): void {
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    this.early.clear();
    this.late.clear();
    for (const w of waiting) {
      w.cancel();
      w.done({ result });
    }
  }

  /**
   * For a request that timed out: `onLate` gets its LINE_REPLY if it still arrives (the caller undoes
   * what the late reply would start, e.g. a call it already reported as failed).
   */
  onLateReply(requestId: number, onLate: (r: Reply) => void): void {
    this.late.set(requestId, onLate);
    if (this.late.size > LATE_LIMIT) this.late.delete(this.late.keys().next().value as number);
  }

  /** Promise form of expect(). */
  wait(requestId: number): Promise<Reply> {
    return new Promise((resolve) => this.expect(requestId, resolve));
  }

  /** Pseudo result for "no LINE_REPLY in time". */
  static readonly TIMEOUT = -1;

  get pending(): number {
    return this.waiting.size;
  }
}
