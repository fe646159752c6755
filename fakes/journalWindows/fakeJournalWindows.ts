/**
 * In-memory journal windows: `notes`, `callList`, `chooser` are the ports; `user` plays the person in
 * front of them. The note window's timeout runs on the injected clock.
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
} from '../../src/journal/windows';
import { systemClock, type Clock } from '../../src/util/clock';
import { MemoryJournal } from '../journal/memoryJournal';

interface OpenNote {
  id: number;
  spec: NoteWindowSpec;
  result: Promise<NoteResult>;
  finish: (r: NoteResult) => void;
  open: boolean;
}

export interface NoteWindowUser {
  /** The note windows on screen, oldest first. */
  openNotes(): { id: number; spec: NoteWindowSpec }[];
  /** Types `text` (cut at the window's maxLength, as the Edit control does) and presses „Speichern“. */
  save(id: number, text: string): void;
  /** „Verwerfen“. */
  discard(id: number): void;
}

export interface CallListUser {
  /** The rows of the open call list, or undefined when it is not open. */
  rows(): CallListRow[] | undefined;
  spec(): CallListSpec | undefined;
  /** Selects the row and presses the action's button (a disabled action does nothing). */
  act(action: CallListAction, rowId: string): void;
  close(): void;
  /** The open „Kontakt zuordnen…“ window, if any. */
  chooser(): ContactChooserSpec | undefined;
  /** Types into its search field; resolves with the choices shown. */
  search(text: string): Promise<ContactChoice[]>;
  pick(id: string): void;
  cancel(): void;
}

export class FakeJournalWindows {
  readonly notes: NoteWindowPort;
  readonly callList: CallListPort;
  readonly chooser: ContactChooserPort;
  readonly noteUser: NoteWindowUser;
  readonly listUser: CallListUser;
  /** Every note window ever shown (for assertions). */
  readonly shownNotes: NoteWindowSpec[] = [];
  failShow = false;
  private readonly openNotes = new Map<number, OpenNote>();
  private nextId = 1;
  private list: { spec: CallListSpec; onAction: (a: CallListAction, row: string) => void; onClosed: () => void } | undefined;
  private choosing: { spec: ContactChooserSpec; search: (t: string) => Promise<ContactChoice[]>; shown: ContactChoice[]; done: (id: string | undefined) => void } | undefined;

  constructor(private readonly clock: Clock = systemClock) {
    this.notes = {
      show: async (spec) => {
        if (this.failShow) throw new Error('no desktop');
        const id = this.nextId++;
        let finish: (r: NoteResult) => void = () => undefined;
        const result = new Promise<NoteResult>((r) => (finish = r));
        const note: OpenNote = { id, spec, result, finish, open: true };
        this.openNotes.set(id, note);
        this.shownNotes.push(spec);
        const cancel = this.clock.setTimeout(() => this.finishNote(id, { reason: 'timeout' }), spec.timeoutMs);
        void result.then(cancel);
        return id;
      },
      close: async (id) => this.finishNote(id, { reason: 'closed' }),
      result: async (id) => {
        const n = this.openNotes.get(id);
        if (!n) throw new Error(`no note window ${id}`);
        return n.result;
      },
    };
    this.callList = {
      show: async (spec, onAction, onClosed) => {
        this.list = { spec, onAction, onClosed };
      },
      update: async (rows) => {
        if (this.list) this.list.spec = { ...this.list.spec, rows };
      },
      close: async () => {
        this.list = undefined;
      },
    };
    this.chooser = {
      choose: (spec, search) =>
        new Promise<string | undefined>((resolve) => {
          this.choosing = { spec, search, shown: [], done: resolve };
        }),
    };
    this.noteUser = {
      openNotes: () => [...this.openNotes.values()].filter((n) => n.open).map((n) => ({ id: n.id, spec: n.spec })),
      save: (id, text) => this.finishNote(id, { reason: 'save', text: text.slice(0, this.openNotes.get(id)?.spec.maxLength ?? 0) }),
      discard: (id) => this.finishNote(id, { reason: 'discard' }),
    };
    this.listUser = {
      rows: () => this.list?.spec.rows,
      spec: () => this.list?.spec,
      act: (action, rowId) => {
        const row = this.list?.spec.rows.find((r) => r.id === rowId);
        if (!row || !this.list) return;
        const enabled = action === 'note' ? row.canNote : action === 'send' ? row.canSend : row.canAssign;
        if (enabled) this.list.onAction(action, rowId);
      },
      close: () => {
        const l = this.list;
        this.list = undefined;
        l?.onClosed();
      },
      chooser: () => this.choosing?.spec,
      search: async (text) => {
        const c = this.choosing;
        if (!c) throw new Error('no chooser open');
        c.shown = await c.search(text);
        return c.shown;
      },
      pick: (id) => {
        const c = this.choosing;
        if (!c || !c.shown.some((x) => x.id === id)) return;
        this.choosing = undefined;
        c.done(id);
      },
      cancel: () => {
        const c = this.choosing;
        this.choosing = undefined;
        c?.done(undefined);
      },
    };
  }

  private finishNote(id: number, r: NoteResult): void {
    const n = this.openNotes.get(id);
    if (!n || !n.open) return;
    n.open = false;
    n.finish(r);
  }
}

/** Journal ports on fakes (an in-memory store and fake windows), for tests that do not look at them. */
export function fakeJournalPorts(clock?: Clock): { store: MemoryJournal; notes: NoteWindowPort; list: CallListPort; chooser: ContactChooserPort } {
  const w = new FakeJournalWindows(clock);
  return { store: new MemoryJournal(), notes: w.notes, list: w.callList, chooser: w.chooser };
}
