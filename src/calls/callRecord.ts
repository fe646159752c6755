/**
 * The per-call state machine from telephony observations to DATEV notifications. Pure: no I/O, no
 * clock; every function returns a new record plus the notifications to send, in order.
 *
 * DATEV allows only these sequences (datev-cti.md §3.2): Offered → Connected → Finished,
 * Offered → Absence, and for a call first seen connected NewCall(Offered) → Connected. The machine
 * keeps what was *observed* apart from what was *reported*, and only ever emits the steps that lead
 * from the reported state to the observed one along an allowed path. Late, duplicated or
 * out-of-order observations therefore never produce a forbidden sequence.
 */
import { CallState, type DatevCallData } from '../datev/callData';
import type { NotificationMethod } from '../datev/port';

/** What the telephony side has shown so far (monotonic). */
export type Observed = 'none' | 'ringing' | 'connected' | 'ended';
/** What DATEV has been told so far. */
export type Reported = 'none' | 'offered' | 'connected' | 'finished' | 'absence';

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
  reported: Reported;
  /** False while NewCall waits for the contact lookup (bounded by the lookup budget). */
  announceable: boolean;
  /** False for calls that are not reported to DATEV at all (e.g. internal calls when so configured). */
  reportable: boolean;
}

export interface Notification {
  method: NotificationMethod;
  data: DatevCallData;
}

export type CallEvent =
  | { type: 'ringing'; at: Date }
  | { type: 'connected'; at: Date }
  | { type: 'ended'; at: Date }
  /** The contact lookup finished or its budget elapsed: NewCall may go out. */
  | { type: 'announce' }
  /** A (new) contact for the call: by lookup, by the user's choice, or cleared. */
  | { type: 'contact'; contact: ContactFields };

export interface Step {
  record: CallRecord;
  notifications: Notification[];
}

const ORDER: Record<Observed, number> = { none: 0, ringing: 1, connected: 2, ended: 3 };

export function newRecord(data: DatevCallData, options: { announceable: boolean; reportable: boolean }): CallRecord {
  return { data: { ...data }, observed: 'none', wasConnected: false, reported: 'none', ...options };
}

export function step(record: CallRecord, event: CallEvent): Step {
  const r: CallRecord = { ...record, data: { ...record.data } };
  switch (event.type) {
    case 'ringing':
    case 'connected':
    case 'ended': {
      if (ORDER[event.type] <= ORDER[r.observed]) return { record: r, notifications: [] };
      r.firstSeenAt ??= event.at;
      if (event.type === 'connected') {
        r.connectedAt = event.at;
        r.wasConnected = true;
      }
      if (event.type === 'ended') r.endedAt = event.at;
      r.observed = event.type;
      return { record: r, notifications: catchUp(r) };
    }
    case 'announce':
      r.announceable = true;
      return { record: r, notifications: catchUp(r) };
    case 'contact': {
      const c = event.contact;
      const changed =
        c.AdressatenId !== r.data.AdressatenId || c.Adressatenname !== r.data.Adressatenname || c.DataSource !== r.data.DataSource;
      r.data.Adressatenname = c.Adressatenname;
      r.data.AdressatenId = c.AdressatenId;
      r.data.DataSource = c.DataSource;
      if (c.CalledNumber) r.data.CalledNumber = c.CalledNumber;
      const live = r.reported === 'offered' || r.reported === 'connected';
      if (!changed || !live || !r.reportable) return { record: r, notifications: [] };
      return { record: r, notifications: [{ method: 'CallAdressatChanged', data: snapshot(r, currentState(r.reported)) }] };
    }
  }
}

/** The notifications that bring `reported` up to what was observed (mutates r.reported). */
function catchUp(r: CallRecord): Notification[] {
  if (!r.announceable || !r.reportable || r.observed === 'none') return [];
  const out: Notification[] = [];
  const emit = (method: NotificationMethod, state: CallState, next: Reported): void => {
    r.reported = next;
    out.push({ method, data: snapshot(r, state) });
  };
  if (r.reported === 'none') emit('NewCall', CallState.eCSOffered, 'offered');
  if (r.reported === 'offered' && r.wasConnected) emit('CallStateChanged', CallState.eCSConnected, 'connected');
  if (r.observed === 'ended') {
    if (r.reported === 'connected') emit('CallStateChanged', CallState.eCSFinished, 'finished');
    else if (r.reported === 'offered') emit('CallStateChanged', CallState.eCSAbsence, 'absence');
  }
  return out;
}

function currentState(reported: Reported): CallState {
  return reported === 'connected' ? CallState.eCSConnected : CallState.eCSOffered;
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
      end = ended;
      break;
  }
  if (end.getTime() < begin.getTime()) end = begin;
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
