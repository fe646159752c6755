/**
 * What the program does for a command line: help, version, diagnose, the simulation, or the real CTI.
 * Everything platform-specific is injected, so this is tested on any machine.
 */
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App, type Ports } from '../app/app';
import { diagnose } from '../app/diagnose';
import { formatProblem, type LoadedConfig } from '../config/load';
import { loadLayeredConfig, type ConfigLayer } from '../config/layers';
import { defaultConfigFile, logDirOf, machineDefaultsFile, userDefaultsFile, type Env } from '../config/paths';
import type { Config } from '../config/schema';
import type { Logger } from '../logging/logger';
import { runSimulation } from '../sim/simulation';
import type { ProcessStats } from '../app/statusReport';
import { readRunningStatus, startStatusFile } from './statusFile';
import { systemClock } from '../util/clock';
import { helpText, parseArgs, type CliOptions } from './args';
import { claimSingleInstance, EXIT_ALREADY_RUNNING, hideConsoleWindow, installAutostart, removeAutostart, stopRunningInstance, type Workstation } from './workstation';
import { startTray, type CreateTray } from './tray';
import { promptForSecret, setDatevConnectPassword, type PasswordStore } from './password';
import { ERROR_BOX_TIMEOUT_MS, nodeDefaultsFiles, SETUP_LOG_NAME, writeDefaults, type DefaultsFiles } from './writeDefaults';
import { stopAndWait } from './stopWait';
import { FakeDatev } from '../../fakes/datev/fakeDatev';
import { FakeTapi } from '../../fakes/telephony/fakeTapi';
import { CRASH_RESTARTS_ENV, NATIVE_CRASH_ENV, isRestartAfterCrash } from '../crashRestart';
import { writeSupportBundle } from '../support/bundle';
import { bundleTargetDir, supportInfo } from '../support/info';
import { lookupNumber } from './lookup';
import { numberRulesOrDefaults, type NumberRules } from '../contacts/numbers';
import { MemoryContacts } from '../../fakes/contacts/memoryContacts';
import { SAMPLE_CONTACTS } from '../sim/simulation';

export interface NativeWiring {
  ports: Ports;
  /** Extra diagnostic lines (type library check, …). */
  diagnostics?: () => Promise<string[]>;
  /** Resolves when the program should stop (Ctrl+C, logoff, …). */
  stopSignal: Promise<string>;
  /** Windows handles, threads and memory of the process (status file); absent away from Windows. */
  processStats?: () => Promise<Partial<ProcessStats>>;
  /** The notification-area icon (real CTI run only); absent: no icon. */
  tray?: CreateTray;
  close?: () => Promise<void>;
}

export interface RunDeps {
  version: string;
  env: Env;
  nodeVersion: string;
  out: (text: string) => void;
  err: (text: string) => void;
  /** Creates the logger for the given folder and level. */
  makeLogger: (dir: string, level: Config['log'], toConsole: boolean) => Logger & { close(): Promise<void> };
  /** The real Windows adapters; undefined away from Windows. */
  /** `purpose` 'diagnose': nothing that waits for a stop (no stop window that --stop would find). */
  native?: (config: Config, log: Logger, purpose?: 'run' | 'diagnose') => Promise<NativeWiring>;
  /** Reads the settings (default: the defaults files and config.json in layers, src/config/layers.ts). */
  readConfig?: (file: string) => LoadedConfig & { layers?: ConfigLayer[]; sources?: Record<string, string> };
  /** The files --write-defaults reads and writes (default: the real ones). */
  defaultsFiles?: DefaultsFiles;
  /** Single instance and autostart of the Windows session (loads the addon); undefined away from Windows. */
  workstation?: () => Workstation;
  /** The DPAPI store of the DATEVconnect password (loads the addon); undefined away from Windows. */
  passwordStore?: () => PasswordStore;
  /** The single-instance lock as the start-up fast path found it (it took it already). */
  earlyInstance?: 'acquired' | 'running';
  /** Reads the password for --set-datevconnect-password (default: one line of stdin). */
  readSecret?: () => Promise<string>;
  /** Where support bundles go (default: the user's desktop, else the home folder). */
  supportDir?: string;
}

/** The options a logon start should keep (--install-autostart --config X → Run "exe" --config X). */
function keptOptions(o: CliOptions): string[] {
  const out: string[] = [];
  // absolute: the logon start runs in another working directory
  if (o.config !== undefined) out.push('--config', resolve(o.config));
  if (o.line !== undefined) out.push('--line', o.line);
  if (o.logDir !== undefined) out.push('--log-dir', resolve(o.logDir));
  if (o.verbose) out.push('--verbose');
  out.push('--background'); // a logon start needs no console window; --stop or logoff ends it
  return out;
}

export async function run(argv: string[], d: RunDeps): Promise<number> {
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    d.err(parsed.error);
    return 2;
  }
  const o = parsed.options;
  if (o.help) {
    d.out(helpText(d.version));
    return 0;
  }
  if (o.version) {
    d.out(d.version);
    return 0;
  }
  if (o.writeDefaults) {
    // run by the installer (maybe as SYSTEM): no config, no log folder of its own, only the setup log
    const ws = d.workstation;
    return writeDefaults(o.writeDefaults, {
      out: d.out,
      err: d.err,
      files: d.defaultsFiles ?? nodeDefaultsFiles(),
      setupLog: join(d.env.env.TEMP ?? d.env.env.TMP ?? tmpdir(), SETUP_LOG_NAME),
      now: () => new Date(),
      ...(ws ? { message: (title: string, text: string) => ws().message(title, text, 'error', ERROR_BOX_TIMEOUT_MS) } : {}),
    });
  }
  const configFile = o.config ?? defaultConfigFile(d.env);
  const loaded = d.readConfig
    ? d.readConfig(configFile)
    : loadLayeredConfig({ machineDefaults: machineDefaultsFile(d.env), userDefaults: userDefaultsFile(d.env), config: configFile, configRequired: o.config !== undefined });
  const sources: Record<string, string> = { ...loaded.sources };
  if (o.line !== undefined) sources.line = '--line';
  if (o.logDir !== undefined) sources['log.dir'] = '--log-dir';
  if (o.verbose) sources['log.level'] = '--verbose';
  const config: Config = {
    ...loaded.config,
    ...(o.line !== undefined ? { line: o.line } : {}),
    log: { ...loaded.config.log, ...(o.logDir !== undefined ? { dir: o.logDir } : {}), ...(o.verbose ? { level: 'debug' as const } : {}) },
  };
  const logDir = logDirOf(config.log.dir, sources['log.dir'] === machineDefaultsFile(d.env), d.env);
  const simulate = o.simulate || !d.native;
  const log = d.makeLogger(logDir, config.log, false);
  log.info(`Wildix CTI für DATEV ${d.version} starting`, { platform: d.env.platform, node: d.nodeVersion, mode: simulate ? 'simulation' : 'native', config: configFile, configFound: loaded.found });
  for (const l of loaded.layers ?? []) if (l.kind !== 'config' && l.found) log.info(`config: defaults from ${l.file}`);
  for (const p of loaded.problems) log.warn(`config: ${formatProblem(p)}`);
  const io = { out: d.out, err: d.err, log };
  const layers = loaded.layers ?? [{ kind: 'config' as const, file: configFile, found: loaded.found }];
  /** Windows' own idea of the desktop (a redirected one too); undefined away from Windows or when it cannot tell. */
  const knownDesktop = (): string | null | undefined => {
    try {
      return d.workstation?.().desktopFolder?.();
    } catch (e) {
      log.warn(`the desktop folder is not known: ${(e as Error).message}`);
      return undefined;
    }
  };
  /** The support bundle: the logs, the status file, the settings files and what is in effect. */
  const supportBundle = async (): Promise<string> => {
    const now = new Date();
    const info = supportInfo({ version: d.version, platform: d.env.platform, nodeVersion: d.nodeVersion, logDir, configFile, configFound: loaded.found, layers, sources, problems: loaded.problems, config, now });
    const b = await writeSupportBundle({ logDir, targetDir: d.supportDir ?? bundleTargetDir(d.env, knownDesktop()), info, configFiles: layers.map((l) => ({ kind: l.kind, file: l.file })), now });
    log.info(`support bundle written: ${b.file}`, { files: b.included.length, leftOut: b.left.length || undefined });
    return b.file;
  };
  try {
    if (o.supportBundle) {
      try {
        d.out(`Support-Paket gespeichert / support bundle written: ${await supportBundle()}`);
        return 0;
      } catch (e) {
        d.err(`Support-Paket nicht geschrieben / support bundle not written: ${(e as Error).message}`);
        log.error(`support bundle not written: ${(e as Error).message}`);
        return 1;
      }
    }
    if (o.installAutostart) return installAutostart(d.workstation, keptOptions(o), io);
    if (o.removeAutostart) return removeAutostart(d.workstation, io);
    if (o.stop && o.waitSeconds !== undefined) {
      return await stopAndWait(d.workstation, o.waitSeconds, io, { sleep: (ms) => new Promise((r) => setTimeout(r, ms)), now: () => Date.now() });
    }
    if (o.stop) return stopRunningInstance(d.workstation, io);
    if (o.setDatevConnectPassword) return await setDatevConnectPassword(d.passwordStore, d.readSecret ?? (() => promptForSecret(process.stdin, d.err)), config, io);
    if (o.lookup !== undefined) {
      // the directory the program uses (its cache as it is; the simulation's sample contacts elsewhere)
      const w = simulate ? undefined : await d.native!(config, log, 'diagnose');
      const contacts = w?.ports.contacts ?? new MemoryContacts(SAMPLE_CONTACTS);
      const { rules } = numberRulesOrDefaults({ country: config.country as NumberRules['country'], areaCode: config.areaCode, extensionLength: config.extensionLength });
      const outsideLine = { prefix: config.outsideLinePrefix, onCallers: config.outsideLinePrefixOnCallers, extensionLength: config.extensionLength };
      try {
        const code = await lookupNumber(o.lookup, { contacts, rules, outsideLine, ambiguity: config.ambiguity, out: d.out, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), now: () => Date.now() });
        log.info(`lookup of a number: ${code === 0 ? 'contact found' : 'no contact'}`);
        return code;
      } finally {
        await w?.close?.();
      }
    }
    if (o.diagnose) {
      let ports: { telephony: Ports['telephony']; datev: Ports['datev'] };
      let extra: (() => Promise<string[]>) | undefined;
      let close: (() => Promise<void>) | undefined;
      if (simulate) {
        const tapi = new FakeTapi();
        tapi.addLine('Wildix 201 Anna Schmidt (simuliert)', '201');
        ports = { telephony: tapi.port, datev: new FakeDatev().port };
      } else {
        const w = await d.native!(config, log, 'diagnose');
        ports = w.ports;
        extra = w.diagnostics;
        close = w.close;
      }
      const running = readRunningStatus(logDir, new Date());
      const report = await diagnose({
        ...(running ? { running } : {}),
        version: d.version,
        platform: simulate ? `${d.env.platform} (Simulation)` : d.env.platform,
        nodeVersion: d.nodeVersion,
        configFile,
        configFound: loaded.found,
        ...(loaded.layers ? { layers: loaded.layers } : {}),
        sources,
        problems: loaded.problems,
        config,
        logDir,
        telephony: ports.telephony,
        datev: ports.datev,
        ...(extra ? { extra } : {}),
      }).finally(() => close?.()); // the adapters' threads and timers must not keep the process alive
      for (const l of report.lines) {
        d.out(l);
        log.info(`diagnose: ${l}`);
      }
      return report.ok ? 0 : 1;
    }
    if (simulate) {
      await runSimulation({ config, log, out: d.out, version: d.version });
      d.out(`\nLogdateien / log files: ${logDir}`);
      return 0;
    }
    // One instance per Windows session, checked before anything touches TAPI, the ROT or the screen.
    if (!(await claimSingleInstance(d.workstation, io, d.earlyInstance))) return EXIT_ALREADY_RUNNING;
    if (isRestartAfterCrash(d.env.env)) {
      // (src/crashRestart.ts: the crashed process's stack is further up in the same log; a native crash
      // leaves no stack there, but says here what crashed)
      const native = d.env.env[NATIVE_CRASH_ENV];
      log.warn('started again after a crash / nach einem Absturz neu gestartet', { restarts: d.env.env[CRASH_RESTARTS_ENV], ...(native ? { nativeCrash: native } : {}) });
    }
    if (o.background) hideConsoleWindow(d.workstation, io);
    const w = await d.native!(config, log);
    const app = new App({ ...w.ports, config, log, clock: systemClock });
    app.reportConfigProblems(loaded.problems.map(formatProblem));
    await app.start();
    const statusFile = startStatusFile({ app, dir: logDir, version: d.version, clock: systemClock, log, ...(w.processStats ? { processStats: w.processStats } : {}) });
    // "Beenden" on the tray icon stops like Ctrl+C; without a shell the program runs on without icon
    const tray = w.tray ? startTray({ create: w.tray, status: () => app.status(), dialogs: w.ports.dialogs, clock: systemClock, log, showCalls: () => app.journal.callList.show(), supportBundle }) : undefined;
    const reason = await (tray ? Promise.race([w.stopSignal, tray.quit]) : w.stopSignal);
    log.info(`stopping (${reason})`);
    tray?.close();
    await app.stop();
    statusFile.stop();
    await w.close?.();
    return 0;
  } catch (e) {
    log.error(`fatal: ${(e as Error).stack ?? String(e)}`);
    d.err(`Wildix CTI: ${(e as Error).message}`);
    return 1;
  } finally {
    await log.close();
  }
}
