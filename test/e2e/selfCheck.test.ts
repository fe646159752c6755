/** The self-check of the program's own CTI object (DatevSupervisor) over a working day, on the fakes. */
import { describe, expect, it } from 'vitest';
import { MUELLER, makeWorld, type World } from '../support/world';

const SELF_CHECK_MS = 30_000;

async function dial(w: World) {
  const r = await w.datev.driver.dial({ CalledNumber: MUELLER.number, SyncID: 'S-1' });
  await w.settle();
  return r;
}

describe('self-check of the CTI object', () => {
  it('finds a CTI object that stopped answering, rebuilds it, and DATEV can dial again', async () => {
    const w = await makeWorld();
    await w.advance(SELF_CHECK_MS);
    expect(w.app.supervisor.state.cti).toBe('ok');
    w.datev.breakCtiObject();
    expect((await dial(w)).hresult).not.toBe(0); // DATEV cannot reach the program
    await w.advance(SELF_CHECK_MS);
    expect(w.datev.rebuildCount).toBe(1);
    expect(w.app.supervisor.state.cti).toBe('rebuilt');
    expect(w.app.supervisor.state.lastProblem).toContain('timeout');
    expect(w.log.has('warn', 'self-check failed')).toBe(true);
    expect(w.log.has('info', 'COM thread rebuilt, the CTI object answers again')).toBe(true);
    const again = await dial(w);
    expect(again.hresult).toBe(0);
    expect(w.methods()).toEqual(['NewCall:1']);
    expect(w.datev.received[0]!.data.CallID).toBe(again.callId);
  });

  it('rebuilds at most 10 times in a run, then says once that the program needs a restart', async () => {
    const w = await makeWorld();
    for (let i = 0; i < 12; i++) {
      w.datev.breakCtiObject();
      await w.advance(SELF_CHECK_MS);
    }
    expect(w.datev.rebuildCount).toBe(10);
    expect(w.app.supervisor.state.cti).toBe('broken');
    expect(w.log.entries.filter((e) => e.level === 'error' && e.message.includes('restart the program'))).toHaveLength(1);
  });

  it('says the CTI object is broken when the rebuild fails or does not help, and tries again at the next check', async () => {
    const w = await makeWorld();
    const port = w.datev.port;
    const rebuild = port.rebuild.bind(port);
    port.rebuild = async () => {
      throw new Error('the COM thread did not start');
    };
    w.datev.breakCtiObject();
    await w.advance(SELF_CHECK_MS);
    expect(w.app.supervisor.state.cti).toBe('broken');
    expect(w.log.has('error', 'rebuilding the COM thread failed: the COM thread did not start')).toBe(true);
    port.rebuild = async () => undefined; // "rebuilt", but the object still does not answer
    await w.advance(SELF_CHECK_MS);
    expect(w.log.has('error', 'after the rebuild the CTI object still does not answer')).toBe(true);
    expect(w.app.supervisor.state.cti).toBe('broken');
    port.rebuild = rebuild;
    await w.advance(SELF_CHECK_MS);
    expect(w.app.supervisor.state.cti).toBe('rebuilt');
    expect((await dial(w)).hresult).toBe(0);
  });
});
