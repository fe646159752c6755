/**
 * Keeps the connection to DATEV healthy for a whole working day:
 * - watches whether DATEV runs (ROT), more often while it does not, and says when it comes and goes;
 * - checks every `selfCheckMs` (and soon after a COM failure) from another apartment that the
 *   program's own ROT entry answers IDatevCtiControl and is this program's; if not, the CTI thread is
 *   rebuilt and the object registered again — at most `maxRebuilds` times per process (each rebuild
 *   costs an apartment; past that the program says it needs a restart instead of trying forever);
 * - keeps the state the tray and --diagnose show.
 */
import type { DatevHealth, DatevPort } from '../datev/port';
import type { Logger } from '../logging/logger';
import type { Clock } from '../util/clock';

export type CtiState = 'unchecked' | 'ok' | 'rebuilt' | 'broken' | 'not-registered';

export interface SupervisorState {
  datevPresent: boolean;
  cti: CtiState;
  /** What the last failed self-check found ('' when none failed). */
  lastProblem: string;
  lastCheckAt?: Date;
  health?: DatevHealth;
}

export interface SupervisorOptions {
  selfCheckMs: number;
  maxRebuilds: number;
}

export const DEFAULT_SUPERVISOR: SupervisorOptions = { selfCheckMs: 30_000, maxRebuilds: 10 };

const WATCH_ABSENT_MS = 5000;
const WATCH_PRESENT_MS = 60000;
/** A check asked for after a COM failure waits this long (several failures make one check). */
const CHECK_SOON_MS = 1000;

export class DatevSupervisor {
  readonly state: SupervisorState = { datevPresent: false, cti: 'unchecked', lastProblem: '' };
  private running = false;
  private registered = false;
  private rebuilds = 0;
  private checking: Promise<void> | undefined;
  private cancelWatch: (() => void) | undefined;
  private cancelCheck: (() => void) | undefined;
  private readonly presenceListeners = new Set<(present: boolean) => void>();

  constructor(
    private readonly port: DatevPort,
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly options: SupervisorOptions = DEFAULT_SUPERVISOR,
  ) {}

  /** Starts watching; `registered`: the CTI object is in the ROT (else there is nothing to check). */
  async start(registered: boolean): Promise<void> {
    this.running = true;
    this.registered = registered;
    this.state.cti = registered ? 'unchecked' : 'not-registered';
    await this.watch(true);
    this.schedule(this.options.selfCheckMs);
  }

  stop(): void {
    this.running = false;
    this.cancelWatch?.();
    this.cancelCheck?.();
  }

  /** Called whenever DATEV appears (true) or disappears (false). */
  onPresenceChange(listener: (present: boolean) => void): () => void {
    this.presenceListeners.add(listener);
    return () => this.presenceListeners.delete(listener);
  }

  /** Something failed in COM: check the CTI object soon. */
  checkSoon(): void {
    this.schedule(CHECK_SOON_MS);
  }

  /** Runs a self-check now (and a rebuild when it fails); resolves when done. */
  check(): Promise<void> {
    this.checking ??= this.runCheck().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private schedule(ms: number): void {
    if (!this.running || !this.registered) return;
    this.cancelCheck?.();
    this.cancelCheck = this.clock.setTimeout(() => {
      this.cancelCheck = undefined;
      void this.check().finally(() => {
        if (!this.cancelCheck) this.schedule(this.options.selfCheckMs);
      });
    }, ms);
  }

  private async runCheck(): Promise<void> {
    if (!this.running || !this.registered) return;
    const result = await this.port.selfCheck();
    this.state.lastCheckAt = this.clock.now();
    this.state.health = await this.port.health().catch(() => undefined);
    if (result.healthy) {
      if (this.state.cti === 'unchecked') this.state.cti = 'ok';
      return;
    }
    this.state.lastProblem = `${result.problem ?? 'com'}: ${result.detail}`;
    if (this.rebuilds >= this.options.maxRebuilds) {
      if (this.state.cti !== 'broken') {
        this.log.error(
          `CTI-Objekt antwortet nicht, Programm bitte neu starten / the CTI object does not answer and was rebuilt ${this.rebuilds} times already; restart the program`,
          { problem: this.state.lastProblem },
        );
      }
      this.state.cti = 'broken';
      return;
    }
    this.rebuilds++;
    this.log.warn(`Selbsttest: CTI-Objekt antwortet nicht / self-check failed (${this.state.lastProblem}); rebuilding the COM thread (${this.rebuilds}/${this.options.maxRebuilds})`);
    try {
      await this.port.rebuild();
    } catch (e) {
      this.state.cti = 'broken';
      this.log.error(`rebuilding the COM thread failed: ${(e as Error).message}`);
      return;
    }
    const again = await this.port.selfCheck();
    this.state.cti = again.healthy ? 'rebuilt' : 'broken';
    if (again.healthy) this.log.info('COM-Thread neu aufgebaut, CTI-Objekt antwortet wieder / COM thread rebuilt, the CTI object answers again');
    else this.log.error(`after the rebuild the CTI object still does not answer: ${again.detail}`);
  }

  private async watch(first = false): Promise<void> {
    if (!this.running) return;
    let present = false;
    try {
      present = await this.port.isPresent();
    } catch (e) {
      this.log.debug(`DATEV presence check failed: ${(e as Error).message}`);
    }
    if (present !== this.state.datevPresent || first) {
      this.log.info(present ? 'DATEV Telefonie found in the ROT' : 'DATEV Telefonie not running (not in the ROT); waiting for it');
      const changed = present !== this.state.datevPresent;
      this.state.datevPresent = present;
      if (changed) for (const l of [...this.presenceListeners]) l(present);
    }
    if (!this.running) return;
    this.cancelWatch = this.clock.setTimeout(() => void this.watch(), present ? WATCH_PRESENT_MS : WATCH_ABSENT_MS);
  }
}
