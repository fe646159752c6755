/** The command line, the simulation (the README's run command) and --diagnose, on any machine. */
import { fakeJournalPorts } from '../../fakes/journalWindows/fakeJournalWindows';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { run, type RunDeps, type NativeWiring } from '../../src/cli/run';
import type { Workstation } from '../../src/cli/workstation';
import { createFileLogger, formatMeta, HANDOVER_DELAY_MS, localTimestamp } from '../../src/logging/fileLogger';
import { MemoryLogger } from '../../src/logging/logger';
import { defaultConfigFile, defaultLogDir } from '../../src/config/paths';
import { FakeDatev } from '../../fakes/datev/fakeDatev';
import { FakeTapi } from '../../fakes/telephony/fakeTapi';
import { FakeDialogs } from '../../fakes/dialogs/fakeDialogs';
import { MemoryContacts } from '../../fakes/contacts/memoryContacts';

function deps(extra: Partial<RunDeps> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const home = mkdtempSync(join(tmpdir(), 'wcti-'));
  const logger = Object.assign(new MemoryLogger(), { close: async () => undefined });
  const d: RunDeps = {
    version: '9.8.7',
    env: { platform: 'linux', env: {}, home },
    nodeVersion: 'v22.23.3',
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    makeLogger: () => logger,
    ...extra,
  };
  return { d, out, err, home, logger };
}

describe('command line', () => {
  it('--help and --version', async () => {
    const a = deps();
    expect(await run(['--help'], a.d)).toBe(0);
    expect(a.out.join('')).toContain('--diagnose');
    const b = deps();
    expect(await run(['--version'], b.d)).toBe(0);
    expect(b.out).toEqual(['9.8.7']);
  });

  it('unknown options and missing values are clear errors (exit 2)', async () => {
    const a = deps();
    expect(await run(['--frobnicate'], a.d)).toBe(2);
    expect(a.err[0]).toContain('unknown option: --frobnicate');
    const b = deps();
    expect(await run(['--line'], b.d)).toBe(2);
    expect(b.err[0]).toContain('--line braucht einen Wert');
  });

  it('runs the scripted simulation away from Windows and exits 0', async () => {
    const a = deps();
    expect(await run(['--line=201', '--log-dir', '/tmp/x', '--verbose'], a.d)).toBe(0);
    const text = a.out.join('\n');
    expect(text).toContain('Simulation');
    expect(text).toMatch(/DATEV\s+→ Dial/);
    expect(text).toMatch(/„Wildix CTI – Ausgehender Anruf“ öffnet/);
    expect(text).toContain('klickt „Annehmen“');
    expect(text).toContain('CallState=eCSFinished');
    expect(text).toContain('CallState=eCSAbsence');
    expect(text).toContain('DataSource="DATEV_Institutionen"');
    expect(text).toContain('SyncID="SYNC-0815"');
    expect(text).toMatch(/„Wildix CTI – Notiz“ öffnet \(ohne Fokus\)/);
    expect(text).toMatch(/DATEV\s+← NewJournal .*Note="Rückfrage zur Umsatzsteuer-Voranmeldung/);
    expect(text).toContain('a colleague answers on the shared line');
    expect(text).toContain('DATEV received 11 notifications'); // the colleague's call: NewCall, Absence (no Connected)
    expect(a.logger.has('info', 'Wildix CTI für DATEV 9.8.7 starting')).toBe(true);
  });

  it('--support-bundle writes the ZIP (logs, status, settings, info) where support bundles go and says where; a folder it cannot write to: exit 1', async () => {
    const a = deps();
    const logDir = join(a.home, 'logs');
    mkdirSync(logDir, { recursive: true });
    writeFileSync(join(logDir, 'wildix-datev-cti-2026-12-04.log'), 'a log line\n');
    const config = join(a.home, 'c.json');
    writeFileSync(config, JSON.stringify({ line: '201' }));
    a.d.supportDir = a.home;
    expect(await run(['--support-bundle', '--config', config, '--log-dir', logDir], a.d)).toBe(0);
    const file = a.out.join('\n').match(/support bundle written: (.*\.zip)$/)?.[1];
    expect(file).toBeDefined();
    const zip = readFileSync(file!);
    for (const name of ['info.txt', 'logs/wildix-datev-cti-2026-12-04.log', 'settings/config-c.json']) expect(zip.includes(Buffer.from(name))).toBe(true);
    expect(a.logger.has('info', 'support bundle written')).toBe(true);
    const b = deps();
    b.d.supportDir = join(b.home, 'missing', 'folder');
    expect(await run(['--support-bundle'], b.d)).toBe(1);
    expect(b.err.join('\n')).toContain('support bundle not written');
  });

  it('--support-bundle on Windows goes to the desktop Windows names (a redirected one too); a failing lookup falls back to the profile', async () => {
    const a = deps();
    const desktop = join(a.home, 'OneDrive - Kanzlei', 'Desktop');
    mkdirSync(desktop, { recursive: true });
    a.d.workstation = () => ({ desktopFolder: () => desktop }) as unknown as Workstation;
    expect(await run(['--support-bundle'], a.d)).toBe(0);
    expect(readdirSync(desktop).filter((f) => f.endsWith('.zip'))).toHaveLength(1);
    const b = deps();
    b.d.workstation = () => ({ desktopFolder: () => { throw new Error('addon missing'); } }) as unknown as Workstation;
    expect(await run(['--support-bundle'], b.d)).toBe(0);
    expect(readdirSync(b.home).filter((f) => f.endsWith('.zip'))).toHaveLength(1); // no Desktop folder there: the home folder
    expect(b.logger.has('warn', 'the desktop folder is not known: addon missing')).toBe(true);
  });

  it('--lookup shows how a number is read and which contact the program finds (the simulation\'s contacts away from Windows); exit 1 without one', async () => {
    const a = deps();
    expect(await run(['--lookup', '089 / 1234567'], a.d)).toBe(0);
    const text = a.out.join('\n');
    expect(text).toContain('„089 / 1234567“ → +49891234567');
    expect(text).toContain('→ Müller & Söhne GmbH (DATEV_Adressaten 4711), in DATEV als / stored as „089/1234567“');
    const b = deps();
    expect(await run(['--lookup', '+49 40 9999999'], b.d)).toBe(1);
    expect(b.out.join('\n')).toContain('no contact found');
    const c = deps();
    expect(await run(['--lookup', '201'], c.d)).toBe(1);
    expect(c.out.join('\n')).toContain('not looked up: interne Nebenstelle');
    const e = deps();
    expect(await run(['--lookup'], e.d)).toBe(2);
  });

  it('reports config problems to the log and in --diagnose (exit 1)', async () => {
    const a = deps();
    const file = join(a.home, 'c.json');
    writeFileSync(file, JSON.stringify({ dialFormat: 'weird' }));
    expect(await run(['--config', file, '--diagnose'], a.d)).toBe(1);
    const text = a.out.join('\n');
    expect(text).toContain('FEHLER Einstellung / setting');
    expect(text).toContain('dialFormat');
    expect(a.logger.has('warn', 'config:')).toBe(true);
  });

  it('a config key named like an Object.prototype member is reported, not a crash (--diagnose exits 1)', async () => {
    const a = deps();
    const file = join(a.home, 'c.json');
    writeFileSync(file, '{"constructor": 1, "log": {"toString": 2}}');
    expect(await run(['--config', file, '--diagnose'], a.d)).toBe(1);
    const text = a.out.join('\n');
    expect(text).toContain(`FEHLER Einstellung / setting ${file}: constructor: unbekannter Schlüssel / unknown key`);
    expect(text).toContain(`FEHLER Einstellung / setting ${file}: log.toString: unbekannter Schlüssel / unknown key`);
  });

  it('an explicit --config file that does not exist is a config problem: logged, in --diagnose (exit 1)', async () => {
    const a = deps();
    const file = join(a.home, 'nicht-da.json');
    expect(await run(['--config', file, '--diagnose'], a.d)).toBe(1);
    const line = `${file}: (Datei / file): nicht gefunden / not found (--config); Voreinstellungen und Standardwerte werden verwendet / defaults are used`;
    expect(a.out).toContain(`FEHLER Einstellung / setting ${line}`);
    expect(a.out.join('\n')).toContain('Ergebnis: nicht einsatzbereit');
    expect(a.logger.has('warn', `config: ${line}`)).toBe(true);
  });

  it('an explicit --config file that does not exist is shown in a dialog when the program starts', async () => {
    const tapi = new FakeTapi();
    tapi.addLine('Wildix 201', '201');
    const datev = new FakeDatev();
    const dialogs = new FakeDialogs();
    let stop!: (r: string) => void;
    const native = async (): Promise<NativeWiring> => ({
      ports: { telephony: tapi.port, datev: datev.port, dialogs: dialogs.port, contacts: new MemoryContacts(), journal: fakeJournalPorts() },
      stopSignal: new Promise((r) => (stop = r)),
    });
    const a = deps({ native });
    const file = join(a.home, 'nicht-da.json');
    const done = run(['--config', file], a.d);
    await vi.waitFor(() => expect(dialogs.history.some((e) => e.type === 'shown' && e.text.includes(`${file}: (Datei / file): nicht gefunden / not found (--config)`))).toBe(true), { timeout: 10_000, interval: 5 });
    stop('SIGINT');
    expect(await done).toBe(0);
  });

  it('--diagnose on the simulation is ready (exit 0) and lists lines, DATEV and the ROT check', async () => {
    const a = deps();
    expect(await run(['--diagnose'], a.d)).toBe(0);
    const text = a.out.join('\n');
    expect(text).toContain('TAPI verfügbar');
    expect(text).toContain('Leitung geöffnet');
    expect(text).toContain('CTI-Objekt im ROT registrierbar');
    expect(text).toContain('Ergebnis: einsatzbereit');
  });

  it('--diagnose with the native wiring: line missing → exit 1, extra lines printed', async () => {
    const tapi = new FakeTapi();
    const datev = new FakeDatev({ running: false });
    const purposes: (string | undefined)[] = [];
    const native = async (_c: unknown, _l: unknown, purpose?: 'run' | 'diagnose'): Promise<NativeWiring> => {
      purposes.push(purpose);
      return {
        ports: { telephony: tapi.port, datev: datev.port, dialogs: new FakeDialogs().port, contacts: new MemoryContacts(), journal: fakeJournalPorts() },
        diagnostics: async () => ['Typbibliothek / type library: OK'],
        stopSignal: new Promise(() => undefined),
      };
    };
    const a = deps({ native });
    expect(await run(['--diagnose'], a.d)).toBe(1);
    // the wiring is told: no stop window in a --diagnose process (--stop must find the running instance)
    expect(purposes).toEqual(['diagnose']);
    const text = a.out.join('\n');
    expect(text).toContain('Keine Wildix-Leitung gefunden');
    expect(text).toContain('DATEV Telefonie läuft nicht');
    expect(text).toContain('Typbibliothek / type library: OK');
  });

  it('runs the real app with the native wiring until the stop signal, then stops cleanly', async () => {
    const tapi = new FakeTapi();
    tapi.addLine('Wildix 201', '201');
    const datev = new FakeDatev();
    let stop!: (r: string) => void;
    let closed = false;
    const native = async (): Promise<NativeWiring> => ({
      ports: { telephony: tapi.port, datev: datev.port, dialogs: new FakeDialogs().port, contacts: new MemoryContacts(), journal: fakeJournalPorts() },
      stopSignal: new Promise((r) => (stop = r)),
      close: async () => {
        closed = true;
      },
    });
    const a = deps({ native });
    const done = run([], a.d);
    // wait for the state (the CTI object in the ROT), not for a fixed time
    await vi.waitFor(async () => expect(await datev.driver.isCtiRegistered()).toBe(true), { timeout: 10_000, interval: 5 });
    stop('SIGINT');
    expect(await done).toBe(0);
    expect(closed).toBe(true);
    expect(await datev.driver.isCtiRegistered()).toBe(false);
    expect(a.logger.has('info', 'stopping (SIGINT)')).toBe(true);
  });

  it('a failure while starting is reported, logged and exits 1', async () => {
    const a = deps({ native: async () => Promise.reject(new Error('addon missing')) });
    expect(await run([], a.d)).toBe(1);
    expect(a.err[0]).toContain('addon missing');
    expect(a.logger.has('error', 'fatal')).toBe(true);
  });

  it('default paths per platform', () => {
    const win = { platform: 'win32' as const, env: { APPDATA: 'C:\\Users\\a\\AppData\\Roaming', LOCALAPPDATA: 'C:\\Users\\a\\AppData\\Local' }, home: 'C:\\Users\\a' };
    expect(defaultConfigFile(win)).toContain(join('Wildix', 'DatevCti', 'config.json'));
    expect(defaultLogDir(win)).toContain(join('Wildix', 'DatevCti', 'logs'));
    const winBare = { ...win, env: {} };
    expect(defaultConfigFile(winBare)).toContain('Roaming');
    expect(defaultLogDir(winBare)).toContain('Local');
    const lin = { platform: 'linux' as const, env: {}, home: '/home/a' };
    expect(defaultConfigFile(lin)).toBe('/home/a/.config/wildix-datev-cti/config.json');
    expect(defaultLogDir(lin)).toBe('/home/a/.local/state/wildix-datev-cti/logs');
    expect(defaultLogDir({ ...lin, env: { XDG_STATE_HOME: '/s' } })).toBe('/s/wildix-datev-cti/logs');
  });
});

describe('file logger', () => {
  it('writes local timestamps with milliseconds and key=value metadata to a rotating file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wlog-'));
    const log = createFileLogger({ dir, level: 'debug', maxSizeMB: 1, maxDays: 2, console: false });
    log.info('DATEV NewCall', { callId: 'C-1', number: '+** ** ****567', n: 3, empty: '', gone: undefined, err: new Error('x y') });
    log.debug('debug line');
    await log.close();
    const files = readdirSync(dir).filter((f) => f.endsWith('.log'));
    expect(files).toHaveLength(1);
    const text = readFileSync(join(dir, files[0]!), 'utf8');
    expect(text).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} INFO  DATEV NewCall callId=C-1 number="\+\*\* \*\* \*\*\*\*567" n=3 empty="" err="x y"$/m);
    expect(text).toContain('DEBUG debug line');
  });

  it('keeps the order of lines and what was logged, though they are written after the turn (an error at once)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wlog-'));
    const log = createFileLogger({ dir, level: 'info', maxSizeMB: 1, maxDays: 2, console: false });
    const meta = { callId: 'C-1' };
    log.info('first', meta);
    meta.callId = 'changed after the call'; // the line keeps what was logged
    log.debug('below the level');
    log.error('second'); // goes to winston at once, after what is pending
    log.warn('third'); // pending when close() is called
    await log.close();
    const text = readFileSync(join(dir, readdirSync(dir).find((f) => f.endsWith('.log'))!), 'utf8');
    expect(text.split('\n').filter(Boolean).map((l) => l.slice(24))).toEqual(['INFO  first callId=C-1', 'ERROR second', 'WARN  third']);
  });

  it('writes lines by itself a moment after they were logged, stamped when they were logged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wlog-'));
    const log = createFileLogger({ dir, level: 'info', maxSizeMB: 1, maxDays: 2, console: false });
    const before = new Date();
    log.info('on its own');
    let text = '';
    for (let k = 0; k < 100 && !text.includes('on its own'); k++) {
      await new Promise((r) => setTimeout(r, 20));
      const file = readdirSync(dir).find((f) => f.endsWith('.log'));
      text = file ? readFileSync(join(dir, file), 'utf8') : '';
    }
    expect(text).toContain('INFO  on its own');
    const stamp = text.slice(0, 23);
    expect(stamp >= localTimestamp(before)).toBe(true);
    expect(stamp < localTimestamp(new Date(before.getTime() + HANDOVER_DELAY_MS))).toBe(true);
    await log.close();
  });

  it('never throws when the folder cannot be written', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wlog-')), 'not-a-dir');
    writeFileSync(file, 'x');
    const log = createFileLogger({ dir: join(file, 'sub'), level: 'info', maxSizeMB: 1, maxDays: 1, console: false });
    log.error('still fine');
    log.warn('still fine');
    await log.close();
    expect(log.dir).toContain('not-a-dir');
  });

  it('formats timestamps and metadata', () => {
    expect(localTimestamp(new Date(2026, 0, 2, 3, 4, 5, 6))).toBe('2026-01-02 03:04:05.006');
    expect(formatMeta(undefined)).toBe('');
    expect(formatMeta({ a: 'b c', o: { x: 1 } })).toBe(' a="b c" o={"x":1}');
  });
});
