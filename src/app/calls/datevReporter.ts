/**
 * The one way calls reach DATEV: every event goes through the pure state machine
 * (src/calls/callRecord.ts), which alone decides what DATEV is told; its notifications go to the
 * notifier, and DATEV's answers come back as events. Calls waiting for a hung DATEV catch up when it
 * answers again. An ended call is handed to the journal with whether DATEV has it, and again whenever
 * that changes (a call DATEV does not have completely is delivered later from there).
 */
import { step, type CallEvent } from '../../calls/callRecord';
import { finalCallOf, openCallChanged, openCallOf, type FinalCall, type OpenCall } from '../../calls/finalCall';
import type { Direction } from '../../datev/callData';
import type { Logger } from '../../logging/logger';
import type { DatevNotifier, DeliveryOutcome } from '../datevNotifier';
import type { TrackedCall } from './trackedCall';

/** Where the calls go for the journal (src/journal). */
export interface CallJournal {
  /** A call ended, or DATEV's side of an ended call changed. */
  onFinal(call: FinalCall): void;
  /** A call DATEV should get was seen, or what the journal keeps of it changed (connected, its contact) while it goes on. */
  onOpen(call: OpenCall): void;
  /**
   * A call TAPI announces as the line opens at the start: the call with this dwCallID the program's
   * earlier run left going on (it was killed), if there is one — it goes on as that call.
   */
  resume(tapiCallId: number, direction: Direction): OpenCall | undefined;
}

export class DatevReporter {
  private readonly held = new Set<TrackedCall>();
  private readonly endWaiters = new Map<TrackedCall, (() => void)[]>();
  private readonly answerWaiters = new Map<TrackedCall, (() => void)[]>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly notifier: DatevNotifier,
    private readonly log: Logger,
    private readonly journal: CallJournal,
  ) {
    this.unsubscribe = notifier.onResume(() => this.resume());
  }

  apply(call: TrackedCall, event: CallEvent): void {
    const wasEnded = call.record.observed === 'ended';
    const { record, notifications } = step(call.record, event);
    call.record = record;
    if (!wasEnded && record.observed === 'ended') wake(this.endWaiters, call);
    if (event.type === 'delivered' || event.type === 'undelivered') wake(this.answerWaiters, call);
    if (record.link === 'held') this.held.add(call);
    else this.held.delete(call);
    for (const n of notifications) this.notifier.send(n, (o) => this.apply(call, outcomeEvent(o)));
    const open = openCallOf(record, call.internal, call.info?.callId);
    if (open && openCallChanged(call.journalOpen, open)) {
      call.journalOpen = open;
      this.journal.onOpen(open);
    }
    const final = finalCallOf(record, call.internal);
    if (final && final.datev !== call.finalState) {
      call.finalState = final.datev;
      if (final.datev === 'lost') {
        this.log.info('DATEV hat diesen Anruf nicht vollständig; er wird nachgetragen / DATEV does not have this call completely; kept for later delivery', {
          callId: record.data.CallID,
          reported: record.reported,
        });
      }
      this.journal.onFinal(final);
    }
  }

  /** Resolves true when the call has ended or ends within `ms`, else false. */
  endsWithin(call: TrackedCall, ms: number, clock: Clock): Promise<boolean> {
    if (call.record.observed === 'ended') return Promise.resolve(true);
    return waitFor(this.endWaiters, call, ms, clock);
  }

  /**
   * Resolves true at DATEV's next answer (delivered or not) to a notification about the call, false
   * when none came within `ms`.
   */
  answeredWithin(call: TrackedCall, ms: number, clock: Clock): Promise<boolean> {
    return waitFor(this.answerWaiters, call, ms, clock);
  }

  /** Calls waiting for DATEV to answer again. */
  get waiting(): number {
    return this.held.size;
  }

  close(): void {
    this.unsubscribe();
  }

  private resume(): void {
    for (const call of [...this.held]) this.apply(call, { type: 'resume' });
  }
}

type Clock = { setTimeout(fn: () => void, ms: number): () => void };

/** Resolves true when `wake(waiters, call)` comes within `ms`, else false. */
function waitFor(waiters: Map<TrackedCall, (() => void)[]>, call: TrackedCall, ms: number, clock: Clock): Promise<boolean> {
  return new Promise((resolve) => {
    const list = waiters.get(call) ?? [];
    waiters.set(call, list);
    const cancel = clock.setTimeout(() => {
      const i = list.indexOf(done);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0 && waiters.get(call) === list) waiters.delete(call);
      resolve(false);
    }, ms);
    function done(): void {
      cancel();
      resolve(true);
    }
    list.push(done);
  });
}

function wake(waiters: Map<TrackedCall, (() => void)[]>, call: TrackedCall): void {
  const list = waiters.get(call);
  if (!list) return;
  waiters.delete(call);
  for (const w of list) w();
}

function outcomeEvent(o: DeliveryOutcome): CallEvent {
  if (o.type === 'delivered') return { type: 'delivered', generation: o.generation, datevId: o.datevId, ...(o.syncId !== undefined ? { syncId: o.syncId } : {}) };
  return { type: 'undelivered', how: o.how, ...(o.unanswered ? { unanswered: true } : {}) };
}
