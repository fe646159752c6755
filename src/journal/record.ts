/**
 * One journal entry as a record of the journal's log: its JSON, read back with a shape check (a record
 * of an unexpected shape is skipped, never trusted).
 */
import { isRecord } from '../contacts/jsonFile';
import { freezeEntry, type DatevHas, type JournalEntry, type JournalNote, type KeptEntry, type NoteState } from './entry';

const DATEV_HAS: readonly DatevHas[] = ['live', 'waiting', 'pending', 'sending', 'journal', 'failed', 'not-reported', 'open', 'unended'];
const NOTE_STATES: readonly NoteState[] = ['pending', 'sending', 'delivered', 'failed'];

const str = (v: unknown): v is string => typeof v === 'string';
const optStr = (v: unknown): boolean => v === undefined || typeof v === 'string';
const optNum = (v: unknown): boolean => v === undefined || typeof v === 'number';

function isNote(v: unknown): v is JournalNote {
  return isRecord(v) && str(v.text) && str(v.at) && NOTE_STATES.includes(v.state as NoteState) && optStr(v.journalCallId) && typeof v.attempts === 'number' && optNum(v.refusals);
}

export function isEntry(v: unknown): v is JournalEntry {
  if (!isRecord(v)) return false;
  const c = v.contact;
  return (
    str(v.callId) &&
    str(v.syncId) &&
    typeof v.direction === 'number' &&
    str(v.number) &&
    (c === undefined || (isRecord(c) && str(c.name) && str(c.id) && str(c.dataSource))) &&
    typeof v.internal === 'boolean' &&
    (v.takenElsewhere === undefined || v.takenElsewhere === true) &&
    str(v.ringAt) &&
    optStr(v.connectedAt) &&
    str(v.endedAt) &&
    DATEV_HAS.includes(v.datev as DatevHas) &&
    typeof v.autoDeliver === 'boolean' &&
    optStr(v.journalCallId) &&
    typeof v.attempts === 'number' &&
    optNum(v.refusals) &&
    Array.isArray(v.notes) &&
    v.notes.every(isNote) &&
    optNum(v.tapiCallId) &&
    (v.openIn === undefined || (isRecord(v.openIn) && str(v.openIn.datevId) && (v.openIn.reported === 'offered' || v.openIn.reported === 'connected') && (v.openIn.lost === undefined || v.openIn.lost === true)))
  );
}

export function recordOf(e: KeptEntry): string {
  return JSON.stringify(e);
}

/** The entry of a record (frozen), or undefined when it is not JSON of an entry. */
export function entryOf(record: string): KeptEntry | undefined {
  let v: unknown;
  try {
    v = JSON.parse(record);
  } catch {
    return undefined;
  }
  return isEntry(v) ? freezeEntry(v) : undefined;
}
