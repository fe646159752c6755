/**
 * The contact cache of versions before the compact table: one JSON object
 * `{version: 1, baseUrl, lastFullCrawl, lastRefresh, deletionMark, addressees: [...]}`. Read once to
 * migrate (the addressees go to a TableBuilder piece by piece, never one long JSON.parse), then it is
 * replaced by the new format on the next write.
 */
import { forEachArrayChunk, skipSpace } from '../jsonChunks';
import type { Slicer } from '../slicer';
import { isAddresseeRecord, type AddresseeRecord } from './records';

const PIECE_CHARS = 64 * 1024;

export interface LegacyMeta {
  baseUrl: string;
  lastFullCrawl: number;
  lastRefresh: number;
  deletionMark: string;
}

/** True when the bytes look like JSON (the old cache) rather than a table file. */
export function looksLikeJson(bytes: Uint8Array): boolean {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  return bytes[i] === 0x7b;
}

/**
 * Streams the old cache's addressees to `each`; returns its settings. Works on the file's bytes (no
 * string of the whole file). Throws SyntaxError/TypeError when it is not a v1 cache.
 */
export async function readLegacyCache(bytes: Buffer, slicer: Slicer, each: (rec: AddresseeRecord) => void): Promise<LegacyMeta> {
  // `each` parses numbers (tens of µs per addressee): pieces stay small and the slice is checked per item
  const fields: Record<string, unknown> = {};
  const json = (from: number, to: number): unknown => JSON.parse(bytes.toString('utf8', from, to));
  let sawAddressees = false;
  let i = skipSpace(bytes, 0);
  if (bytes[i] !== LBRACE) throw new SyntaxError('JSON object expected');
  i = skipSpace(bytes, i + 1);
  while (bytes[i] !== RBRACE) {
    if (bytes[i] !== QUOTE) throw new SyntaxError(`property name expected at position ${i}`);
    const keyEnd = valueEnd(bytes, i);
    const key = json(i, keyEnd);
    i = skipSpace(bytes, keyEnd);
    if (bytes[i] !== COLON) throw new SyntaxError(`":" expected at position ${i}`);
    i = skipSpace(bytes, i + 1);
    if (key === 'addressees') {
      sawAddressees = true;
      i = await forEachArrayChunk(
        bytes,
        i,
        slicer,
        async (items) => {
          for (const item of items) {
            if (!isAddresseeRecord(item)) throw new TypeError('an addressee of the old cache has an unexpected shape');
            each(item);
            if (slicer.due()) await slicer.yield();
          }
        },
        PIECE_CHARS,
      );
    } else {
      const end = valueEnd(bytes, i);
      fields[key as string] = json(i, end);
      i = end;
    }
    i = skipSpace(bytes, i);
    if (bytes[i] === COMMA) i = skipSpace(bytes, i + 1);
    else if (bytes[i] !== RBRACE) throw new SyntaxError(`"," or "}" expected at position ${i}`);
  }
  const { version, baseUrl, lastFullCrawl, lastRefresh, deletionMark } = fields;
  if (version !== 1 || !sawAddressees || typeof baseUrl !== 'string' || typeof lastFullCrawl !== 'number' || typeof lastRefresh !== 'number' || typeof deletionMark !== 'string') {
    throw new TypeError('not a version 1 contact cache');
  }
  return { baseUrl, lastFullCrawl, lastRefresh, deletionMark };
}

const LBRACE = 0x7b;
const RBRACE = 0x7d;
const QUOTE = 0x22;
const COLON = 0x3a;
const COMMA = 0x2c;

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
