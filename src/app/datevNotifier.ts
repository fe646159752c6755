/**
 * Hands the state machine's notifications to the DATEV port and tells each call how its notification
 * ended: delivered (with the DATEV generation that took it), or undelivered — 'held' when DATEV was not
 * even called because it hangs (the call catches up on resume), 'lost' when DATEV is closed, was
 * restarted or refused it (the call goes to the journal). A notification DATEV did not answer in time
 * waits for its real outcome. Notifications are handed over in the order they come; the port runs
 * them one after another. Nothing here ever throws into the call flow; every wait is bounded.
 */
import type { Notification } from '../calls/callRecord';
import { CallState, Direction } from '../datev/callData';
import { DatevError, type DatevErrorCode, type DatevHealth, type DatevPort, type Delivery } from '../datev/port';
import type { Logger, Masker } from '../logging/logger';
import type { Clock } from '../util/clock';

export type DeliveryOutcome =
  /** `syncId`: the SyncID DATEV wrote into the call's data object (Delivery.syncId), when it wrote one. */
  | { type: 'delivered'; generation: number; datevId: string; syncId?: string }
  /**
   * `why`: absent, gone, com (DATEV refused), stalled / timeout (DATEV hung), shutdown. `unanswered`:
   * given up without DATEV's answer — a 'delivered' may still follow (DATEV took it after all).
   */
  | { type: 'undelivered'; how: 'held' | 'lost'; why: DatevErrorCode; unanswered?: boolean };

export interface NotifierStats {
  sent: number;
  /** Not delivered because DATEV was not running. */
  droppedAbsent: number;
  /** DATEV refused, was restarted, or COM failed. */
  failed: number;
  /** Ran past the bound (the real outcome followed later). */
  timeouts: number;
  /** Not attempted because DATEV hung. */
  stalled: number;
}

/** How long past the adapter's own bound a notification may stay unanswered before it counts as held. */
const SAFETY_MARGIN_MS = 5000;
/** How long a notification DATEV did not answer in time may still be answered; then it counts as lost. */
export const LATE_LIMIT_MS = 10 * 60_000;
/** How long after a thread came back from a hung DATEV the waiting calls and the journal go on (unless its late result came first). */
const RESUME_AFTER_MS = 250;

export class DatevNotifier {
  readonly stats: NotifierStats = { sent: 0, droppedAbsent: 0, failed: 0, timeouts: 0, stalled: 0 };
  private inFlight = 0;
  private chain: Promise<void> = Promise.resolve();
  private idleWaiters: (() => void)[] = [];
  private absentLogged = false;
  private hung = false;
  private lastStuck = 0;
  private readonly resumeListeners = new Set<() => void>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly port: DatevPort,
    private readonly log: Logger,
    private readonly mask: Masker,
    private readonly clock: Clock,
    private readonly timeoutMs: number,
    /** A notification failed in COM or timed out (the program checks its own COM objects). */
    private readonly onTrouble: () => void = () => undefined,
  ) {
    this.unsubscribe = port.onHealthChange((h) => this.onHealth(h));
  }

  /** Whether DATEV was found hanging and has not answered since. */
  get datevHangs(): boolean {
    return this.hung;
  }

  send(n: Notification, onOutcome: (o: DeliveryOutcome) => void): void {
    this.inFlight++;
    // one at a time: the next goes to the port when this one has its first answer (the port runs them
    // in order anyway; this keeps the safety bound below about one notification, not a queue)
    this.chain = this.chain.then(() => new Promise<void>((next) => this.deliver(n, onOutcome, next)));
  }

  private deliver(n: Notification, onOutcome: (o: DeliveryOutcome) => void, next: () => void): void {
    let settled = false;
    let gaveUp = false; // settled as lost after LATE_LIMIT_MS without DATEV's answer: DATEV may still take it
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      next();
    };
    const tell = (o: DeliveryOutcome): void => {
      try {
        onOutcome(o);
      } catch (e) {
        this.log.error(`handling a DATEV outcome failed: ${(e as Error).stack ?? String(e)}`);
      }
      // the call learns first, then the waiting calls and the journal (which must not send a call DATEV has)
      if (o.type === 'delivered' && this.hung) this.recovered();
    };
    const settle = (o: DeliveryOutcome, byTimer = false): void => {
      release();
      if (settled) {
        // DATEV took it after all, after the program had given up on it: the call is told (it goes on
        // live, and the journal drops the entry it was keeping for DATEV unless it is on its way already)
        if (gaveUp && !byTimer && o.type === 'delivered') {
          gaveUp = false;
          this.log.warn(`DATEV ${n.method} was taken after all, after the program had given up on it; the call goes on live`, this.meta(n));
          tell(o);
        }
        return;
      }
      settled = true;
      gaveUp = byTimer;
      if (!byTimer) cancelSafety();
      tell(o);
      if (--this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    };
    // After a 'timeout' (or no answer at all from the COM layer) the real outcome may take as long as
    // DATEV hangs: the next notifications go on meanwhile, this one waits for it, but not forever.
    let lateWait = false;
    const waitLate = (): void => {
      release();
      if (lateWait) return;
      lateWait = true;
      cancelSafety();
      cancelSafety = this.clock.setTimeout(() => {
        this.log.warn(`DATEV ${n.method}: still no answer after ${LATE_LIMIT_MS / 60_000} min; the call is kept for later delivery`, this.meta(n));
        settle({ type: 'undelivered', how: 'lost', why: 'timeout', unanswered: true }, true);
      }, LATE_LIMIT_MS);
    };
    // The COM layer answers every notification within its bound (at least with 'timeout'); if even that
    // does not come (the program's thread was blocked, or the layer lost it), DATEV counts as hanging and
    // the call waits for the real outcome like after a 'timeout' — it is not sent again meanwhile.
    let cancelSafety = this.clock.setTimeout(() => {
      this.log.warn(`DATEV ${n.method}: no outcome from the COM layer within ${this.timeoutMs + SAFETY_MARGIN_MS} ms; the call waits for it`, this.meta(n));
      this.hung = true;
      waitLate();
    }, this.timeoutMs + SAFETY_MARGIN_MS);
    const options = { last: n.last, ...(n.generation !== undefined ? { generation: n.generation } : {}), ...(n.datevId !== undefined ? { datevId: n.datevId } : {}) };
    this.port.notify(n.method, n.data, options).then(
      (d) => settle(this.delivered(n, d)),
      (e: unknown) => this.failed(n, e, settle, waitLate),
    );
  }

  /** Called when DATEV answers again after it hung (held calls catch up). */
  onResume(listener: () => void): () => void {
    this.resumeListeners.add(listener);
    return () => this.resumeListeners.delete(listener);
  }

  /** Resolves when every notification handed over so far has its outcome. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.unsubscribe();
  }

  private delivered(n: Notification, d: Delivery, late = false): DeliveryOutcome {
    this.stats.sent++;
    this.absentLogged = false;
    // datevRun: which DATEV took it (the COM layer's generation: it changes when DATEV restarts);
    // datevRead: how DATEV read the call's data back (by name, DISPID or vtable: datev-cti.md §9.1)
    this.log.info(`DATEV ${n.method}${late ? ' (late)' : ''}`, { ...this.meta(n), datevRun: d.generation, ...(d.datevRead ? { datevRead: d.datevRead } : {}) });
    if (d.syncId !== undefined && d.syncId !== n.data.SyncID) {
      // datev-cti.md §3.3, §9.4: whether and when DATEV does this is an open question
      this.log.info(`DATEV set the call's SyncID in its data object during ${n.method}; the call carries it from now on`, { callId: n.data.CallID, syncId: d.syncId });
    }
    return { type: 'delivered', generation: d.generation, datevId: d.datevId, ...(d.syncId !== undefined ? { syncId: d.syncId } : {}) };
  }

  private failed(n: Notification, e: unknown, settle: (o: DeliveryOutcome) => void, waitLate: () => void = () => undefined): void {
    const err = e instanceof DatevError ? e : new DatevError('com', String((e as Error)?.message ?? e));
    const meta = {
      ...this.meta(n),
      hresult: err.hresult !== undefined ? `0x${(err.hresult >>> 0).toString(16).toUpperCase()}` : undefined,
      // 'gone': the DATEV run that took the call's NewCall, which is no longer the one in the ROT
      datevRun: err.code === 'gone' ? n.generation : undefined,
    };
    switch (err.code) {
      case 'timeout': {
        this.stats.timeouts++;
        this.onTrouble();
        this.hung = true;
        this.log.warn(`DATEV ${n.method}: no answer within ${this.timeoutMs} ms; DATEV hangs. Waiting for its answer / DATEV antwortet nicht`, meta);
        if (err.ticket === undefined) {
          settle({ type: 'undelivered', how: 'held', why: 'timeout' });
          return;
        }
        waitLate();
        this.port.settled(err.ticket).then(
          (d) => settle(this.delivered(n, d, true)),
          (late: unknown) => this.failed(n, late, settle),
        );
        return;
      }
      case 'stalled':
        this.stats.stalled++;
        this.hung = true;
        this.log.warn(`DATEV ${n.method} not sent: DATEV hangs; the call is sent when DATEV answers again / DATEV hängt`, meta);
        settle({ type: 'undelivered', how: 'held', why: 'stalled' });
        return;
      case 'absent':
        this.stats.droppedAbsent++;
        if (!this.absentLogged) {
          this.absentLogged = true;
          this.log.info('DATEV ist nicht gestartet; der Anruf wird nachgetragen / DATEV not running, the call is kept for later delivery', meta);
        } else this.log.debug(`DATEV ${n.method} not delivered (DATEV absent)`, meta);
        settle({ type: 'undelivered', how: 'lost', why: 'absent' });
        return;
      default:
        this.stats.failed++;
        if (err.code === 'com') this.onTrouble();
        this.log.warn(`DATEV ${n.method} failed (${err.code}): ${err.message}; the call is kept for later delivery`, meta);
        settle({ type: 'undelivered', how: 'lost', why: err.code });
    }
  }

  private onHealth(h: DatevHealth): void {
    const fewer = h.stuck < this.lastStuck;
    this.lastStuck = h.stuck;
    // A thread came back from the hung DATEV: the late result of its notification is on its way (the
    // COM layer reports the two separately). The calls learn it first, then waiting calls and the
    // journal go on: a call DATEV took late must not be sent again as a journal entry.
    if (fewer && this.hung) {
      this.clock.setTimeout(() => {
        if (this.hung) this.recovered();
      }, RESUME_AFTER_MS);
    }
  }

  private recovered(): void {
    this.hung = false;
    this.log.info('DATEV antwortet wieder / DATEV answers again; waiting calls catch up');
    for (const l of [...this.resumeListeners]) l();
  }

  private meta(n: Notification): Record<string, unknown> {
    const d = n.data;
    return {
      callId: d.CallID,
      syncId: d.SyncID || undefined,
      state: CallState[d.CallState],
      dir: Direction[d.Direction],
      number: this.mask.number(d.CalledNumber),
      contact: d.AdressatenId ? `${d.DataSource}:${d.AdressatenId}` : d.DataSource,
    };
  }
}
