/** The other party of a call as the program uses it, and what TAPI says of how the call came, for the log. */
import { partyNumber, remoteNumber } from '../../calls/tapiMapping';
import type { Direction } from '../../datev/callData';
import type { CallInfo } from '../../telephony/port';
import { LINECALLREASON } from '../../telephony/tapiConstants';
import type { CallContext } from './callContext';

/** The other party's number as the program uses it (lookup, DATEV, the call list): without the outside-line prefix where it stands. */
export function remoteOf(c: CallContext, info: CallInfo, direction: Direction): string {
  return remoteNumber(info, direction, { ...c.o.dial, onCallers: c.o.outsideLinePrefixOnCallers });
}

/**
 * Why the call came (LINECALLREASON, when not DIRECT) and who redirected or transferred it
 * (RedirectingID, when TAPI says), for the log: how the Wildix TSP uses them is an open question.
 */
export function transferMeta(c: CallContext, info: CallInfo | undefined): { reason?: string; redirecting?: string } {
  const redirecting = info?.redirecting ? partyNumber(info.redirecting) : '';
  return {
    ...(info && info.reason !== LINECALLREASON.DIRECT ? { reason: `0x${info.reason.toString(16)}` } : {}),
    ...(redirecting !== '' ? { redirecting: c.d.mask.number(redirecting) } : {}),
  };
}
