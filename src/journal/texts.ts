/** Every German text of the journal's windows and messages (English beside them in comments). */
import { Direction } from '../datev/callData';
import { durationSeconds, isConnected, type DatevHas, type KeptEntry } from './entry';

export const NOTE_TITLE = 'Wildix CTI – Notiz'; // call note
export const CALL_LIST_TITLE = 'Wildix CTI – Anrufliste'; // call list
export const CHOOSER_TITLE = 'Wildix CTI – Kontakt zuordnen'; // assign a contact

export const LABELS = {
  save: 'Speichern',
  discard: 'Verwerfen',
  note: 'Notiz an DATEV senden', // send a note to DATEV
  send: 'An DATEV senden', // send to DATEV
  assign: 'Kontakt zuordnen…', // assign a contact
  close: 'Schließen',
  search: 'Name:',
  choose: 'Zuordnen',
  cancel: 'Abbrechen',
};

/** Status line of „Kontakt zuordnen…“ (German, shown to the user). */
export const CHOOSER_STATUS = {
  searching: 'Suche …', // searching …
  noResults: 'Keine Treffer', // no matches
};

export const COLUMNS = ['Zeit', 'Richtung', 'Nummer', 'Kontakt', 'Dauer', 'Ergebnis', 'DATEV']; // time, direction, number, contact, duration, result, DATEV

const pad = (n: number): string => String(n).padStart(2, '0');

/** "02.12.2026 09:30" in local time. */
export function timeText(iso: string): string {
  const d = new Date(iso);
  return `${pad(d.getDate())}.${pad(d.getMonth() + 1)}.${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "4:05" (minutes:seconds) or "1:02:03". */
export function durationText(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

export function directionText(d: Direction): string {
  return d === Direction.eDirIncoming ? 'eingehend' : d === Direction.eDirOutgoing ? 'ausgehend' : '–'; // incoming / outgoing
}

export function resultText(e: KeptEntry): string {
  if (isConnected(e)) return 'verbunden'; // connected
  if (e.takenElsewhere) return 'anderswo angenommen'; // taken at another phone
  return e.direction === Direction.eDirIncoming ? 'verpasst' : 'nicht erreicht'; // missed / not reached
}

export function datevText(has: DatevHas, internal = false): string {
  switch (has) {
    case 'live':
    case 'journal':
      return 'ja'; // yes
    case 'waiting':
    case 'sending':
      return 'wird gesendet'; // being sent
    case 'pending':
      return 'nein, folgt'; // no, follows
    case 'failed':
      return 'nein (abgelehnt)'; // no (refused)
    case 'not-reported':
      // internal, or unanswered with reportUnanswered off
      return internal ? 'intern' : 'nein (laut Einstellung)'; // internal / no (as configured: reportCalls, reportUnanswered)
    case 'open':
      return 'läuft'; // in progress
    case 'unended':
      return 'wird beendet'; // being ended
  }
}

export function partyText(e: KeptEntry): string {
  return e.contact ? `${e.contact.name} (${e.number})` : e.number || 'unbekannte Nummer'; // unknown number
}

/** The note window's text (its heading names the contact): which call, when, how long. */
export function noteText(e: KeptEntry): string {
  const kind = e.direction === Direction.eDirIncoming ? 'Eingehender Anruf' : e.direction === Direction.eDirOutgoing ? 'Ausgehender Anruf' : 'Anruf'; // incoming / outgoing call
  return `${kind} am ${timeText(e.connectedAt ?? e.ringAt)}, Dauer ${durationText(durationSeconds(e))}`; // on …, duration
}

export const MESSAGES = {
  notePromptOff: 'Notizen sind ausgeschaltet (journal.notePrompt).', // notes are switched off
  noteAfterNothing: 'Dieser Anruf ist nicht mehr in der Anrufliste.', // the call is no longer in the list
  waitingForDatev: (n: number): string => `${n} Anruf${n === 1 ? '' : 'e'} für DATEV warten auf Zustellung.`, // calls waiting for delivery to DATEV
};
