/**
 * Who a call's other party is: the contact lookup of its number (NewCall waits for it at most the lookup
 * budget), a late caller id's wait, and a new look at calls without a contact when the index changed.
 */
import { isDatevSource } from '../../datev/callData';
import type { Contact } from '../../contacts/port';
import { contactFields } from '../contactResolver';
import type { CallContext } from './callContext';
import type { CallDialogs } from './callDialogs';
import { isEnded, type TrackedCall } from './trackedCall';

export class CallLookup {
  constructor(
    private readonly c: CallContext,
    private readonly dialogs: CallDialogs,
  ) {}

  /**
   * Looks the number up; the call may go to DATEV (announce) with the result, or after the lookup budget.
   * A result for a number the call no longer has (its other party changed meanwhile) is dropped.
   */
  start(call: TrackedCall, number: string): void {
    const { d } = this.c;
    call.lookupDone = false;
    call.lookupFor = number;
    let announced = false;
    const announce = (): void => {
      if (announced) return;
      announced = true;
      this.c.reporter.apply(call, { type: 'announce' });
    };
    const cancel = d.clock.setTimeout(announce, this.c.o.lookupBudgetMs);
    void d.resolver.resolve(number).then((res) => {
      cancel();
      if (call.lookupFor !== number) {
        announce();
        return; // (a lookup of a newer number of the call decides)
      }
      call.lookupDone = true;
      call.candidates = res.candidates;
      if (res.chosen) {
        call.party = { ...call.party, name: res.chosen.name, id: res.chosen.id, number: res.chosen.number || call.party.number };
        this.c.reporter.apply(call, { type: 'contact', contact: contactFields(res.chosen, this.c.o.dataSource) });
      }
      // (after the contact: a NewCall this lets go carries it)
      this.noteDatevNumber(call, number, res.candidates);
      announce();
      d.log.info('contact lookup', {
        callId: call.record.data.CallID,
        found: res.chosen ? `${res.chosen.dataSource}:${res.chosen.id}` : 'none',
        candidates: res.candidates.length || undefined,
      });
      this.dialogs.refresh(call);
    });
  }

  /** Caller id may come later (LINE_CALLINFO): NewCall waits at most the lookup budget for it. */
  waitForCallerId(call: TrackedCall): void {
    this.c.d.clock.setTimeout(() => this.c.reporter.apply(call, { type: 'announce' }), this.c.o.lookupBudgetMs);
  }

  /** The contact index changed: look up again every call in progress that has no contact yet. */
  recheck(): void {
    for (const call of this.c.registry.all()) {
      if (isEnded(call) || call.source === 'datev' || call.party.id || !call.party.number || call.internal) continue;
      const number = call.party.number;
      void this.c.d.resolver.resolve(number).then((res) => {
        if (isEnded(call)) return;
        if (!res.chosen || call.party.id) {
          // several DATEV contacts share the number now: the user picks
          this.noteDatevNumber(call, number, res.candidates);
          return;
        }
        this.c.d.log.info('contact found after the index was updated', { callId: call.record.data.CallID, found: `${res.chosen.dataSource}:${res.chosen.id}` });
        call.candidates = res.candidates;
        call.party = { ...call.party, name: res.chosen.name, id: res.chosen.id, number: res.chosen.number || call.party.number };
        this.c.reporter.apply(call, { type: 'contact', contact: contactFields(res.chosen, this.c.o.dataSource) });
        this.dialogs.refresh(call);
      });
    }
  }

  /** The number belongs to DATEV contacts (reportCalls "contacts": the call is DATEV's business). */
  private noteDatevNumber(call: TrackedCall, number: string, candidates: readonly Contact[]): void {
    if (candidates.some((c) => isDatevSource(c.dataSource))) this.c.reporter.apply(call, { type: 'datevNumber', number });
  }
}
