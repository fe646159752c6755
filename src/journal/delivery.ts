/**
 * Delivers what DATEV should have and does not: calls DATEV could not get live and the user's notes,
 * each as one NewJournal (a new CallID, no SyncID) — one at a time, oldest first, only while DATEV runs
 * and answers and no call is in progress (DATEV forbids NewJournal during a call). Each item's CallID is
 * fixed and kept before its first attempt, so an attempt whose answer never came (the program stopped,
 * DATEV hung for minutes) is repeated with the same CallID, not as a second entry.
 */
import type { CallIdSource } from '../calls/callIds';
import type { Logger, Masker } from '../logging/logger';
import type { DatevNotifier, DeliveryOutcome } from '../app/datevNotifier';
import type { Clock } from '../util/clock';
import { CallState } from '../datev/callData';
import { copyEntry, journalData, liveEndData, type KeptEntry } from './entry';
import type { Journal } from './journal';

/** DATEV refused an item this often: it waits for the user („An DATEV senden“ in the call list). */
export const MAX_REFUSALS = 3;
/** Looks for work this often anyway (DATEV may have come back without anyone noticing), and waits this
 * long after DATEV did not take an item (config journal.retrySeconds). */
export const DELIVERY_RETRY_MS = 30_000;

export interface DeliveryDeps {
  journal: Journal;
  notifier: DatevNotifier;
  ids: CallIdSource;
  clock: Clock;
  log: Logger;
  mask: Masker;
  /** DATEV runs and answers, and no call is in progress. */
  canDeliver: () => boolean;
  /** Default DELIVERY_RETRY_MS. */
  retryMs?: number;
  /** DataSource of a call without a contact (config `dataSource`). */
  dataSource: string;
}

/** A call or note for a NewJournal, or (`endLive`) the end of a call a DATEV has open from an earlier run. */
type Item = { entry: KeptEntry; note?: number; at: number; endLive?: true };

export class JournalDelivery {
  /** The NewJournal in flight, if any (a late answer to an earlier one, given up on, must not free the way). */
  private current: object | undefined;
  /** Nothing is delivered before start(): the journal is read and the calls going on are known then. */
  private stopped = true;
  /** After DATEV did not take an item, wait this long unless DATEV is seen coming back. */
  private pausedUntil = 0;
  private cancelTimer: (() => void) | undefined;
  private readonly unsubscribe: () => void;
  private readonly retryMs: number;

  constructor(private readonly d: DeliveryDeps) {
    this.retryMs = d.retryMs ?? DELIVERY_RETRY_MS;
    this.unsubscribe = d.journal.onChange(() => this.kick());
  }

  start(): void {
    this.stopped = false;
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.unsubscribe();
  }

  /**
   * Something changed (a call ended, the user asked): deliver what can go now. `datevBack`: DATEV was
   * just seen coming back or answering again, so a pause after a failed attempt ends.
   */
  kick(datevBack = false): void {
    if (datevBack) this.pausedUntil = 0;
    if (this.stopped || this.current) return;
    this.schedule();
    if (this.d.clock.now().getTime() < this.pausedUntil) return;
    const item = this.next();
    if (!item || !this.d.canDeliver()) return;
    this.send(item);
  }

  private schedule(): void {
    this.cancelTimer?.();
    this.cancelTimer = this.d.clock.setTimeout(() => this.kick(true), this.retryMs);
  }

  /**
   * The oldest call or note DATEV should get (among the entries with work only, not every entry kept) —
   * none while a call still waits for DATEV's answer to its end: for DATEV that call is still going on
   * (it forbids NewJournal during a call; the phone may have ended it before DATEV even had its
   * NewCall), and if it ended before the entry it may yet become a journal entry itself, which DATEV
   * gets first, in the calls' time order.
   */
  private next(): Item | undefined {
    let best: Item | undefined;
    let unended: Item | undefined;
    for (const entry of this.d.journal.withWork()) {
      if (entry.datev === 'unended') {
        // a call a DATEV has open from the program's earlier run: ended there first (DATEV takes no
        // NewJournal while it has a call going on), oldest first
        const at = Date.parse(entry.ringAt);
        if (!unended || at < unended.at) unended = { entry, at, endLive: true };
        continue;
      }
      if ((entry.datev === 'pending' && entry.autoDeliver) || entry.datev === 'sending') {
        const at = Date.parse(entry.endedAt);
        if (!best || at < best.at) best = { entry, at };
      }
      // a note waits for its call to be in DATEV (live or as journal entry)
      if (entry.datev !== 'live' && entry.datev !== 'journal' && entry.datev !== 'not-reported') continue;
      entry.notes.forEach((n, i) => {
        if (n.state !== 'pending' && n.state !== 'sending') return;
        const at = Date.parse(n.at);
        if (!best || at < best.at) best = { entry, note: i, at };
      });
    }
    return unended ?? (this.callEndOnItsWay() ? undefined : best);
  }

  /** A call ended on the phone whose end DATEV has not answered yet: for DATEV it is still going on. */
  private callEndOnItsWay(): boolean {
    return this.d.journal.withWork().some((entry) => entry.datev === 'waiting');
  }

  private send(item: Item): void {
    if (item.endLive) return this.endLive(item.entry);
    const { journal, notifier, ids, log, mask } = this.d;
    const e = copyEntry(item.entry);
    const note = item.note === undefined ? undefined : e.notes[item.note]!;
    const callId = (note ? note.journalCallId : e.journalCallId) ?? ids.next();
    if (note) {
      note.journalCallId = callId;
      note.state = 'sending';
      note.attempts++;
    } else {
      e.journalCallId = callId;
      e.datev = 'sending';
      e.attempts++;
    }
    const attempt = {};
    this.current = attempt;
    journal.update(e); // kept before DATEV sees it: a repeat uses the same CallID
    log.info(`Journal: NewJournal ${note ? 'mit Notiz / with a note' : 'für einen Anruf, den DATEV nicht hat / for a call DATEV does not have'}`, {
      callId: e.callId,
      journalCallId: callId,
      number: mask.number(e.number),
      attempt: note ? note.attempts : e.attempts,
    });
    const data = journalData(e, callId, note?.text, this.d.dataSource);
    // DATEV gets it only once its CallID is on disk: sent and then forgotten by a crash, it would go again
    // after the restart with a new CallID — a second entry in DATEV
    /**
     * Not sent now: back to pending, with the same CallID next time — on the entry as it is now (a note,
     * a contact may have come while the disk was written; `e` is the copy from before).
     */
    const putBack = (): void => {
      this.current = undefined;
      const now = journal.get(e.callId);
      if (!now) return;
      const back = copyEntry(now);
      if (note) {
        const n = back.notes[item.note!];
        if (n?.state !== 'sending') return;
        n.state = 'pending';
      } else {
        if (back.datev !== 'sending') return;
        back.datev = 'pending';
      }
      journal.update(back);
    };
    journal.flush().then(
      () => {
        if (this.current !== attempt || this.stopped) return; // stopped meanwhile: it goes after the next start
        // a call may have begun (or DATEV gone) while the disk was written, or one may have rung and ended
        // with its end still on its way to DATEV: DATEV forbids NewJournal during a call — the call's end
        // (in DATEV) brings the entry up again
        if (!this.d.canDeliver() || this.callEndOnItsWay()) return putBack();
        notifier.send({ method: 'NewJournal', data, last: true }, (o) => this.done(attempt, e.callId, item.note, o));
      },
      (err: unknown) => {
        if (this.current !== attempt) return;
        log.warn(`Journal: the entry's CallID cannot be saved (${(err as Error).message}); it is sent once the journal file can be written`, { callId: e.callId });
        this.pausedUntil = this.d.clock.now().getTime() + this.retryMs;
        putBack();
      },
    );
  }

  /**
   * Ends a call the program's earlier run left open in a DATEV (killed, crashed): its end goes to that
   * DATEV only — the port sends nothing to another one ('gone') — live under the call's CallID. Taken:
   * DATEV has the call (live). Another DATEV, none, or DATEV refused: a journal entry instead (pending).
   * DATEV hangs: tried again later.
   */
  private endLive(entry: KeptEntry): void {
    const { journal, notifier, log, mask } = this.d;
    const steps = liveEndData(entry, this.d.dataSource);
    const attempt = {};
    this.current = attempt;
    const meta = { callId: entry.callId, number: mask.number(entry.number), datev: entry.openIn?.datevId };
    log.info('Journal: der Anruf wird in DATEV beendet, wo er aus dem letzten Programmlauf offen ist / ending the call in the DATEV that has it open from the program\'s last run', meta);
    const sendStep = (i: number): void => {
      const data = steps[i]!;
      const last = i === steps.length - 1;
      notifier.send({ method: 'CallStateChanged', data, last, ...(entry.openIn ? { datevId: entry.openIn.datevId } : {}) }, (o) => {
        const kept = journal.get(entry.callId);
        if (!kept || kept.datev !== 'unended') {
          if (this.current === attempt) this.current = undefined;
          // a late answer after the entry went on: DATEV took the end after all (it hung longer than the
          // program waits) — unless its NewJournal is already on its way, the call is DATEV's, live
          if (kept && last && o.type === 'delivered' && kept.datev === 'pending' && kept.journalCallId === undefined) {
            journal.update({ ...copyEntry(kept), datev: 'live' });
            log.info('Journal: DATEV hat das Ende des Anrufs doch noch genommen / DATEV took the end of the call after all, live', meta);
          }
          return;
        }
        const e = copyEntry(kept);
        if (o.type === 'delivered' && !last) {
          // (still this attempt's: the journal's change must not start another one meanwhile)
          if (data.CallState === CallState.eCSConnected && e.openIn) e.openIn = { ...e.openIn, reported: 'connected' };
          journal.update(e);
          return sendStep(i + 1);
        }
        if (this.current === attempt) this.current = undefined;
        if (o.type === 'delivered') {
          e.datev = 'live';
          delete e.openIn;
          journal.update(e);
          log.info('Journal: DATEV hat das Ende des Anrufs / DATEV has the end of the call, live', meta);
          this.kick();
          return;
        }
        this.pausedUntil = this.d.clock.now().getTime() + this.retryMs;
        if (o.how === 'held' && !o.unanswered) return; // DATEV hangs: the same DATEV may take it later
        // not that DATEV any more (restarted, closed), or it refused: the call goes as a journal entry
        e.datev = 'pending';
        delete e.openIn;
        journal.update(e);
        log.warn(`Journal: das Ende ging nicht an das DATEV, das den Anruf offen hat (${o.why}); der Anruf wird als Journaleintrag nachgetragen / the end could not go to the DATEV that has the call open; it is delivered as a journal entry`, meta);
        this.pausedUntil = 0;
        this.kick();
      });
    };
    sendStep(0);
  }

  /**
   * The outcome of a NewJournal — or, later, DATEV taking one the program had given up on after it hung
   * (the notifier tells that too): then DATEV has it, whatever was tried since.
   */
  private done(attempt: object, callId: string, noteIndex: number | undefined, o: DeliveryOutcome): void {
    if (this.current === attempt) this.current = undefined;
    const kept = this.d.journal.get(callId);
    // once DATEV has it (a late answer said so), a later attempt's failure does not undo that
    const delivered = noteIndex === undefined ? kept?.datev === 'journal' : kept?.notes[noteIndex]?.state === 'delivered';
    if (kept && (o.type === 'delivered' || !delivered)) {
      const e = copyEntry(kept);
      const note = noteIndex === undefined ? undefined : e.notes[noteIndex];
      // only DATEV's refusals count towards giving up — not attempts that found DATEV closed or hanging
      const refused = o.type === 'undelivered' && (o.why === 'com' || o.why === 'gone');
      const target = note ?? e;
      if (refused) target.refusals = (target.refusals ?? 0) + 1;
      const failed = refused && (target.refusals ?? 0) >= MAX_REFUSALS;
      if (note) note.state = o.type === 'delivered' ? 'delivered' : failed ? 'failed' : 'pending';
      else e.datev = o.type === 'delivered' ? 'journal' : failed ? 'failed' : 'pending';
      if (failed) this.d.log.error(`Journal: DATEV lehnt den Eintrag ab / DATEV refused the journal entry ${target.refusals} times; it waits for „An DATEV senden“`, { callId, attempts: target.attempts });
      if (o.type !== 'delivered') this.pausedUntil = this.d.clock.now().getTime() + this.retryMs;
      this.d.journal.update(e);
    }
    if (o.type === 'delivered') this.kick();
  }
}
