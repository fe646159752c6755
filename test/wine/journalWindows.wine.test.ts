/**
 * The journal windows contract (contracts/journalWindows.contract.ts) against the real native windows
 * (native/ui: note, call list, contact chooser) inside Wine's node.exe, with win-user.exe as the user;
 * plus what the contract does not cover: the note does not take the keyboard focus from the program
 * the user is typing in, a real mouse click into it lets the user type there with the real keyboard,
 * the call list is usable with the keyboard alone, bad input, and screenshots for a human look.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { journalWindowsContract } from '../../contracts/journalWindows.contract';
import { CALL_LIST_TITLE, CHOOSER_TITLE, COLUMNS, LABELS, NOTE_TITLE } from '../../src/journal/texts';
import type { CallListAction, CallListRow, CallListSpec, NoteWindowSpec } from '../../src/journal/windows';
import { connectHost, type RemoteHost } from './remote';
import { paths, screenshot, VIRTUAL_DESKTOP, wineEnv } from './env';
import { CHOOSER_STATUS } from '../../src/journal/texts';
import { journalWindowsUser, listWindows, newestWindow, typeInto, winUserJsonSync, type WinUserWindow } from './winUser';

const display = inject('display');
let host: RemoteHost;

beforeAll(async () => {
  if (!display) throw new Error('no X display: run the Wine tests with npm run test:wine (vitest.wine.config.ts)');
  host = await connectHost({ display, logName: 'journal-windows-host.log' });
});

afterAll(async () => {
  await host?.close();
});

journalWindowsContract('native windows under Wine', async () => {
  const w = host.remoteJournalWindows();
  return { notes: w.notes, list: w.list, chooser: w.chooser, user: journalWindowsUser(display, w.shownRows), dispose: () => w.dispose() };
});

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 15000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Foreground {
  title: string;
  class: string;
  focusClass: string;
}

function foreground(): Foreground {
  return winUserJsonSync<Foreground>(wineEnv(display), ['foreground']);
}

/** Real X input (mouse, keyboard) through the virtual desktop. */
function xdotool(...args: string[]): void {
  const r = spawnSync('xdotool', args, { env: { ...process.env, DISPLAY: display }, encoding: 'utf8', timeout: 20000 });
  if (r.status !== 0) throw new Error(`xdotool ${args.join(' ')} failed (${r.status ?? r.error?.message}): ${r.stderr}`);
}

const centre = (r: [number, number, number, number]): [string, string] => [String(Math.round((r[0] + r[2]) / 2)), String(Math.round((r[1] + r[3]) / 2))];

const note: NoteWindowSpec = {
  title: NOTE_TITLE,
  heading: 'Müller & Söhne GmbH (+49 911 2345678)',
  text: 'Eingehender Anruf am 02.12.2026 09:30, Dauer 4:05',
  maxLength: 2000,
  saveLabel: LABELS.save,
  discardLabel: LABELS.discard,
  timeoutMs: 60000,
};

function row(n: number, overrides: Partial<CallListRow> = {}): CallListRow {
  return {
    id: `call-${n}`,
    cells: [`02.12.2026 09:3${n}`, 'eingehend', `0911 234567${n}`, n === 2 ? '–' : 'Müller & Söhne GmbH (10042)', '4:05', 'verbunden', n === 2 ? 'nein (abgelehnt)' : 'ja'],
    canNote: true,
    canSend: n === 2,
    canAssign: n === 2,
    ...overrides,
  };
}

const listSpec = (rows: CallListRow[]): CallListSpec => ({
  title: CALL_LIST_TITLE,
  columns: COLUMNS,
  rows,
  noteLabel: LABELS.note,
  sendLabel: LABELS.send,
  assignLabel: LABELS.assign,
  closeLabel: LABELS.close,
});

describe('journal windows under Wine: beyond the contract', () => {
  it('the note appears without taking the focus from the editor; a real click into it lets the user type there', async () => {
    const EDITOR = 'Mandantenbrief – Editor';
    const editor: ChildProcess = spawn('wine', ['explorer', `/desktop=${VIRTUAL_DESKTOP}`, paths.winUser, 'editor', EDITOR], {
      env: wineEnv(display),
      stdio: 'ignore',
    });
    const w = host.remoteJournalWindows();
    try {
      await until('the editor in front with the keyboard focus', () => {
        const f = foreground();
        return f.title === EDITOR && f.focusClass.toLowerCase() === 'edit' ? f : undefined;
      });
      const id = await w.notes.show(note);
      const shown = (await listWindows(display)).find((x) => x.id === id)!;
      expect(shown).toMatchObject({ kind: 'note', title: NOTE_TITLE, topmost: true, noActivate: true, focused: false, dpiAwareness: 2 });
      expect(shown.texts).toEqual([note.heading, note.text]);
      expect(shown.buttons).toEqual([
        { label: 'Speichern', enabled: true },
        { label: 'Verwerfen', enabled: true },
      ]);
      expect(foreground()).toMatchObject({ title: EDITOR, focusClass: 'Edit' });
      screenshot(display, 'journal-note');

      // the user clicks into the note's text field and types with the real keyboard
      xdotool('mousemove', ...centre(shown.editRects[0]!), 'click', '1');
      await until('the note in front with the focus in its text field', () => {
        const f = foreground();
        return f.title === NOTE_TITLE && f.focusClass.toLowerCase() === 'edit' ? f : undefined;
      });
      xdotool('type', '--delay', '20', 'Rueckruf morgen');
      xdotool('key', 'Return');
      xdotool('type', '--delay', '20', 'Unterlagen folgen');
      await until('the typed text in the note', async () => {
        const now = (await listWindows(display)).find((x) => x.id === id);
        return now?.edits[0] === 'Rueckruf morgen\r\nUnterlagen folgen' ? now : undefined;
      });
      // Alt+S (the mnemonic of „Speichern“) saves it
      xdotool('key', 'alt+s');
      expect(await w.notes.result(id)).toEqual({ reason: 'save', text: 'Rueckruf morgen\nUnterlagen folgen' });
      expect((await listWindows(display)).some((x) => x.id === id)).toBe(false);
    } finally {
      await w.dispose();
      spawnSync('wine', ['explorer', `/desktop=${VIRTUAL_DESKTOP}`, paths.winUser, 'close', EDITOR], { env: wineEnv(display), stdio: 'ignore', timeout: 20000 });
      await until('the editor to end', () => (editor.exitCode !== null ? true : undefined)).catch(() => editor.kill('SIGKILL'));
    }
  });

  it('the call list takes the focus and works with the keyboard: arrows, Alt+letter, Enter, Esc', async () => {
    const w = host.remoteJournalWindows();
    const actions: [CallListAction, string][] = [];
    let closed = 0;
    try {
      await w.list.show(listSpec([row(1), row(2), row(3)]), (a, id) => actions.push([a, id]), () => closed++);
      const list = await until('the call list in front', async () => {
        const l = await newestWindow(display, 'calllist');
        return l?.focused ? l : undefined;
      });
      expect(list).toMatchObject({ title: CALL_LIST_TITLE, topmost: false, noActivate: false, dpiAwareness: 2 });
      expect(list.lists[0]!.columns).toEqual(COLUMNS);
      expect(list.lists[0]!.rows).toEqual([row(1).cells, row(2).cells, row(3).cells]);
      expect(list.lists[0]!.selected).toBe(0); // the newest call is selected when the list opens
      // the first row allows a note only
      expect(list.buttons).toEqual([
        { label: LABELS.note, enabled: true },
        { label: LABELS.send, enabled: false },
        { label: LABELS.assign, enabled: false },
        { label: LABELS.close, enabled: true },
      ]);
      expect(foreground()).toMatchObject({ title: CALL_LIST_TITLE, focusClass: 'SysListView32' });
      screenshot(display, 'journal-calllist');

      xdotool('key', 'Down'); // to the refused call
      const second = await until('the second row selected', async () => {
        const l = await newestWindow(display, 'calllist');
        return l?.lists[0]?.selected === 1 ? l : undefined;
      });
      expect(second.buttons.map((b) => b.enabled)).toEqual([true, true, true, true]);
      xdotool('key', 'Return'); // Enter on a call: its note
      xdotool('key', 'alt+a'); // „&An DATEV senden“
      await until('two actions', () => (actions.length >= 2 ? true : undefined));
      expect(actions).toEqual([
        ['note', 'call-2'],
        ['send', 'call-2'],
      ]);
      // new rows keep the selection on the same call, wherever it is now
      await w.list.update([row(4), row(1), row(2), row(3)]);
      const updated = await until('the new rows', async () => {
        const l = await newestWindow(display, 'calllist');
        return l?.lists[0]?.rows.length === 4 ? l : undefined;
      });
      expect(updated.lists[0]!.selected).toBe(2);
      xdotool('key', 'Escape');
      await until('the close to be reported', () => (closed === 1 ? true : undefined));
      expect(await newestWindow(display, 'calllist')).toBeUndefined();
    } finally {
      await w.dispose();
    }
  });

  it('the contact chooser shows only the answer to the latest text, takes the keyboard, and closes with the call list', async () => {
    const w = host.remoteJournalWindows();
    try {
      await w.list.show(listSpec([row(2)]), () => undefined, () => undefined);
      const asked: string[] = [];
      // the answers to "M" and "Müll" are held back until the test lets them go
      const held = new Map<string, () => void>();
      const answered = new Set<string>();
      const release = (text: string) => held.get(text)?.();
      const chosen = w.chooser.choose(
        { title: CHOOSER_TITLE, heading: '0911 2345672', searchLabel: LABELS.search, chooseLabel: LABELS.choose, cancelLabel: LABELS.cancel },
        async (text) => {
          asked.push(text);
          if (text === 'M' || text === 'Müll') await new Promise<void>((r) => held.set(text, r));
          answered.add(text);
          return text === 'nix' ? [] : [{ id: `DATEV_Adressaten:${text.length}`, label: `Treffer für ${text}` }];
        },
      );
      const chooser = await until('the contact chooser in front', async () => {
        const c = await newestWindow(display, 'chooser');
        return c?.focused ? c : undefined;
      });
      expect(chooser).toMatchObject({ title: CHOOSER_TITLE, texts: ['0911 2345672', 'Name:'], dpiAwareness: 2 });
      expect(chooser.buttons).toEqual([
        { label: LABELS.choose, enabled: false },
        { label: LABELS.cancel, enabled: true },
      ]);
      expect(foreground()).toMatchObject({ title: CHOOSER_TITLE, focusClass: 'Edit' });
      await typeInto(display, chooser.id, 'M');
      await until('the search for "M"', () => (asked.includes('M') ? true : undefined));
      await typeInto(display, chooser.id, 'Mül');
      const shown = await until('the answer to "Mül"', async () => {
        const c = await newestWindow(display, 'chooser');
        return c && !c.texts.includes(CHOOSER_STATUS.searching) ? c : undefined;
      });
      expect(shown.lists[0]!.rows).toEqual([['Treffer für Mül']]);
      expect(shown.buttons[0]).toEqual({ label: LABELS.choose, enabled: true });
      // now the answer to "M" arrives: the host hands it to the window (a call to the host after it
      // returns once that is done) …
      release('M');
      await until('the answer to "M" to be given', () => (answered.has('M') ? true : undefined));
      await host.pingHost();
      // … and a real keystroke, queued behind it, shows when the window has handled it (the answer to
      // "Müll" it starts is held back meanwhile)
      xdotool('type', 'l');
      const after = await until('the keystroke', async () => {
        const c = await newestWindow(display, 'chooser');
        return c?.edits[0] === 'Müll' ? c : undefined;
      });
      expect(after.lists[0]!.rows).toEqual([['Treffer für Mül']]); // not the late answer to "M"
      await until('the search for "Müll"', () => (asked.includes('Müll') ? true : undefined));
      expect((await newestWindow(display, 'chooser'))!.texts).toContain(CHOOSER_STATUS.searching);
      release('Müll');
      const latest = await until('the answer to "Müll"', async () => {
        const c = await newestWindow(display, 'chooser');
        return c && !c.texts.includes(CHOOSER_STATUS.searching) ? c : undefined;
      });
      expect(latest.lists[0]!.rows).toEqual([['Treffer für Müll']]);
      await typeInto(display, chooser.id, 'nix');
      const none = await until('the answer to "nix"', async () => {
        const c = await newestWindow(display, 'chooser');
        return c && c.texts.includes(CHOOSER_STATUS.noResults) ? c : undefined;
      });
      expect(none.lists[0]!.rows).toEqual([]);
      expect(none.buttons[0]).toEqual({ label: LABELS.choose, enabled: false });
      expect(asked.filter((t) => t !== 'M' && t !== 'Mül' && t !== 'Müll' && t !== 'nix')).toEqual([]); // one search per pause in typing
      screenshot(display, 'journal-chooser');
      // the call list closes from code: its chooser goes with it, choosing nothing
      await w.list.close();
      expect(await chosen).toBeUndefined();
      expect(await newestWindow(display, 'chooser')).toBeUndefined();
    } finally {
      await w.dispose();
    }
  });

  it('the chooser picks with the keyboard: type, Enter takes the selected match', async () => {
    const w = host.remoteJournalWindows();
    try {
      const chosen = w.chooser.choose(
        { title: CHOOSER_TITLE, heading: '0911 2345672', searchLabel: LABELS.search, chooseLabel: LABELS.choose, cancelLabel: LABELS.cancel },
        async () => [
          { id: 'DATEV_Adressaten:10042', label: 'Müller & Söhne GmbH (10042)' },
          { id: 'DATEV_Adressaten:10077', label: 'Müller Bau KG (10077)' },
        ],
      );
      await until('the contact chooser in front', async () => {
        const c = await newestWindow(display, 'chooser');
        return c?.focused ? c : undefined;
      });
      xdotool('type', '--delay', '30', 'mueller');
      const shown = await until('the matches', async () => {
        const c = await newestWindow(display, 'chooser');
        return c && c.lists[0]!.rows.length === 2 && !c.texts.includes(CHOOSER_STATUS.searching) ? c : undefined;
      });
      expect(shown.edits).toEqual(['mueller']);
      expect(shown.lists[0]!.selected).toBe(0); // the best match is selected
      xdotool('key', 'Tab', 'Down', 'Return'); // to the list, the second match, take it
      expect(await chosen).toBe('DATEV_Adressaten:10077');
    } finally {
      await w.dispose();
    }
  });

  it('rejects bad input with a TypeError and shows nothing', async () => {
    const w = host.remoteJournalWindows();
    try {
      const err = await w.notes.show({ ...note, maxLength: 0 }).catch((e: unknown) => e);
      expect((err as Error).name).toBe('RangeError');
      const err2 = await w.list.show({ ...listSpec([]), rows: [{ id: 'x' } as unknown as CallListRow] }, () => undefined, () => undefined).catch((e: unknown) => e);
      expect((err2 as Error).name).toBe('TypeError');
      expect((await listWindows(display)).filter((x: WinUserWindow) => x.kind !== 'other')).toEqual([]);
    } finally {
      await w.dispose();
    }
  });
});
