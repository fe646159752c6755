/**
 * The local journal of the calls: every ended call's final record goes in (src/calls/finalCall.ts),
 * with whether DATEV has it; calls DATEV could not get live (closed, restarted, refused) and the user's
 * notes are delivered to DATEV as NewJournal by JournalDelivery — when DATEV is there, answers, and no
 * call is in progress. Kept per Windows user across restarts (JournalStore).
 */
import type { FinalCall, OpenCall } from '../calls/finalCall';
import type { Contact } from '../contacts/port';
import type { Logger } from '../logging/logger';
import type { Clock } from '../util/clock';
import { copyEntry, isHeldBack, type DatevHas, type JournalContact, type JournalEntry, type KeptEntry } from './entry';
import type { JournalStore } from './port';

export interface JournalOptions {
  /** Deliver calls DATEV did not get live automatically when DATEV is back (else only from the call list). */
  deliverMissed: boolean;
  /** A call a DATEV had open when the program before ended without ending it is ended there, live, if that DATEV still runs. */
  endUnendedLive: boolean;
}

/** The longest note DATEV gets (the note window takes no more). */
export const NOTE_MAX_CHARS = 2000;

/** DATEV should get something of it, or may have to (its end is not answered yet: delivery keeps time order behind it). */
function hasWork(e: KeptEntry): boolean {
  return (e.datev === 'pending' && e.autoDeliver) || e.datev === 'sending' || e.datev === 'waiting' || e.datev === 'unended' || e.notes.some((n) => n.state === 'pending' || n.state === 'sending');
}

export class Journal {
  private readonly listeners = new Set<() => void>();
  /**
   * CallIDs of the entries with work for DATEV (a call or a note to deliver): delivery and the waiting
   * count look only at these, not at every entry kept. An entry the limits dropped leaves it when seen.
   */
  private readonly work = new Set<string>();
  /** CallIDs of the calls the program's earlier run left going on (found `open` at the load), until the calls going on at start are known. */
  private readonly leftGoing = new Set<string>();

  constructor(
    private readonly store: JournalStore,
    private readonly options: JournalOptions,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /**
   * Reads the kept journal; calls whose DATEV answer was still open at the last stop are delivered later,
   * and so are calls that were going on when the program before ended without ending them (killed,
   * crashed, power lost): as ended when it last saw them going on.
   */
  async load(): Promise<void> {
    const now = this.clock.now();
    await this.store.load(now);
    this.work.clear();
    this.leftGoing.clear();
    for (const e of this.store.entries()) {
      if (e.datev === 'waiting') this.store.put({ ...e, datev: 'pending' }, now);
      if (e.datev === 'open') {
        // its end: when it was last seen going on; to the DATEV that has it open, if that one still runs
        const live = this.options.endUnendedLive && e.openIn !== undefined && !e.openIn.lost;
        // (`openIn` stays: if the call is still going on, the new run goes on from what DATEV has)
        this.store.put({ ...e, datev: live ? 'unended' : 'pending' }, now);
        this.leftGoing.add(e.callId);
        this.log.warn(
          'Journal: der Anruf lief noch, als das Programm zuletzt ohne ordentliches Ende beendet wurde; er wird mit dem Ende nachgetragen, zu dem er zuletzt lief / the call was going on when the program last ended without stopping properly (killed, crashed, power lost); it is completed with the end when it was last seen going on',
          { callId: e.callId, lastSeen: e.endedAt, connected: e.connectedAt !== undefined, to: live ? `the DATEV that has it open (${e.openIn!.datevId}), else as a journal entry` : 'as a journal entry' },
        );
      }
      if (hasWork(this.store.get(e.callId) ?? e)) this.work.add(e.callId);
    }
    const waiting = this.waiting();
    if (waiting > 0) this.log.info(`Journal: ${waiting} Einträge warten auf DATEV / journal entries waiting for DATEV`, { waiting });
  }

  /** Every entry, oldest first (read-only; a new list each time: for the call list, not per change). */
  entries(): readonly KeptEntry[] {
    return this.store.entries();
  }

  /** The newest `count` entries of ended calls, newest first. */
  newest(count: number): KeptEntry[] {
    const all = this.store.entries();
    const out: KeptEntry[] = [];
    for (let i = all.length - 1; i >= 0 && out.length < count; i--) if (all[i]!.datev !== 'open') out.push(all[i]!);
    return out;
  }

  get(callId: string): KeptEntry | undefined {
    return this.store.get(callId);
  }

  /** The entries with a call or a note DATEV should get and does not have yet (read-only). */
  withWork(): KeptEntry[] {
    const out: KeptEntry[] = [];
    for (const id of this.work) {
      const e = this.store.get(id);
      if (e && hasWork(e)) out.push(e);
      else this.work.delete(id); // dropped by the limits
    }
    return out;
  }

  /** Calls and notes that DATEV should get and does not have yet. */
  waiting(): number {
    let n = 0;
    for (const e of this.withWork()) {
      if ((e.datev === 'pending' && e.autoDeliver) || e.datev === 'sending' || e.datev === 'unended') n++;
      for (const x of e.notes) if (x.state === 'pending' || x.state === 'sending') n++;
    }
    return n;
  }

  /** Called whenever the journal changed (the call list refreshes, delivery looks for work). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * A call DATEV should get goes on (seen now): kept as `open` until it ends, so that a program that
   * ends without ending it leaves it for the next start. Not once it has ended.
   */
  recordOpen(call: OpenCall): void {
    const before = this.store.get(call.callId);
    if (before && before.datev !== 'open') return;
    this.put({
      ...this.newEntry(call, this.clock.now(), 'open'),
      ...(call.openIn ? { openIn: { ...call.openIn } } : {}),
      ...(call.tapiCallId ? { tapiCallId: call.tapiCallId } : {}),
    });
  }

  /**
   * The call with this dwCallID and direction the program's earlier run left going on (found `open` at
   * this start), if TAPI announces it again as the line opens: it is kept as going on again, and the
   * new run goes on with it (its CallID, its DATEV, from what that DATEV has; a DATEV that is not told
   * live any more, `openIn.lost`, gets it as a journal entry at its end).
   */
  resumeLeftGoing(tapiCallId: number, direction: number): OpenCall | undefined {
    for (const callId of this.leftGoing) {
      const e = this.store.get(callId);
      if (!e || e.tapiCallId !== tapiCallId || e.direction !== direction) continue;
      if (e.datev !== 'unended' && !(e.datev === 'pending' && e.journalCallId === undefined)) continue;
      this.leftGoing.delete(callId);
      this.put({ ...e, datev: 'open' });
      this.log.info('Journal: der Anruf aus dem letzten Programmlauf läuft noch; er geht weiter / the call the program left going on is still going on; it goes on as the same call', { callId, tapiCallId });
      return {
        callId: e.callId,
        syncId: e.syncId,
        direction: e.direction,
        number: e.number,
        ...(e.contact ? { contact: { ...e.contact } } : {}),
        internal: e.internal,
        ...(e.takenElsewhere ? { takenElsewhere: true as const } : {}),
        ringAt: new Date(e.ringAt),
        ...(e.connectedAt ? { connectedAt: new Date(e.connectedAt) } : {}),
        // (with journal.endUnendedLive off, the DATEV that has it gets nothing more live: a journal entry at its end)
        ...(e.openIn ? { openIn: { ...e.openIn, ...(this.options.endUnendedLive ? {} : { lost: true as const }) } } : {}),
        tapiCallId,
      };
    }
    return undefined;
  }

  /** A call's first entry (ended or going on: `endedAt` when it was last seen then). */
  private newEntry(call: OpenCall, endedAt: Date, datev: DatevHas): JournalEntry {
    return {
      callId: call.callId,
      syncId: call.syncId,
      direction: call.direction,
      number: call.number,
      ...(call.contact ? { contact: { ...call.contact } } : {}),
      internal: call.internal,
      ...(call.takenElsewhere ? { takenElsewhere: true as const } : {}),
      ringAt: call.ringAt.toISOString(),
      ...(call.connectedAt ? { connectedAt: call.connectedAt.toISOString() } : {}),
      endedAt: endedAt.toISOString(),
      datev,
      autoDeliver: this.options.deliverMissed,
      attempts: 0,
      notes: [],
    };
  }

  /** The calls going on at the start are known: what the earlier run left going on is not resumed any more. */
  endResume(): void {
    this.leftGoing.clear();
  }

  /** A call ended, or DATEV's side of an ended call changed. Returns the entry as kept now. */
  record(call: FinalCall): KeptEntry {
    const known = this.store.get(call.callId);
    const before = known?.datev === 'open' ? undefined : known; // the call's final record replaces what was kept while it went on
    const entry: KeptEntry = before
      ? { ...before, datev: nextDatev(before.datev, call.datev), ...(call.contact && !before.contact ? { contact: { ...call.contact } } : {}) }
      : this.newEntry(call, call.endedAt, nextDatev(undefined, call.datev));
    const kept = this.put(entry);
    if (entry.datev === 'pending' && (!before || before.datev !== 'pending')) {
      this.log.info(
        entry.autoDeliver
          ? 'Journal: der Anruf wird an DATEV nachgetragen / the call will be delivered to DATEV as a journal entry'
          : 'Journal: der Anruf fehlt in DATEV (journal.deliverMissed ist aus) / the call is not in DATEV (journal.deliverMissed is off)',
        { callId: entry.callId, waiting: this.waiting() },
      );
    }
    return kept;
  }

  /** The user's note about a call, to be sent to DATEV as its own NewJournal. */
  addNote(callId: string, text: string): void {
    const kept = this.store.get(callId);
    const note = text.trim().slice(0, NOTE_MAX_CHARS);
    if (!kept || note === '') return;
    const e = copyEntry(kept);
    e.notes.push({ text: note, at: this.clock.now().toISOString(), state: 'pending', attempts: 0 });
    this.put(e);
    this.log.info('Journal: Notiz gespeichert / note saved', { callId, chars: note.length });
  }

  /** „An DATEV senden“: deliver a call DATEV does not have, and notes DATEV refused (again). */
  requestDelivery(callId: string): boolean {
    const e = this.store.get(callId);
    if (!e) return false;
    // (a call a filter held back: the user sends it after all)
    const call = e.datev === 'pending' || e.datev === 'failed' || isHeldBack(e);
    const refusedNotes = e.notes.some((n) => n.state === 'failed');
    if (!call && !refusedNotes) return false;
    const notes = e.notes.map((n) => (n.state === 'failed' ? { ...n, state: 'pending' as const, attempts: 0, refusals: 0 } : n));
    this.put(call ? { ...e, datev: 'pending', autoDeliver: true, attempts: 0, refusals: 0, notes } : { ...e, notes });
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
  update(entry: KeptEntry): void {
    this.put(entry);
  }

  flush(): Promise<void> {
    return this.store.flush();
  }

  /** Keeps the change (the store writes it behind, logging its own failures) and tells the listeners. */
  private put(entry: KeptEntry): KeptEntry {
    this.store.put(entry, this.clock.now());
    const kept = this.store.get(entry.callId) ?? entry;
    if (hasWork(kept)) this.work.add(kept.callId);
    else this.work.delete(kept.callId);
    for (const l of [...this.listeners]) l();
    return kept;
  }
}

/** DATEV's side of an entry after the call flow reported `live` DATEV state. */
function nextDatev(before: DatevHas | undefined, now: FinalCall['datev']): DatevHas {
  // once it is on its way as NewJournal (or there), the live flow cannot change that; a call still only
  // kept for delivery goes back to the live flow when DATEV took, late, what the program had given up on
  if (before === 'sending' || before === 'journal' || before === 'failed') return before;
  if (before === 'pending' && now !== 'live' && now !== 'waiting') return before;
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
