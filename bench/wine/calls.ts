/**
 * The call paths, timed by the fakes' own clocks:
 *   incoming — the fake tapi32.dll queues LINE_CALLSTATE OFFERING (its log line's µs) → the fake DATEV's
 *              NewCall is entered (its record's µs);
 *   Dial     — the fake DATEV calls IDatevCtiControl::Dial (calledUs, returnedUs), counting what the
 *              program calls on DATEV's call-data object meanwhile → the fake tapi32.dll logs lineMakeCallW.
 * Calls run one after another; each ends (missed / busy) and is gone from the PBX before the next.
 */
import type { FakeTapiLogEvent } from '../../test/wine/pbxDriver';
import { Bench, LINE_ADDRESS, type Running } from './benchEnv';
import { msBetween, until } from './clock';

export interface IncomingSample {
  /** The program's CallID of the call (as DATEV got it). */
  callId: string;
  /** OFFERING queued by TAPI → NewCall entered in DATEV, ms. */
  offerToNewCallMs: number;
  offerUs: number;
  newCallUs: number;
}

export interface DataCalls {
  getIDsOfNames: number;
  invoke: number;
  vtable: number;
  other: number;
  total: number;
  firstUs: number;
  lastUs: number;
}

export interface DialSample {
  /** The CallID the program wrote into DATEV's object. */
  callId: string;
  /** Dial entered → returned to DATEV, ms. */
  dialMs: number;
  /** Dial entered → lineMakeCallW, and Dial returned → lineMakeCallW (negative: before Dial returned), ms. */
  calledToMakeCallMs: number;
  returnedToMakeCallMs: number;
  /** Calls the program made on DATEV's call-data object inside Dial (each a cross-process round trip). */
  dataCalls: DataCalls;
  calledUs: number;
  returnedUs: number;
  makeCallUs: number;
}

const pad = (n: number): string => String(n).padStart(5, '0');

/** The caller's number of incoming call `i` and how it may come back in DATEV (last digits). */
export const incomingNumber = (i: number): string => `+4989555${pad(i)}`;
export const dialNumber = (i: number): string => `089 777${pad(i)}`;
const digits = (s: unknown): string => String(s ?? '').replace(/\D/g, '');

async function callGone(r: Running, call: number, what: string): Promise<void> {
  await r.pbx.waitFor((e) => e.ev === 'call_gone' && Number(e.call) === call, 15000).catch((e: unknown) => {
    throw new Error(`${what}: the call did not end (${(e as Error).message}); ${r.app.describe()}`);
  });
}

/** One incoming call that rings and is missed. */
export async function incomingCall(bench: Bench, r: Running, i: number): Promise<IncomingSample> {
  const number = incomingNumber(i);
  const tail = digits(number).slice(-8);
  const from = r.pbx.log.length;
  const seen = bench.received.length;
  const call = await r.pbx.incoming(LINE_ADDRESS, number);
  const newCall = await bench.waitReceived(
    (n) => n.method === 'NewCall' && digits(n.data.CalledNumber).endsWith(tail),
    `NewCall of incoming call ${i} (${r.subject.label})`,
    seen,
  );
  const offer = Bench.after(r.pbx, from, (e) => e.ev === 'msg' && e.msg === 'LINE_CALLSTATE' && String(e.state).endsWith('OFFERING'));
  if (!offer) throw new Error(`no OFFERING in the PBX log for incoming call ${i}`);
  await r.pbx.hangup(call, 'NOANSWER');
  await callGone(r, call, `incoming call ${i}`);
  if (r.subject.reportsCallEnd) await endReported(bench, String(newCall.data.CallID), seen, `incoming call ${i}`);
  return {
    callId: String(newCall.data.CallID),
    offerToNewCallMs: msBetween(Number(offer.us), newCall.us),
    offerUs: Number(offer.us),
    newCallUs: newCall.us,
  };
}

/** DATEV dials; the far end is busy. */
export async function dialCall(bench: Bench, r: Running, i: number): Promise<DialSample> {
  const from = r.pbx.log.length;
  const seen = bench.received.length;
  const answer = await bench.datev.command('dial', {
    via: 'vtable',
    data: {
      CalledNumber: dialNumber(i),
      SyncID: `BENCH-${i}`,
      Adressatenname: 'Steuerbüro Bench & Partner',
      AdressatenId: String(10000 + i),
      DataSource: 'DATEV_Adressaten',
    },
  });
  if (answer.hresult !== 0) throw new Error(`Dial ${i} (${r.subject.label}) failed: HRESULT 0x${(Number(answer.hresult) >>> 0).toString(16)}`);
  const made: FakeTapiLogEvent = await until(
    () => Bench.after(r.pbx, from, (e) => e.ev === 'api' && e.fn === 'lineMakeCallW'),
    `lineMakeCallW of Dial ${i} (${r.subject.label})`,
    15000,
    5,
  );
  if (Number(made.rc) <= 0) throw new Error(`lineMakeCallW of Dial ${i} failed: ${JSON.stringify(made)}`);
  const call = Number(made.call);
  // the far end is busy once the program has the call (its LINE_REPLY)
  await until(() => Bench.after(r.pbx, from, (e) => e.ev === 'reply' && e.fn === 'lineMakeCallW'), `LINE_REPLY of Dial ${i}`, 15000, 5);
  await r.pbx.hangup(call, 'BUSY');
  await callGone(r, call, `Dial ${i}`);
  if (r.subject.reportsCallEnd) await endReported(bench, String(answer.callId), seen, `Dial ${i}`);
  const calledUs = Number(answer.calledUs);
  const returnedUs = Number(answer.returnedUs);
  const makeCallUs = Number(made.us);
  return {
    callId: String(answer.callId),
    dialMs: msBetween(calledUs, returnedUs),
    calledToMakeCallMs: msBetween(calledUs, makeCallUs),
    returnedToMakeCallMs: msBetween(returnedUs, makeCallUs),
    dataCalls: answer.dataCalls as unknown as DataCalls,
    calledUs,
    returnedUs,
    makeCallUs,
  };
}

/** The program told DATEV the call ended (so the next call does not overlap its work). */
async function endReported(bench: Bench, callId: string, since: number, what: string): Promise<void> {
  await bench.waitReceived((n) => n.method === 'CallStateChanged' && n.data.CallID === callId, `the end of ${what} in DATEV`, since);
}
