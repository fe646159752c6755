/**
 * One call in the local journal: its final record (direction, number, contact, times, result) and
 * whether DATEV has it — live, or delivered later as NewJournal — plus the notes the user wrote about
 * it. Pure helpers: the NewJournal data of an entry or a note.
 */
import { CallState, Direction, type DatevCallData } from '../datev/callData';

/**
 * Does DATEV have the call?
 * - live: complete through the live notifications;
 * - waiting: its end is not acknowledged yet (DATEV answers late or hangs);
 * - pending: to be delivered as NewJournal (DATEV was closed, restarted or refused);
 * - sending: the NewJournal is on its way (kept across a restart: it is sent again with the same CallID);
 * - journal: delivered as NewJournal;
 * - failed: DATEV refused the NewJournal too often; the user can send it again from the call list;
 * - not-reported: not DATEV's business (internal call, as configured);
 * - open: the call was going on when this was written (`endedAt`: the last moment the program saw it
 *   going on). Replaced by the call's final record when it ends; found at a start, the program before
 *   ended without ending it (killed, crashed, power lost): the call goes to DATEV as a journal entry —
 * - unended: … unless a DATEV had it open (`openIn`): its end goes to that DATEV, live under the call's
 *   CallID, if it still runs (journal.endUnendedLive); another DATEV, or none: pending.
 */
export type DatevHas = 'live' | 'waiting' | 'pending' | 'sending' | 'journal' | 'failed' | 'not-reported' | 'open' | 'unended';

export type NoteState = 'pending' | 'sending' | 'delivered' | 'failed';

export interface JournalContact {
  name: string;
  id: string;
  dataSource: string;
}

export interface JournalNote {
  text: string;
  /** When it was written (ISO). */
  at: string;
  state: NoteState;
  /** The CallID of its NewJournal (fixed at the first attempt, so a retry does not make a second one). */
  journalCallId?: string;
  attempts: number;
  /** How often DATEV refused its NewJournal (an attempt that found DATEV closed or hanging is no refusal); absent: 0. */
  refusals?: number;
}

export interface JournalEntry {
  /** The call's CallID (as DATEV got it live, when it did). */
  callId: string;
  /** DATEV's SyncID of a call DATEV started (never sent with a NewJournal). */
  syncId: string;
  direction: Direction;
  /** The number as in the call's NewCall. */
  number: string;
  contact?: JournalContact;
  internal: boolean;
  /** Not answered here because another phone took it (a colleague picked it up or answered it on a shared line). */
  takenElsewhere?: true;
  /** ISO times: ring start, connect (connected calls), hang-up (of a call going on: when last seen so). */
  ringAt: string;
  connectedAt?: string;
  endedAt: string;
  datev: DatevHas;
  /** Delivered automatically when DATEV is back (journal.deliverMissed); else only from the call list. */
  autoDeliver: boolean;
  /** The CallID of the call's own NewJournal (fixed at the first attempt). */
  journalCallId?: string;
  attempts: number;
  /** How often DATEV refused its NewJournal (an attempt that found DATEV closed or hanging is no refusal); absent: 0. */
  refusals?: number;
  notes: JournalNote[];
  /**
   * The DATEV that has the call open under its CallID (it got the call live, not its end), and what it
   * acknowledged: kept while the call goes on (`open`) and after a run ended without ending it
   * (`unended`), so that the next run can end it there, live.
   */
  openIn?: { datevId: string; reported: 'offered' | 'connected'; lost?: true };
  /** TAPI's dwCallID of a call going on (`open`): a new run of the program that finds it still going on continues it. */
  tapiCallId?: number;
}

/** `T` with every field, array and nested object read-only (what the compiler lets nobody change). */
export type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/**
 * An entry as the store keeps it and hands it out: read-only (and frozen, so a change throws rather than
 * slipping into the store unseen). To change one: `copyEntry(kept)`, change the copy, put it back.
 */
export type KeptEntry = DeepReadonly<JournalEntry>;

export const isConnected = (e: KeptEntry): boolean => e.connectedAt !== undefined;

/** A call DATEV did not get because a filter held it back (reportCalls, reportUnanswered); the user may send it. */
export const isHeldBack = (e: KeptEntry): boolean => e.datev === 'not-reported' && !e.internal;

/** Seconds between connect and hang-up (0 for a missed call). */
export function durationSeconds(e: KeptEntry): number {
  if (!e.connectedAt) return 0;
  return Math.max(0, Math.round((Date.parse(e.endedAt) - Date.parse(e.connectedAt)) / 1000));
}

/**
 * The NewJournal data of the call (`note` undefined) or of a note about it: a new CallID, no SyncID,
 * Finished with connect → hang-up for a connected call, Absence with ring start → hang-up for a missed one.
 */
export function journalData(e: KeptEntry, callId: string, note: string | undefined, ownSource: string): DatevCallData {
  const connected = isConnected(e);
  const begin = new Date(connected ? e.connectedAt! : e.ringAt);
  const end = new Date(Math.max(Date.parse(e.endedAt), begin.getTime()));
  return {
    CallID: callId,
    SyncID: '',
    Direction: e.direction,
    Begin: begin,
    End: end,
    CallState: connected ? CallState.eCSFinished : CallState.eCSAbsence,
    Adressatenname: e.contact?.name ?? '',
    AdressatenId: e.contact?.id ?? '',
    DataSource: e.contact?.dataSource ?? ownSource,
    CalledNumber: e.number,
    Note: note ?? '',
  };
}

/**
 * The live notifications that end an `unended` call in the DATEV that has it open, under the call's own
 * CallID and SyncID, from what DATEV acknowledged (`openIn.reported`): Connected first if DATEV does not
 * have the connect yet, then Finished (connect → last seen); Absence (ring → last seen) for a call never
 * connected.
 */
export function liveEndData(e: KeptEntry, ownSource: string): DatevCallData[] {
  const base = {
    CallID: e.callId,
    SyncID: e.syncId,
    Direction: e.direction,
    Adressatenname: e.contact?.name ?? '',
    AdressatenId: e.contact?.id ?? '',
    DataSource: e.contact?.dataSource ?? ownSource,
    CalledNumber: e.number,
    Note: '',
  };
  const ring = Date.parse(e.ringAt);
  const connected = e.connectedAt !== undefined ? Date.parse(e.connectedAt) : undefined;
  if (connected === undefined && e.openIn?.reported !== 'connected') {
    return [{ ...base, Begin: new Date(ring), End: new Date(Math.max(Date.parse(e.endedAt), ring)), CallState: CallState.eCSAbsence }];
  }
  const begin = connected ?? ring;
  const out: DatevCallData[] = [];
  if (e.openIn?.reported === 'offered') out.push({ ...base, Begin: new Date(begin), End: new Date(begin), CallState: CallState.eCSConnected });
  out.push({ ...base, Begin: new Date(begin), End: new Date(Math.max(Date.parse(e.endedAt), begin)), CallState: CallState.eCSFinished });
  return out;
}

/** A deep copy to change (what the store hands out is read-only). */
export function copyEntry(e: KeptEntry): JournalEntry {
  return { ...e, ...(e.contact ? { contact: { ...e.contact } } : {}), ...(e.openIn ? { openIn: { ...e.openIn } } : {}), notes: e.notes.map((n) => ({ ...n })) };
}

/** Freezes an entry nobody else holds (a fresh copy, a parsed record), deeply, in place. */
export function freezeEntry(e: JournalEntry): KeptEntry {
  if (e.contact) Object.freeze(e.contact);
  if (e.openIn) Object.freeze(e.openIn);
  for (const n of e.notes) Object.freeze(n);
  Object.freeze(e.notes);
  return Object.freeze(e);
}

/** A frozen deep copy, as a store keeps it (work proportional to the one entry). */
export function keepEntry(e: KeptEntry): KeptEntry {
  return freezeEntry(copyEntry(e));
}
