/**
 * Where the program spends its time: its own log lines (local time, whole milliseconds, taken at the
 * middle of their millisecond) placed between the fakes' µs stamps of the same call. Log level info —
 * the program's default — is enough: it logs when JavaScript sees a TAPI event or a DATEV request, and
 * when a notification came back from DATEV.
 */
import { median } from './stats';
import type { DialSample, IncomingSample } from './calls';

export interface LogLine {
  us: number;
  text: string;
}

const LINE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{3}) +\w+ +(.*)$/;

export function parseLog(text: string): LogLine[] {
  const out: LogLine[] = [];
  for (const raw of text.split('\n')) {
    const m = LINE.exec(raw.replace(/\r$/, ''));
    if (!m) continue;
    const [y, mo, d, h, mi, s, ms] = m.slice(1, 8).map(Number) as [number, number, number, number, number, number, number];
    out.push({ us: new Date(y, mo - 1, d, h, mi, s, ms).getTime() * 1000 + 500, text: m[8]! });
  }
  return out;
}

export interface Segment {
  label: string;
  p50Ms: number;
  samples: number;
}

function segments(labels: string[], rows: (number | undefined)[][]): Segment[] {
  return labels.map((label, k) => {
    const xs = rows.map((r) => r[k]).filter((x): x is number => x !== undefined && Number.isFinite(x));
    return { label, p50Ms: median(xs), samples: xs.length };
  });
}

const hasCallId = (l: LogLine, callId: string): boolean => l.text.includes(`callId=${callId} `) || l.text.endsWith(`callId=${callId}`);

const ms = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined ? undefined : (b - a) / 1000);

/** Incoming: OFFERING queued → JS has the call state → JS has a new call (after lineGetCallInfo) → NewCall in DATEV → JS hears back. */
export function incomingPath(lines: LogLine[], calls: { sample: IncomingSample; callId: string }[]): Segment[] {
  const rows = calls.map(({ sample, callId }) => {
    const created = lines.findIndex((l) => l.text.startsWith('new eDirIncoming call') && hasCallId(l, callId));
    const hCall = created >= 0 ? /hCall=(\d+)/.exec(lines[created]!.text)?.[1] : undefined;
    let seen: LogLine | undefined;
    for (let k = created - 1; k >= 0 && hCall; k--) {
      if (lines[k]!.text.startsWith('TAPI LINE_CALLSTATE OFFERING') && lines[k]!.text.includes(`hCall=${hCall}`)) {
        seen = lines[k];
        break;
      }
    }
    const delivered = lines.find((l) => l.text.startsWith('DATEV NewCall') && hasCallId(l, callId));
    return [
      ms(sample.offerUs, seen?.us),
      ms(seen?.us, created >= 0 ? lines[created]!.us : undefined),
      ms(created >= 0 ? lines[created]!.us : undefined, sample.newCallUs),
      ms(sample.newCallUs, delivered?.us),
    ];
  });
  return segments(
    [
      'OFFERING queued → JS logs "TAPI LINE_CALLSTATE OFFERING" (after lineGetCallInfo)',
      '→ JS logs "new eDirIncoming call"',
      '→ DATEV receives NewCall (contact lookup, COM thread hop, GetActiveObject, Invoke)',
      'DATEV receives NewCall → JS logs "DATEV NewCall" (DATEV reads the 11 fields back; the answer hops back)',
    ],
    rows,
  );
}

/** Dial: called → JS has the request → lineMakeCallW → JS hears back → Dial returns to DATEV. */
export function dialPath(lines: LogLine[], calls: { sample: DialSample; callId: string }[]): Segment[] {
  const rows = calls.map(({ sample, callId }) => {
    const request = lines.find((l) => l.text.startsWith('DATEV Dial') && hasCallId(l, callId));
    const made = lines.find((l) => l.text.startsWith('TAPI lineMakeCall') && hasCallId(l, callId));
    return [
      ms(sample.calledUs, sample.dataCalls.firstUs || undefined),
      ms(sample.dataCalls.firstUs || undefined, sample.dataCalls.lastUs || undefined),
      ms(sample.dataCalls.lastUs || undefined, request?.us),
      ms(request?.us, sample.makeCallUs),
      ms(sample.makeCallUs, made?.us),
      ms(made?.us, sample.returnedUs),
    ];
  });
  return segments(
    [
      'Dial called → first call on DATEV\'s object',
      `first → last call on DATEV's object (${calls[0]?.sample.dataCalls.total ?? '?'} round trips: 5 reads, the CallID write)`,
      '→ JS logs "DATEV Dial"',
      '→ lineMakeCallW',
      '→ JS logs "TAPI lineMakeCall"',
      '→ Dial returns to DATEV',
    ],
    rows,
  );
}

/** Dial's steps that the fakes see, for the baseline (which logs nothing on this path). */
export function dialStepsWithoutLog(samples: DialSample[]): Segment[] {
  const rows = samples.map((s) => [
    ms(s.calledUs, s.dataCalls.firstUs || undefined),
    ms(s.dataCalls.firstUs || undefined, s.dataCalls.lastUs || undefined),
    ms(s.dataCalls.lastUs || undefined, s.returnedUs),
    ms(s.returnedUs, s.makeCallUs),
  ]);
  return segments(
    [
      "Dial called → first call on DATEV's object",
      `first → last call on DATEV's object (${samples[0]?.dataCalls.total ?? '?'} round trips)`,
      '→ Dial returns to DATEV',
      '→ lineMakeCallW',
    ],
    rows,
  );
}
