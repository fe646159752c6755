/**
 * DATEV's rules for the notifications it receives (../shared/reference/datev-cti.md §3.1–3.3), checked
 * over everything a DATEV took in one test — as an independent DATEV simulator would check the program.
 * Written from the reference, not from the program's state machine (src/calls/callRecord.ts), so that
 * the two can disagree: the e2e tests (test/support/datevRules.setup.ts) and the Wine scenarios apply it
 * to what the fake DATEV recorded.
 *
 * Per CallID:
 * - a live call: NewCall(Offered) first and once; then CallStateChanged Connected at most once; it ends
 *   with CallStateChanged Finished (only after Connected) or Absence (only before); nothing after the
 *   end; CallAdressatChanged only while the call is live (after NewCall, before the end);
 * - Direction never changes; a SyncID, once given, never changes (DATEV's, echoed); an incoming call's
 *   NewCall has none (DATEV makes SyncIDs, in Dial) but one DATEV writes into the object during it;
 * - Begin ≤ End; End never runs backwards; Connected has Begin = End (the connect time), Finished keeps
 *   that Begin, Absence keeps the ring start (NewCall's Begin);
 * - NewJournal: its own CallID (never one of a live call), SyncID empty, Finished or Absence, Begin ≤
 *   End; not sent in the middle of a live call (between that call's NewCall and its end, both of which
 *   DATEV received). A NewJournal repeated with the same CallID must repeat the same call (a resend).
 * Every notification: CallID non-empty; Direction incoming or outgoing; CallState a known value;
 * DataSource `DATEV_…` (reserved for DATEV) only with an AdressatenId, and an AdressatenId only with a
 * DataSource.
 */
import { CallState, Direction, type RawCallData } from '../src/datev/callData';
import { rawString } from '../src/datev/rawCallData';
import type { RecordedNotification } from './harness';

const LIVE_METHODS = new Set(['NewCall', 'CallStateChanged', 'CallAdressatChanged']);

interface LiveCall {
  state: 'offered' | 'connected' | 'ended';
  direction: unknown;
  syncId: string;
  ringBegin: number;
  connectBegin?: number;
  lastEnd: number;
  /** Index of the NewCall in the whole list. */
  from: number;
}

const time = (v: RawCallData[keyof RawCallData]): number => (v instanceof Date ? v.getTime() : NaN);
const stateName = (v: unknown): string => (typeof v === 'number' && CallState[v] !== undefined ? CallState[v]! : String(v));

/** The journal entry's identity for the resend rule (everything but the Note's whitespace). */
function journalKey(d: RawCallData): string {
  return JSON.stringify([d.Direction, d.CallState, time(d.Begin), time(d.End), d.CalledNumber, d.AdressatenId, d.DataSource]);
}

/** Every rule `notifications` (in the order DATEV received them) break; empty when they keep all. */
export function datevRuleViolations(notifications: readonly RecordedNotification[]): string[] {
  const out: string[] = [];
  const live = new Map<string, LiveCall>();
  const journal = new Map<string, string>();
  /** Index of each live call's end, to find NewJournals sent in the middle of a live call. */
  const endAt = new Map<string, number>();
  const journalAt: { index: number; callId: string }[] = [];

  notifications.forEach((n, index) => {
    const d = n.data;
    const id = rawString(d, 'CallID');
    const where = `#${index} ${n.method}(${stateName(d.CallState)}) CallID "${id}"`;
    const bad = (what: string): void => {
      out.push(`${where}: ${what}`);
    };
    if (id === '') bad('CallID is empty');
    if (d.Direction !== Direction.eDirIncoming && d.Direction !== Direction.eDirOutgoing) bad(`Direction ${String(d.Direction)} is neither incoming nor outgoing`);
    if (typeof d.CallState !== 'number' || CallState[d.CallState] === undefined) bad(`CallState ${String(d.CallState)} is not a DATEV call state`);
    const source = rawString(d, 'DataSource');
    const contactId = rawString(d, 'AdressatenId');
    if (source.startsWith('DATEV_') && contactId === '') bad(`DataSource ${source} without an AdressatenId`);
    if (contactId !== '' && source === '') bad(`AdressatenId "${contactId}" without a DataSource`);
    const begin = time(d.Begin);
    const end = time(d.End);
    if (!(begin <= end)) bad(`Begin ${String(d.Begin)} is not at or before End ${String(d.End)}`);

    if (n.method === 'NewJournal') {
      if (live.has(id)) bad('NewJournal reuses the CallID of a live call (it needs a new one)');
      if (rawString(d, 'SyncID') !== '') bad(`NewJournal with SyncID "${rawString(d, 'SyncID')}" (must be empty)`);
      if (d.CallState !== CallState.eCSFinished && d.CallState !== CallState.eCSAbsence) bad('NewJournal of a call that is not Finished or Absence');
      const key = journalKey(d);
      const before = journal.get(id);
      if (before !== undefined && before !== key) bad('NewJournal repeats a CallID for a different call');
      journal.set(id, key);
      journalAt.push({ index, callId: id });
      return;
    }
    if (!LIVE_METHODS.has(n.method)) {
      bad(`unknown notification ${n.method}`);
      return;
    }
    if (journal.has(id)) bad('a live notification for the CallID of a NewJournal');
    const call = live.get(id);
    if (n.method === 'NewCall') {
      if (call) {
        bad('a second NewCall for one CallID');
        return;
      }
      if (d.CallState !== CallState.eCSOffered) bad('NewCall that is not Offered');
      // (one DATEV itself wrote into the object during this NewCall is DATEV's: §3.3, §9.4)
      if (d.Direction === Direction.eDirIncoming && rawString(d, 'SyncID') !== '' && rawString(d, 'SyncID') !== n.wroteSyncId) {
        bad('NewCall of an incoming call with a SyncID (only DATEV makes SyncIDs, in Dial)');
      }
      live.set(id, { state: 'offered', direction: d.Direction, syncId: rawString(d, 'SyncID'), ringBegin: begin, lastEnd: end, from: index });
      return;
    }
    if (!call) {
      bad(`${n.method} before the call's NewCall`);
      return;
    }
    if (call.state === 'ended') bad(`${n.method} after the call ended`);
    if (d.Direction !== call.direction) bad(`Direction changed from ${String(call.direction)} to ${String(d.Direction)}`);
    const sync = rawString(d, 'SyncID');
    if (call.syncId !== '' && sync !== call.syncId) bad(`SyncID changed from "${call.syncId}" to "${sync}"`);
    if (call.syncId === '') call.syncId = sync;
    if (end < call.lastEnd) bad('End runs backwards');
    call.lastEnd = Math.max(call.lastEnd, end);
    if (n.method === 'CallAdressatChanged') {
      if (call.state === 'offered' && d.CallState !== CallState.eCSOffered) bad('CallAdressatChanged with another CallState than the call has');
      if (call.state === 'connected' && d.CallState !== CallState.eCSConnected) bad('CallAdressatChanged with another CallState than the call has');
      return;
    }
    switch (d.CallState) {
      case CallState.eCSConnected:
        if (call.state !== 'offered') bad(`Connected when the call is ${call.state}`);
        if (begin !== end) bad('Connected with Begin ≠ End (both are the connect time)');
        call.state = 'connected';
        call.connectBegin = begin;
        break;
      case CallState.eCSFinished:
        if (call.state !== 'connected') bad(`Finished when the call is ${call.state} (Finished follows Connected; a call never connected ends as Absence)`);
        else if (begin !== call.connectBegin) bad('Finished with another Begin than the connect time');
        call.state = 'ended';
        endAt.set(id, index);
        break;
      case CallState.eCSAbsence:
        if (call.state !== 'offered') bad(`Absence when the call is ${call.state} (Absence follows Offered only)`);
        else if (begin !== call.ringBegin) bad('Absence with another Begin than the ring start');
        call.state = 'ended';
        endAt.set(id, index);
        break;
      default:
        bad('CallStateChanged to Offered');
    }
  });

  for (const j of journalAt) {
    for (const [id, call] of live) {
      const ended = endAt.get(id);
      if (ended !== undefined && call.from < j.index && j.index < ended) {
        out.push(`#${j.index} NewJournal CallID "${j.callId}": sent while call "${id}" was live (NewCall #${call.from}, end #${ended})`);
      }
    }
  }
  return out;
}
