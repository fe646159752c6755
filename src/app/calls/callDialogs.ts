/**
 * What the user sees of a call: the incoming pop-up ("Annehmen"/"Ablehnen", contact choices, „An DATEV melden“) and the
 * outgoing window ("Auflegen"), kept in step with the call, and what the user's clicks do.
 */
import { isForDatev } from '../../calls/callRecord';
import { observationOf } from '../../calls/tapiMapping';
import type { DialogResult, DialogSpec } from '../../dialogs/port';
import { BUTTON, incomingDialog, outgoingDialog, outgoingUpdate, type OutgoingPhase, type PartyView } from '../../dialogs/texts';
import type { CallStateName } from '../../telephony/tapiConstants';
import { contactFields } from '../contactResolver';
import type { CallContext } from './callContext';
import type { CallControl } from './callControl';
import { isEnded, type TrackedCall } from './trackedCall';

export class CallDialogs {
  constructor(
    private readonly c: CallContext,
    private readonly control: CallControl,
  ) {}

  async openOutgoing(call: TrackedCall): Promise<void> {
    const spec = outgoingDialog(call.party);
    call.shownText = `${spec.heading}\n${spec.text}`;
    await this.open(call, 'outgoing', spec);
    // the call is placed while the window opens: catch up with what happened meanwhile
    if (isEnded(call)) void this.close(call);
    else if (call.hCall !== undefined) {
      this.callExists(call);
      this.updateOutgoing(call);
    }
  }

  async openIncoming(call: TrackedCall): Promise<void> {
    const spec = this.incomingSpec(call);
    await this.open(call, 'incoming', spec);
    if (call.record.observed !== 'ringing') {
      void this.close(call);
      return;
    }
    // the lookup may have finished while the window was being created
    const now = this.incomingSpec(call);
    if (now.heading !== spec.heading || now.text !== spec.text || now.buttons.length !== spec.buttons.length) this.refresh(call);
  }

  /** The call's party or contact changed: show it. */
  refresh(call: TrackedCall): void {
    if (call.dialogId === undefined) return;
    if (call.dialogKind === 'incoming') {
      const spec = this.incomingSpec(call);
      if (buttonsKey(spec) !== call.shownButtons) {
        // other buttons (a choice of contacts, „An DATEV melden“ no longer needed): show the dialog again with them
        const old = call.dialogId;
        call.dialogId = undefined;
        void this.c.d.dialogs.close(old).then(() => this.openIncoming(call), () => undefined);
        return;
      }
      void this.c.d.dialogs.update(call.dialogId, spec.heading, spec.text).catch(() => undefined);
      return;
    }
    this.updateOutgoing(call);
  }

  /** A TAPI state of the call arrived. */
  onState(call: TrackedCall, state: CallStateName): void {
    const obs = observationOf(state);
    if (obs === 'ended' || (obs === 'connected' && call.dialogKind === 'incoming')) {
      void this.close(call);
      return;
    }
    if (call.dialogKind === 'outgoing') this.updateOutgoing(call);
  }

  /** TAPI has the outgoing call: "Auflegen" works from now on. */
  callExists(call: TrackedCall): void {
    if (call.dialogId !== undefined) void this.c.d.dialogs.setButtonEnabled(call.dialogId, 'hangup', true).catch(() => undefined);
  }

  async close(call: TrackedCall): Promise<void> {
    const id = call.dialogId;
    if (id === undefined) return;
    call.dialogId = undefined;
    await this.c.d.dialogs.close(id).catch(() => undefined);
  }

  private async open(call: TrackedCall, kind: 'incoming' | 'outgoing', spec: DialogSpec): Promise<void> {
    if (this.c.stopped()) return;
    try {
      const id = await this.c.d.dialogs.show(spec);
      call.dialogId = id;
      call.dialogKind = kind;
      call.shownButtons = buttonsKey(spec);
      void this.c.d.dialogs.result(id).then((r) => this.onResult(call, id, r), () => undefined);
    } catch (e) {
      this.c.d.log.warn(`dialog cannot be shown: ${(e as Error).message}`, { callId: call.record.data.CallID });
    }
  }

  private incomingView(call: TrackedCall): PartyView {
    const alternatives = call.party.id ? [] : call.candidates.map((x) => ({ name: x.name, id: x.id }));
    return { ...call.party, alternatives, searching: call.lookupFor !== undefined && !call.lookupDone };
  }

  private incomingSpec(call: TrackedCall): DialogSpec {
    const spec = incomingDialog(this.incomingView(call), call.internal);
    // a call a filter holds back (reportUnanswered off, reportCalls "contacts"): the user can send it (DATEV-Klick)
    if (call.record.reportable && !isForDatev(call.record)) spec.buttons.push({ id: 'datev', label: BUTTON.toDatev, enabled: true });
    if (this.c.o.ambiguity !== 'none' && !call.party.id) {
      for (const [i, x] of call.candidates.slice(0, 3).entries()) spec.buttons.push({ id: `contact:${i}`, label: `${x.name} (${x.id})`, enabled: true });
    }
    return spec;
  }

  private outgoingPhase(call: TrackedCall): OutgoingPhase {
    switch (call.record.observed) {
      case 'connected':
        return 'connected';
      case 'ended':
        return 'ended';
      default:
        return call.lastState === 'RINGBACK' ? 'ringing' : 'dialing';
    }
  }

  private updateOutgoing(call: TrackedCall): void {
    if (call.dialogId === undefined) return;
    const u = outgoingUpdate(call.party, this.outgoingPhase(call));
    const shown = `${u.heading}\n${u.text}`;
    if (shown === call.shownText) return; // several TAPI states read the same to the user
    call.shownText = shown;
    void this.c.d.dialogs.update(call.dialogId, u.heading, u.text).catch(() => undefined);
  }

  private onResult(call: TrackedCall, id: number, r: DialogResult): void {
    if (call.dialogId === id) call.dialogId = undefined;
    if (r.reason !== 'button' || !r.choice) return;
    const callId = call.record.data.CallID;
    if (isEnded(call) && r.choice !== 'hangup') {
      // a click that raced the call's end (the window was closing): nothing to do, nothing to report
      this.c.d.log.info(`dialog: user chose ${r.choice} after the call ended; ignored`, { callId });
      return;
    }
    this.c.d.log.info(`dialog: user chose ${r.choice}`, { callId });
    if (r.choice === 'answer') void this.control.request(call, 'answer', BUTTON.answer);
    else if (r.choice === 'reject') void this.control.request(call, 'drop', BUTTON.reject);
    else if (r.choice === 'hangup') this.control.hangUp(call, 'dialog');
    else if (r.choice.startsWith('contact:')) this.chooseContact(call, Number(r.choice.slice(8)));
    else if (r.choice === 'datev') this.sendToDatev(call);
  }

  /** „An DATEV melden“: the call goes to DATEV from now on, although a filter held it back. */
  private sendToDatev(call: TrackedCall): void {
    this.c.d.log.info('DATEV-Klick: the user sends the call to DATEV („An DATEV melden“)', { callId: call.record.data.CallID });
    this.c.reporter.apply(call, { type: 'sendToDatev' });
    if (call.record.observed === 'ringing') void this.openIncoming(call);
  }

  private chooseContact(call: TrackedCall, index: number): void {
    const x = call.candidates[index];
    if (!x) return;
    this.c.d.resolver.chosen(call.party.number, x);
    call.party = { ...call.party, name: x.name, id: x.id };
    this.c.reporter.apply(call, { type: 'contact', contact: contactFields(x, this.c.o.dataSource) });
    if (call.record.observed === 'ringing') void this.openIncoming(call);
  }
}

/** The dialog's buttons (ids and labels) as one comparable string. */
function buttonsKey(spec: DialogSpec): string {
  return JSON.stringify(spec.buttons.map((b) => [b.id, b.label]));
}
