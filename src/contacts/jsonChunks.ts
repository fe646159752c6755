/**
 * Big JSON arrays (DATEVconnect's addressee list: one response for all addressees; the learned
 * numbers; the contact cache of older versions) parsed and written in pieces: a scan finds element
 * boundaries at the array's top level, each piece of about `chunkChars` goes through JSON.parse on its
 * own, and the work pauses when its time slice is used up. Malformed text throws a SyntaxError, as
 * JSON.parse does.
 */
import type { Slicer } from './slicer';

/** Piece size (a JSON.parse of 64 K characters takes well under a millisecond); smaller texts are parsed at once. */
export const CHUNK_CHARS = 64 * 1024;

/**
 * Calls `each` with the parsed elements of the JSON array that starts at `text[from]` (after
 * whitespace), piece by piece in order; returns the index just after the array's `]`.
 */
export async function forEachArrayChunk(
  text: string | Uint8Array,
  from: number,
  slicer: Slicer,
  each: (items: unknown[]) => void | Promise<void>,
  chunkChars = CHUNK_CHARS,
): Promise<number> {
  // bytes are scanned as they are: in UTF-8 every byte of a multi-byte character is ≥ 0x80
  const str = typeof text === 'string' ? text : null;
  const bytes = typeof text === 'string' ? null : Buffer.from(text.buffer, text.byteOffset, text.byteLength);
  const length = text.length;
  let i = skipSpace(text, from);
  if (codeAt(text, i) !== 0x5b) throw new SyntaxError(`JSON array expected at position ${i}`);
  let start = ++i;
  let depth = 0;
  let inString = false;
  const flush = async (end: number): Promise<void> => {
    if (skipSpace(text, start) >= end) return; // "[]", or whitespace before "]"
    const piece = str !== null ? str.slice(start, end) : bytes!.toString('utf8', start, end);
    await each(JSON.parse('[' + piece + ']') as unknown[]);
  };
  for (; i < length; i++) {
    const c = str !== null ? str.charCodeAt(i) : bytes![i]!;
    if ((i & 0xffff) === 0 && slicer.due()) await slicer.yield();
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      if (depth > 0) {
        depth--;
        continue;
      }
      if (c !== 0x5d) throw new SyntaxError(`unexpected "}" at position ${i}`);
      await flush(i);
      return i + 1;
    } else if (c === 0x2c && depth === 0 && i - start >= chunkChars) {
      await flush(i);
      start = i + 1;
    }
  }
  throw new SyntaxError('unterminated JSON array');
}

/** All elements of a JSON array text, parsed in pieces (one JSON.parse when the text is small). */
export async function parseArrayInPieces<T>(text: string, slicer: Slicer, map: (item: unknown) => T | null, chunkChars = CHUNK_CHARS): Promise<T[]> {
  const out: T[] = [];
  const take = (items: unknown[]): void => {
    for (const item of items) {
      const v = map(item);
      if (v !== null) out.push(v);
    }
  };
  if (slicer.due()) await slicer.yield();
  if (text.length <= chunkChars) {
    const all: unknown = JSON.parse(text);
    if (!Array.isArray(all)) throw new SyntaxError('JSON array expected');
    take(all);
    return out;
  }
  const end = await forEachArrayChunk(text, 0, slicer, take, chunkChars);
  if (skipSpace(text, end) !== text.length) throw new SyntaxError(`unexpected text after the array at position ${end}`);
  return out;
}

/** The character code (string) or byte at `i`; NaN beyond the end. */
function codeAt(text: string | Uint8Array, i: number): number {
  return typeof text === 'string' ? text.charCodeAt(i) : i < text.length ? text[i]! : NaN;
}

export function skipSpace(text: string | Uint8Array, i: number): number {
  for (;;) {
    const c = codeAt(text, i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
    else return i;
  }
}

const LBRACE = 0x7b;
const RBRACE = 0x7d;
const QUOTE = 0x22;
const COLON = 0x3a;
const COMMA = 0x2c;

/**
 * Reads a JSON object whose property `arrayKey` is a big array: its elements go to `each` one by one
 * (the slice is checked after each), the other (small) properties are returned. Works on the bytes,
 * never on a string of the whole file.
 */
export async function readObjectWithArray(
  bytes: Uint8Array,
  arrayKey: string,
  slicer: Slicer,
  each: (item: unknown) => void,
  chunkChars = 64 * 1024,
): Promise<{ fields: Record<string, unknown>; sawArray: boolean }> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const json = (from: number, to: number): unknown => JSON.parse(buf.toString('utf8', from, to));
  const fields: Record<string, unknown> = {};
  let sawArray = false;
  let i = skipSpace(buf, 0);
  if (buf[i] !== LBRACE) throw new SyntaxError('JSON object expected');
  i = skipSpace(buf, i + 1);
  while (buf[i] !== RBRACE) {
    if (buf[i] !== QUOTE) throw new SyntaxError(`property name expected at position ${i}`);
    const keyEnd = valueEnd(buf, i);
    const key = json(i, keyEnd) as string;
    i = skipSpace(buf, keyEnd);
    if (buf[i] !== COLON) throw new SyntaxError(`":" expected at position ${i}`);
    i = skipSpace(buf, i + 1);
    if (key === arrayKey) {
      sawArray = true;
      i = await forEachArrayChunk(
        buf,
        i,
        slicer,
        async (items) => {
          for (const item of items) {
            each(item);
            if (slicer.due()) await slicer.yield();
          }
        },
        chunkChars,
      );
    } else {
      const end = valueEnd(buf, i);
      fields[key] = json(i, end);
      i = end;
    }
    i = skipSpace(buf, i);
    if (buf[i] === COMMA) i = skipSpace(buf, i + 1);
    else if (buf[i] !== RBRACE) throw new SyntaxError(`"," or "}" expected at position ${i}`);
  }
  return { fields, sawArray };
}

/** `{...fields, [arrayKey]: items}` as JSON bytes, the array serialised in pieces between pauses. */
export async function writeObjectWithArray(fields: Record<string, unknown>, arrayKey: string, items: readonly unknown[], slicer: Slicer, piece = 500): Promise<Buffer> {
  const head = JSON.stringify(fields);
  const parts: Buffer[] = [Buffer.from(`${head.slice(0, -1)}${head.length > 2 ? ',' : ''}${JSON.stringify(arrayKey)}:[`, 'utf8')];
  for (let at = 0; at < items.length; at += piece) {
    const text = JSON.stringify(items.slice(at, at + piece));
    parts.push(Buffer.from((at > 0 ? ',' : '') + text.slice(1, -1), 'utf8'));
    if (slicer.due()) await slicer.yield();
  }
  parts.push(Buffer.from(']}', 'utf8'));
  return Buffer.concat(parts);
}

/** End of the (small) JSON value starting at `i`: a string, a nested value, or a literal/number. */
function valueEnd(b: Uint8Array, i: number): number {
  let depth = 0;
  let inString = false;
  for (let j = i; j < b.length; j++) {
    const c = b[j]!;
    if (inString) {
      if (c === 0x5c) j++;
      else if (c === QUOTE) {
        inString = false;
        if (depth === 0) return j + 1;
      }
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === LBRACE || c === 0x5b) depth++;
    else if (c === RBRACE || c === 0x5d) {
      if (depth === 0) return j;
      if (--depth === 0) return j + 1;
    } else if (depth === 0 && (c === COMMA || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) return j;
  }
  return b.length;
}
