/** One call as the program follows it: its DATEV record plus what TAPI, the lookup and the dialogs know. */
import { newRecord, type CallRecord } from '../../calls/callRecord';
import type { FinalDatevState, OpenCall } from '../../calls/finalCall';
import type { Contact } from '../../contacts/port';
import type { DatevCallData } from '../../datev/callData';
import type { PartyView } from '../../dialogs/texts';
import type { CallInfo } from '../../telephony/port';
import type { CallStateName } from '../../telephony/tapiConstants';

export interface TrackedCall {
  hCall?: number;
  /** Latest LINECALLINFO of a call the program did not create. */
  info?: CallInfo;
  record: CallRecord;
  /** datev: DATEV started it (Dial); tapi: seen first on the line. */
  source: 'datev' | 'tapi';
  /**
   * TAPI announced it with LINE_APPNEWCALL: a call the program did not make (the handle of a call it
   * makes comes with lineMakeCall's LINE_REPLY, never with LINE_APPNEWCALL).
   */
  announced?: boolean;
  initialised: boolean;
  internal: boolean;
  withheld: boolean;
  party: PartyView;
  /**
   * The other party's number as TAPI reports it, without the outside-line prefix (party.number may be the
   * DATEV contact's way of writing it): what a LINE_CALLINFO is compared with to see the other party change.
   */
  remote?: string;
  /**
   * The number the call's latest contact lookup is for (an answer for an earlier number is dropped);
   * undefined while none was started.
   */
  lookupFor?: string;
  candidates: Contact[];
  lookupDone: boolean;
  lastState?: CallStateName;
  dialogId?: number;
  dialogKind?: 'incoming' | 'outgoing';
  /** Heading and text the outgoing dialog shows now. */
  shownText?: string;
  /** The buttons (ids and labels) the open dialog shows: other ones need the window anew. */
  shownButtons?: string;
  hangupRequested: boolean;
  /**
   * The program holds the call as its owner (LINECALLPRIVILEGE_OWNER: it made it, or TAPI offered it
   * to the program as owner); a monitor leaves clearing the call to its owner.
   */
  owner?: boolean;
  /** A lineDrop of the call is on its way (the user's or DATEV's hang-up, or clearing it after DISCONNECTED). */
  dropping?: boolean;
  /**
   * TAPI gave no direction for the call when it was first seen (dwOrigin without OUTBOUND/INBOUND/
   * EXTERNAL/INTERNAL, first state not a ringing one): it waits for LINE_CALLINFO's origin (bounded).
   */
  originWait?: { firstState: CallStateName; cancel: () => void };
  /** DISCONNECTED came: the handle waits for IDLE to be freed (bounded; cancels that wait). */
  idleWait?: () => void;
  deallocated: boolean;
  /** What the journal was last told about DATEV's side of the ended call. */
  finalState?: FinalDatevState;
  /** What the journal was last told of the call while it went on. */
  journalOpen?: OpenCall;
  /** A call going on from the program's earlier run: when it was connected then (its first CONNECTED now is not the connect). */
  resumedConnectedAt?: Date;
}

export function newTrackedCall(
  data: DatevCallData,
  source: TrackedCall['source'],
  options: { announceable: boolean; reportable: boolean },
  extra: Partial<TrackedCall> = {},
): TrackedCall {
  return {
    record: newRecord(data, options),
    source,
    initialised: false,
    internal: false,
    withheld: false,
    party: { number: '', name: '', id: '' },
    candidates: [],
    lookupDone: false,
    hangupRequested: false,
    deallocated: false,
    ...extra,
  };
}

export function isEnded(call: TrackedCall): boolean {
  return call.record.observed === 'ended';
}
