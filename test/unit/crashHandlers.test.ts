import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { installCrashHandlers, type CrashLog } from '../../src/crashHandlers';

function setUp(withLog = true) {
  const proc = new EventEmitter();
  const written: { how: string; level?: string; text: string }[] = [];
  const exits: number[] = [];
  const log: CrashLog = {
    writeSync: (level, text) => written.push({ how: 'sync', level, text }),
    error: (text) => written.push({ how: 'async', level: 'error', text }),
  };
  installCrashHandlers({ process: proc, log: () => (withLog ? log : undefined), stderr: (text) => written.push({ how: 'stderr', text }), exit: (c) => exits.push(c) });
  return { proc, written, exits };
}

describe('crash handlers', () => {
  it('an uncaught exception is written to the log at once with its stack, then the program ends with code 1', () => {
    const { proc, written, exits } = setUp();
    proc.emit('uncaughtException', new Error('boom'));
    expect(written[0]).toMatchObject({ how: 'sync', level: 'error' });
    expect(written[0]!.text).toMatch(/uncaught exception[\s\S]*Error: boom[\s\S]*crashHandlers\.test/);
    expect(written.some((w) => w.how === 'stderr' && w.text.includes('boom'))).toBe(true);
    expect(exits).toEqual([1]);
  });

  it('a rejected promise nobody handles is logged and the program goes on', () => {
    const { proc, written, exits } = setUp();
    proc.emit('unhandledRejection', new Error('lost'));
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ how: 'async', level: 'error' });
    expect(written[0]!.text).toContain('Error: lost');
    expect(exits).toEqual([]);
  });

  it('before the log file exists, both go to stderr', () => {
    const { proc, written, exits } = setUp(false);
    proc.emit('unhandledRejection', 'plain reason');
    proc.emit('uncaughtException', new Error('early'));
    expect(written.map((w) => w.how)).toEqual(['stderr', 'stderr']);
    expect(exits).toEqual([1]);
  });
});
