/**
 * The journal's windows over native/ui (addon.ui): the note after a call, the call list, the contact
 * chooser. Each window runs on its own thread in the addon; events come back on the JS thread.
 * Native surface (typed here, implemented in native/ui, described in native/ui/README.md):
 *
 *   showNote(spec, onEvent) → id          onEvent: {type:'shown'} | {type:'failed', message}
 *   closeNote(id) → bool                           | {type:'closed', reason:'save'|'discard'|'closed'|'timeout', text}
 *   showCallList(spec, onEvent) → bool    onEvent: {type:'shown'} | {type:'failed', message}
 *   updateCallList(rows) → bool                    | {type:'action', action:'note'|'send'|'assign', rowId} | {type:'closed'}
 *   closeCallList() → bool
 *   showChooser(spec, onEvent) → id       onEvent: {type:'shown'} | {type:'failed', message}
 *   setChooserResults(id, token, choices) → bool   | {type:'search', text, token} | {type:'closed', chosen: string|null}
 */
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

export interface NativeJournalUi {
  showNote(spec: NoteWindowSpec, onEvent: (e: NativeNoteEvent) => void): number;
  closeNote(id: number): boolean;
  showCallList(spec: CallListSpec, onEvent: (e: NativeCallListEvent) => void): boolean;
  updateCallList(rows: CallListRow[]): boolean;
  closeCallList(): boolean;
  showChooser(spec: ContactChooserSpec, onEvent: (e: NativeChooserEvent) => void): number;
  setChooserResults(id: number, token: number, choices: ContactChoice[]): boolean;
}

interface NoteState {
  shown: Promise<void>;
  result: Promise<NoteResult>;
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
    };
    const id = this.ui.showNote(spec, (e) => {
      if (e.type === 'shown') shown();
      else if (e.type === 'failed') {
        failed(new Error(`the note window cannot be shown: ${e.message}`));
        done({ reason: 'failed' });
      } else done(e.reason === 'save' ? { reason: 'save', text: unixLines(e.text) } : { reason: e.reason });
    });
    this.notes.set(id, state);
    void state.result.then(() => setTimeout(() => this.notes.delete(id), 60_000).unref?.());
    await state.shown;
    return id;
  }

  async close(id: number): Promise<void> {
    this.ui.closeNote(id);
    await this.notes.get(id)?.result;
  }

  result(id: number): Promise<NoteResult> {
    const n = this.notes.get(id);
    return n ? n.result : Promise.reject(new Error(`no note window ${id}`));
  }
}

export class NativeCallList implements CallListPort {
  private handlers: { onAction: (a: CallListAction, rowId: string) => void; onClosed: () => void } | undefined;

  constructor(private readonly ui: NativeJournalUi) {}

  show(spec: CallListSpec, onAction: (a: CallListAction, rowId: string) => void, onClosed: () => void): Promise<void> {
    this.handlers = { onAction, onClosed };
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const opened = this.ui.showCallList(spec, (e) => {
        if (e.type === 'shown' && !settled) {
          settled = true;
          resolve();
        } else if (e.type === 'failed' && !settled) {
          settled = true;
          reject(new Error(`the call list cannot be shown: ${e.message}`));
        } else if (e.type === 'action') this.handlers?.onAction(e.action, e.rowId);
        else if (e.type === 'closed') {
          const h = this.handlers;
          this.handlers = undefined;
          h?.onClosed();
        }
      });
      // open already: the same window shows the new rows (no second 'shown')
      if (!opened && !settled) {
        settled = true;
        resolve();
      }
    });
  }

  async update(rows: CallListRow[]): Promise<void> {
    this.ui.updateCallList(rows);
  }

  async close(): Promise<void> {
    this.handlers = undefined;
    this.ui.closeCallList();
  }
}

export class NativeContactChooser implements ContactChooserPort {
  constructor(private readonly ui: NativeJournalUi) {}

  choose(spec: ContactChooserSpec, search: (text: string) => Promise<ContactChoice[]>): Promise<string | undefined> {
    return new Promise<string | undefined>((resolve) => {
      let id = 0;
      id = this.ui.showChooser(spec, (e) => {
        if (e.type === 'search') {
          void search(e.text).then(
            (choices) => this.ui.setChooserResults(id, e.token, choices),
            () => this.ui.setChooserResults(id, e.token, []),
          );
        } else if (e.type === 'failed') resolve(undefined);
        else if (e.type === 'closed') resolve(e.chosen ?? undefined);
      });
    });
  }
}
