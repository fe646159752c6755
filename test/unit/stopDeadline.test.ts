/** The process-level stop deadline of src/main.ts (src/stopDeadline.ts), with hand-driven timers. */
import { describe, expect, it } from 'vitest';
import { EXIT_STOP_DEADLINE, STOP_DEADLINE_FLUSH_MS, STOP_DEADLINE_MS, stopDeadline } from '../../src/stopDeadline';

function harness(flush: () => Promise<void> = () => new Promise(() => undefined)) {
  const timers: { fn: () => void; ms: number; unref: boolean }[] = [];
  const logs: string[] = [];
  const exits: number[] = [];
  const d = stopDeadline({
    log: (m) => logs.push(m),
    flush,
    exit: (c) => exits.push(c),
    setTimer: (fn, ms) => {
      const t = { fn, ms, unref: false };
      timers.push(t);
      return { unref: () => (t.unref = true) };
    },
  });
  return { d, timers, logs, exits };
}

describe('stopDeadline', () => {
  it('does nothing until the stop is requested, and nothing when stopping finishes in time', () => {
    const h = harness();
    expect(h.timers).toEqual([]);
    h.d.request('SIGINT');
    expect(h.timers).toHaveLength(1);
    expect(h.timers[0]!.ms).toBe(STOP_DEADLINE_MS);
    expect(h.timers[0]!.unref).toBe(true); // never keeps the process alive by itself
    h.d.done();
    h.timers[0]!.fn();
    expect(h.logs).toEqual([]);
    expect(h.exits).toEqual([]);
  });

  it('logs and exits with its own code when stopping hangs; the log gets a moment to flush', async () => {
    let flushed!: () => void;
    const h = harness(() => new Promise<void>((r) => (flushed = r)));
    h.d.request('tray');
    h.d.request('SIGINT'); // the first request counts
    expect(h.timers).toHaveLength(1);
    h.timers[0]!.fn();
    expect(h.logs).toHaveLength(1);
    expect(h.logs[0]).toContain('(tray)');
    expect(h.logs[0]).toContain(`exiting with code ${EXIT_STOP_DEADLINE}`);
    expect(h.exits).toEqual([]); // waits for the flush ...
    flushed();
    await Promise.resolve();
    await Promise.resolve();
    expect(h.exits).toEqual([EXIT_STOP_DEADLINE]);
    h.timers[1]!.fn(); // ... or its bound, whichever comes first: exit only once
    expect(h.exits).toEqual([EXIT_STOP_DEADLINE]);
  });

  it('exits after the flush bound when the log does not flush', () => {
    const h = harness();
    h.d.request('logoff');
    h.timers[0]!.fn();
    expect(h.timers[1]!.ms).toBe(STOP_DEADLINE_FLUSH_MS);
    h.timers[1]!.fn();
    expect(h.exits).toEqual([EXIT_STOP_DEADLINE]);
    expect(STOP_DEADLINE_MS + STOP_DEADLINE_FLUSH_MS).toBeLessThanOrEqual(10000); // the promised 10 s
  });

  it('ignores a stop request after stopping finished', () => {
    const h = harness();
    h.d.done();
    h.d.request('SIGINT');
    expect(h.timers).toEqual([]);
  });
});
