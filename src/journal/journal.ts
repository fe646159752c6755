/**
 * The local journal of the calls: every ended call's final record goes in (src/calls/finalCall.ts),
 * with whether DATEV has it; calls DATEV could not get live (closed, restarted, refused) and the user's
 * notes are delivered to DATEV as NewJournal by JournalDelivery — when DATEV is there, answers, and no
 * call is in progress. Kept per Windows user across restarts (JournalStore).
 */
import type { FinalCall } from '../calls/finalCall';
import type { Contact } from '../contacts/port';
import type { Logger } from '../logging/logger';
import type { Clock } from '../util/clock';
import type { DatevHas, JournalContact, JournalEntry } from './entry';
import type { JournalStore } from './port';

export interface JournalOptions {
  /** Deliver calls DATEV did not get live automatically when DATEV is back (else only from the call list). */
  deliverMissed: boolean;
}

/** The longest note DATEV gets (the note window takes no more). */
export const NOTE_MAX_CHARS = 2000;

export class Journal {
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly store: JournalStore,
    private readonly options: JournalOptions,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Reads the kept journal; calls whose DATEV answer was still open at the last stop are delivered later. */
  async load(): Promise<void> {
    const now = this.clock.now();
    await this.store.load(now);
    for (const e of this.store.entries()) {
      if (e.datev === 'waiting') this.store.put({ ...e, datev: 'pending' }, now);
    }
    const waiting = this.waiting();
    if (waiting > 0) this.log.info(`Journal: ${waiting} Einträge warten auf DATEV / journal entries waiting for DATEV`, { waiting });
  }

  entries(): JournalEntry[] {
    return this.store.entries();
  }

  get(callId: string): JournalEntry | undefined {
    return this.store.get(callId);
  }

  /** Calls and notes that DATEV should get and does not have yet. */
  waiting(): number {
    let n = 0;
    for (const e of this.store.entries()) {
      if ((e.datev === 'pending' && e.autoDeliver) || e.datev === 'sending') n++;
      n += e.notes.filter((x) => x.state === 'pending' || x.state === 'sending').length;
    }
    return n;
  }

  /** Called whenever the journal changed (the call list refreshes, delivery looks for work). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A call ended, or DATEV's side of an ended call changed. Returns the entry as kept now. */
  record(call: FinalCall): JournalEntry {
    const before = this.store.get(call.callId);
    const entry: JournalEntry = before
      ? { ...before, datev: nextDatev(before.datev, call.datev), ...(call.contact && !before.contact ? { contact: { ...call.contact } } : {}) }
      : {
          callId: call.callId,
          syncId: call.syncId,
          direction: call.direction,
          number: call.number,
          ...(call.contact ? { contact: { ...call.contact } } : {}),
          internal: call.internal,
          ringAt: call.ringAt.toISOString(),
          ...(call.connectedAt ? { connectedAt: call.connectedAt.toISOString() } : {}),
          endedAt: call.endedAt.toISOString(),
          datev: nextDatev(undefined, call.datev),
          autoDeliver: this.options.deliverMissed,
          attempts: 0,
          notes: [],
        };
    this.put(entry);
    if (entry.datev === 'pending' && (!before || before.datev !== 'pending')) {
      this.log.info(
        entry.autoDeliver
          ? 'Journal: der Anruf wird an DATEV nachgetragen / the call will be delivered to DATEV as a journal entry'
          : 'Journal: der Anruf fehlt in DATEV (journal.deliverMissed ist aus) / the call is not in DATEV (journal.deliverMissed is off)',
        { callId: entry.callId, waiting: this.waiting() },
      );
    }
    return entry;
  }

  /** The user's note about a call, to be sent to DATEV as its own NewJournal. */
  addNote(callId: string, text: string): void {
    const e = this.store.get(callId);
    const note = text.trim().slice(0, NOTE_MAX_CHARS);
    if (!e || note === '') return;
    e.notes.push({ text: note, at: this.clock.now().toISOString(), state: 'pending', attempts: 0 });
    this.put(e);
    this.log.info('Journal: Notiz gespeichert / note saved', { callId, chars: note.length });
  }

  /** „An DATEV senden“: deliver a call DATEV does not have (again, after DATEV refused it). */
  requestDelivery(callId: string): boolean {
    const e = this.store.get(callId);
    if (!e || (e.datev !== 'pending' && e.datev !== 'failed')) return false;
    this.put({ ...e, datev: 'pending', autoDeliver: true, attempts: 0 });
    return true;
  }

  /** „Kontakt zuordnen…“: the call's contact from now on (sent with its journal entry and notes). */
  assignContact(callId: string, contact: Contact): void {
    const e = this.store.get(callId);
    if (!e) return;
    const c: JournalContact = { name: contact.name, id: contact.id, dataSource: contact.dataSource };
    this.put({ ...e, contact: c });
  }

  /** Used by JournalDelivery to record its progress. */
  update(entry: JournalEntry): void {
    this.put(entry);
  }

  flush(): Promise<void> {
    return this.store.flush();
  }

  private put(entry: JournalEntry): void {
    this.store.put(entry, this.clock.now());
    void this.store.flush().catch(() => undefined); // the store logs its own failures
    for (const l of [...this.listeners]) l();
  }
}

/** DATEV's side of an entry after the call flow reported `live` DATEV state. */
function nextDatev(before: DatevHas | undefined, now: FinalCall['datev']): DatevHas {
  // once it is on its way as NewJournal (or there), the live flow cannot change that
  if (before === 'pending' || before === 'sending' || before === 'journal' || before === 'failed') return before;
  switch (now) {
    case 'live':
      return 'live';
    case 'waiting':
      return 'waiting';
    case 'lost':
      return 'pending';
    case 'not-reported':
      return 'not-reported';
  }
}
