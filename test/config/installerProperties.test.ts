/** The installer's settings properties (LINE=…, DIALFORMAT=…) checked against the config schema. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args';
import { quoteWindowsArg } from '../../src/util/windowsCommandLine';
import { checkProperties, INSTALLER_PROPERTIES, keysWithoutProperty, propertyOf } from '../../src/config/installerProperties';
import { leafKeys } from '../../src/config/layers';
import { splitWindowsCommandLine } from './windowsCommandLine';

const ROOT = join(__dirname, '..', '..');
// scripts/build-msi.js (CommonJS) makes the -D DefaultsArgs that the .wxs puts into WriteDefaults
// eslint-disable-next-line @typescript-eslint/no-require-imports
const buildMsi = require(join(ROOT, 'scripts', 'build-msi.js')) as { defaultsArgs: (props: string[]) => string };

/** The WriteDefaults command lines of installer/wildix-datev-cti.wxs (per user, per machine), as wixl gets them. */
function writeDefaultsCommands(): string[] {
  const wxs = readFileSync(join(ROOT, 'installer', 'wildix-datev-cti.wxs'), 'utf8');
  const commands = [...wxs.matchAll(/ExeCommand="(--write-defaults [^"]*)"/g)].map((m) => m[1]!.replace(/&quot;/g, '"'));
  expect(commands).toHaveLength(2);
  return commands.map((c) => c.replace('$(var.DefaultsArgs)', buildMsi.defaultsArgs(Object.keys(INSTALLER_PROPERTIES))));
}

/** What Windows Installer runs for a type-18 custom action: the exe in quotes, then ExeCommand with [PROPERTY] formatted. */
function msiCommandLine(exeCommand: string, properties: Record<string, string>): string {
  const formatted = exeCommand.replace(/\[([A-Za-z_][A-Za-z0-9_.]*)\]/g, (_, name: string) => properties[name] ?? '');
  return `"C:\\Users\\anna\\AppData\\Local\\Programs\\Wildix CTI für DATEV\\wildix-datev-cti.exe" ${formatted}`;
}

/** The properties the exe gets from the installer's command line (its argv after the program). */
function assignmentsFromMsi(exeCommand: string, properties: Record<string, string>): string[] {
  const argv = splitWindowsCommandLine(msiCommandLine(exeCommand, properties)).slice(1);
  const parsed = parseArgs(argv);
  if (!parsed.ok || !parsed.options.writeDefaults) throw new Error(`not a --write-defaults line: ${JSON.stringify(argv)}`);
  return parsed.options.writeDefaults.assignments;
}

const FOLDERS = { AppDataFolder: 'C:\\Users\\anna\\AppData\\Roaming\\', CommonAppDataFolder: 'C:\\ProgramData\\', UILevel: '5' };

describe('splitting a Windows command line (test helper, the C runtime rules)', () => {
  it('splits the examples of Microsoft\'s documentation as the C runtime does', () => {
    const split = (args: string) => splitWindowsCommandLine(`p.exe ${args}`).slice(1);
    expect(split('"a b c" d e')).toEqual(['a b c', 'd', 'e']);
    expect(split('"ab\\"c" "\\\\" d')).toEqual(['ab"c', '\\', 'd']);
    expect(split('a\\\\\\b d"e f"g h')).toEqual(['a\\\\\\b', 'de fg', 'h']);
    expect(split('a\\\\\\"b c d')).toEqual(['a\\"b', 'c', 'd']);
    expect(split('a\\\\\\\\"b c" d e')).toEqual(['a\\\\b c', 'd', 'e']);
    expect(split('a"b"" c d')).toEqual(['ab" c d']);
    expect(splitWindowsCommandLine('"C:\\Program Files\\x.exe" "" \t a')).toEqual(['C:\\Program Files\\x.exe', '', 'a']);
  });

  it('gives back what quoteWindowsArg quoted', () => {
    const args = ['D:\\Logs\\', 'a b\\', 'say "hi"', '', 'Jörg Müller', '\\\\server\\share\\'];
    expect(splitWindowsCommandLine(`x.exe ${args.map(quoteWindowsArg).join(' ')}`).slice(1)).toEqual(args);
  });
});

describe('installer properties on the installer\'s command line', () => {
  it('a value ending in a backslash arrives intact and the properties after it too', () => {
    for (const command of writeDefaultsCommands()) {
      const r = checkProperties(assignmentsFromMsi(command, { ...FOLDERS, LOGDIR: 'D:\\Logs\\', LOGMAXDAYS: '30' }));
      expect(r.errors).toEqual([]);
      expect(r.values).toEqual({ log: { dir: 'D:\\Logs\\', maxDays: 30 } });
    }
  });

  it('blanks, umlauts and backslashes anywhere arrive intact; unset properties stay "not given"', () => {
    const given = { LINE: 'Wildix 201 Jörg Müller', LOGDIR: '\\\\srv\\Protokolle Ä\\\\', MANUALLISTFILE: 'C:\\Kontakte\\Liste ü.csv', DIALFORMAT: 'national' };
    for (const command of writeDefaultsCommands()) {
      const r = checkProperties(assignmentsFromMsi(command, { ...FOLDERS, ...given }));
      expect(r.errors).toEqual([]);
      expect(r.values).toEqual({
        line: 'Wildix 201 Jörg Müller',
        dialFormat: 'national',
        contacts: { manualListFile: 'C:\\Kontakte\\Liste ü.csv' },
        log: { dir: '\\\\srv\\Protokolle Ä\\\\' },
      });
    }
  });

  it('a value with a double quote or one that swallowed the next property is an error, not garbage', () => {
    const swallowed = checkProperties(['LOGDIR=D:\\Logs" LOGMASK= LOGMAXSIZEMB= LOGMAXDAYS=30', 'LINE=201']);
    expect(swallowed.errors).toEqual([expect.stringMatching(/^LOGDIR: .*(Anführungszeichen|double quote)/)]);
    const next = checkProperties(['LINE=201 DIALFORMAT=national']);
    expect(next.errors).toEqual([expect.stringMatching(/^LINE: .*DIALFORMAT=/)]);
    // a line broken the old way ("NAME=[NAME]" with a trailing backslash) fails the install
    const old = 'p.exe --write-defaults "C:\\d.json" "LOGDIR=D:\\Logs\\" "LOGMASK=" "LOGMAXSIZEMB=" "LOGMAXDAYS=30"';
    const argv = splitWindowsCommandLine(old).slice(1);
    const parsed = parseArgs(argv);
    expect(parsed.ok && parsed.options.writeDefaults ? checkProperties(parsed.options.writeDefaults.assignments).errors : []).not.toEqual([]);
    // a plain value with an equals sign is fine
    expect(checkProperties(['DATEVCONNECTURL=http://dc:58454/?a=b']).errors).toEqual([]);
  });
});

describe('installer properties', () => {
  it('every config key has exactly one upper-case property (add one to INSTALLER_PROPERTIES for a new key)', () => {
    expect(keysWithoutProperty()).toEqual([]);
    const keys = Object.values(INSTALLER_PROPERTIES);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.every((k) => leafKeys().includes(k))).toBe(true);
    expect(Object.keys(INSTALLER_PROPERTIES).every((p) => /^[A-Z][A-Z0-9]*$/.test(p))).toBe(true);
    expect(propertyOf('contacts.datevConnect.baseUrl')).toBe('DATEVCONNECTURL');
    expect(propertyOf('nope')).toBeUndefined();
  });

  it('turns NAME=VALUE into the nested settings, with numbers and yes/no as the schema wants them', () => {
    const r = checkProperties(['LINE=Wildix 201', 'dialformat=national', 'EXTENSIONLENGTH=3', 'DATEVCONNECT=nein', 'LOGMASK=1', 'DATEVCONNECTURL=http://dc:58454', 'OUTSIDELINEPREFIX=0']);
    expect(r.errors).toEqual([]);
    expect(r.values).toEqual({
      line: 'Wildix 201',
      dialFormat: 'national',
      extensionLength: 3,
      outsideLinePrefix: '0',
      contacts: { datevConnect: { enabled: false, baseUrl: 'http://dc:58454' } },
      log: { mask: true },
    });
    expect(r.taken).toEqual(['LINE=Wildix 201', 'DIALFORMAT=national', 'EXTENSIONLENGTH=3', 'DATEVCONNECT=nein', 'LOGMASK=1', 'DATEVCONNECTURL=http://dc:58454', 'OUTSIDELINEPREFIX=0']);
  });

  it('an empty value means "not given" (msiexec passes every property)', () => {
    const r = checkProperties(['LINE=', 'DIALFORMAT=', 'AREACODE=89']);
    expect(r).toEqual({ values: { areaCode: '89' }, taken: ['AREACODE=89'], errors: [] });
  });

  it('names each bad property with what is allowed', () => {
    const r = checkProperties(['DIALFORMAT=fast', 'EXTENSIONLENGTH=99', 'LOGMASK=vielleicht', 'OUTSIDELINEPREFIX=abc', 'DATEVCONNECTURL=not a url', 'TAPIREPLYTIMEOUTMS=1.5']);
    expect(r.errors).toHaveLength(6);
    expect(r.errors[0]).toBe('DIALFORMAT (dialFormat): ungültiger Wert / invalid value "fast": erlaubt / allowed: "e164", "national", "digits"');
    expect(r.errors.find((e) => e.startsWith('EXTENSIONLENGTH (extensionLength)'))).toContain('99');
    expect(r.errors.find((e) => e.startsWith('LOGMASK (log.mask)'))).toContain('"vielleicht"');
    expect(r.errors.find((e) => e.startsWith('OUTSIDELINEPREFIX'))).toContain('"abc"');
    expect(r.errors.find((e) => e.startsWith('DATEVCONNECTURL'))).toContain('"not a url"');
    expect(r.errors.find((e) => e.startsWith('TAPIREPLYTIMEOUTMS'))).toContain('"1.5"');
    expect(r.errors.every((e) => !e.includes('wird verwendet'))).toBe(true); // nothing "is used": the install stops
  });

  it('unknown names, a missing "=" and a property given twice are errors', () => {
    const r = checkProperties(['FOO=1', 'LINE', '=x', 'LINE=1', 'line=2']);
    expect(r.errors).toEqual([
      expect.stringMatching(/^FOO: unbekannte Eigenschaft \/ unknown property; bekannt \/ known: LINE, COUNTRY/),
      '„LINE“: erwartet / expected NAME=WERT (NAME=VALUE)',
      '„=x“: erwartet / expected NAME=WERT (NAME=VALUE)',
      'LINE: mehrfach angegeben / given more than once',
    ]);
    expect(r.values).toEqual({ line: '1' });
  });
});
