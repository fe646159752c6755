/**
 * Big JSON arrays (DATEVconnect's addressee list: one response for all addressees; the contact cache
 * of older versions) parsed in pieces: a scan finds element boundaries at the array's top level, each
 * piece of about `chunkChars` goes through JSON.parse on its own, and the scan pauses when its time
 * slice is used up. Malformed text throws a SyntaxError, as JSON.parse does.
 */
import type { Slicer } from './slicer';

/** Below this size one JSON.parse is quicker than the scan and short enough anyway. */
export const CHUNK_CHARS = 256 * 1024;

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
export function codeAt(text: string | Uint8Array, i: number): number {
  return typeof text === 'string' ? text.charCodeAt(i) : i < text.length ? text[i]! : NaN;
}

export function skipSpace(text: string | Uint8Array, i: number): number {
  for (;;) {
    const c = codeAt(text, i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
    else return i;
  }
}
