/** Conversions between DatevCallData and the loosely typed RawCallData that crosses the COM boundary. */
import { DATEV_FIELDS, type DatevCallData, type RawCallData } from './callData';

/** All 11 fields, as a COM client reading the object by name would see them. */
export function toRaw(data: DatevCallData): RawCallData {
  const raw: RawCallData = {};
  for (const f of DATEV_FIELDS) {
    const v = data[f];
    raw[f] = v instanceof Date ? new Date(v.getTime()) : v;
  }
  return raw;
}

/** A string field of raw data, or '' when missing or of another type. */
export function rawString(raw: RawCallData, field: keyof RawCallData): string {
  const v = raw[field];
  return typeof v === 'string' ? v : '';
}
