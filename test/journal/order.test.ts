/** HangupOrder against a plain model (sort everything after every change), over random puts. */
import { describe, expect, it } from 'vitest';
import { entry } from '../../contracts/journal.contract';
import { keepEntry, type KeptEntry } from '../../src/journal/entry';
import { HangupOrder } from '../../src/journal/order';

const DAY = 86_400_000;

/** What the order must equal: every entry kept, sorted by (hang-up, first put), the limits applied. */
class Model {
  private readonly kept = new Map<string, { e: KeptEntry; seq: number }>();
  private seq = 0;
  constructor(
    private readonly max: number,
    private readonly days: number,
  ) {}
  put(e: KeptEntry, now: number): void {
    const old = this.kept.get(e.callId);
    this.kept.set(e.callId, { e, seq: old ? old.seq : ++this.seq });
    const cutoff = now - this.days * DAY;
    const sorted = [...this.kept.values()]
      .filter((x) => Date.parse(x.e.endedAt) >= cutoff)
      .sort((a, b) => Date.parse(a.e.endedAt) - Date.parse(b.e.endedAt) || a.seq - b.seq);
    const keep = sorted.slice(Math.max(0, sorted.length - this.max));
    this.kept.clear();
    for (const x of keep) this.kept.set(x.e.callId, x);
  }
  list(): KeptEntry[] {
    return [...this.kept.values()].sort((a, b) => Date.parse(a.e.endedAt) - Date.parse(b.e.endedAt) || a.seq - b.seq).map((x) => x.e);
  }
}

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('HangupOrder', () => {
  it.each([1, 2, 3])('equals the model after every one of 3000 random puts (seed %i): new, changed, moved, late, too old', (seed) => {
    const rnd = random(seed);
    const order = new HangupOrder(40, 2);
    const model = new Model(40, 2);
    let now = Date.UTC(2026, 11, 2, 12);
    for (let k = 0; k < 3000; k++) {
      now += Math.floor(rnd() * 120_000);
      const id = Math.floor(rnd() * 120);
      // mostly in hang-up order; some late, some with equal times, some older than the limit
      const r = rnd();
      const endedAt = r < 0.7 ? now : r < 0.85 ? now - Math.floor(rnd() * 30) * 60_000 : r < 0.95 ? now - (now % 600_000) : now - 3 * DAY;
      const e = keepEntry(entry(id, new Date(endedAt), { attempts: k }));
      order.put(e, new Date(now));
      model.put(e, now);
      const want = model.list();
      const got = order.list();
      expect(got.map((x) => x.callId)).toEqual(want.map((x) => x.callId));
      expect(got.every((x, i) => x === want[i])).toBe(true);
      expect(order.size).toBe(want.length);
      expect(want.every((w) => order.get(w.callId) === w)).toBe(true);
    }
  });

  it('drops from the old end and gives the dropped slots back (many entries over a long time)', () => {
    const order = new HangupOrder(1000, 14);
    const t0 = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 20_000; i++) order.put(keepEntry(entry(i, new Date(t0 + i * 60_000))), new Date(t0 + i * 60_000));
    expect(order.size).toBe(1000);
    expect(order.list()[0]!.callId).toBe(entry(19_000, new Date()).callId);
    expect(order.get(entry(18_999, new Date()).callId)).toBeUndefined();
  });

  it('a load sorts once and applies the limits', () => {
    const order = new HangupOrder(3, 1);
    const now = Date.UTC(2026, 11, 2, 12);
    const at = (m: number): Date => new Date(now - m * 60_000);
    order.reset([keepEntry(entry(1, at(5))), keepEntry(entry(2, at(50))), keepEntry(entry(3, at(5))), keepEntry(entry(4, at(2 * 24 * 60))), keepEntry(entry(5, at(1))), keepEntry(entry(6, at(90)))], new Date(now));
    expect(order.list().map((e) => e.callId.slice(-1))).toEqual(['1', '3', '5']);
  });
});
