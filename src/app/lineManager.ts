/**
 * Keeps the user's TAPI line open: initialise, pick the configured line, open it, and when it is
 * missing, closed by the provider, removed or TAPI asks for a re-init, keep running, say so once
 * (log + dialog) and pick the line up again when it is back.
 */
import { MESSAGES, TITLE } from '../dialogs/texts';
import type { DialogPort } from '../dialogs/port';
import type { Logger } from '../logging/logger';
import type { LineInfo, TelephonyEvent, TelephonyPort } from '../telephony/port';
import { LINEDEVSTATE } from '../telephony/tapiConstants';
import type { Clock } from '../util/clock';
import { describeLine, selectLine } from './lineSelection';

const RETRY_MS = [1000, 2000, 5000, 10000, 30000];

export type LineStatus = 'starting' | 'open' | 'missing' | 'no-tapi' | 'stopped';

export class LineManager {
  status: LineStatus = 'starting';
  line: LineInfo | undefined;
  hLine: number | undefined;
  lines: LineInfo[] = [];
  lastError = '';
  /**
   * The TSP reports the open line out of service or without its link to the PBX (LINE_LINEDEVSTATE
   * OUTOFSERVICE / DISCONNECTED) and not back since (INSERVICE / CONNECTED): calls may not work.
   */
  outOfService = false;
  private initialized = false;
  private announcedMissing = false;
  private attempt = 0;
  private cancelRetry: (() => void) | undefined;
  private busy: Promise<void> = Promise.resolve();

  constructor(
    private readonly telephony: TelephonyPort,
    private readonly wanted: string,
    private readonly dialogs: DialogPort,
    private readonly log: Logger,
    private readonly clock: Clock,
    /** Called whenever the open line changes (undefined = no line). */
    private readonly onLineChange: (hLine: number | undefined) => void = () => {},
  ) {}

  /** Extension of the open line (for CallIDs), '' when unknown. */
  get extension(): string {
    return this.line?.addresses[0]?.address ?? '';
  }

  start(): Promise<void> {
    return this.serial(() => this.connect());
  }

  /** Feed every telephony event here. */
  handle(e: TelephonyEvent): void {
    switch (e.type) {
      case 'lineClosed':
        if (e.hLine !== this.hLine) return;
        this.log.warn('TAPI line closed by the provider (LINE_CLOSE); reopening', { line: this.line?.name });
        this.lost();
        this.scheduleRetry();
        return;
      case 'lineRemoved':
        if (this.line && e.deviceId === this.line.deviceId) {
          this.log.warn('TAPI line removed (LINE_REMOVE)', { line: this.line.name });
          this.lost();
        }
        this.scheduleRetry();
        return;
      case 'lineState':
        if (e.hLine === this.hLine) this.lineState(e.state);
        return;
      case 'lineAdded':
        this.log.info('TAPI line added (LINE_CREATE)', { deviceId: e.deviceId });
        if (this.status !== 'open') void this.serial(() => this.connect());
        return;
      case 'reinit':
        this.log.warn('TAPI asks for re-initialisation (LINEDEVSTATE_REINIT)');
        void this.serial(async () => {
          this.lost();
          await this.telephony.shutdown().catch(() => undefined);
          this.initialized = false;
          this.scheduleRetry();
        });
        return;
      default:
        return;
    }
  }

  async stop(): Promise<void> {
    this.cancelRetry?.();
    await this.busy;
    this.status = 'stopped';
    if (this.hLine !== undefined) {
      await this.telephony.closeLine(this.hLine).catch((e: unknown) => this.log.warn(`lineClose failed: ${(e as Error).message}`));
      this.hLine = undefined;
    }
    await this.telephony.shutdown().catch((e: unknown) => this.log.warn(`lineShutdown failed: ${(e as Error).message}`));
  }

  private serial(work: () => Promise<void>): Promise<void> {
    this.busy = this.busy.then(work, work);
    return this.busy;
  }

  /** LINE_LINEDEVSTATE of the open line (only the states the TSP supports are asked for: native/tapi). */
  private lineState(state: number): void {
    const down = (state & (LINEDEVSTATE.OUTOFSERVICE | LINEDEVSTATE.DISCONNECTED)) !== 0;
    const up = (state & (LINEDEVSTATE.INSERVICE | LINEDEVSTATE.CONNECTED)) !== 0;
    const meta = { line: this.line?.name, state: `0x${state.toString(16)}` };
    if (down && !this.outOfService) {
      this.outOfService = true;
      this.log.warn('TAPI: the line is out of service or has lost its link to the PBX (LINE_LINEDEVSTATE); calls may not work until it is back', meta);
    } else if (up && !down && this.outOfService) {
      this.outOfService = false;
      this.log.info('TAPI: the line is in service again (LINE_LINEDEVSTATE)', meta);
    }
  }

  private lost(): void {
    this.outOfService = false;
    this.hLine = undefined;
    this.status = 'missing';
    this.onLineChange(undefined);
  }

  private async connect(): Promise<void> {
    if (this.status === 'stopped' || this.status === 'open') return;
    try {
      if (!this.initialized) {
        this.lines = await this.telephony.initialize('Wildix CTI für DATEV');
        this.initialized = true;
      } else this.lines = await this.telephony.listLines();
    } catch (e) {
      this.status = 'no-tapi';
      this.lastError = (e as Error).message;
      this.log.error(`TAPI cannot be initialised: ${this.lastError}`);
      this.announce(MESSAGES.noTapi(this.lastError));
      this.scheduleRetry();
      return;
    }
    this.log.info('TAPI lines', { lines: this.lines.map(describeLine).join('; ') || '(none)' });
    const line = selectLine(this.lines, this.wanted);
    if (!line) {
      this.status = 'missing';
      this.lastError = this.wanted ? `line "${this.wanted}" not found` : 'no Wildix line found';
      this.log.warn(`TAPI: ${this.lastError}; waiting for it to appear`);
      this.announce(MESSAGES.noLine(this.wanted));
      this.scheduleRetry();
      return;
    }
    try {
      this.hLine = await this.telephony.openLine(line.permanentId);
    } catch (e) {
      this.status = 'missing';
      this.lastError = `${describeLine(line)} cannot be opened: ${(e as Error).message}`;
      this.log.warn(`TAPI: ${this.lastError}`);
      this.announce(MESSAGES.noLine(line.name));
      this.scheduleRetry();
      return;
    }
    this.line = line;
    this.status = 'open';
    this.attempt = 0;
    this.lastError = '';
    this.log.info(`TAPI line open: ${describeLine(line)}`);
    if (this.announcedMissing) {
      this.announcedMissing = false;
      void this.dialogs.message(TITLE, MESSAGES.lineBack(line.name), 'info', 10000).catch(() => undefined);
    }
    this.onLineChange(this.hLine);
  }

  private announce(text: string): void {
    if (this.announcedMissing) return;
    this.announcedMissing = true;
    void this.dialogs.message(TITLE, text, 'error').catch((e: unknown) => this.log.warn(`dialog failed: ${(e as Error).message}`));
  }

  private scheduleRetry(): void {
    if (this.status === 'stopped' || this.cancelRetry) return;
    const ms = RETRY_MS[Math.min(this.attempt, RETRY_MS.length - 1)]!;
    this.attempt++;
    this.cancelRetry = this.clock.setTimeout(() => {
      this.cancelRetry = undefined;
      void this.serial(() => this.connect());
    }, ms);
  }
}
