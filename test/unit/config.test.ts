import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, loadConfig, parseConfig } from '../../src/config/load';
import { defaultConfig } from '../../src/config/schema';

describe('configuration', () => {
  it('a missing file means defaults, no problems', () => {
    const r = loadConfig(join(tmpdir(), 'does-not-exist-wildix.json'));
    expect(r).toEqual({ config: defaultConfig(), problems: [], found: false });
  });

  it('reads a valid file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const f = join(dir, 'config.json');
    writeFileSync(f, '\uFEFF' + JSON.stringify({ line: '201', dialFormat: 'national', log: { mask: false } }));
    const r = loadConfig(f);
    expect(r.found).toBe(true);
    expect(r.problems).toEqual([]);
    expect(r.config).toMatchObject({ line: '201', dialFormat: 'national', log: { mask: false, level: 'info' } });
  });

  it('reports each broken key with file, key and what is allowed; only that key falls back', () => {
    const r = parseConfig(JSON.stringify({ dialFormat: 'x', extensionLength: 3, log: { level: 'loud' }, typo: 1, lookupBudgetMs: -5 }), 'C:\\cfg.json');
    expect(r.config.extensionLength).toBe(3);
    expect(r.config.dialFormat).toBe('e164');
    expect(r.config.log.level).toBe('info');
    const lines = r.problems.map(formatProblem);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^C:\\cfg\.json: dialFormat: .*allowed: "e164", "national", "digits"/);
    expect(lines.some((l) => l.includes('log.level') && l.includes('"debug"'))).toBe(true);
    expect(lines.some((l) => l.includes('typo') && l.includes('unknown key'))).toBe(true);
    expect(lines.some((l) => l.includes('lookupBudgetMs') && l.includes('300'))).toBe(true);
  });

  it('says what is wrong with a number, a pattern and an address (zod’s English messages are loaded)', () => {
    const r = parseConfig(JSON.stringify({ lookupBudgetMs: -5, extensionLength: 2.5, country: 'de', contacts: { datevConnect: { baseUrl: 'localhost 58454' } } }), 'c.json');
    const byKey = Object.fromEntries(r.problems.map((p) => [p.key, p.message]));
    expect(byKey['lookupBudgetMs']).toContain('Too small: expected number to be >=0');
    expect(byKey['extensionLength']).toContain('expected int');
    expect(byKey['country']).toContain('must match pattern /^[A-Z]{2}$/');
    expect(byKey['contacts.datevConnect.baseUrl']).toContain('Invalid URL');
    expect(r.config.contacts.datevConnect.baseUrl).toBe('http://localhost:58454');
  });

  it('number settings the contact directory cannot use are config problems, not a stop at start', () => {
    for (const [key, value] of [['outsideLinePrefix', '0000'], ['outsideLinePrefix', '*0'], ['outsideLinePrefix', '#'], ['country', 'UK'], ['country', 'ZZ']] as const) {
      const r = parseConfig(JSON.stringify({ [key]: value, line: '201' }), 'c.json');
      expect(r.problems.map((p) => p.key)).toEqual([key]);
      expect(r.problems[0]!.message).toContain(`invalid value "${value}"`);
      expect(r.problems[0]!.message).toMatch(key === 'country' ? /ISO.*(GB|DE)/ : /0[–-]3 (Ziffern|digits)/);
      expect(r.config[key]).toBe(defaultConfig()[key]);
      expect(r.config.line).toBe('201');
    }
    const ok = parseConfig(JSON.stringify({ outsideLinePrefix: '000', country: 'GB' }), 'c.json');
    expect(ok.problems).toEqual([]);
    expect(ok.config).toMatchObject({ outsideLinePrefix: '000', country: 'GB' });
  });

  it('every section defaults on its own: a new object each time, not one shared default', () => {
    const a = defaultConfig();
    a.log.level = 'debug';
    expect(defaultConfig().log.level).toBe('info');
  });

  it('a file that is not JSON or not an object: defaults, with a clear problem', () => {
    const bad = parseConfig('{ line: 201', 'c.json');
    expect(bad.config).toEqual(defaultConfig());
    expect(bad.problems[0]!.message).toContain('not valid JSON');
    const arr = parseConfig('[1,2]', 'c.json');
    expect(arr.problems[0]!.message).toContain('expected a JSON object');
  });

  it('a file that cannot be read is reported', () => {
    const r = loadConfig('x', () => {
      throw Object.assign(new Error('denied'), { code: 'EACCES' });
    });
    expect(r.found).toBe(true);
    expect(r.problems[0]!.message).toContain('EACCES');
  });

  it('a key named like an Object.prototype member is an unknown key like any other, at the top and in sections', () => {
    // JSON.parse makes "__proto__" an own key; written by hand, as an object literal would set the prototype
    const text = '{"constructor": 1, "toString": "x", "__proto__": {"line": "p"}, "line": "201", "log": {"hasOwnProperty": true, "valueOf": 2, "level": "debug"}, "contacts": {"datevConnect": {"__proto__": 3, "constructor": {}}}}';
    const r = parseConfig(text, 'c.json');
    expect(r.problems.map((p) => p.key)).toEqual(['constructor', 'toString', '__proto__', 'log.hasOwnProperty', 'log.valueOf', 'contacts.datevConnect.__proto__', 'contacts.datevConnect.constructor']);
    for (const p of r.problems) expect(p.message).toContain('unbekannter Schlüssel / unknown key; bekannt / known: ');
    expect(r.config).toEqual({ ...defaultConfig(), line: '201', log: { ...defaultConfig().log, level: 'debug' } });
    expect(Object.getPrototypeOf(r.config)).toBe(Object.prototype);
    expect(r.keys).toEqual(['line', 'log.level']);
  });

  it('a file in Windows-1252 (PowerShell 5 Set-Content) is read as such, and that is reported', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const f = join(dir, 'config.json');
    writeFileSync(f, Buffer.from(JSON.stringify({ line: 'Wildix 201 Jürgen Müller', contacts: { datevConnect: { user: 'KANZLEI\\Björn' } } }), 'latin1'));
    const r = loadConfig(f);
    expect(r.config.line).toBe('Wildix 201 Jürgen Müller');
    expect(r.config.contacts.datevConnect.user).toBe('KANZLEI\\Björn');
    expect(r.problems.map(formatProblem)).toEqual([
      `${f}: (Datei / file): nicht als UTF-8 gespeichert, als Windows-1252 gelesen / not saved as UTF-8, read as Windows-1252; bitte als UTF-8 speichern / please save it as UTF-8`,
    ]);
  });

  it('a file in UTF-16 LE with BOM (PowerShell 5 Out-File) is read without a problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const f = join(dir, 'config.json');
    writeFileSync(f, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify({ line: 'Wildix 201 Jürgen Müller', dialFormat: 'national' }), 'utf16le')]));
    const r = loadConfig(f);
    expect(r.problems).toEqual([]);
    expect(r.config).toMatchObject({ line: 'Wildix 201 Jürgen Müller', dialFormat: 'national' });
  });

  it('a file in UTF-16 BE with BOM is read without a problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const f = join(dir, 'config.json');
    writeFileSync(f, Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(JSON.stringify({ line: 'Wildix 201 Jürgen Müller', dialFormat: 'digits' }), 'utf16le').swap16()]));
    const r = loadConfig(f);
    expect(r.problems).toEqual([]);
    expect(r.config).toMatchObject({ line: 'Wildix 201 Jürgen Müller', dialFormat: 'digits' });
  });

  it('a nested section given as a scalar is reported', () => {
    const r = parseConfig(JSON.stringify({ log: 'verbose' }), 'c.json');
    expect(r.problems[0]!.key).toBe('log');
    expect(r.config.log).toEqual(defaultConfig().log);
  });
});
