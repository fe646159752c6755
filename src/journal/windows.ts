/**
 * The journal's windows, as ports like the call dialogs (real adapter: native/ui; fake:
 * fakes/journalWindows; contract: contracts/journalWindows.contract.ts). All texts come from
 * TypeScript (src/journal/texts.ts). None of them takes the keyboard focus from the program the user
 * is typing in when it opens by itself (the note after a call); the call list opens on the user's
 * request from the tray and may take it.
 */

/** „Wildix CTI – Notiz“: the note about a call that ended. */
export interface NoteWindowSpec {
  /** Contains "Wildix". */
  title: string;
  /** The contact (or number). */
  heading: string;
  /** Time and duration of the call. */
  text: string;
  /** Longest note in characters (the Edit control takes no more). */
  maxLength: number;
  saveLabel: string;
  discardLabel: string;
  /** Closes by itself, unsent, after this long (ms). */
  timeoutMs: number;
}

export type NoteResult =
  /** „Speichern“ with the text as typed (may be empty). */
  | { reason: 'save'; text: string }
  /** „Verwerfen“, the window's X or Esc. */
  | { reason: 'discard' }
  /** Closed from code, timed out, or it could not be shown. */
  | { reason: 'closed' | 'timeout' | 'failed' };

export interface NoteWindowPort {
  /** Shows the window without taking the focus; resolves with its id once it is on screen. */
  show(spec: NoteWindowSpec): Promise<number>;
  /** Closes it unsent (result: 'closed'). Unknown/closed id: no-op. */
  close(id: number): Promise<void>;
  /** Resolves once when the window closes. Unknown id: rejects. */
  result(id: number): Promise<NoteResult>;
}

/** One line of „Anrufliste“. */
export interface CallListRow {
  id: string;
  /** Time, direction, number, contact, duration, result, DATEV — as shown, in column order. */
  cells: string[];
  /** Which actions apply to this call. */
  canNote: boolean;
  canSend: boolean;
  canAssign: boolean;
}

export interface CallListSpec {
  title: string;
  columns: string[];
  rows: CallListRow[];
  noteLabel: string;
  sendLabel: string;
  assignLabel: string;
  closeLabel: string;
}

export type CallListAction = 'note' | 'send' | 'assign';

export interface CallListPort {
  /**
   * Shows the call list (one window; when it is open already it shows these rows and comes to the
   * front). `onAction` gets the user's action on a selected row; `onClosed` when the user closed it.
   */
  show(spec: CallListSpec, onAction: (action: CallListAction, rowId: string) => void, onClosed: () => void): Promise<void>;
  /** New rows for the open window (the selection stays on the same row id). No window: no-op. */
  update(rows: CallListRow[]): Promise<void>;
  close(): Promise<void>;
}

export interface ContactChoice {
  id: string;
  label: string;
}

export interface ContactChooserSpec {
  title: string;
  heading: string;
  searchLabel: string;
  chooseLabel: string;
  cancelLabel: string;
}

export interface ContactChooserPort {
  /**
   * „Kontakt zuordnen…“: the user types part of a name, `search` answers with the matching contacts
   * (asked again as the text changes), the user picks one. Resolves with its id, or undefined when
   * cancelled.
   */
  choose(spec: ContactChooserSpec, search: (text: string) => Promise<ContactChoice[]>): Promise<string | undefined>;
}
