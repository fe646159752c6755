/**
 * Sends notifications to DATEV one after another, in order, each bounded in time. DATEV not running
 * is normal (notifications are dropped and counted, logged once per absence); other failures are
 * logged with the HRESULT. Nothing here ever throws into the call flow.
 */
import type { Notification } from '../calls/callRecord';
import { CallState, Direction } from '../datev/callData';
import { DatevError, type DatevPort } from '../datev/port';
import type { Logger, Masker } from '../logging/logger';
import type { Clock } from '../util/clock';

export interface NotifierStats {
  sent: number;
  droppedAbsent: number;
  failed: number;
}

export class DatevNotifier {
  readonly stats: NotifierStats = { sent: 0, droppedAbsent: 0, failed: 0 };
  private queue: Promise<void> = Promise.resolve();
  private absentLogged = false;

  constructor(
    private readonly port: DatevPort,
    private readonly log: Logger,
    private readonly mask: Masker,
    private readonly clock: Clock,
    private readonly timeoutMs: number,
  ) {}

  send(n: Notification): void {
    this.queue = this.queue.then(() => this.deliver(n));
  }

  /** Resolves when everything queued so far was handled. */
  idle(): Promise<void> {
    return this.queue;
  }

  private async deliver(n: Notification): Promise<void> {
    const d = n.data;
    const meta = {
      callId: d.CallID,
      syncId: d.SyncID || undefined,
      state: CallState[d.CallState],
      dir: Direction[d.Direction],
      number: this.mask.number(d.CalledNumber),
      contact: d.AdressatenId ? `${d.DataSource}:${d.AdressatenId}` : d.DataSource,
    };
    try {
      await this.bounded(this.port.notify(n.method, d));
      this.stats.sent++;
      this.absentLogged = false;
      this.log.info(`DATEV ${n.method}`, meta);
    } catch (e) {
      if (e instanceof DatevError && e.code === 'absent') {
        this.stats.droppedAbsent++;
        if (!this.absentLogged) {
          this.absentLogged = true;
          this.log.info('DATEV ist nicht gestartet; Anrufe werden nicht übertragen / DATEV not running, notifications dropped until it appears', meta);
        } else this.log.debug(`DATEV ${n.method} dropped (DATEV absent)`, meta);
        return;
      }
      this.stats.failed++;
      const hr = e instanceof DatevError && e.hresult !== undefined ? `0x${(e.hresult >>> 0).toString(16).toUpperCase()}` : undefined;
      this.log.warn(`DATEV ${n.method} failed: ${(e as Error).message}`, { ...meta, hresult: hr });
    }
  }

  private bounded(p: Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => {
      const cancel = this.clock.setTimeout(() => reject(new DatevError('timeout', `DATEV answered not within ${this.timeoutMs} ms`)), this.timeoutMs);
      p.then(
        () => (cancel(), resolve()),
        (e: unknown) => (cancel(), reject(e)),
      );
    });
  }
}
