/**
 * A call that ended, as the call flow hands it to the journal: its final record and whether DATEV has
 * it. Handed over again whenever DATEV's side changes (a late answer completes it, or it is lost).
 */
import { isComplete, isForDatev, type CallRecord } from './callRecord';
import type { Direction } from '../datev/callData';

/** live: DATEV has the whole call; waiting: its end is not acknowledged yet; lost: DATEV cannot get it
 * live any more (closed, restarted, refused); not-reported: not DATEV's business (e.g. internal). */
export type FinalDatevState = 'live' | 'waiting' | 'lost' | 'not-reported';

export interface FinalCall {
  callId: string;
  syncId: string;
  direction: Direction;
  number: string;
  contact?: { name: string; id: string; dataSource: string };
  internal: boolean;
  /** Unanswered here because another phone took it (a colleague picked it up or answered it on a shared line). */
  takenElsewhere?: true;
  ringAt: Date;
  connectedAt?: Date;
  endedAt: Date;
  datev: FinalDatevState;
}

export function finalDatevState(r: CallRecord): FinalDatevState {
  if (!isForDatev(r)) return 'not-reported';
  if (isComplete(r)) return 'live';
  return r.link === 'lost' ? 'lost' : 'waiting';
}

/** What the journal keeps of every call, ended or not: who, which way, when it rang and connected. */
function callFields(r: CallRecord, internal: boolean, ringAt: Date): Omit<FinalCall, 'endedAt' | 'datev'> {
  const d = r.data;
  return {
    callId: d.CallID,
    syncId: d.SyncID,
    direction: d.Direction,
    number: d.CalledNumber,
    ...(d.AdressatenId ? { contact: { name: d.Adressatenname, id: d.AdressatenId, dataSource: d.DataSource } } : {}),
    internal,
    ...(r.takenElsewhere && !r.wasConnected ? { takenElsewhere: true as const } : {}),
    ringAt,
    ...(r.wasConnected && r.connectedAt ? { connectedAt: r.connectedAt } : {}),
  };
}

/** The final record of an ended call (undefined while it has not ended or never got a CallID). */
export function finalCallOf(r: CallRecord, internal: boolean): FinalCall | undefined {
  if (r.observed !== 'ended' || !r.data.CallID || !r.endedAt) return undefined;
  return { ...callFields(r, internal, r.firstSeenAt ?? r.endedAt), endedAt: r.endedAt, datev: finalDatevState(r) };
}

/**
 * A call in progress as the journal keeps it, so that a program that ends without ending its calls (a
 * hard kill, a crash, a power loss) leaves them for the next start to deliver: everything of its final
 * record but the end, which is not known yet.
 */
export type OpenCall = Omit<FinalCall, 'endedAt' | 'datev'> & {
  /** The DATEV that has the call open under its CallID, and how far (what it acknowledged); absent: none known. */
  openIn?: OpenInDatev;
  /** TAPI's dwCallID of the call (the switch's id: the same for a new process of the program), when known. */
  tapiCallId?: number;
};

/** A DATEV that has a call open: which one (`Delivery.datevId`, across runs of the program) and what it acknowledged. */
export interface OpenInDatev {
  /** "" when not known. */
  datevId: string;
  reported: 'offered' | 'connected';
  /**
   * DATEV has (or may have) the call, but it is not told about it live any more: it refused a
   * notification, restarted, or its NewCall had no answer yet — the call goes to it as a journal entry.
   */
  lost?: true;
}

/** What a DATEV has of a call going on (see OpenInDatev); undefined: no DATEV has any of it. */
function openInOf(r: CallRecord): OpenInDatev | undefined {
  if (r.reported === 'offered' || r.reported === 'connected') {
    const datevId = r.datevId ?? '';
    return { datevId, reported: r.reported, ...(r.link === 'lost' || datevId === '' ? { lost: true as const } : {}) };
  }
  // its NewCall went and has no answer (DATEV hangs): DATEV may have it
  if (r.inFlight === 'NewCall' || r.unanswered?.method === 'NewCall') return { datevId: '', reported: 'offered', lost: true };
  return undefined;
}

/** The journal's view of a call DATEV should get, while it goes on (undefined once ended, before it was seen, or not DATEV's business). */
export function openCallOf(r: CallRecord, internal: boolean, tapiCallId?: number): OpenCall | undefined {
  if (r.observed === 'none' || r.observed === 'ended' || !isForDatev(r) || !r.data.CallID || !r.firstSeenAt) return undefined;
  const openIn = openInOf(r);
  return {
    ...callFields(r, internal, r.firstSeenAt),
    ...(openIn ? { openIn } : {}),
    ...(tapiCallId ? { tapiCallId } : {}),
  };
}

/** Whether the journal's view of a call in progress changed (worth writing down at once). */
export function openCallChanged(before: OpenCall | undefined, after: OpenCall): boolean {
  // (both made by openCallOf: the same fields in the same order, a few dozen bytes)
  return !before || JSON.stringify(before) !== JSON.stringify(after);
}
