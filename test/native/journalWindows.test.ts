/**
 * The journal windows' adapters (src/native/journalWindows.ts) against a scripted native/ui (the real
 * windows run under Wine: test/wine/journalWindows.wine.test.ts): CR LF, close() winning over a
 * racing click, bounded waits, one call list window and whose handlers get its events, the chooser's
 * search tokens and status texts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CallListRow, CallListSpec, NoteWindowSpec } from '../../src/journal/windows';
import { CHOOSER_STATUS } from '../../src/journal/texts';
import {
  CLOSE_WAIT_MS,
  NativeCallList,
  NativeContactChooser,
  NativeNoteWindows,
  type NativeCallListEvent,
  type NativeChooserEvent,
  type NativeChooserSpec,
  type NativeJournalUi,
  type NativeNoteEvent,
} from '../../src/native/journalWindows';

function scriptedUi() {
  const notes: { spec: NoteWindowSpec; emit: (e: NativeNoteEvent) => void }[] = [];
  const lists: { spec: CallListSpec; emit: (e: NativeCallListEvent) => void }[] = [];
  const choosers: { spec: NativeChooserSpec; emit: (e: NativeChooserEvent) => void }[] = [];
  const calls: string[] = [];
  const results: [number, number, string[]][] = [];
  let listOpen = false;
  const ui: NativeJournalUi = {
    showNote(spec, onEvent) {
      notes.push({ spec, emit: onEvent });
      return notes.length;
    },
    closeNote(id) {
      calls.push(`closeNote ${id}`);
      return true;
    },
    showCallList(spec, onEvent) {
      if (listOpen) {
        calls.push(`rows ${spec.rows.map((r) => r.id).join(',')}`);
        return false;
      }
      listOpen = true;
      lists.push({ spec, emit: onEvent });
      return true;
    },
    updateCallList(rows) {
      calls.push(`update ${rows.map((r) => r.id).join(',')}`);
      return listOpen;
    },
    closeCallList() {
      calls.push('closeCallList');
      const was = listOpen;
      listOpen = false;
      return was;
    },
    showChooser(spec, onEvent) {
      choosers.push({ spec, emit: onEvent });
      return 100 + choosers.length;
    },
    setChooserResults(id, token, choices) {
      results.push([id, token, choices.map((c) => c.id)]);
      return true;
    },
  };
  return { ui, notes, lists, choosers, calls, results, closeList: () => (listOpen = false) };
}

const note: NoteWindowSpec = {
  title: 'Wildix CTI – Notiz',
  heading: 'Müller',
  text: 'Eingehender Anruf',
  maxLength: 2000,
  saveLabel: 'Speichern',
  discardLabel: 'Verwerfen',
  timeoutMs: 1000,
};

const row = (id: string): CallListRow => ({ id, cells: [id], canNote: true, canSend: false, canAssign: false });
const listSpec = (rows: CallListRow[]): CallListSpec => ({
  title: 'Wildix CTI – Anrufliste',
  columns: ['Zeit'],
  rows,
  noteLabel: 'Notiz an DATEV senden',
  sendLabel: 'An DATEV senden',
  assignLabel: 'Kontakt zuordnen…',
  closeLabel: 'Schließen',
});

const tick = () => new Promise<void>((r) => setImmediate(r));

afterEach(() => {
  vi.useRealTimers();
});

describe('NativeNoteWindows', () => {
  it('resolves show() once the window is on screen and gives the saved text with LF line ends', async () => {
    const s = scriptedUi();
    const port = new NativeNoteWindows(s.ui);
    const showing = port.show(note);
    expect(s.notes[0]!.spec).toEqual(note);
    s.notes[0]!.emit({ type: 'shown' });
    const id = await showing;
    s.notes[0]!.emit({ type: 'closed', reason: 'save', text: 'Zeile 1\r\nZeile 2' });
    expect(await port.result(id)).toEqual({ reason: 'save', text: 'Zeile 1\nZeile 2' });
    for (const reason of ['discard', 'timeout', 'closed'] as const) {
      const next = port.show(note);
      const n = s.notes[s.notes.length - 1]!;
      n.emit({ type: 'shown' });
      const nid = await next;
      n.emit({ type: 'closed', reason, text: '' });
      expect(await port.result(nid)).toEqual({ reason });
    }
  });

  it('gives "closed" when close() came before the result of a click the window handled first; closed ones are left alone', async () => {
    const s = scriptedUi();
    const port = new NativeNoteWindows(s.ui);
    const showing = port.show(note);
    s.notes[0]!.emit({ type: 'shown' });
    const id = await showing;
    const closing = port.close(id);
    s.notes[0]!.emit({ type: 'closed', reason: 'save', text: 'zu spät' });
    await closing;
    expect(await port.result(id)).toEqual({ reason: 'closed' });
    await port.close(id); // gone already: native is not asked again
    expect(s.calls).toEqual([`closeNote ${id}`]);
  });

  it('rejects show() when the window cannot be shown (result "failed"), and result() of an unknown id', async () => {
    const s = scriptedUi();
    const port = new NativeNoteWindows(s.ui);
    const showing = port.show(note);
    s.notes[0]!.emit({ type: 'failed', message: 'no desktop' });
    await expect(showing).rejects.toThrow(/the note window cannot be shown: no desktop/);
    expect(await port.result(1)).toEqual({ reason: 'failed' });
    await expect(port.result(42)).rejects.toThrow(/no note window 42/);
  });

  it('waits for a closing window at most CLOSE_WAIT_MS (a window thread that hangs does not hold the program)', async () => {
    vi.useFakeTimers();
    const s = scriptedUi();
    const port = new NativeNoteWindows(s.ui);
    const showing = port.show(note);
    s.notes[0]!.emit({ type: 'shown' });
    const id = await showing;
    let done = false;
    const closing = port.closeAll().then(() => (done = true));
    await vi.advanceTimersByTimeAsync(CLOSE_WAIT_MS - 1);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await closing;
    expect(done).toBe(true);
    expect(s.calls).toEqual([`closeNote ${id}`]);
  });
});

describe('NativeCallList', () => {
  it('opens one window; showing it again hands over the rows, and its events go to the newest handlers', async () => {
    const s = scriptedUi();
    const port = new NativeCallList(s.ui);
    const first: string[] = [];
    const second: string[] = [];
    const opening = port.show(listSpec([row('a')]), (a, id) => first.push(`${a} ${id}`), () => first.push('closed'));
    s.lists[0]!.emit({ type: 'shown' });
    await opening;
    s.lists[0]!.emit({ type: 'action', action: 'note', rowId: 'a' });
    await port.show(listSpec([row('b')]), (a, id) => second.push(`${a} ${id}`), () => second.push('closed'));
    expect(s.lists).toHaveLength(1);
    expect(s.calls).toEqual(['rows b']);
    s.lists[0]!.emit({ type: 'action', action: 'send', rowId: 'b' });
    await port.update([row('c')]);
    s.lists[0]!.emit({ type: 'closed' });
    expect(first).toEqual(['note a']);
    expect(second).toEqual(['send b', 'closed']);
    expect(s.calls).toEqual(['rows b', 'update c']);
  });

  it('close() waits until the window is gone and reports no onClosed for it', async () => {
    const s = scriptedUi();
    const port = new NativeCallList(s.ui);
    let closed = 0;
    const opening = port.show(listSpec([row('a')]), () => undefined, () => closed++);
    s.lists[0]!.emit({ type: 'shown' });
    await opening;
    let gone = false;
    const closing = port.close().then(() => (gone = true));
    await tick();
    expect(gone).toBe(false);
    s.lists[0]!.emit({ type: 'closed' });
    await closing;
    expect(closed).toBe(0);
    await port.close(); // nothing open: returns at once
    expect(s.calls).toEqual(['closeCallList', 'closeCallList']);
  });

  it('rejects show() when the window cannot be shown; a later show opens a new one', async () => {
    const s = scriptedUi();
    const port = new NativeCallList(s.ui);
    const opening = port.show(listSpec([]), () => undefined, () => undefined);
    s.closeList();
    s.lists[0]!.emit({ type: 'failed', message: 'no desktop' });
    await expect(opening).rejects.toThrow(/the call list cannot be shown: no desktop/);
    const again = port.show(listSpec([]), () => undefined, () => undefined);
    s.lists[1]!.emit({ type: 'shown' });
    await again;
    expect(s.lists).toHaveLength(2);
  });
});

describe('NativeContactChooser', () => {
  it('adds the status texts, answers each search with its token (a failed search with no matches) and resolves with the pick', async () => {
    const s = scriptedUi();
    const chooser = new NativeContactChooser(s.ui);
    const spec = { title: 'Wildix CTI – Kontakt zuordnen', heading: '089 1', searchLabel: 'Name:', chooseLabel: 'Zuordnen', cancelLabel: 'Abbrechen' };
    const picked = chooser.choose(spec, async (text) => {
      if (text === 'kaputt') throw new Error('index not ready');
      return [{ id: `X:${text}`, label: text }];
    });
    const c = s.choosers[0]!;
    expect(c.spec).toEqual({ ...spec, searchingText: CHOOSER_STATUS.searching, noResultsText: CHOOSER_STATUS.noResults });
    c.emit({ type: 'search', text: 'Mü', token: 1 });
    c.emit({ type: 'search', text: 'kaputt', token: 2 });
    await tick();
    expect(s.results).toEqual([
      [101, 1, ['X:Mü']],
      [101, 2, []],
    ]);
    c.emit({ type: 'closed', chosen: 'X:Mü' });
    expect(await picked).toBe('X:Mü');
  });

  it('resolves with nothing when cancelled or when the window cannot be shown', async () => {
    const s = scriptedUi();
    const chooser = new NativeContactChooser(s.ui);
    const spec = { title: 'T', heading: 'H', searchLabel: 'Name:', chooseLabel: 'Zuordnen', cancelLabel: 'Abbrechen' };
    const cancelled = chooser.choose(spec, async () => []);
    s.choosers[0]!.emit({ type: 'closed', chosen: null });
    expect(await cancelled).toBeUndefined();
    const failed = chooser.choose(spec, async () => []);
    s.choosers[1]!.emit({ type: 'failed', message: 'no desktop' });
    expect(await failed).toBeUndefined();
  });
});
