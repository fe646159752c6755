/** The support bundle: what goes in (recent logs within the limit, status, settings, info.txt), what not. */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { writeSupportBundle } from '../../src/support/bundle';
import { bundleTargetDir, supportInfo } from '../../src/support/info';
import { defaultConfig } from '../../src/config/schema';

/** name → content of a ZIP written by src/support/zip.ts (its own test checks the format itself). */
function entries(file: string): Map<string, string> {
  const buf = readFileSync(file);
  const end = buf.length - 22;
  const out = new Map<string, string>();
  let at = buf.readUInt32LE(end + 16);
  for (let i = 0; i < buf.readUInt16LE(end + 10); i++) {
    const nlen = buf.readUInt16LE(at + 28);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.subarray(at + 46, at + 46 + nlen).toString('utf8');
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    out.set(name, inflateRawSync(buf.subarray(start, start + buf.readUInt32LE(at + 20))).toString('utf8'));
    at += 46 + nlen;
  }
  return out;
}

describe('support bundle', () => {
  it('holds the recent log files (newest first, within the limit), the status file, the settings files and info.txt — not the journal', async () => {
    const root = mkdtempSync(join(tmpdir(), 'wcti-bundle-'));
    const logs = join(root, 'logs');
    const target = join(root, 'Desktop');
    mkdirSync(logs);
    mkdirSync(target);
    const now = new Date(2026, 11, 4, 18, 0, 0);
    const day = (n: number): Date => new Date(now.getTime() - n * 86_400_000);
    const log = (name: string, text: string, at: Date): void => {
      writeFileSync(join(logs, name), text);
      utimesSync(join(logs, name), at, at);
    };
    log('wildix-datev-cti-2026-12-04.log', 'today\n'.repeat(100), day(0));
    log('wildix-datev-cti-2026-12-03.log', 'yesterday\n'.repeat(100), day(1));
    log('wildix-datev-cti-2026-12-03.log.1', 'yesterday, rotated\n'.repeat(100), day(1.1));
    log('wildix-datev-cti-2026-12-01.log', 'big\n'.repeat(1000), day(3)); // over the limit with the others
    log('wildix-datev-cti-2026-11-20.log', 'old\n', day(14)); // older than 7 days
    writeFileSync(join(logs, 'status.json'), '{"version":"9.8.7"}');
    writeFileSync(join(logs, 'journal.log.json'), 'the journal: numbers and names'); // not a log file
    const config = join(root, 'config.json');
    writeFileSync(config, '{ "line": "201" }');
    const b = await writeSupportBundle({
      logDir: logs,
      targetDir: target,
      info: ['Wildix CTI für DATEV 9.8.7'],
      configFiles: [
        { kind: 'machine', file: join(root, 'missing-defaults.json') },
        { kind: 'config', file: config },
      ],
      now,
      maxLogBytes: 4000,
    });
    expect(b.file).toBe(join(target, 'Wildix-CTI-Support-20261204-180000.zip'));
    expect(b.left.sort()).toEqual(['wildix-datev-cti-2026-11-20.log', 'wildix-datev-cti-2026-12-01.log']);
    const got = entries(b.file);
    expect([...got.keys()]).toEqual([
      'info.txt',
      'logs/wildix-datev-cti-2026-12-04.log',
      'logs/wildix-datev-cti-2026-12-03.log',
      'logs/wildix-datev-cti-2026-12-03.log.1',
      'status.json',
      'settings/config-config.json',
    ]);
    expect(got.get('logs/wildix-datev-cti-2026-12-03.log.1')).toBe('yesterday, rotated\n'.repeat(100));
    expect(got.get('status.json')).toBe('{"version":"9.8.7"}');
    expect(got.get('settings/config-config.json')).toBe('{ "line": "201" }');
    const info = got.get('info.txt')!;
    expect(info).toContain('Wildix CTI für DATEV 9.8.7\r\n');
    expect(info).toContain('left out (older or over the limit): wildix-datev-cti-2026-12-01.log, wildix-datev-cti-2026-11-20.log');
    expect(info).toContain(`settings file not present: ${join(root, 'missing-defaults.json')}`);
    expect([...got.values()].some((t) => t.includes('the journal'))).toBe(false);
  });

  it('without a running program (no status file) and an empty log folder it still says what it knows', async () => {
    const root = mkdtempSync(join(tmpdir(), 'wcti-bundle-'));
    const b = await writeSupportBundle({ logDir: join(root, 'no-logs'), targetDir: root, info: ['x'], configFiles: [], now: new Date() });
    const got = entries(b.file);
    expect([...got.keys()]).toEqual(['info.txt']);
    expect(got.get('info.txt')).toContain('the program is not running');
  });

  it('a folder it cannot write to is an error that names it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'wcti-bundle-'));
    await expect(writeSupportBundle({ logDir: root, targetDir: join(root, 'nope', 'deeper'), info: [], configFiles: [], now: new Date() })).rejects.toThrow(/nope/);
  });

  it('info.txt names version, platform, log folder, the settings files, what is in effect and where it comes from, and its problems', () => {
    const lines = supportInfo({
      version: '9.8.7',
      platform: 'win32',
      nodeVersion: 'v22.23.3',
      logDir: 'C:\\logs',
      configFile: 'C:\\cfg\\config.json',
      configFound: true,
      layers: [
        { kind: 'machine', file: 'C:\\ProgramData\\defaults.json', found: true },
        { kind: 'config', file: 'C:\\cfg\\config.json', found: true },
      ],
      sources: { line: 'C:\\ProgramData\\defaults.json', 'log.level': '--verbose' },
      problems: [{ file: 'C:\\cfg\\config.json', key: 'dialFormat', message: 'ungültiger Wert / invalid value' }],
      config: defaultConfig(),
      now: new Date(),
    });
    const text = lines.join('\n');
    expect(text).toContain('Wildix CTI für DATEV 9.8.7');
    expect(text).toContain('win32, Node.js v22.23.3');
    expect(text).toContain('(machine): C:\\ProgramData\\defaults.json (gefunden / found)');
    expect(text).toContain('line ← C:\\ProgramData\\defaults.json; log.level ← --verbose');
    expect(text).toContain('"reportUnanswered":true');
    expect(text).toMatch(/settings problem: .*dialFormat/);
    expect(text).toContain('not included: the call journal');
  });

  it('goes to the desktop Windows names (also a redirected one), else Desktop in the profile, else the profile folder', () => {
    const win = { platform: 'win32' as const, env: { USERPROFILE: 'C:\\Users\\anna' }, home: 'C:\\Users\\anna' };
    const oneDrive = 'C:\\Users\\anna\\OneDrive - Kanzlei\\Desktop';
    expect(bundleTargetDir(win, oneDrive, () => true)).toBe(oneDrive);
    expect(bundleTargetDir(win, oneDrive, (d) => d !== oneDrive)).toBe(join('C:\\Users\\anna', 'Desktop')); // named, but not there
    expect(bundleTargetDir(win, null, () => true)).toBe(join('C:\\Users\\anna', 'Desktop'));
    expect(bundleTargetDir(win, undefined, () => false)).toBe('C:\\Users\\anna');
  });
});
