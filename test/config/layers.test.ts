/** Settings in layers: built-in < machine-wide defaults < user-wide defaults < config.json, key by key. */
import { describe, expect, it } from 'vitest';
import { leafKeys, loadLayeredConfig, valueAt } from '../../src/config/layers';
import { machineDefaultsFile, userDefaultsFile } from '../../src/config/paths';
import { defaultConfig } from '../../src/config/schema';
import { formatProblem } from '../../src/config/load';

const FILES = { machineDefaults: 'M:\\defaults.json', userDefaults: 'U:\\defaults.json', config: 'U:\\config.json' };

/** An in-memory file system for loadLayeredConfig (texts stored as UTF-8). */
function reader(files: Record<string, string | Error>): (f: string) => Uint8Array {
  return (f) => {
    const v = files[f];
    if (v === undefined) throw Object.assign(new Error(`ENOENT: ${f}`), { code: 'ENOENT' });
    if (v instanceof Error) throw v;
    return Buffer.from(v, 'utf8');
  };
}

describe('layered settings', () => {
  it('no files: the built-in defaults, every file listed as not found, no sources', () => {
    const r = loadLayeredConfig(FILES, reader({}));
    expect(r.config).toEqual(defaultConfig());
    expect(r.problems).toEqual([]);
    expect(r.found).toBe(false);
    expect(r.layers).toEqual([
      { kind: 'machine', file: FILES.machineDefaults, found: false },
      { kind: 'user', file: FILES.userDefaults, found: false },
      { kind: 'config', file: FILES.config, found: false },
    ]);
    expect(r.sources).toEqual({});
  });

  it('each layer overrides the ones below it key by key, nested sections too, and the source of each key is kept', () => {
    const r = loadLayeredConfig(
      FILES,
      reader({
        [FILES.machineDefaults]: JSON.stringify({ line: '201', dialFormat: 'national', contacts: { datevConnect: { baseUrl: 'http://m:58454', auth: 'basic' } } }),
        [FILES.userDefaults]: JSON.stringify({ line: '202', contacts: { datevConnect: { user: 'KANZLEI\\anna' } } }),
        [FILES.config]: JSON.stringify({ dialFormat: 'digits', contacts: { datevConnect: { auth: 'windows' } } }),
      }),
    );
    expect(r.problems).toEqual([]);
    expect(r.found).toBe(true);
    expect(r.config.line).toBe('202');
    expect(r.config.dialFormat).toBe('digits');
    expect(r.config.contacts.datevConnect).toMatchObject({ baseUrl: 'http://m:58454', auth: 'windows', user: 'KANZLEI\\anna', concurrency: 4 });
    expect(r.sources).toEqual({
      line: FILES.userDefaults,
      dialFormat: FILES.config,
      'contacts.datevConnect.baseUrl': FILES.machineDefaults,
      'contacts.datevConnect.auth': FILES.config,
      'contacts.datevConnect.user': FILES.userDefaults,
    });
  });

  it('a broken key is reported with its file and only that key falls back to the layer below', () => {
    const r = loadLayeredConfig(
      FILES,
      reader({
        [FILES.machineDefaults]: JSON.stringify({ dialFormat: 'national', extensionLength: 3 }),
        [FILES.config]: JSON.stringify({ dialFormat: 'fast', extensionLength: 5, typo: 1 }),
      }),
    );
    expect(r.config.dialFormat).toBe('national'); // the machine-wide value, not the built-in e164
    expect(r.config.extensionLength).toBe(5);
    expect(r.sources.dialFormat).toBe(FILES.machineDefaults);
    const lines = r.problems.map(formatProblem);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^U:\\config\.json: dialFormat: ungültiger Wert .*"fast".*allowed: "e164", "national", "digits"; Standard \/ default "national"/);
    expect(lines[1]).toContain('typo: unbekannter Schlüssel / unknown key');
  });

  it('a defaults file that is not JSON or cannot be read is reported; the layers around it still apply', () => {
    const r = loadLayeredConfig(
      FILES,
      reader({
        [FILES.machineDefaults]: JSON.stringify({ line: '201' }),
        [FILES.userDefaults]: '{ line: ',
        [FILES.config]: Object.assign(new Error('denied'), { code: 'EACCES' }),
      }),
    );
    expect(r.config.line).toBe('201');
    expect(r.problems.map((p) => p.file)).toEqual([FILES.userDefaults, FILES.config]);
    expect(r.problems[0]!.message).toContain('not valid JSON');
    expect(r.problems[1]!.message).toContain('EACCES');
    expect(r.layers.map((l) => l.found)).toEqual([true, true, true]);
  });

  it('lists every leaf key and reads values by dotted path', () => {
    const keys = leafKeys();
    expect(keys).toContain('line');
    expect(keys).toContain('contacts.datevConnect.baseUrl');
    expect(keys).toContain('log.maxDays');
    expect(keys.every((k) => typeof valueAt(defaultConfig(), k) !== 'object')).toBe(true);
    expect(valueAt(defaultConfig(), 'contacts.datevConnect.concurrency')).toBe(4);
  });

  it('where the defaults files are, per platform', () => {
    const win = { platform: 'win32' as const, env: { APPDATA: 'C:\\Users\\a\\AppData\\Roaming', ProgramData: 'D:\\PD' }, home: 'C:\\Users\\a' };
    expect(machineDefaultsFile(win)).toMatch(/^D:\\PD.Wildix.DatevCti.defaults\.json$/);
    expect(userDefaultsFile(win)).toMatch(/^C:\\Users\\a\\AppData\\Roaming.Wildix.DatevCti.defaults\.json$/);
    expect(machineDefaultsFile({ ...win, env: { PROGRAMDATA: 'E:\\PD' } })).toMatch(/^E:\\PD/);
    expect(machineDefaultsFile({ ...win, env: {} })).toMatch(/^C:\\ProgramData/);
    expect(userDefaultsFile({ ...win, env: {} })).toContain('Roaming');
    const lin = { platform: 'linux' as const, env: {}, home: '/home/a' };
    expect(machineDefaultsFile(lin)).toBe('/etc/wildix-datev-cti/defaults.json');
    expect(userDefaultsFile(lin)).toBe('/home/a/.config/wildix-datev-cti/defaults.json');
    expect(userDefaultsFile({ ...lin, env: { XDG_CONFIG_HOME: '/c' } })).toBe('/c/wildix-datev-cti/defaults.json');
  });
});
