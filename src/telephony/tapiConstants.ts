/** TAPI 2.x constants used by the program (values from tapi.h; ../shared/reference/tapi.md §1.12). */

export const LINECALLSTATE = {
  IDLE: 0x1,
  OFFERING: 0x2,
  ACCEPTED: 0x4,
  DIALTONE: 0x8,
  DIALING: 0x10,
  RINGBACK: 0x20,
  BUSY: 0x40,
  SPECIALINFO: 0x80,
  CONNECTED: 0x100,
  PROCEEDING: 0x200,
  ONHOLD: 0x400,
  CONFERENCED: 0x800,
  ONHOLDPENDCONF: 0x1000,
  ONHOLDPENDTRANSFER: 0x2000,
  DISCONNECTED: 0x4000,
  UNKNOWN: 0x8000,
} as const;

export type CallStateName = keyof typeof LINECALLSTATE;

export function callStateName(value: number): CallStateName {
  for (const [name, v] of Object.entries(LINECALLSTATE)) if (v === value) return name as CallStateName;
  return 'UNKNOWN';
}

export const LINEDISCONNECTMODE = {
  NORMAL: 0x1,
  UNKNOWN: 0x2,
  REJECT: 0x4,
  PICKUP: 0x8,
  FORWARDED: 0x10,
  BUSY: 0x20,
  NOANSWER: 0x40,
  BADADDRESS: 0x80,
  UNREACHABLE: 0x100,
  CONGESTION: 0x200,
  INCOMPATIBLE: 0x400,
  UNAVAIL: 0x800,
  NODIALTONE: 0x1000,
  NUMBERCHANGED: 0x2000,
  OUTOFORDER: 0x4000,
  TEMPFAILURE: 0x8000,
  QOSUNAVAIL: 0x10000,
  BLOCKED: 0x20000,
  DONOTDISTURB: 0x40000,
  CANCELLED: 0x80000,
} as const;

/** dwParam2 of LINE_CALLSTATE for CONNECTED: the substate on an address shared (bridged) with other stations. */
export const LINECONNECTEDMODE = {
  ACTIVE: 0x1,
  INACTIVE: 0x2,
  ACTIVEHELD: 0x4,
  INACTIVEHELD: 0x8,
  CONFIRMED: 0x10,
} as const;

export const LINECALLPARTYID = {
  BLOCKED: 0x1,
  OUTOFAREA: 0x2,
  NAME: 0x4,
  ADDRESS: 0x8,
  PARTIAL: 0x10,
  UNKNOWN: 0x20,
  UNAVAIL: 0x40,
} as const;

export const LINECALLORIGIN = {
  OUTBOUND: 0x1,
  INTERNAL: 0x2,
  EXTERNAL: 0x4,
  UNKNOWN: 0x10,
  UNAVAIL: 0x20,
  CONFERENCE: 0x40,
  INBOUND: 0x80,
} as const;

/** LINECALLINFO.dwReason (tapi.md §1.7, §1.12): why the call came to this line. */
export const LINECALLREASON = {
  DIRECT: 0x1,
  FWDBUSY: 0x2,
  FWDNOANSWER: 0x4,
  FWDUNCOND: 0x8,
  PICKUP: 0x10,
  UNPARK: 0x20,
  REDIRECT: 0x40,
  CALLCOMPLETION: 0x80,
  TRANSFER: 0x100,
} as const;

export const LINECALLPRIVILEGE = { NONE: 0x1, MONITOR: 0x2, OWNER: 0x4 } as const;

/** LINE_LINEDEVSTATE's dwParam1 (tapi.md §1.5): the TSP's line and its link to the PBX. */
export const LINEDEVSTATE = { CONNECTED: 0x4, DISCONNECTED: 0x8, INSERVICE: 0x40, OUTOFSERVICE: 0x80 } as const;

export const LINEERR: Record<string, number> = {
  ALLOCATED: 0x80000001,
  BADDEVICEID: 0x80000002,
  CALLUNAVAIL: 0x80000005,
  INCOMPATIBLEAPIVERSION: 0x8000000c,
  INVALADDRESS: 0x80000010,
  INVALAPPHANDLE: 0x80000014,
  INVALCALLHANDLE: 0x80000018,
  INVALCALLSTATE: 0x8000001c,
  INVALLINEHANDLE: 0x8000002b,
  INVALLINESTATE: 0x8000002c,
  INVALPARAM: 0x80000032,
  NODEVICE: 0x80000042,
  NODRIVER: 0x80000043,
  NOMEM: 0x80000044,
  NOTOWNER: 0x80000046,
  NOTREGISTERED: 0x80000047,
  OPERATIONFAILED: 0x80000048,
  OPERATIONUNAVAIL: 0x80000049,
  RESOURCEUNAVAIL: 0x8000004b,
  STRUCTURETOOSMALL: 0x8000004d,
  UNINITIALIZED: 0x80000050,
  REINIT: 0x80000052,
};

/** "LINEERR_INVALCALLSTATE" for 0x8000001C (also accepts the signed LONG form). */
export function lineErrName(code: number): string {
  const u = code >>> 0;
  for (const [name, v] of Object.entries(LINEERR)) if (v === u) return `LINEERR_${name}`;
  return `0x${u.toString(16).toUpperCase().padStart(8, '0')}`;
}
