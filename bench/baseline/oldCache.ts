/**
 * FROZEN COPY of what the DATEVconnect source did before the compact table (commit 5559bbe): the cache
 * is one JSON file of all addressee records; a restart parses it and indexes every number again, in one
 * block of the JavaScript thread. Kept only for the side-by-side figures of `npm run bench`.
 */
import { promises as fs } from 'node:fs';
import { DATA_SOURCE_ADRESSATEN } from '../../src/datev/callData';
import { isAddresseeRecord, type AddresseeRecord, type PhoneRecord } from '../../src/contacts/datevconnect/records';
import { isRecord } from '../../src/contacts/jsonFile';
import { parseStoredNumber, type NumberRules } from '../../src/contacts/numbers';
import { PhoneIndex } from './phoneIndex';

export interface OldCacheFile {
  version: 1;
  baseUrl: string;
  lastFullCrawl: number;
  lastRefresh: number;
  deletionMark: string;
  addressees: AddresseeRecord[];
}

function isCacheFile(v: unknown): v is OldCacheFile {
  return (
    isRecord(v) &&
    v.version === 1 &&
    typeof v.baseUrl === 'string' &&
    typeof v.lastFullCrawl === 'number' &&
    typeof v.lastRefresh === 'number' &&
    typeof v.deletionMark === 'string' &&
    Array.isArray(v.addressees) &&
    v.addressees.every(isAddresseeRecord)
  );
}

function phoneScore(a: AddresseeRecord, p: PhoneRecord): number {
  return (a.active ? 4 : 0) + (p.mgmt ? 2 : 0) + (p.main ? 1 : 0);
}

function addRecord(index: PhoneIndex, rec: AddresseeRecord, rules: NumberRules): number {
  let unusable = 0;
  const who = { id: rec.id, name: rec.name, dataSource: DATA_SOURCE_ADRESSATEN };
  for (const p of rec.phones) {
    let n = parseStoredNumber(p.raw, rules);
    if (n) p.std = undefined;
    else n = parseStoredNumber(p.raw, rules, p.std);
    if (!n) {
      unusable++;
      continue;
    }
    index.add(rec.id, n.e164, who, p.raw || p.std || '', phoneScore(rec, p), n.switchboardBase);
  }
  return unusable;
}

export function indexRecords(records: Iterable<AddresseeRecord>, rules: NumberRules): { index: PhoneIndex; unusable: number } {
  const index = new PhoneIndex(false);
  let unusable = 0;
  for (const rec of records) unusable += addRecord(index, rec, rules);
  return { index, unusable };
}

/** The old restart: read, JSON.parse, check, index (plain codec). */
export async function oldRestart(file: string, rules: NumberRules): Promise<{ records: Map<string, AddresseeRecord>; index: PhoneIndex }> {
  const value: unknown = JSON.parse((await fs.readFile(file)).toString('utf8'));
  if (!isCacheFile(value)) throw new Error('old cache file has unexpected content');
  const records = new Map(value.addressees.map((a) => [a.id, a]));
  return { records, index: indexRecords(records.values(), rules).index };
}
