/**
 * The Windows Installer packages (dist/*.msi from `npm run package`, scripts/build-msi.js) installed by
 * Wine's msiexec as an IT provider would: silent per-user and per-machine installs with pre-seeded
 * settings, a property the program's config schema rejects, an upgrade from a previous build (made
 * here with a lower version) while the old version runs, a refused downgrade, uninstalls that keep the
 * user's data, and the Authenticode signatures CI put on the files (scripts/test.sh signs with a
 * throw-away certificate from scripts/make-test-certificate.sh).
 *
 * Wine notes (what differs from Windows, asserted as Wine does it):
 *   - `wine msiexec` ends with the low 8 bits of the Windows exit code (1603 → 67), and a failing
 *     custom action ends Wine's msiexec with 1627 (→ 91) where Windows says 1603; both are failures.
 *   - Wine's msi puts ProgramMenuFolder in the user's Start menu even with ALLUSERS=1 (a FIXME in
 *     Wine's msi/package.c); Windows uses the common Start menu for the per-machine package.
 *   - Wine's msiexec log has no launch-condition or custom-action messages, so the reason of a rejected
 *     property is read from the program's own setup log (%TEMP%\wildix-datev-cti-setup.log).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { paths, ROOT, wineEnv, winPath } from './env';
import type { WinUserWindow } from './winUser';

const display = inject('display');
const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const DIST = path.join(ROOT, 'dist');
const MSI_USER = path.join(DIST, `wildix-datev-cti-${VERSION}-x64.msi`);
const MSI_MACHINE = path.join(DIST, `wildix-datev-cti-${VERSION}-x64-allusers.msi`);
const DIST_EXE = path.join(DIST, 'wildix-datev-cti.exe');
const DIST_ADDON = path.join(DIST, 'wildix_cti.node');
const TEST_CA = path.join(ROOT, '.cache', 'signing', 'test-signing-ca.pem');
const WORK = path.join(ROOT, '.cache', 'msi-test');
const UPGRADE_CODE_USER = '{344A4212-D129-4CF5-A54A-05B0587A6B3B}';
const UPGRADE_CODE_MACHINE = '{DCE616D3-0CE1-4269-BB0B-4B9AB0BDFF6E}';
const RUN_HKCU = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run';
const RUN_HKLM = 'HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run';
const EXE_NAME = 'wildix-datev-cti.exe';
/** Generous: a silent install takes 3–8 s under Wine, an upgrade waits for the old instance to end. */
const MSI_TIMEOUT_MS = 180_000;

/** A version below VERSION, for the "previous build" (MSI limits: minor ≤ 255, build ≤ 65535). */
function previousVersion(v: string): string {
  const [a, b, c] = v.split('.').map(Number) as [number, number, number];
  if (c > 0) return `${a}.${b}.${c - 1}`;
  if (b > 0) return `${a}.${b - 1}.9999`;
  if (a > 0) return `${a - 1}.255.9999`;
  throw new Error(`no version below ${v}`);
}
const PREVIOUS = previousVersion(VERSION);
const MSI_PREVIOUS = path.join(WORK, `wildix-datev-cti-${PREVIOUS}-x64.msi`);

// ---- the Wine "machine" ------------------------------------------------------------------------------

const driveC = path.join(paths.prefix, 'drive_c');
function userName(): string {
  const users = fs.readdirSync(path.join(driveC, 'users')).filter((u) => u !== 'Public');
  if (users.length !== 1) throw new Error(`expected one Wine user in ${driveC}/users, found ${users.join(', ')}`);
  return users[0]!;
}
const USER = userName();
const home = path.join(driveC, 'users', USER);
const unix = {
  userInstall: path.join(home, 'AppData', 'Local', 'Programs', 'Wildix', 'DatevCti'),
  userPrograms: path.join(home, 'AppData', 'Local', 'Programs'),
  machineInstall: path.join(driveC, 'Program Files', 'Wildix', 'DatevCti'),
  userData: path.join(home, 'AppData', 'Roaming', 'Wildix', 'DatevCti'),
  machineData: path.join(driveC, 'ProgramData', 'Wildix', 'DatevCti'),
  logs: path.join(home, 'AppData', 'Local', 'Wildix', 'DatevCti', 'logs'),
  // Wine's ProgramMenuFolder, for both packages (see the Wine notes above)
  shortcut: path.join(home, 'AppData', 'Roaming', 'Microsoft', 'Windows', 'Start Menu', 'Programs', 'Wildix CTI für DATEV.lnk'),
  setupLog: path.join(home, 'Temp', 'wildix-datev-cti-setup.log'),
  pkgCache: path.join(home, '.cache', 'pkg'),
};
const win = {
  userExe: `C:\\users\\${USER}\\AppData\\Local\\Programs\\Wildix\\DatevCti\\${EXE_NAME}`,
  machineExe: `C:\\Program Files\\Wildix\\DatevCti\\${EXE_NAME}`,
  userDefaults: `C:\\users\\${USER}\\AppData\\Roaming\\Wildix\\DatevCti\\defaults.json`,
  userConfig: `C:\\users\\${USER}\\AppData\\Roaming\\Wildix\\DatevCti\\config.json`,
  machineDefaults: 'C:\\ProgramData\\Wildix\\DatevCti\\defaults.json',
};

let runs = 0;

/** Starts a Windows program under Wine; output to a file (a Windows process must not hold a Unix pipe). */
function startWine(args: string[], timeoutMs = MSI_TIMEOUT_MS): Promise<{ code: number | null; out: string }> {
  fs.mkdirSync(WORK, { recursive: true });
  const file = path.join(WORK, `run-${++runs}.txt`);
  const fd = fs.openSync(file, 'w');
  const child = spawn('wine', args, { env: wineEnv(display), stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  // 'exit', not 'close': a program the installer started keeps running after msiexec ends
  return new Promise((resolve) => {
    const done = (code: number | null) => {
      clearTimeout(timer);
      resolve({ code, out: fs.readFileSync(file, 'utf8') });
    };
    child.on('exit', done);
    child.on('error', () => done(null));
  });
}

const wine = (args: string[], timeoutMs = MSI_TIMEOUT_MS) => startWine(args, timeoutMs);

/** The test user (fakes/win-user) on Wine's default desktop, where msiexec and its actions run. */
async function winUser(args: string[]): Promise<unknown> {
  const r = await wine([paths.winUser, ...args], 30000);
  if (r.code !== 0) throw new Error(`win-user.exe ${args.join(' ')} failed (${r.code}): ${r.out}`);
  return JSON.parse(r.out) as unknown;
}

const msiexec = (...args: string[]) => wine(['msiexec', ...args]);

function reg(args: string[]): { code: number | null; out: string } {
  const r = spawnSync('wine', ['reg', ...args], { env: wineEnv(display), encoding: 'utf8', timeout: 30000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A REG_SZ value, null when it (or its key) is absent. */
function regValue(key: string, name: string): string | null {
  const r = reg(['query', key, '/v', name]);
  if (r.code !== 0) return null;
  const m = new RegExp(`^\\s*${name}\\s+REG_\\w+\\s+(.*)$`, 'm').exec(r.out);
  return m ? m[1]!.trimEnd() : null;
}

function keyExists(key: string): boolean {
  return reg(['query', key]).code === 0;
}

/**
 * Windows Installer's key name of a GUID ("packed"/"squashed": each of the first three groups reversed,
 * the two hex digits of each following byte swapped), as under Installer\UpgradeCodes.
 */
function squashedGuid(guid: string): string {
  const h = guid.replace(/[{}-]/g, '').toUpperCase();
  const rev = (x: string) => [...x].reverse().join('');
  return rev(h.slice(0, 8)) + rev(h.slice(8, 12)) + rev(h.slice(12, 16)) + (h.slice(16).match(/../g) ?? []).map(rev).join('');
}

/**
 * Installed products of an UpgradeCode as {code, version} (Windows Installer's own record, through its
 * automation object as an IT provider's script would ask). Wine's cscript ends a script silently with
 * exit code 0 at the first error (its script site does not report errors), so the script goes on after
 * errors (Wine's VBScript leaves Err at 0 for an error of the Installer object, so each value starts as a
 * placeholder), prints the count, each product before its version, and END: a run without END, without a
 * count or with fewer products than counted did not finish and is asked again; a product whose version
 * cannot be read is returned with version "?".
 */
async function relatedProducts(upgradeCode: string): Promise<{ code: string; version: string }[]> {
  const vbs = path.join(WORK, 'related.vbs');
  fs.writeFileSync(
    vbs,
    [
      'On Error Resume Next',
      'Set i = CreateObject("WindowsInstaller.Installer")',
      'If Err.Number <> 0 Then WScript.Echo "ERROR CreateObject " & Err.Number',
      'Set products = i.RelatedProducts(WScript.Arguments(0))',
      'If Err.Number <> 0 Then WScript.Echo "ERROR RelatedProducts " & Err.Number',
      'n = -1',
      'n = products.Count',
      'WScript.Echo "COUNT " & n',
      'For Each c In products',
      '  WScript.Echo "PRODUCT " & c',
      '  v = "?"',
      '  v = i.ProductInfo(c, "VersionString")',
      '  WScript.Echo "VERSION " & c & " " & v',
      'Next',
      'WScript.Echo "END"',
      '',
    ].join('\r\n'),
  );
  const ask = async () => {
    const r = await wine(['cscript', '//nologo', winPath(vbs), upgradeCode], 60000);
    const lines = r.out.split(/\r?\n/);
    const codes = lines.flatMap((l) => /^PRODUCT (\{[0-9A-F-]+\})$/i.exec(l)?.[1] ?? []);
    const complete = r.code === 0 && lines.includes('END') && !lines.some((l) => l.startsWith('ERROR ')) && lines.includes(`COUNT ${codes.length}`);
    return { r, lines, codes, complete };
  };
  let a = await ask();
  for (let attempt = 2; attempt <= 3 && !a.complete; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    a = await ask();
  }
  const { r, lines, codes } = a;
  if (!a.complete) {
    throw new Error(`RelatedProducts(${upgradeCode}) did not answer in full (exit ${r.code}), three times; last output:\n${r.out}\n${installerRecords(upgradeCode)}`);
  }
  return codes.map((code) => {
    const v = lines.find((l) => l.startsWith(`VERSION ${code} `));
    return { code, version: v ? v.slice(`VERSION ${code} `.length).trim() || '?' : '?' };
  });
}

/** What Windows Installer keeps of an UpgradeCode and its products in the registry (for failure messages). */
function installerRecords(upgradeCode: string): string {
  const sq = squashedGuid(upgradeCode);
  return [
    `HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Installer\\UpgradeCodes\\${sq}`,
    `HKCU\\Software\\Microsoft\\Installer\\UpgradeCodes\\${sq}`,
    `HKLM\\Software\\Classes\\Installer\\UpgradeCodes\\${sq}`,
    'HKCU\\Software\\Microsoft\\Installer\\Products',
    'HKLM\\Software\\Classes\\Installer\\Products',
  ]
    .map((key) => `reg query ${key} /s → ${reg(['query', key, '/s']).out.trim() || '(nothing)'}`)
    .join('\n');
}

/** Asserts the installed products of an UpgradeCode by version; a mismatch shows the registry's records. */
async function expectInstalled(upgradeCode: string, versions: string[]): Promise<void> {
  const products = await relatedProducts(upgradeCode);
  expect(products.map((p) => p.version), `installed products of ${upgradeCode}: ${JSON.stringify(products)}\n${installerRecords(upgradeCode)}`).toEqual(versions);
}

/** Unix pids of running Windows processes whose command line contains `winExe`. */
function processesOf(winExe: string): number[] {
  const pids: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').toLowerCase().includes(winExe.toLowerCase())) pids.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** A Unix process that still runs (a zombie waiting for its parent to reap it has ended). */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, ms = 60000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** All of the program's default-folder logs, oldest file first. */
function logText(): string {
  if (!fs.existsSync(unix.logs)) return '';
  return fs
    .readdirSync(unix.logs)
    .filter((f) => f.endsWith('.log'))
    .sort()
    .map((f) => fs.readFileSync(path.join(unix.logs, f), 'utf8'))
    .join('');
}
const count = (text: string, what: string): number => text.split(what).length - 1;
const READY = 'CTI object registered in the ROT (CLSID';
const STOPPED = 'stopping (close)';

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** The text of a .lnk as ANSI and UTF-16 at both alignments (a .lnk holds both kinds of strings). */
function shortcutText(file: string): string {
  const b = fs.readFileSync(file);
  return [b.toString('latin1'), b.toString('utf16le'), b.subarray(1).toString('utf16le')].join('\n');
}

function verifySignature(file: string): { ok: boolean; out: string } {
  const r = spawnSync('osslsigncode', ['verify', '-CAfile', TEST_CA, '-in', file], { encoding: 'utf8', timeout: 60000 });
  return { ok: r.status === 0 && /Number of verified signatures: 1/.test(r.stdout), out: `${r.stdout}${r.stderr}` };
}

function fileVersion(exe: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { printVersionInfo } = require('../../scripts/set-version-info.js') as { printVersionInfo(exe: string): { strings: Record<string, string> } };
  return printVersionInfo(exe).strings.FileVersion!;
}

function removeUserData(): void {
  for (const d of [unix.userData, unix.machineData]) fs.rmSync(d, { recursive: true, force: true });
  fs.rmSync(unix.setupLog, { force: true });
}

/** Stops running instances, uninstalls every version of both packages, removes what is left. */
async function cleanMachine(): Promise<void> {
  for (const exe of [win.userExe, win.machineExe]) {
    if (processesOf(exe).length > 0) await wine([exe, '--stop', '--wait', '30'], 60000);
    for (const pid of processesOf(exe)) process.kill(pid, 'SIGKILL');
  }
  for (const upgradeCode of [UPGRADE_CODE_USER, UPGRADE_CODE_MACHINE]) {
    for (const p of await relatedProducts(upgradeCode)) await msiexec('/x', p.code, '/qn');
  }
  for (const d of [path.join(unix.userPrograms, 'Wildix'), path.dirname(unix.machineInstall)]) fs.rmSync(d, { recursive: true, force: true });
  fs.rmSync(unix.shortcut, { force: true });
  for (const key of [RUN_HKCU, RUN_HKLM]) if (regValue(key, 'WildixDatevCti') !== null) reg(['delete', key, '/v', 'WildixDatevCti', '/f']);
  removeUserData();
}

beforeAll(async () => {
  if (!display) throw new Error('no X display: run the Wine tests with npm run test:wine (vitest.wine.config.ts)');
  for (const f of [MSI_USER, MSI_MACHINE, DIST_EXE, DIST_ADDON]) {
    if (!fs.existsSync(f)) throw new Error(`${f} missing: run npm run package (scripts/test.sh does)`);
  }
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  await cleanMachine();
  // the previous build: the same program with a lower version in its file properties and its MSI
  const prevExe = path.join(WORK, 'previous', EXE_NAME);
  fs.mkdirSync(path.dirname(prevExe), { recursive: true });
  const unsigned = spawnSync('osslsigncode', ['remove-signature', '-in', DIST_EXE, '-out', prevExe], { encoding: 'utf8' });
  if (unsigned.status !== 0) fs.copyFileSync(DIST_EXE, prevExe); // not signed
  fs.writeFileSync(path.join(WORK, 'previous', 'package.json'), JSON.stringify({ name: 'wildix-datev-cti', version: PREVIOUS }));
  for (const [cmd, args] of [
    ['node', ['scripts/set-version-info.js', prevExe, path.join(WORK, 'previous', 'package.json')]],
    ['node', ['scripts/build-msi.js', '--scope', 'perUser', '--version', PREVIOUS, '--exe', prevExe, '--addon', DIST_ADDON, '--out', MSI_PREVIOUS]],
  ] as const) {
    const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  }
}, 240_000);

afterAll(async () => {
  await cleanMachine();
}, 240_000);

describe('per-user MSI (no administrator rights)', () => {
  it('a property the config schema rejects fails the install cleanly: nothing installed, the reason in the setup log and, interactive, in a message box', async () => {
    const bad = await msiexec('/i', winPath(MSI_USER), '/qn', 'LINE=201', 'DIALFORMAT=fast', 'EXTENSIONLENGTH=99');
    expect(bad.code).not.toBe(0);
    expect(fs.existsSync(unix.userInstall)).toBe(false); // rolled back
    expect(regValue(RUN_HKCU, 'WildixDatevCti')).toBeNull();
    expect(fs.existsSync(unix.shortcut)).toBe(false);
    expect(fs.existsSync(path.join(unix.userData, 'defaults.json'))).toBe(false);
    await expectInstalled(UPGRADE_CODE_USER, []);
    const setupLog = fs.readFileSync(unix.setupLog, 'utf8');
    expect(setupLog).toContain('installation stopped: invalid properties');
    expect(setupLog).toMatch(/DIALFORMAT \(dialFormat\): ungültiger Wert \/ invalid value "fast": erlaubt \/ allowed: "e164", "national", "digits"/);
    expect(setupLog).toMatch(/EXTENSIONLENGTH \(extensionLength\): ungültiger Wert \/ invalid value 99/);

    // an interactive install also shows the reason, and waits for the user's OK
    const interactive = startWine(['msiexec', '/i', winPath(MSI_USER), '/qb', 'DIALFORMAT=fast']);
    const box = await until('the message box of the interactive install', async () =>
      (await winUser(['list']) as WinUserWindow[]).find((w) => w.kind === 'messagebox' && w.texts.join('\n').includes('DIALFORMAT (dialFormat)')),
    );
    expect(box.title).toBe('Wildix CTI für DATEV – Installation');
    expect(box.texts.join('\n')).toContain('allowed: "e164", "national", "digits"');
    expect(await winUser(['click', String(box.id), 'OK'])).toMatchObject({ ok: true });
    expect((await interactive).code).not.toBe(0);
    expect(fs.existsSync(unix.userInstall)).toBe(false);

    // AUTOSTART is the package's own switch: a launch condition refuses anything but 0 and 1
    const autostart = await msiexec('/i', winPath(MSI_USER), '/qn', 'AUTOSTART=maybe');
    expect(autostart.code).toBe(1603 & 0xff);
    expect(fs.existsSync(unix.userInstall)).toBe(false);
  }, MSI_TIMEOUT_MS);

  it('silent install with properties: program, Start-menu entry, logon start and the user-wide defaults file; not started', async () => {
    fs.rmSync(unix.pkgCache, { recursive: true, force: true });
    const r = await msiexec('/i', winPath(MSI_USER), '/qn', 'LINE=Wildix 201', 'DIALFORMAT=national', 'OUTSIDELINEPREFIX=0', 'DATEVCONNECTURL=http://datev-server:58454', 'LOGMASK=1');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`defaults written: ${win.userDefaults}`);
    // the exe with the addon next to it, exactly the released files
    expect(fs.readdirSync(unix.userInstall).sort()).toEqual([EXE_NAME, 'wildix_cti.node']);
    expect(sha256(path.join(unix.userInstall, EXE_NAME))).toBe(sha256(DIST_EXE));
    expect(sha256(path.join(unix.userInstall, 'wildix_cti.node'))).toBe(sha256(DIST_ADDON));
    expect(regValue(RUN_HKCU, 'WildixDatevCti')).toBe(`"${win.userExe}" --background`);
    expect(regValue(RUN_HKLM, 'WildixDatevCti')).toBeNull();
    const lnk = shortcutText(unix.shortcut);
    expect(lnk).toContain(win.userExe);
    expect(lnk).toContain('--background');
    expect(JSON.parse(fs.readFileSync(path.join(unix.userData, 'defaults.json'), 'utf8'))).toEqual({
      line: 'Wildix 201',
      dialFormat: 'national',
      outsideLinePrefix: '0',
      contacts: { datevConnect: { baseUrl: 'http://datev-server:58454' } },
      log: { mask: true },
    });
    await expectInstalled(UPGRADE_CODE_USER, [VERSION]);
    expect(processesOf(win.userExe)).toEqual([]); // a silent install does not start the program

    const v = await wine([win.userExe, '--version'], 60000);
    expect(v).toEqual({ code: 0, out: `${VERSION}\n` });
    // the user's own config.json overrides the defaults key by key; --diagnose names each value's file
    fs.writeFileSync(path.join(unix.userData, 'config.json'), JSON.stringify({ dialFormat: 'e164' }));
    const d = await wine([win.userExe, '--diagnose'], 60000);
    expect(d.out).toContain(`Voreinstellungen für diesen Benutzer / user-wide: ${win.userDefaults} (gefunden / found)`);
    expect(d.out).toContain(`line = "Wildix 201" ← ${win.userDefaults}`);
    expect(d.out).toContain(`outsideLinePrefix = "0" ← ${win.userDefaults}`);
    expect(d.out).toContain(`dialFormat = "e164" ← ${win.userConfig}`);
    expect(d.out).toContain(`contacts.datevConnect.baseUrl = "http://datev-server:58454" ← ${win.userDefaults}`);
    expect(d.out).toMatch(/eingebaute Standardwerte \/ built-in defaults: country, areaCode/);
    // the addon next to the exe is loaded from there: nothing extracted into the user profile
    expect(d.out).toContain('CTI-Objekt im ROT registrierbar');
    expect(fs.existsSync(unix.pkgCache)).toBe(false);
  }, MSI_TIMEOUT_MS);

  it('uninstall removes program, Start-menu entry and logon start, and keeps settings and logs', async () => {
    expect(fs.existsSync(unix.logs)).toBe(true);
    const r = await msiexec('/x', winPath(MSI_USER), '/qn');
    expect(r.code).toBe(0);
    expect(fs.existsSync(path.join(unix.userPrograms, 'Wildix'))).toBe(false);
    expect(fs.existsSync(unix.shortcut)).toBe(false);
    expect(regValue(RUN_HKCU, 'WildixDatevCti')).toBeNull();
    expect(keyExists('HKCU\\Software\\Wildix\\DatevCti')).toBe(false);
    await expectInstalled(UPGRADE_CODE_USER, []);
    // the user's data stays
    expect(JSON.parse(fs.readFileSync(path.join(unix.userData, 'config.json'), 'utf8'))).toEqual({ dialFormat: 'e164' });
    expect(fs.existsSync(path.join(unix.userData, 'defaults.json'))).toBe(true);
    expect(fs.readdirSync(unix.logs).some((f) => f.endsWith('.log'))).toBe(true);
  }, MSI_TIMEOUT_MS);

  it(`upgrade ${PREVIOUS} → ${VERSION} while the old one runs: stopped first, files replaced, settings and AUTOSTART=0 kept, new one started; downgrade refused; uninstall stops it`, async () => {
    removeUserData();
    // an interactive (basic UI) install starts the program at its end
    let log = logText();
    const old = await msiexec('/i', winPath(MSI_PREVIOUS), '/qb', 'AUTOSTART=0', 'LINE=301');
    expect(old.code).toBe(0);
    expect(fileVersion(path.join(unix.userInstall, EXE_NAME))).toBe(PREVIOUS);
    expect(regValue(RUN_HKCU, 'WildixDatevCti')).toBeNull(); // AUTOSTART=0
    const before = count(log, READY);
    await until('the program started by the install', () => (count(logText(), READY) > before ? true : undefined));
    const oldPids = processesOf(win.userExe);
    expect(oldPids).toHaveLength(1);
    fs.writeFileSync(path.join(unix.userData, 'config.json'), JSON.stringify({ dialFormat: 'digits' }));
    const defaultsBefore = fs.readFileSync(path.join(unix.userData, 'defaults.json'), 'utf8');

    log = logText();
    const up = await msiexec('/i', winPath(MSI_USER), '/qn');
    expect(up.code).toBe(0);
    expect(up.out).toContain('Wildix CTI für DATEV ist beendet / has ended.'); // the stop before the files were replaced
    expect(count(logText(), STOPPED)).toBeGreaterThan(count(log, STOPPED));
    // Windows reported the old process ended (--stop --wait); its Wine process leaves moments later
    await until('the old process gone', () => (oldPids.some(running) ? undefined : true), 10000);
    // the new files, the same places
    expect(sha256(path.join(unix.userInstall, EXE_NAME))).toBe(sha256(DIST_EXE));
    expect(fileVersion(path.join(unix.userInstall, EXE_NAME))).toBe(VERSION);
    await expectInstalled(UPGRADE_CODE_USER, [VERSION]);
    expect(regValue(RUN_HKCU, 'WildixDatevCti')).toBeNull(); // AUTOSTART=0 remembered
    expect(regValue('HKCU\\Software\\Wildix\\DatevCti', 'Autostart')).toBe('0');
    expect(JSON.parse(fs.readFileSync(path.join(unix.userData, 'config.json'), 'utf8'))).toEqual({ dialFormat: 'digits' });
    expect(fs.readFileSync(path.join(unix.userData, 'defaults.json'), 'utf8')).toBe(defaultsBefore);
    // … and the new version was started after the upgrade
    await until('the new version to run', () => (count(logText(), READY) > count(log, READY) ? true : undefined));
    const newPids = processesOf(win.userExe);
    expect(newPids).toHaveLength(1);
    expect(newPids).not.toEqual(oldPids);

    // installing the older version again is refused and changes nothing
    const down = await msiexec('/i', winPath(MSI_PREVIOUS), '/qn');
    expect(down.code).not.toBe(0);
    await expectInstalled(UPGRADE_CODE_USER, [VERSION]);
    expect(fileVersion(path.join(unix.userInstall, EXE_NAME))).toBe(VERSION);

    // uninstall stops the running program first
    log = logText();
    const x = await msiexec('/x', winPath(MSI_USER), '/qn');
    expect(x.code).toBe(0);
    expect(count(logText(), STOPPED)).toBeGreaterThan(count(log, STOPPED));
    expect(processesOf(win.userExe)).toEqual([]);
    expect(fs.existsSync(path.join(unix.userPrograms, 'Wildix'))).toBe(false);
    await expectInstalled(UPGRADE_CODE_USER, []);
  }, 3 * MSI_TIMEOUT_MS);
});

describe('per-machine MSI (terminal servers)', () => {
  it('silent install with properties: %ProgramFiles%, HKLM logon start for every user, machine-wide defaults; uninstall keeps them', async () => {
    removeUserData();
    const r = await msiexec('/i', winPath(MSI_MACHINE), '/qn', 'LINE=201', 'DIALFORMAT=national', 'DATEVCONNECTAUTH=basic', 'DATEVCONNECTUSER=KANZLEI\\cti');
    expect(r.code).toBe(0);
    expect(fs.readdirSync(unix.machineInstall).sort()).toEqual([EXE_NAME, 'wildix_cti.node']);
    expect(sha256(path.join(unix.machineInstall, EXE_NAME))).toBe(sha256(DIST_EXE));
    expect(regValue(RUN_HKLM, 'WildixDatevCti')).toBe(`"${win.machineExe}" --background`);
    expect(regValue(RUN_HKCU, 'WildixDatevCti')).toBeNull();
    expect(shortcutText(unix.shortcut)).toContain(win.machineExe);
    expect(JSON.parse(fs.readFileSync(path.join(unix.machineData, 'defaults.json'), 'utf8'))).toEqual({
      line: '201',
      dialFormat: 'national',
      contacts: { datevConnect: { auth: 'basic', user: 'KANZLEI\\cti' } },
    });
    await expectInstalled(UPGRADE_CODE_MACHINE, [VERSION]);
    expect(processesOf(win.machineExe)).toEqual([]);

    expect(await wine([win.machineExe, '--version'], 60000)).toEqual({ code: 0, out: `${VERSION}\n` });
    // the user's own autostart commands see the machine-wide logon start (HKLM): none of the user's own
    // is added (a second start at logon), and removing says that the machine-wide one stays
    const install = await wine([win.machineExe, '--install-autostart'], 60000);
    expect(install.code).toBe(0);
    expect(install.out).toContain('Autostart für alle Benutzer ist schon eingerichtet');
    expect(regValue(RUN_HKCU, 'WildixDatevCti')).toBeNull();
    const remove = await wine([win.machineExe, '--remove-autostart'], 60000);
    expect(remove.code).toBe(0);
    expect(remove.out).toContain('nur ein Administrator');
    expect(regValue(RUN_HKLM, 'WildixDatevCti')).toBe(`"${win.machineExe}" --background`);
    // a user's own config.json still wins over the machine-wide defaults
    fs.mkdirSync(unix.userData, { recursive: true });
    fs.writeFileSync(path.join(unix.userData, 'config.json'), JSON.stringify({ line: '202' }));
    const d = await wine([win.machineExe, '--diagnose'], 60000);
    expect(d.out).toContain(`Voreinstellungen für alle Benutzer / machine-wide: ${win.machineDefaults} (gefunden / found)`);
    expect(d.out).toContain(`dialFormat = "national" ← ${win.machineDefaults}`);
    expect(d.out).toContain(`contacts.datevConnect.user = "KANZLEI\\\\cti" ← ${win.machineDefaults}`);
    expect(d.out).toContain(`line = "202" ← ${win.userConfig}`);

    const x = await msiexec('/x', winPath(MSI_MACHINE), '/qn');
    expect(x.code).toBe(0);
    expect(fs.existsSync(path.dirname(unix.machineInstall))).toBe(false);
    expect(regValue(RUN_HKLM, 'WildixDatevCti')).toBeNull();
    expect(keyExists('HKLM\\Software\\Wildix\\DatevCti')).toBe(false);
    expect(fs.existsSync(unix.shortcut)).toBe(false);
    await expectInstalled(UPGRADE_CODE_MACHINE, []);
    expect(fs.existsSync(path.join(unix.machineData, 'defaults.json'))).toBe(true); // the administrator's settings stay
  }, MSI_TIMEOUT_MS);
});

describe('Authenticode signatures (CI signs with a throw-away certificate)', () => {
  it('the exe, the addon and both MSIs verify with osslsigncode; the signed exe keeps its version resource', () => {
    if (!fs.existsSync(TEST_CA)) {
      throw new Error(`${TEST_CA} missing: scripts/test.sh makes it (scripts/make-test-certificate.sh) and signs the package with it`);
    }
    for (const f of [DIST_EXE, DIST_ADDON, MSI_USER, MSI_MACHINE]) {
      const v = verifySignature(f);
      expect(v.ok, `${f}:\n${v.out}`).toBe(true);
    }
    expect(fileVersion(DIST_EXE)).toBe(VERSION);
    // a file changed after signing fails the check (the check can fail)
    const tampered = path.join(WORK, 'tampered.node');
    const b = fs.readFileSync(DIST_ADDON);
    b[b.length >> 1] ^= 0xff;
    fs.writeFileSync(tampered, b);
    expect(verifySignature(tampered).ok).toBe(false);
  });
});
