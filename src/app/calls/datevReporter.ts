/**
 * The one way calls reach DATEV: every event goes through the pure state machine
 * (src/calls/callRecord.ts), which alone decides what DATEV is told; its notifications go to the
 * notifier, and DATEV's answers come back as events. Calls waiting for a hung DATEV catch up when it
 * answers again; a call DATEV does not have completely is handed over for later delivery (journal).
 */
import { step, undelivered, type CallEvent } from '../../calls/callRecord';
import type { Logger } from '../../logging/logger';
import type { DatevNotifier, DeliveryOutcome } from '../datevNotifier';
import type { TrackedCall } from './trackedCall';

export class DatevReporter {
  private readonly held = new Set<TrackedCall>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly notifier: DatevNotifier,
    private readonly log: Logger,
    /** A call that ended without DATEV having all of it (DATEV closed, restarted, refused): deliver later. */
    private readonly onUndelivered: (call: TrackedCall) => void,
  ) {
    this.unsubscribe = notifier.onResume(() => this.resume());
  }

  apply(call: TrackedCall, event: CallEvent): void {
    const { record, notifications } = step(call.record, event);
    call.record = record;
    if (record.link === 'held') this.held.add(call);
    else this.held.delete(call);
    for (const n of notifications) this.notifier.send(n, (o) => this.apply(call, outcomeEvent(o)));
    if (!call.journaled && undelivered(record)) {
      call.journaled = true;
      this.log.info('DATEV hat diesen Anruf nicht vollständig; er wird nachgetragen / DATEV does not have this call completely; kept for later delivery', {
        callId: record.data.CallID,
        reported: record.reported,
      });
      this.onUndelivered(call);
    }
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

function outcomeEvent(o: DeliveryOutcome): CallEvent {
  return o.type === 'delivered' ? { type: 'delivered', generation: o.generation } : { type: 'undelivered', how: o.how };
}
