/**
 * The journal's windows over native/ui (addon.ui): the note after a call, the call list, the contact
 * chooser. Each window runs on its own thread in the addon; events come back on the JS thread.
 * Native surface (typed here, implemented in native/ui/journal_module.cc, described in native/ui/README.md):
 *
 *   showNote(spec, onEvent) → id          onEvent: {type:'shown'} | {type:'failed', message}
 *   closeNote(id) → bool                           | {type:'closed', reason:'save'|'discard'|'closed'|'timeout', text}
 *   showCallList(spec, onEvent) → bool    onEvent: {type:'shown'} | {type:'failed', message}
 *   updateCallList(rows) → bool                    | {type:'action', action:'note'|'send'|'assign', rowId} | {type:'closed'}
 *   closeCallList() → bool                (also closes open contact choosers)
 *   showChooser(spec, onEvent) → id       onEvent: {type:'shown'} | {type:'failed', message}
 *   setChooserResults(id, token, choices) → bool   | {type:'search', text, token} | {type:'closed', chosen: string|null}
 *
 * showCallList returns true for a new window (then 'shown' follows) and false when the open one took
 * the rows and came to the front. The chooser's spec carries two status texts besides the port's.
 */
import { CHOOSER_STATUS } from '../journal/texts';
import type {
  CallListAction,
  CallListPort,
  CallListRow,
  CallListSpec,
  ContactChoice,
  ContactChooserPort,
  ContactChooserSpec,
  NoteResult,
  NoteWindowPort,
  NoteWindowSpec,
} from '../journal/windows';
import { guarded } from './guard';

export type NativeNoteEvent =
  | { type: 'shown' }
  | { type: 'failed'; message: string }
  | { type: 'closed'; reason: 'save' | 'discard' | 'closed' | 'timeout'; text: string };

export type NativeCallListEvent =
  | { type: 'shown' }
  | { type: 'failed'; message: string }
  | { type: 'action'; action: CallListAction; rowId: string }
  | { type: 'closed' };

export type NativeChooserEvent =
  | { type: 'shown' }
  | { type: 'failed'; message: string }
  | { type: 'search'; text: string; token: number }
  | { type: 'closed'; chosen: string | null };

/** The chooser as native/ui shows it: the port's spec plus its status line. */
export interface NativeChooserSpec extends ContactChooserSpec {
  /** While the contacts for the typed text are being looked up. */
  searchingText: string;
  /** When nothing matches the typed text. */
  noResultsText: string;
}


export interface NativeJournalUi {
  showNote(spec: NoteWindowSpec, onEvent: (e: NativeNoteEvent) => void): number;
  closeNote(id: number): boolean;
  showCallList(spec: CallListSpec, onEvent: (e: NativeCallListEvent) => void): boolean;
  updateCallList(rows: CallListRow[]): boolean;
  closeCallList(): boolean;
  showChooser(spec: NativeChooserSpec, onEvent: (e: NativeChooserEvent) => void): number;
  setChooserResults(id: number, token: number, choices: ContactChoice[]): boolean;
}

/** Longest wait for a window to go after it was closed from code (its thread may hang in Win32). */
export const CLOSE_WAIT_MS = 5000;

/** Resolves when `p` settles or after `ms`, whichever comes first; never rejects. */
function within(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref?.();
    p.then(
      () => (clearTimeout(timer), resolve()),
      () => (clearTimeout(timer), resolve()),
    );
  });
}

interface NoteState {
  shown: Promise<void>;
  result: Promise<NoteResult>;
  /** close() was called: the result is 'closed', even if a click's result was still on its way. */
  closeRequested: boolean;
  open: boolean;
}

/** Edit controls end lines with CR LF; the program keeps LF. */
const unixLines = (text: string): string => text.replace(/\r\n/g, '\n');

export class NativeNoteWindows implements NoteWindowPort {
  private readonly notes = new Map<number, NoteState>();

  constructor(private readonly ui: NativeJournalUi) {}

  async show(spec: NoteWindowSpec): Promise<number> {
    let shown: () => void = () => undefined;
    let failed: (e: Error) => void = () => undefined;
    let done: (r: NoteResult) => void = () => undefined;
    const state: NoteState = {
      shown: new Promise<void>((resolve, reject) => ((shown = resolve), (failed = reject))),
      result: new Promise<NoteResult>((resolve) => (done = resolve)),
      closeRequested: false,
      open: true,
    };
    const id = this.ui.showNote(spec, guarded('note window', (e) => {
      if (e.type === 'shown') shown();
      else if (e.type === 'failed') {
        state.open = false;
        failed(new Error(`the note window cannot be shown: ${e.message}`));
        done({ reason: 'failed' });
      } else {
        state.open = false;
        if (state.closeRequested) done({ reason: 'closed' });
        else done(e.reason === 'save' ? { reason: 'save', text: unixLines(e.text) } : { reason: e.reason });
      }
    }));
    this.notes.set(id, state);
    void state.result.then(() => setTimeout(() => this.notes.delete(id), 60_000).unref?.());
    await state.shown;
    return id;
  }

  async close(id: number): Promise<void> {
    const n = this.notes.get(id);
    if (!n || !n.open) return;
    n.closeRequested = true;
    this.ui.closeNote(id);
    await within(n.result, CLOSE_WAIT_MS);
  }

  result(id: number): Promise<NoteResult> {
    const n = this.notes.get(id);
    return n ? n.result : Promise.reject(new Error(`no note window ${id}`));
  }

  /** Closes every open note window (result 'closed') and waits until they are gone. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.notes.keys()].map((id) => this.close(id)));
  }
}

interface ListWindow {
  handlers: { onAction: (a: CallListAction, rowId: string) => void; onClosed: () => void } | undefined;
  closed: Promise<void>;
}

export class NativeCallList implements CallListPort {
  private current: ListWindow | undefined;

  constructor(private readonly ui: NativeJournalUi) {}

  show(spec: CallListSpec, onAction: (a: CallListAction, rowId: string) => void, onClosed: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let markClosed: () => void = () => undefined;
      const win: ListWindow = { handlers: { onAction, onClosed }, closed: new Promise<void>((r) => (markClosed = r)) };
      const opened = this.ui.showCallList(spec, guarded('call list', (e) => {
        if (e.type === 'shown' && !settled) {
          settled = true;
          resolve();
        } else if (e.type === 'failed') {
          markClosed();
          if (this.current === win) this.current = undefined;
          if (!settled) {
            settled = true;
            reject(new Error(`the call list cannot be shown: ${e.message}`));
          }
        } else if (e.type === 'action') win.handlers?.onAction(e.action, e.rowId);
        else if (e.type === 'closed') {
          markClosed();
          if (this.current === win) this.current = undefined;
          const h = win.handlers;
          win.handlers = undefined;
          h?.onClosed();
        }
      }));
      if (opened) {
        this.current = win;
        return;
      }
      // open already: that window shows the new rows (no second 'shown'); its events go to these handlers
      if (this.current) this.current.handlers = { onAction, onClosed };
      settled = true;
      resolve();
    });
  }

  async update(rows: CallListRow[]): Promise<void> {
    this.ui.updateCallList(rows);
  }

  /** Closes the window (no onClosed for it) and waits until it is gone. */
  async close(): Promise<void> {
    const win = this.current;
    if (win) win.handlers = undefined;
    const open = this.ui.closeCallList();
    if (open && win) await within(win.closed, CLOSE_WAIT_MS);
  }
}

export class NativeContactChooser implements ContactChooserPort {
  constructor(private readonly ui: NativeJournalUi) {}

  choose(spec: ContactChooserSpec, search: (text: string) => Promise<ContactChoice[]>): Promise<string | undefined> {
    return new Promise<string | undefined>((resolve) => {
      let id = 0;
      const native: NativeChooserSpec = { ...spec, searchingText: CHOOSER_STATUS.searching, noResultsText: CHOOSER_STATUS.noResults };
      id = this.ui.showChooser(native, guarded('contact chooser', (e) => {
        if (e.type === 'search') {
          void search(e.text).then(
            (choices) => this.ui.setChooserResults(id, e.token, choices),
            () => this.ui.setChooserResults(id, e.token, []),
          );
        } else if (e.type === 'failed') resolve(undefined);
        else if (e.type === 'closed') resolve(e.chosen ?? undefined);
      }));
    });
  }
}
