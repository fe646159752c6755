/**
 * „Anrufliste“ (from the tray): the last calls with time, direction, number, contact, duration, result
 * and whether DATEV has them, kept up to date while the window is open. Actions on a selected call:
 * „Notiz an DATEV senden“, „An DATEV senden“ (calls DATEV does not have) and „Kontakt zuordnen…“ (calls
 * without a contact; the choice is remembered for the number and sent with the call's journal entry).
 */
import type { Contact, ContactsPort } from '../contacts/port';
import type { Logger } from '../logging/logger';
import { durationSeconds, isHeldBack, type KeptEntry } from './entry';
import type { Journal } from './journal';
import type { NotePrompts } from './notes';
import { CALL_LIST_TITLE, CHOOSER_TITLE, COLUMNS, LABELS, datevText, directionText, durationText, partyText, resultText, timeText } from './texts';
import type { CallListAction, CallListPort, CallListRow, ContactChooserPort } from './windows';

/** Rows in the list (newest first). */
export const CALL_LIST_ROWS = 200;
/** Contacts offered while the user types a name. */
export const CHOOSER_RESULTS = 30;

export function rowOf(e: KeptEntry): CallListRow {
  return {
    id: e.callId,
    cells: [
      timeText(e.ringAt),
      directionText(e.direction),
      e.number || '–',
      e.contact ? `${e.contact.name} (${e.contact.id})` : '–',
      durationText(durationSeconds(e)),
      resultText(e),
      datevText(e.datev, e.internal),
    ],
    canNote: !e.internal,
    canSend: e.datev === 'failed' || (e.datev === 'pending' && !e.autoDeliver) || isHeldBack(e) || e.notes.some((n) => n.state === 'failed'),
    canAssign: !e.contact && !e.internal && e.number !== '',
  };
}

export class CallList {
  private open = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly window: CallListPort,
    private readonly chooser: ContactChooserPort,
    private readonly journal: Journal,
    private readonly notes: NotePrompts,
    private readonly contacts: ContactsPort,
    private readonly log: Logger,
    /** The user asked for delivery: try now, even during the pause after a refusal. */
    private readonly deliverNow: () => void = () => undefined,
  ) {}

  /** „Anrufliste“ chosen: show it (or bring it to the front with fresh rows). */
  async show(): Promise<void> {
    await this.window.show(
      {
        title: CALL_LIST_TITLE,
        columns: COLUMNS,
        rows: this.rows(),
        noteLabel: LABELS.note,
        sendLabel: LABELS.send,
        assignLabel: LABELS.assign,
        closeLabel: LABELS.close,
      },
      (action, rowId) => void this.act(action, rowId),
      () => this.closed(),
    );
    if (!this.open) {
      this.open = true;
      this.unsubscribe = this.journal.onChange(() => void this.window.update(this.rows()).catch(() => undefined));
    }
  }

  async close(): Promise<void> {
    this.closed();
    await this.window.close().catch(() => undefined);
  }

  private closed(): void {
    this.open = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private rows(): CallListRow[] {
    return this.journal.newest(CALL_LIST_ROWS).map(rowOf);
  }

  private async act(action: CallListAction, callId: string): Promise<void> {
    const e = this.journal.get(callId);
    if (!e) return;
    this.log.info(`Anrufliste: ${action}`, { callId });
    switch (action) {
      case 'note':
        await this.notes.ask(e);
        return;
      case 'send':
        this.journal.requestDelivery(callId);
        this.deliverNow();
        return;
      case 'assign':
        await this.assign(e);
        return;
    }
  }

  private async assign(e: KeptEntry): Promise<void> {
    const search = this.contacts.search?.bind(this.contacts);
    const found = new Map<string, Contact>();
    const id = await this.chooser.choose(
      { title: CHOOSER_TITLE, heading: partyText(e), searchLabel: LABELS.search, chooseLabel: LABELS.choose, cancelLabel: LABELS.cancel },
      async (text) => {
        const list = search ? await search(text, CHOOSER_RESULTS).catch(() => []) : [];
        for (const c of list) found.set(`${c.dataSource}:${c.id}`, c);
        return list.map((c) => ({ id: `${c.dataSource}:${c.id}`, label: `${c.name} (${c.id})` }));
      },
    );
    const contact = id ? found.get(id) : undefined;
    if (!contact) return;
    this.journal.assignContact(e.callId, contact);
    await (this.contacts.learnFromCall ?? this.contacts.learn)?.call(this.contacts, e.number, { ...contact, number: e.number }).catch((err: unknown) => this.log.warn(`remembering the contact failed: ${(err as Error).message}`));
    this.log.info('Anrufliste: Kontakt zugeordnet / contact assigned', { callId: e.callId, contact: `${contact.dataSource}:${contact.id}` });
  }
}
