/**
 * A call that ended, as the call flow hands it to the journal: its final record and whether DATEV has
 * it. Handed over again whenever DATEV's side changes (a late answer completes it, or it is lost).
 */
import { isComplete, type CallRecord } from './callRecord';
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
  ringAt: Date;
  connectedAt?: Date;
  endedAt: Date;
  datev: FinalDatevState;
}

export function finalDatevState(r: CallRecord): FinalDatevState {
  if (!r.reportable) return 'not-reported';
  if (isComplete(r)) return 'live';
  return r.link === 'lost' ? 'lost' : 'waiting';
}

/** The final record of an ended call (undefined while it has not ended or never got a CallID). */
export function finalCallOf(r: CallRecord, internal: boolean): FinalCall | undefined {
  if (r.observed !== 'ended' || !r.data.CallID || !r.endedAt) return undefined;
  const d = r.data;
  const ringAt = r.firstSeenAt ?? r.endedAt;
  return {
    callId: d.CallID,
    syncId: d.SyncID,
    direction: d.Direction,
    number: d.CalledNumber,
    ...(d.AdressatenId ? { contact: { name: d.Adressatenname, id: d.AdressatenId, dataSource: d.DataSource } } : {}),
    internal,
    ringAt,
    ...(r.wasConnected && r.connectedAt ? { connectedAt: r.connectedAt } : {}),
    endedAt: r.endedAt,
    datev: finalDatevState(r),
  };
}
