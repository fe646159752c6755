/**
 * The Wine benchmark's world: one Xvfb + wineserver (test/wine/env.ts), the fake DATEV exe, the fake
 * tapi32.dll's script server, and the three things measured side by side — the packaged program, the
 * native baseline CTI (bench/baseline) and a bare node.exe of the same build — all started the same way
 * (test/wine/appProcess.ts: `wine explorer /desktop=… <exe> … --config … --log-dir …`).
 */
import * as path from 'node:path';
import { exeTarget, PACKAGED_EXE, startApp, type AppProcess, type AppTarget } from '../../test/wine/appProcess';
import { FAKE_DATEV_EXE, FakeDatevProcess, type Json } from '../../test/wine/datevDriver';
import { paths, ROOT, startDisplay, wineEnv, winPath, type Display } from '../../test/wine/env';
import { FAKE_TAPI_DLL, FakeTapiServer, type FakeTapiLogEvent, type FakeTapiPbx } from '../../test/wine/pbxDriver';
import { until } from './clock';

export const LINE_NAME = 'Wildix 201 Anna Schmidt';
export const LINE_ADDRESS = '201';
export const BASELINE_EXE = path.join(ROOT, 'build', 'bench', 'baseline-cti.exe');
export const ADDON_NEXT_TO_EXE = path.join(ROOT, 'dist', 'wildix_cti.node');

export type SubjectKey = 'product' | 'baseline';

/**
 * BENCH_NODE_OPTIONS: Node options for the Windows processes under measurement only (not for the Linux
 * node that runs the benchmark), e.g. '--cpu-prof --cpu-prof-dir=Z:\\tmp\\prof' or '--require Z:\\tmp\\x.js'.
 */
export function benchNodeOptions(): Record<string, string> {
  const o = process.env.BENCH_NODE_OPTIONS;
  return o ? { NODE_OPTIONS: o } : {};
}

/** A CTI program under measurement. */
export interface Subject {
  key: SubjectKey;
  label: string;
  target: AppTarget;
  args: string[];
  config: Record<string, unknown>;
  /** What a cold start must read from disk again (evicted from the page cache first). */
  files: string[];
  /** It tells DATEV about a call's end (CallStateChanged), which the benchmark waits for between calls. */
  reportsCallEnd: boolean;
}

export function productSubject(): Subject {
  return {
    key: 'product',
    label: 'this program (dist/wildix-datev-cti.exe)',
    target: exeTarget(PACKAGED_EXE, 'packaged dist/wildix-datev-cti.exe'),
    args: [],
    // the defaults, on the fake PBX's line; no DATEVconnect server in this benchmark (`npm run bench` has the contacts)
    // BENCH_PROGRAM_CONFIG: settings of an experiment (JSON, merged at the top level), e.g. '{"dialogs":{"incoming":false}}'
    config: { line: LINE_ADDRESS, contacts: { datevConnect: { enabled: false } }, ...(JSON.parse(process.env.BENCH_PROGRAM_CONFIG ?? '{}') as Record<string, unknown>) },
    files: [PACKAGED_EXE, ADDON_NEXT_TO_EXE],
    reportsCallEnd: true,
  };
}

export function baselineSubject(keepProxy = false): Subject {
  const target = exeTarget(BASELINE_EXE, 'baseline CTI');
  target.files = [{ file: BASELINE_EXE, hint: 'run bash bench/baseline/build.sh' }];
  return {
    key: 'baseline',
    label: keepProxy ? 'native baseline CTI, DATEV proxy kept' : 'native baseline CTI (bench/baseline)',
    target,
    args: ['--line', LINE_ADDRESS, ...(keepProxy ? ['--keep-datev-proxy'] : [])],
    config: {},
    files: [BASELINE_EXE],
    reportsCallEnd: false,
  };
}

/** A bare node.exe of the program's Node build running `code`; the script gets --config/--log-dir after `--`. */
export function bareNodeTarget(code: string): AppTarget {
  return {
    label: `node.exe -e "${code}"`,
    command: [paths.nodeExe, '-e', code, '--'],
    files: [{ file: paths.nodeExe, hint: 'run scripts/setup-windows-toolchain.sh' }],
    measured: false,
  };
}

/** One notification DATEV received, with the moment it arrived (µs, fake DATEV's clock). */
export interface Received {
  method: string;
  data: Record<string, Json>;
  us: number;
}

export interface Running {
  subject: Subject;
  app: AppProcess;
  pbx: FakeTapiPbx;
}

export class Bench {
  /** Everything DATEV received so far, fetched incrementally. */
  readonly received: Received[] = [];

  private constructor(
    readonly display: Display,
    readonly env: NodeJS.ProcessEnv,
    readonly server: FakeTapiServer,
    readonly datev: FakeDatevProcess,
  ) {}

  static async start(): Promise<Bench> {
    const display = await startDisplay();
    const env = wineEnv(display.display);
    const server = await FakeTapiServer.start();
    const datev = new FakeDatevProcess({ env, commandTimeoutMs: 90000 }, FAKE_DATEV_EXE);
    await datev.ready;
    return new Bench(display, env, server, datev);
  }

  async close(): Promise<void> {
    await this.datev.close().catch(() => undefined);
    await this.server.close().catch(() => undefined);
    await this.display.stop();
  }

  /** New notifications since the last call (DATEV's list is read from where it was left). */
  async refresh(): Promise<Received[]> {
    const r = await this.datev.command('notifications', { from: this.received.length });
    const list = (Array.isArray(r.notifications) ? r.notifications : []) as unknown as Received[];
    this.received.push(...list);
    return list;
  }

  /** Waits for a notification (those received since index `since` count). */
  async waitReceived(pred: (n: Received) => boolean, what: string, since: number, ms = 15000): Promise<Received> {
    const seen = since;
    const already = this.received.slice(seen).find(pred);
    if (already) return already;
    return until(
      async () => {
        await this.refresh();
        return this.received.slice(seen).find(pred);
      },
      what,
      ms,
      5,
    );
  }

  /**
   * DATEV lets go of the call-data objects it kept and of its list of notifications (between phases and
   * every 100 calls of a soak, so the fake's own bookkeeping stays small and alike for every subject).
   */
  async forget(): Promise<void> {
    await this.datev.command('forget');
    this.received.length = 0;
  }

  async ctiRegistered(): Promise<boolean> {
    return (await this.datev.command('ctiRegistered')).registered === true;
  }

  /** Starts a subject with a fresh PBX session holding the line. */
  launch(subject: Subject, name: string): Running {
    const pbx = this.server.session();
    void pbx.addLine(LINE_NAME, LINE_ADDRESS);
    const app = startApp({
      display: this.display.display,
      target: subject.target,
      name,
      config: subject.config,
      args: subject.args,
      env: { FAKE_TAPI_PORT: String(this.server.port), WILDIX_CTI_TAPI_DLL: winPath(FAKE_TAPI_DLL), ...benchNodeOptions() },
      dllOverrides: 'tapi32=n',
    });
    return { subject, app, pbx };
  }

  /** Waits until the subject has its TAPI line open. */
  async ready(r: Running, ms = 60000): Promise<void> {
    await Promise.race([
      r.pbx.waitFor((e) => e.ev === 'api' && e.fn === 'lineOpenW' && Number(e.rc) >= 0, ms).catch((e: unknown) => {
        throw new Error(`${r.subject.label}: no TAPI line open within ${ms} ms (${(e as Error).message}); ${r.app.describe()}`);
      }),
      r.app.exited.then(() => {
        throw new Error(`${r.subject.label} exited at start; ${r.app.describe()}`);
      }),
    ]);
  }

  /** Ctrl+C (a hard kill if that does not end it), then until DATEV no longer finds a CTI object. */
  async stop(r: Running): Promise<void> {
    await r.app.interrupt(20000).catch(async () => r.app.killHard().catch(() => undefined));
    await r.app.dispose();
    await r.pbx.dispose();
    await until(async () => ((await this.ctiRegistered()) ? undefined : true), 'the CTI object to leave the ROT', 10000, 50);
  }

  /** Events of the PBX log after index `from` that match. */
  static after(pbx: FakeTapiPbx, from: number, pred: (e: FakeTapiLogEvent) => boolean): FakeTapiLogEvent | undefined {
    for (let i = from; i < pbx.log.length; i++) if (pred(pbx.log[i]!)) return pbx.log[i];
    return undefined;
  }
}
