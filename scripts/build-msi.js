#!/usr/bin/env node
/**
 * Builds the Windows Installer packages from installer/wildix-datev-cti.wxs with wixl (Debian package
 * wixl, msitools 0.101) and finishes them with SQL through msibuild (what wixl 0.101 cannot express:
 * the sequence numbers of the custom actions, the condition of the logon-start component, the
 * properties an elevated install may pass on). See installer/README.md.
 *
 *   node scripts/build-msi.js [--scope perUser|perMachine|all] [--version X.Y.Z] [--exe FILE]
 *                             [--addon FILE] [--out-dir DIR] [--out FILE]
 *
 * Defaults: both packages, package.json's version, dist/wildix-datev-cti.exe, dist/wildix_cti.node
 * (else build/Release/wildix_cti.node), into dist/:
 *   dist/wildix-datev-cti-<version>-x64.msi            per user, no administrator rights
 *   dist/wildix-datev-cti-<version>-x64-allusers.msi   per machine (terminal servers)
 * The list of settings properties comes from src/config/installerProperties.ts (build/js, npm run build).
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const WXS = path.join(ROOT, 'installer', 'wildix-datev-cti.wxs');

/** Fixed per package for ever: a newer package with the same UpgradeCode replaces an older one. */
const UPGRADE_CODES = {
  perUser: '344A4212-D129-4CF5-A54A-05B0587A6B3B',
  perMachine: 'DCE616D3-0CE1-4269-BB0B-4B9AB0BDFF6E',
};

/** Where each custom action runs (InstallExecuteSequence numbers around the standard actions). */
const EXECUTE_SEQUENCE = {
  KeepAutostartChoice: 51, // after AppSearch (50), before LaunchConditions (100)
  DefaultAutostart: 52,
  StopRunning: 1350, // after CostFinalize (paths known), before InstallValidate (files-in-use check)
  RemoveExistingProducts: 1501, // after InstallInitialize: the old version's removal is rolled back if the new install fails
  WriteDefaults: 4001, // deferred, right after InstallFiles (the exe is on disk)
  StartProgram: 6601, // after InstallFinalize
};
/** The same two in the UI sequence, so LaunchConditions there sees AUTOSTART too. */
const UI_SEQUENCE = { KeepAutostartChoice: 51, DefaultAutostart: 52 };

function fail(message) {
  console.error(`build-msi: ERROR: ${message}`);
  process.exit(1);
}

function args(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) fail(`unexpected argument ${a}`);
    const v = argv[++i];
    if (v === undefined) fail(`${a} needs a value`);
    o[a.slice(2)] = v;
  }
  return o;
}

/** MSI ProductVersion: major.minor.build with major, minor ≤ 255 and build ≤ 65535. */
function msiVersion(v) {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v);
  if (!m || +m[1] > 255 || +m[2] > 255 || +m[3] > 65535) fail(`version ${v} is not an MSI product version (x.y.z, x,y <= 255, z <= 65535)`);
  return v;
}

function run(cmd, argv, opts = {}) {
  try {
    return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  } catch (e) {
    fail(`${cmd} ${argv.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

function settingsProperties() {
  const compiled = path.join(ROOT, 'build', 'js', 'src', 'config', 'installerProperties.js');
  if (!fs.existsSync(compiled)) fail(`${compiled} missing: run npm run build`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return Object.keys(require(compiled).INSTALLER_PROPERTIES);
}

/**
 * One WriteDefaults argument: `"NAME=[NAME] "`. The blank before the closing quote keeps a value that
 * ends in a backslash (LOGDIR=D:\Logs\) from escaping that quote under Windows' command-line rules
 * (`\"` is a literal quote), which would swallow the properties after it; --write-defaults takes the
 * blank off again (src/config/installerProperties.ts).
 */
function defaultsArg(prop) {
  return `"${prop}=[${prop}] "`;
}

/** The WriteDefaults arguments: one per settings property. */
function defaultsArgs(props) {
  return props.map(defaultsArg).join(' ');
}

function sql(msi, query) {
  run('msibuild', [msi, '-q', query]);
}

function quote(s) {
  return `'${s.replace(/'/g, "''")}'`;
}

/** The rows of a table as msiinfo exports them (tab-separated, CRLF). */
function exportTable(msi, table) {
  return run('msiinfo', ['export', msi, table]).replace(/\r/g, '');
}

function buildOne(scope, o) {
  const version = msiVersion(o.version);
  const name = `wildix-datev-cti-${version}-x64${scope === 'perMachine' ? '-allusers' : ''}.msi`;
  const out = path.resolve(o.out ?? path.join(o.outDir, name));
  // wixl 0.101 finds sources only relative to its working directory: stage them there
  const stage = path.join(ROOT, 'build', 'msi', scope);
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(stage, { recursive: true });
  for (const [from, to] of [
    [o.exe, 'wildix-datev-cti.exe'],
    [o.addon, 'wildix_cti.node'],
  ]) {
    if (!fs.existsSync(from)) fail(`${from} missing`);
    try {
      fs.linkSync(from, path.join(stage, to));
    } catch {
      fs.copyFileSync(from, path.join(stage, to));
    }
  }
  const props = settingsProperties();
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.rmSync(out, { force: true });
  run('wixl', [
    '-a', 'x64',
    '-D', `Scope=${scope}`,
    '-D', `Version=${version}`,
    '-D', `UpgradeCode=${UPGRADE_CODES[scope]}`,
    '-D', 'ExeSource=wildix-datev-cti.exe',
    '-D', 'AddonSource=wildix_cti.node',
    '-D', `DefaultsArgs=${defaultsArgs(props)}`,
    '-o', out,
    WXS,
  ], { cwd: stage });

  // --- what wixl 0.101 cannot express -------------------------------------------------------------
  for (const [action, seq] of Object.entries(EXECUTE_SEQUENCE)) {
    if (action === 'StartProgram' && scope === 'perMachine') continue;
    sql(out, `UPDATE InstallExecuteSequence SET Sequence = ${seq} WHERE Action = ${quote(action)}`);
  }
  const execRows = exportTable(out, 'InstallExecuteSequence');
  for (const [action, seq] of Object.entries(UI_SEQUENCE)) {
    const row = execRows.split('\n').find((l) => l.startsWith(`${action}\t`));
    if (!row) fail(`${action} missing in InstallExecuteSequence`);
    sql(out, `INSERT INTO InstallUISequence (Action, Condition, Sequence) VALUES (${quote(action)}, ${quote(row.split('\t')[1])}, ${seq})`);
  }
  // the logon start only with AUTOSTART=1 (the Feature "Autostart" can also be left out: REMOVE=Autostart)
  sql(out, `UPDATE Component SET Condition = 'AUTOSTART="1"' WHERE Component = 'LogonStart'`);
  // public properties an elevated (per-machine) install passes from the client to the server
  const secure = ['WIX_DOWNGRADE_DETECTED', 'WIX_UPGRADE_DETECTED', 'AUTOSTART', 'PREVIOUSAUTOSTART', ...props].join(';');
  sql(out, `UPDATE Property SET Value = ${quote(secure)} WHERE Property = 'SecureCustomProperties'`);

  // --- check the result ---------------------------------------------------------------------------
  const seqs = exportTable(out, 'InstallExecuteSequence');
  for (const [action, seq] of Object.entries(EXECUTE_SEQUENCE)) {
    if (action === 'StartProgram' && scope === 'perMachine') continue;
    if (!seqs.split('\n').some((l) => l.startsWith(`${action}\t`) && l.endsWith(`\t${seq}`))) fail(`${action} is not at ${seq} in ${out}`);
  }
  if (!exportTable(out, 'Component').includes('AUTOSTART="1"\t')) fail('the LogonStart condition is missing');
  const target = exportTable(out, 'CustomAction').split('\n').find((l) => l.startsWith('WriteDefaults\t'));
  for (const p of props) if (!target.includes(defaultsArg(p))) fail(`WriteDefaults does not pass ${p}`);
  console.log(`build-msi: wrote ${out} (${scope}, ${version}, ${Math.round(fs.statSync(out).size / 1048576)} MB)`);
  return out;
}

function main() {
  const a = args(process.argv.slice(2));
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const distAddon = path.join(ROOT, 'dist', 'wildix_cti.node');
  const o = {
    version: a.version ?? pkg.version,
    exe: path.resolve(a.exe ?? path.join(ROOT, 'dist', 'wildix-datev-cti.exe')),
    addon: path.resolve(a.addon ?? (fs.existsSync(distAddon) ? distAddon : path.join(ROOT, 'build', 'Release', 'wildix_cti.node'))),
    outDir: path.resolve(a['out-dir'] ?? path.join(ROOT, 'dist')),
    out: a.out,
  };
  const scope = a.scope ?? 'all';
  if (!['perUser', 'perMachine', 'all'].includes(scope)) fail(`--scope ${scope}: perUser, perMachine or all`);
  if (scope === 'all' && o.out) fail('--out needs --scope perUser or perMachine');
  for (const tool of ['wixl', 'msibuild', 'msiinfo']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      fail(`${tool} missing (Debian packages wixl and msitools; scripts/setup-windows-toolchain.sh installs them)`);
    }
  }
  for (const s of scope === 'all' ? ['perUser', 'perMachine'] : [scope]) buildOne(s, o);
}

if (require.main === module) main();

module.exports = { defaultsArgs };
