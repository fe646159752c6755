/**
 * Wire format between the port host (inside Wine's node.exe) and the Linux test process: one JSON
 * object per line over loopback TCP.
 *
 *   Linux → host  {id, kind:'call', port, method, args}
 *   host → Linux  {id, kind:'result', value} | {id, kind:'error', error}
 *   host → Linux  {kind:'event', port, name, args}                 (listener functions, one-way)
 *   host → Linux  {id, kind:'callback', port, name, ref, args}      (handler objects, awaited)
 *   Linux → host  {id, kind:'callbackResult', value} | {id, kind:'callbackResult', error}
 *   host → Linux  {kind:'hello', ports, pid, execPath}              (once, after connecting)
 *
 * Values are JSON with tags: {"$date": iso} for Date, {"$undefined": true} for undefined,
 * {"$fn": n} for a listener function (host calls it → 'event' named "fn:n"),
 * {"$handlers": n, "methods": [...]} for an object of handler functions (host calls a method →
 * 'callback', answered by 'callbackResult'), {"$remoteFn": n} for a function the host returned
 * (e.g. an unsubscribe; calling it sends a call with method "$invoke").
 * Errors keep their class (DatevError, TelephonyError) and fields (code, hresult, fn).
 */
import { DatevError, type DatevErrorCode } from '../../datev/port';
import { TelephonyError } from '../../telephony/port';

export interface WireError {
  name: string;
  message: string;
  code?: string | number;
  fn?: string;
  hresult?: number;
  [field: string]: unknown;
}

export type WireMessage =
  | { id: number; kind: 'call'; port: string; method: string; args: unknown[] }
  | { id: number; kind: 'result'; value?: unknown }
  | { id: number; kind: 'error'; error: WireError }
  | { kind: 'event'; port: string; name: string; args: unknown[] }
  | { id: number; kind: 'callback'; port: string; name: string; ref: number; args: unknown[] }
  | { id: number; kind: 'callbackResult'; value?: unknown; error?: WireError }
  | { kind: 'hello'; ports: string[]; pid: number; execPath: string };

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

/** How functions inside values are turned into tags (and back); each side supplies its own. */
export interface FunctionCodec {
  encodeFunction?(fn: (...args: unknown[]) => unknown): unknown;
  encodeHandlers?(obj: Record<string, (...args: unknown[]) => unknown>): unknown;
  decodeTag?(tag: Record<string, unknown>): unknown;
}

function isHandlerObject(v: object): v is Record<string, (...args: unknown[]) => unknown> {
  const values = Object.values(v);
  return values.length > 0 && values.every((x) => typeof x === 'function');
}

export function encodeValue(value: unknown, codec: FunctionCodec = {}): unknown {
  if (value === undefined) return { $undefined: true };
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'function') {
      if (!codec.encodeFunction) throw new ProtocolError('functions cannot be sent in this direction');
      return codec.encodeFunction(value as (...args: unknown[]) => unknown);
    }
    if (typeof value === 'bigint') throw new ProtocolError('bigint cannot be sent');
    return value;
  }
  if (value instanceof Date) return { $date: value.toISOString() };
  if (Array.isArray(value)) return value.map((v) => encodeValue(v, codec));
  if (codec.encodeHandlers && isHandlerObject(value)) return codec.encodeHandlers(value);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'function' && !codec.encodeFunction) continue; // methods of plain objects
    out[k] = encodeValue(v, codec);
  }
  return out;
}

export function decodeValue(value: unknown, codec: FunctionCodec = {}): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => decodeValue(v, codec));
  const obj = value as Record<string, unknown>;
  if (typeof obj.$date === 'string') return new Date(obj.$date);
  if (obj.$undefined === true) return undefined;
  if ('$fn' in obj || '$handlers' in obj || '$remoteFn' in obj) {
    if (!codec.decodeTag) throw new ProtocolError(`unexpected function tag ${JSON.stringify(obj)}`);
    return codec.decodeTag(obj);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = decodeValue(v, codec);
  return out;
}

export function encodeError(err: unknown): WireError {
  if (err instanceof Error) {
    const wire: WireError = { name: err.name, message: err.message };
    for (const [k, v] of Object.entries(err)) {
      if (k === 'name' || k === 'message' || k === 'stack') continue;
      if (v === undefined || typeof v === 'function') continue;
      wire[k] = v instanceof Date ? v.toISOString() : v;
    }
    return wire;
  }
  return { name: 'Error', message: typeof err === 'string' ? err : JSON.stringify(err) };
}

/** Rebuilds the error with its original class where the class is known to the ports. */
export function decodeError(wire: WireError): Error {
  let err: Error;
  if (wire.name === 'DatevError') {
    err = new DatevError(wire.code as DatevErrorCode, wire.message, wire.hresult, typeof wire.ticket === 'number' ? wire.ticket : undefined);
  } else if (wire.name === 'TelephonyError') {
    err = new TelephonyError(String(wire.fn ?? ''), Number(wire.code ?? 0), wire.message);
  } else {
    err = new Error(wire.message);
    err.name = wire.name;
    for (const [k, v] of Object.entries(wire)) {
      if (k !== 'name' && k !== 'message') (err as unknown as Record<string, unknown>)[k] = v;
    }
  }
  return err;
}

/** Splits a byte stream into JSON lines. */
export class LineDecoder {
  private buffer = '';
  constructor(private readonly onMessage: (msg: WireMessage) => void) {}

  push(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line === '') continue;
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        throw new ProtocolError(`invalid JSON line: ${line.slice(0, 200)}`);
      }
      if (typeof msg !== 'object' || msg === null || typeof (msg as { kind?: unknown }).kind !== 'string') {
        throw new ProtocolError(`not a protocol message: ${line.slice(0, 200)}`);
      }
      this.onMessage(msg as WireMessage);
    }
  }
}

export function encodeLine(msg: WireMessage): string {
  return `${JSON.stringify(msg)}\n`;
}
