/**
 * The contact cache of versions before the compact table: one JSON object
 * `{version: 1, baseUrl, lastFullCrawl, lastRefresh, deletionMark, addressees: [...]}`. Read once to
 * migrate (the addressees go to a TableBuilder piece by piece, never one long JSON.parse), then it is
 * replaced by the new format on the next write.
 */
import { readObjectWithArray } from '../jsonChunks';
import type { Slicer } from '../slicer';
import { isAddresseeRecord, type AddresseeRecord } from './records';

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
  const { fields, sawArray } = await readObjectWithArray(bytes, 'addressees', slicer, (item) => {
    if (!isAddresseeRecord(item)) throw new TypeError('an addressee of the old cache has an unexpected shape');
    each(item);
  });
  const { version, baseUrl, lastFullCrawl, lastRefresh, deletionMark } = fields;
  if (version !== 1 || !sawArray || typeof baseUrl !== 'string' || typeof lastFullCrawl !== 'number' || typeof lastRefresh !== 'number' || typeof deletionMark !== 'string') {
    throw new TypeError('not a version 1 contact cache');
  }
  return { baseUrl, lastFullCrawl, lastRefresh, deletionMark };
}
