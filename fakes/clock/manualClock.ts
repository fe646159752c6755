/** A clock that only moves when told to: tests and scripted scenarios control time exactly. */
import type { Clock } from '../../src/util/clock';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start: Date = new Date(2026, 10, 26, 9, 30, 0)) {
    this.t = start.getTime();
  }

  now(): Date {
    return new Date(this.t);
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }

  /** Moves time forward, firing due timers in order (each at its own time). */
  advance(ms: number): void {
    const end = this.t + ms;
    while (this.fireNext(end));
    this.t = end;
  }

  /**
   * Like advance(), but lets promise callbacks run after each timer, as a real event loop does between
   * two timers (a result a timer resolved is seen before the next timer fires).
   */
  async advanceAsync(ms: number): Promise<void> {
    const end = this.t + ms;
    while (this.fireNext(end)) await new Promise<void>((resolve) => setImmediate(resolve));
    this.t = end;
  }

  /** Fires the first timer due by `end` (moving time to it); false when there is none. */
  private fireNext(end: number): boolean {
    const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
    if (!due) return false;
    this.timers = this.timers.filter((x) => x !== due);
    this.t = Math.max(this.t, due.at);
    due.fn();
    return true;
  }

  get pendingTimers(): number {
    return this.timers.length;
  }
}
