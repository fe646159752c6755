/**
 * The per-call state machine from telephony observations and DATEV's answers to DATEV notifications.
 * Pure: no I/O, no clock; every function returns a new record plus the notifications to send, in order.
 *
 * DATEV allows only these sequences (datev-cti.md §3.2): Offered → Connected → Finished,
 * Offered → Absence, and for a call first seen connected NewCall(Offered) → Connected (also the way of
 * a call that goes to DATEV only once answered, `reportUnanswered` false);
 * CallAdressatChanged only while the call is live in DATEV (after NewCall, before its end).
 * The machine keeps what was *observed* apart from what DATEV *acknowledged* and sends at most one
 * notification of a call at a time: the next one only after DATEV accepted the previous one
 * ('delivered'). So late, duplicated or out-of-order observations, and notifications that DATEV
 * answers late or never, cannot produce a forbidden or reordered sequence.
 *
 * When DATEV does not take a notification:
 * - 'held' (not attempted, DATEV hangs): the call waits; on 'resume' it catches up from what DATEV has;
 * - 'lost' (DATEV closed, restarted, refused it): no further live notification for this call; its final
 *   record is kept for later delivery as NewJournal (the journal decides, see `undelivered`);
 * - given up without DATEV's answer (it hung for longer than the program waits): 'lost' as well, but if
 *   DATEV takes that notification after all, the call goes on live from there (`unanswered`).
 */
import { CallState, isDatevSource, type DatevCallData } from '../datev/callData';
import type { NotificationMethod } from '../datev/port';

/** What the telephony side has shown so far (monotonic). */
export type Observed = 'none' | 'ringing' | 'connected' | 'ended';
/** What DATEV has acknowledged so far. */
export type Reported = 'none' | 'offered' | 'connected' | 'finished' | 'absence';
/** live: notifications flow; held: waiting for a hung DATEV; lost: DATEV does not have this call (all of it). */
export type DatevLink = 'live' | 'held' | 'lost';

export interface ContactFields {
  Adressatenname: string;
  AdressatenId: string;
  DataSource: string;
  /** The number as stored in DATEV (shown in DATEV's call list), when known. */
  CalledNumber?: string;
}

export interface CallRecord {
  /** CallID, SyncID, Direction, contact, CalledNumber; CallState/Begin/End are derived per notification. */
  data: DatevCallData;
  observed: Observed;
  wasConnected: boolean;
  firstSeenAt?: Date;
  connectedAt?: Date;
  endedAt?: Date;
  /** What DATEV acknowledged. */
  reported: Reported;
  /** The notification sent and not yet answered (at most one per call). */
  inFlight?: NotificationMethod;
  /** What `inFlight` brings `reported` to when DATEV accepts it. */
  inFlightTarget?: Reported;
  /** The contact DATEV has for the call (from its last accepted notification). */
  datevContact?: ContactFields;
  /** The contact the notification in flight carries. */
  inFlightContact?: ContactFields;
  /**
   * The notification the program gave up on without DATEV's answer (the call went 'lost'); DATEV may
   * still take it, and then the call goes on live from there.
   */
  unanswered?: { method: NotificationMethod; target: Reported; contact?: ContactFields };
  link: DatevLink;
  /** The DATEV that accepted NewCall; later notifications go to it only. */
  generation?: number;
  /** That DATEV as a later run of the program knows it again (`Delivery.datevId`; "" when not known). */
  datevId?: string;
  /** False while NewCall waits for the contact lookup (bounded by the lookup budget). */
  announceable: boolean;
  /** False for calls that are not reported to DATEV at all (e.g. internal calls when so configured). */
  reportable: boolean;
  /**
   * False: the call goes to DATEV only once it is connected (NewCall Offered, then Connected at once);
   * unanswered it never does (config `reportUnanswered`). Absent: true.
   */
  reportUnanswered?: boolean;
  /**
   * Another phone took it before it was connected here: a colleague picked it up
   * (LINEDISCONNECTMODE_PICKUP) or answered it on a shared line (CONNECTED, LINECONNECTEDMODE_INACTIVE).
   * For DATEV it is unanswered here all the same (Absence: DATEV knows no other end of an offered call;
   * its End the disconnect, as for every Absence). Cleared by a connect here (joined).
   */
  takenElsewhere?: boolean;
  /**
   * True: the call goes to DATEV only once its number is known to belong to DATEV contacts — a contact
   * from DATEV's master data (`DATEV_…`), or several (`datevNumber`) — config `reportCalls` "contacts".
   */
  onlyDatevContacts?: boolean;
  /** A number of the call that belongs to one or more DATEV contacts (also when none is chosen yet: several share it). */
  datevNumber?: string;
  /** The user sent the call to DATEV by hand („An DATEV melden“, the DATEV-Klick) although a filter held it back. */
  userReported?: boolean;
}

export interface Notification {
  method: NotificationMethod;
  data: DatevCallData;
  /** The call's last notification (Finished / Absence). */
  last: boolean;
  /** Deliver only to this DATEV (undefined for NewCall: any). */
  generation?: number;
  /** Deliver only to the DATEV with this `Delivery.datevId` (a call an earlier run of the program reported to it). */
  datevId?: string;
}

export type CallEvent =
  | { type: 'ringing'; at: Date }
  | { type: 'connected'; at: Date }
  | { type: 'ended'; at: Date }
  /**
   * Another phone took the call (picked up or answered there) while it rang here; undone by a connect
   * here. Seen before anything else of the call, it never rang here: DATEV gets it only if it is joined.
   */
  | { type: 'elsewhere' }
  /** The user sends the call to DATEV although a filter holds it back (the DATEV-Klick). */
  | { type: 'sendToDatev' }
  /** This number (the call's CalledNumber while it is the same) belongs to DATEV contacts (one or several; see `onlyDatevContacts`). */
  | { type: 'datevNumber'; number: string }
  /** The contact lookup finished or its budget elapsed: NewCall may go out. */
  | { type: 'announce' }
  /** A (new) contact for the call: by lookup, by the user's choice, or cleared. */
  | { type: 'contact'; contact: ContactFields }
  /**
   * DATEV accepted the notification in flight (or, later, the one given up on without its answer).
   * `syncId`: the SyncID DATEV wrote into the call's data object, when it wrote one — DATEV's own
   * (datev-cti.md §3.3), so the call carries it from then on (never cleared by the program).
   */
  | { type: 'delivered'; generation: number; datevId?: string; syncId?: string }
  /**
   * DATEV did not take the notification in flight: 'held' = not attempted (retry on resume), 'lost' =
   * give up. `unanswered`: given up without DATEV's answer (it may still take it: 'delivered' follows).
   */
  | { type: 'undelivered'; how: 'held' | 'lost'; unanswered?: boolean }
  /** DATEV answers again: a held call catches up. */
  | { type: 'resume' };

export interface Step {
  record: CallRecord;
  notifications: Notification[];
}

const ORDER: Record<Observed, number> = { none: 0, ringing: 1, connected: 2, ended: 3 };

export function newRecord(data: DatevCallData, options: { announceable: boolean; reportable: boolean }): CallRecord {
  return { data: { ...data }, observed: 'none', wasConnected: false, reported: 'none', link: 'live', ...options };
}

/**
 * Whether DATEV gets the call (so far): reportable, answered unless unanswered calls are reported too,
 * and with a DATEV contact when only those are reported. Once DATEV was sent anything of it, for good
 * (a contact cleared later must not leave a call open in DATEV).
 */
export function isForDatev(r: CallRecord): boolean {
  if (!r.reportable) return false;
  if (r.reported !== 'none' || r.inFlight || r.unanswered || r.userReported) return true;
  if (r.reportUnanswered === false && !r.wasConnected) return false;
  return !r.onlyDatevContacts || isDatevSource(r.data.DataSource) || (r.datevNumber !== undefined && r.datevNumber === r.data.CalledNumber);
}

function contactOf(d: DatevCallData): ContactFields {
  return { Adressatenname: d.Adressatenname, AdressatenId: d.AdressatenId, DataSource: d.DataSource };
}

function sameContact(a: ContactFields | undefined, b: ContactFields): boolean {
  return !!a && a.AdressatenId === b.AdressatenId && a.Adressatenname === b.Adressatenname && a.DataSource === b.DataSource;
}

/** A time that never runs before `floor` (a clock set back during a call must not make End < Begin). */
function notBefore(at: Date, floor: Date | undefined): Date {
  return floor && at.getTime() < floor.getTime() ? new Date(floor.getTime()) : at;
}

export function step(record: CallRecord, event: CallEvent): Step {
  const r: CallRecord = { ...record, data: { ...record.data } };
  switch (event.type) {
    case 'ringing':
    case 'connected':
    case 'ended': {
      if (ORDER[event.type] <= ORDER[r.observed]) return { record: r, notifications: [] };
      const at = notBefore(event.at, r.endedAt ?? r.connectedAt ?? r.firstSeenAt);
      r.firstSeenAt ??= at;
      if (event.type === 'connected') {
        r.connectedAt = at;
        r.wasConnected = true;
        delete r.takenElsewhere;
      }
      if (event.type === 'ended') r.endedAt = at;
      r.observed = event.type;
      return { record: r, notifications: next(r) };
    }
    case 'elsewhere':
      if (r.wasConnected || r.observed === 'ended' || r.takenElsewhere) return { record: r, notifications: [] };
      r.takenElsewhere = true;
      // first seen so (not even a ring time from the program's earlier run): as with reportUnanswered off
      if (r.observed === 'none' && !r.firstSeenAt) r.reportUnanswered = false;
      return { record: r, notifications: next(r) };
    case 'sendToDatev':
      if (!r.reportable) return { record: r, notifications: [] };
      r.userReported = true;
      return { record: r, notifications: next(r) };
    case 'datevNumber':
      r.datevNumber = event.number;
      return { record: r, notifications: next(r) };
    case 'announce':
      r.announceable = true;
      return { record: r, notifications: next(r) };
    case 'contact': {
      const c = event.contact;
      r.data.Adressatenname = c.Adressatenname;
      r.data.AdressatenId = c.AdressatenId;
      r.data.DataSource = c.DataSource;
      if (c.CalledNumber) r.data.CalledNumber = c.CalledNumber;
      return { record: r, notifications: next(r) };
    }
    case 'delivered': {
      if (event.syncId !== undefined && event.syncId !== r.data.SyncID) r.data = { ...r.data, SyncID: event.syncId };
      if (!r.inFlight || !r.inFlightTarget) {
        // DATEV took the notification the program had given up on: it has the call up to there, live
        const u = r.unanswered;
        if (!u) return { record: r, notifications: [] };
        if (u.method === 'NewCall') {
          r.generation = event.generation;
          r.datevId = event.datevId ?? '';
        }
        r.reported = u.target;
        r.datevContact = u.contact;
        delete r.unanswered;
        r.link = 'live';
        return { record: r, notifications: next(r) };
      }
      if (r.inFlight === 'NewCall') {
        r.generation = event.generation;
        r.datevId = event.datevId ?? '';
      }
      r.reported = r.inFlightTarget;
      r.datevContact = r.inFlightContact;
      clearInFlight(r);
      return { record: r, notifications: next(r) };
    }
    case 'undelivered': {
      if (!r.inFlight) return { record: r, notifications: [] };
      if (event.unanswered && r.inFlightTarget) {
        r.unanswered = { method: r.inFlight, target: r.inFlightTarget, ...(r.inFlightContact ? { contact: r.inFlightContact } : {}) };
      }
      clearInFlight(r);
      r.link = event.how;
      return { record: r, notifications: [] };
    }
    case 'resume': {
      if (r.link !== 'held') return { record: r, notifications: [] };
      r.link = 'live';
      return { record: r, notifications: next(r) };
    }
  }
}

function clearInFlight(r: CallRecord): void {
  delete r.inFlight;
  delete r.inFlightTarget;
  delete r.inFlightContact;
}

/** The one notification that brings DATEV closer to what was observed (mutates r), if any may go now. */
function next(r: CallRecord): Notification[] {
  // (a call without its CallID is not known to be DATEV's yet — DATEV's rules need one in every notification)
  if (!r.announceable || !r.data.CallID || !isForDatev(r) || r.observed === 'none' || r.inFlight || r.link !== 'live') return [];
  const send = (method: NotificationMethod, state: CallState, target: Reported): Notification[] => {
    r.inFlight = method;
    r.inFlightTarget = target;
    r.inFlightContact = contactOf(r.data);
    const last = target === 'finished' || target === 'absence';
    return [{ method, data: snapshot(r, state), last, ...(r.generation !== undefined ? { generation: r.generation } : r.datevId ? { datevId: r.datevId } : {}) }];
  };
  if (r.reported === 'none') return send('NewCall', CallState.eCSOffered, 'offered');
  const live = r.reported === 'offered' || r.reported === 'connected';
  if (!live) return [];
  if (!sameContact(r.datevContact, contactOf(r.data))) {
    return send('CallAdressatChanged', currentState(r.reported), r.reported);
  }
  if (r.reported === 'offered' && r.wasConnected) return send('CallStateChanged', CallState.eCSConnected, 'connected');
  if (r.observed === 'ended') {
    return r.reported === 'connected'
      ? send('CallStateChanged', CallState.eCSFinished, 'finished')
      : send('CallStateChanged', CallState.eCSAbsence, 'absence');
  }
  return [];
}

function currentState(reported: Reported): CallState {
  return reported === 'connected' ? CallState.eCSConnected : CallState.eCSOffered;
}

/** DATEV has the whole call (its end acknowledged). */
export function isComplete(r: CallRecord): boolean {
  return r.reported === 'finished' || r.reported === 'absence';
}

/** The call data DATEV gets for a notification in `state` (Begin/End rules of datev-cti.md §3.1). */
export function snapshot(r: CallRecord, state: CallState): DatevCallData {
  const first = r.firstSeenAt ?? new Date(0);
  const connected = r.connectedAt ?? first;
  const ended = r.endedAt ?? connected;
  let begin: Date;
  let end: Date;
  switch (state) {
    case CallState.eCSOffered:
      begin = end = first;
      break;
    case CallState.eCSConnected:
      begin = end = connected;
      break;
    case CallState.eCSFinished:
      begin = connected;
      end = ended;
      break;
    case CallState.eCSAbsence:
      begin = first;
      // (also for a call another phone took: End = the disconnect, as the reference has it — datev-cti.md §3.1)
      end = ended;
      break;
  }
  // End >= Begin always: observation times never run backwards (step clamps them)
  return { ...r.data, CallState: state, Begin: new Date(begin.getTime()), End: new Date(end.getTime()) };
}

/** The DATEV view of a call right now (for GetCallData). */
export function currentData(r: CallRecord): DatevCallData {
  const state: CallState =
    r.reported === 'finished' || (r.observed === 'ended' && r.wasConnected)
      ? CallState.eCSFinished
      : r.reported === 'absence' || r.observed === 'ended'
        ? CallState.eCSAbsence
        : r.wasConnected
          ? CallState.eCSConnected
          : CallState.eCSOffered;
  return snapshot(r, state);
}
