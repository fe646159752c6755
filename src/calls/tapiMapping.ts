/** How TAPI call states and call info map onto the DATEV call model. Pure. */
import { Direction } from '../datev/callData';
import type { CallInfo, PartyId } from '../telephony/port';
import { withoutOutsideLinePrefix } from '../telephony/dialable';
import { LINECALLORIGIN, LINECALLPARTYID, LINECALLPRIVILEGE, LINECALLREASON, LINECONNECTEDMODE, LINEDISCONNECTMODE, type CallStateName } from '../telephony/tapiConstants';
import type { Observed } from './callRecord';

/** The observation a TAPI state stands for; undefined = nothing to observe (e.g. UNKNOWN). */
export function observationOf(state: CallStateName): Exclude<Observed, 'none'> | undefined {
  switch (state) {
    case 'OFFERING':
    case 'ACCEPTED':
    case 'DIALTONE':
    case 'DIALING':
    case 'PROCEEDING':
    case 'RINGBACK':
      return 'ringing';
    case 'CONNECTED':
    case 'ONHOLD':
    case 'CONFERENCED':
    case 'ONHOLDPENDCONF':
    case 'ONHOLDPENDTRANSFER':
      return 'connected';
    case 'BUSY':
    case 'SPECIALINFO':
    case 'DISCONNECTED':
    case 'IDLE':
      return 'ended';
    case 'UNKNOWN':
      return undefined;
  }
}

/**
 * Another phone has the call (tapi.md §1.9): CONNECTED in LINECONNECTEDMODE_INACTIVE — active at one or
 * more other stations of a shared (bridged) address, this one not taking part (mode 0 or ACTIVE: here) —
 * or DISCONNECTED with LINEDISCONNECTMODE_PICKUP (picked up from elsewhere, e.g. by a colleague).
 */
export function isTakenElsewhere(state: CallStateName, mode: number): boolean {
  if (state === 'CONNECTED') {
    const here = LINECONNECTEDMODE.ACTIVE | LINECONNECTEDMODE.ACTIVEHELD;
    const there = LINECONNECTEDMODE.INACTIVE | LINECONNECTEDMODE.INACTIVEHELD;
    return (mode & there) !== 0 && (mode & here) === 0;
  }
  return state === 'DISCONNECTED' && (mode & LINEDISCONNECTMODE.PICKUP) !== 0;
}

/** States that end a call for good (DISCONNECTED, then IDLE): TAPI events of an unknown call in them are ignored. */
export function isTerminalState(state: CallStateName): boolean {
  return state === 'DISCONNECTED' || state === 'IDLE';
}

/**
 * Direction from LINECALLINFO.dwOrigin first, else from the first state seen (tapi.md §1.9):
 * OFFERING/ACCEPTED → incoming, dialing states → outgoing.
 */
export function directionOf(origin: number, firstState: CallStateName | undefined): Direction {
  if (origin & LINECALLORIGIN.OUTBOUND) return Direction.eDirOutgoing;
  if (origin & (LINECALLORIGIN.INBOUND | LINECALLORIGIN.EXTERNAL | LINECALLORIGIN.INTERNAL)) return Direction.eDirIncoming;
  switch (firstState) {
    case 'OFFERING':
    case 'ACCEPTED':
      return Direction.eDirIncoming;
    case 'DIALTONE':
    case 'DIALING':
    case 'PROCEEDING':
    case 'RINGBACK':
      return Direction.eDirOutgoing;
    default:
      return Direction.eDirUnknown;
  }
}

/** The remote party's number, or '' when withheld/unknown (only trusted with the ADDRESS flag). */
export function partyNumber(p: PartyId): string {
  if (!(p.flags & LINECALLPARTYID.ADDRESS)) return '';
  return p.number.trim();
}

/**
 * The other party's number: an incoming call's CallerID; an outgoing call's ConnectedID, else CalledID.
 * `prefix`: the PBX's outside-line prefix is taken off where it stands — before the number an outgoing
 * call was dialled with (CalledID), before the numbers the network reports (CallerID, ConnectedID) only
 * on PBXs that put it before callers' numbers (`onCallers`).
 */
export function remoteNumber(info: CallInfo, direction: Direction, prefix?: OutsideLine): string {
  const strip = (n: string): string => (prefix ? withoutOutsideLinePrefix(n, prefix) : n);
  const reported = (n: string): string => (prefix?.onCallers ? strip(n) : n);
  if (direction !== Direction.eDirOutgoing) return reported(partyNumber(info.caller));
  const connected = partyNumber(info.connected);
  return connected !== '' ? reported(connected) : strip(partyNumber(info.called));
}

/** The PBX's outside-line prefix, and whether it stands before callers' numbers too. */
export interface OutsideLine {
  outsideLinePrefix: string;
  extensionLength: number;
  onCallers: boolean;
}

export function remoteName(info: CallInfo, direction: Direction): string {
  const p = direction === Direction.eDirOutgoing ? info.called : info.caller;
  return p.flags & LINECALLPARTYID.NAME ? p.name.trim() : '';
}

export function isWithheld(info: CallInfo): boolean {
  return (info.caller.flags & LINECALLPARTYID.BLOCKED) !== 0;
}

/** A number inside the PBX: an extension of at most `extensionLength` digits, not written with '+'. */
export function isInternalNumber(number: string, extensionLength: number): boolean {
  const digits = number.replace(/[^0-9]/g, '');
  return digits.length > 0 && digits.length <= extensionLength && !number.trim().startsWith('+');
}

/**
 * Whether a new call is internal (extension to extension): LINECALLORIGIN_INTERNAL, or an internal
 * number. `followTransfers`: a call a colleague transferred to this line (LINECALLREASON_TRANSFER) with
 * an external number is the caller's, not internal — its origin may describe the colleague's leg.
 */
export function isInternalCall(info: CallInfo | undefined, number: string, extensionLength: number, followTransfers: boolean): boolean {
  if (isInternalNumber(number, extensionLength)) return true;
  if (!info || (info.origin & LINECALLORIGIN.INTERNAL) === 0) return false;
  return !(followTransfers && number !== '' && (info.reason & LINECALLREASON.TRANSFER) !== 0);
}

/** The digits of a number without leading zeros: "+49 89 1234567", "0049891234567" → "49891234567", "0891234567" → "891234567". */
function bareDigits(number: string): string {
  return number.replace(/[^0-9]/g, '').replace(/^0+/, '');
}

/**
 * The same number written another way ("+49 89 1234567" and "0891234567", or a PBX's "00891234567" for the
 * dialled "+49891234567"): equal digits without leading zeros, or — numbers of 6 digits or more — one ends
 * with the other (an international form and a national one).
 */
export function sameNumber(a: string, b: string): boolean {
  const x = bareDigits(a);
  const y = bareDigits(b);
  if (x === '' || y === '') return false;
  if (x === y) return true;
  const [short, long] = x.length < y.length ? [x, y] : [y, x];
  return short.length >= 6 && long.endsWith(short);
}

/** How the other party of a call changed while it went on (LINE_CALLINFO). */
export type PartyChange = 'same' | 'putThrough' | 'toInternal' | 'otherExternal' | 'otherInternal';

/**
 * `before` → `number` (TAPI's numbers of the other party): the same party written another way; internal →
 * external: a colleague put a caller through (an attended transfer completed towards this line: the
 * colleague's call became the caller's) — unless the external number ends with the colleague's extension
 * (the colleague's own number written in full); external → internal: the user's caller went on with a
 * colleague; otherwise the same kind of party with another number (e.g. a diversion).
 */
export function partyChange(before: string, wasInternal: boolean, number: string, extensionLength: number): PartyChange {
  if (sameNumber(before, number)) return 'same';
  const internal = isInternalNumber(number, extensionLength);
  if (wasInternal) {
    if (internal) return 'otherInternal';
    const extension = before.replace(/[^0-9]/g, '');
    return extension !== '' && number.replace(/[^0-9]/g, '').endsWith(extension) ? 'same' : 'putThrough';
  }
  return internal ? 'toInternal' : 'otherExternal';
}

/** The program holds the call as its owner (a LINE_APPNEWCALL's / first LINE_CALLSTATE's dwParam3). */
export function isOwner(privilege: number): boolean {
  return (privilege & LINECALLPRIVILEGE.OWNER) !== 0;
}
