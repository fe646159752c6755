/** Where the logs go: the default per user, configured folders with variables, the terminal server. */
import { describe, expect, it } from 'vitest';
import { isProgramRun, parseArgs } from '../../src/cli/args';
import { expandEnvVars, logDirOf, type Env } from '../../src/config/paths';

const anna: Env = {
  platform: 'win32',
  home: 'C:\\Users\\anna',
  env: { USERNAME: 'anna', LOCALAPPDATA: 'C:\\Users\\anna\\AppData\\Local', Computername: 'TS01' },
};

describe('log folder', () => {
  it('is the user\'s own by default', () => {
    expect(logDirOf('', false, anna)).toMatch(/^C:\\Users\\anna\\AppData\\Local.*logs$/);
  });

  it('a folder from the machine-wide defaults (terminal-server MSI, LOGDIR) gets a subfolder per Windows user', () => {
    expect(logDirOf('D:\\Logs\\', true, anna)).toBe('D:\\Logs\\anna');
    const ben: Env = { ...anna, env: { ...anna.env, USERNAME: 'ben' } };
    expect(logDirOf('D:\\Logs', true, ben)).toBe('D:\\Logs\\ben');
  });

  it('variables are expanded (any case); a folder that names one is taken as it is', () => {
    expect(logDirOf('D:\\Logs\\%username%', true, anna)).toBe('D:\\Logs\\anna');
    expect(logDirOf('\\\\srv\\logs\\%COMPUTERNAME%-%USERNAME%', true, anna)).toBe('\\\\srv\\logs\\TS01-anna');
    expect(expandEnvVars('%NOPE%\\x', anna)).toBe('%NOPE%\\x');
    // a variable that is the same for every user does not make the folder a user's own
    const ts: Env = { ...anna, env: { ...anna.env, ProgramData: 'C:\\ProgramData' } };
    expect(logDirOf('%ProgramData%\\Wildix\\Logs', true, ts)).toBe('C:\\ProgramData\\Wildix\\Logs\\anna');
  });

  it("the user's own setting or --log-dir is taken as it is; a relative one lies in the user's data folder, not the working directory", () => {
    expect(logDirOf('D:\\Logs', false, anna)).toBe('D:\\Logs');
    expect(logDirOf('cti-logs', false, anna)).toBe('C:\\Users\\anna\\AppData\\Local\\Wildix\\DatevCti\\cti-logs');
  });
});

describe('command line', () => {
  it('only the program\'s own run takes the start-up fast path (lock, ROT): every command flag, also a new one, is not it', () => {
    const run = (argv: string[]): boolean => {
      const p = parseArgs(argv);
      if (!p.ok) throw new Error(p.error);
      return isProgramRun(p.options);
    };
    expect(run([])).toBe(true);
    expect(run(['--verbose', '--background', '--line', '201', '--config', 'c.json', '--log-dir', 'x'])).toBe(true);
    for (const command of ['--help', '--version', '--diagnose', '--simulate', '--install-autostart', '--remove-autostart', '--stop', '--set-datevconnect-password', '--support-bundle']) {
      expect([command, run([command])]).toEqual([command, false]);
    }
    expect(run(['--write-defaults', 'd.json', 'LINE=201'])).toBe(false);
    expect(run(['--lookup', '+49 89 1234567'])).toBe(false);
  });

  it('an argument named like an Object.prototype member is an unknown argument, not a crash or a silent flag', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(parseArgs([name]).ok).toBe(false);
    }
  });
});
