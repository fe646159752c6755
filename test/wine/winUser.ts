/**
 * DialogUser and JournalWindowsUser for the Wine tests: run fakes/win-user (win-user.exe) inside the
 * same virtual desktop as the port host / the program. Window ids come from the window property
 * "WildixCtiDialogId" (native/ui).
 */
import { execFile, spawnSync } from 'node:child_process';
import type { DialogUser, JournalWindowsUser, VisibleDialog } from '../../contracts/harness';
import { LABELS } from '../../src/journal/texts';
import type { CallListRow } from '../../src/journal/windows';
import { CHOOSER_STATUS } from '../../src/journal/texts';
import { paths, VIRTUAL_DESKTOP, wineEnv } from './env';

/**
 * win-user.exe with a JSON answer, run synchronously in the virtual desktop, for exit codes in `ok`.
 * A run that printed nothing is tried again (twice at most), as in listWindows: seen in a full run,
 * right after another program was started in the same desktop.
 */
export function winUserJsonSync<T>(env: NodeJS.ProcessEnv, args: string[], ok: number[] = [0]): T {
  for (let attempt = 1; ; attempt++) {
    const r = spawnSync('wine', ['explorer', `/desktop=${VIRTUAL_DESKTOP}`, paths.winUser, ...args], { env, encoding: 'utf8', timeout: 20000 });
    if (r.status === null || !ok.includes(r.status)) throw new Error(`win-user.exe ${args.join(' ')} failed (${r.status}): ${r.stdout}${r.stderr}`);
    if (r.stdout.trim() !== '' || attempt === 3) return JSON.parse(r.stdout) as T;
  }
}

/** A ListView as win-user.exe reads it. */
export interface WinUserList {
  columns: string[];
  rows: string[][];
  /** Selected row, -1 for none. */
  selected: number;
}

export interface WinUserWindow {
  id: number;
  kind: 'dialog' | 'messagebox' | 'note' | 'calllist' | 'chooser' | 'other';
  title: string;
  /** STATIC texts (empty ones left out), labels without their mnemonic '&'. */
  texts: string[];
  buttons: { label: string; enabled: boolean }[];
  /** Text of each Edit control. */
  edits: string[];
  editRects: [number, number, number, number][];
  lists: WinUserList[];
  /** The keyboard focus is in this window. */
  focused: boolean;
  /** Id of the window's thread (GetWindowThreadProcessId). */
  thread: number;
  /** Screen rectangles [left, top, right, bottom] in physical pixels. */
  rect: [number, number, number, number];
  textRects: [number, number, number, number][];
  buttonRects: [number, number, number, number][];
  topmost: boolean;
  /** WS_EX_NOACTIVATE: the window does not take the focus. */
  noActivate: boolean;
  /** GetDpiForWindow; -1 when user32 has none. */
  dpi: number;
  /** 0 unaware, 1 system aware, 2 per monitor, -1 unknown. */
  dpiAwareness: number;
}

function run(display: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'wine',
      ['explorer', `/desktop=${VIRTUAL_DESKTOP}`, paths.winUser, ...args],
      { env: wineEnv(display), encoding: 'utf8', timeout: 20000 },
      (err, stdout, stderr) => {
        if (err && (err as { code?: unknown }).code !== 2) {
          const how = err as { code?: unknown; signal?: unknown; killed?: unknown };
          const printed = stdout.trim() === '' ? 'it printed nothing (Wine did not start it, or it ended early)' : `it printed: ${stdout.trim().slice(0, 300)}`;
          reject(new Error(`win-user.exe ${args.join(' ')} failed (exit ${String(how.code)}, signal ${String(how.signal)}${how.killed ? ', killed after 20 s' : ''}); ${printed}: ${err.message}\n${stderr}`));
          return;
        }
        resolve(stdout);
      },
    );
  });
}

/**
 * `run` for commands that may safely run twice: a launch of win-user.exe that failed without output (seen
 * in CI on a loaded machine: Wine's launcher exited before the tool ran, with an error code or, twice,
 * with 0) is tried again, up to three times; `retryError` says which failures count as such a launch.
 * `retryEmpty: false` for actions (a click): only failures `retryError` accepts are tried again.
 */
async function runRepeatable(display: string, args: string[], retryError: (err: Error) => boolean, retryEmpty = true): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      const out = await run(display, args);
      if (!retryEmpty || out.trim() !== '' || attempt >= 3) return out;
    } catch (err) {
      if (attempt >= 3 || !retryError(err as Error)) throw err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function listWindows(display: string): Promise<WinUserWindow[]> {
  // listing only reads: any failed launch is tried again (a click only when the tool did not start)
  const out = await runRepeatable(display, ['list'], () => true);
  try {
    return JSON.parse(out) as WinUserWindow[];
  } catch {
    throw new Error(`win-user.exe list printed no JSON: ${out.slice(0, 500)}`);
  }
}

/**
 * Wine's launcher could not start win-user.exe at all (seen under load): nothing was clicked. Either it
 * says so, or it ends with exit code 1 and no output — every path of win-user.exe that exits with 1
 * prints its usage line first, and one that clicked prints its result (seen in a full run on 2026-12-04:
 * `click` exit 1, nothing printed, nothing on stderr; the same test passed before and after).
 */
const NOT_STARTED = (err: Error): boolean => /could not be started/.test(err.message) || (/\(exit 1, signal null\)/.test(err.message) && /printed nothing/.test(err.message));

async function act(display: string, args: string[]): Promise<void> {
  // an action is tried again only when the tool certainly did not run
  const out = (await runRepeatable(display, args, NOT_STARTED, false)).trim();
  const r = JSON.parse(out || '{}') as { ok?: boolean; reason?: string; what?: string };
  if (r.ok) return;
  if (r.reason === 'disabled') return; // a user's click on a disabled button does nothing
  throw new Error(`win-user.exe ${args.join(' ')}: ${r.reason ?? 'failed'} ${r.what ?? ''}`.trim());
}

export function winUser(display: string): DialogUser {
  return {
    async visible(): Promise<VisibleDialog[]> {
      return (await listWindows(display)).map((w) => ({
        id: w.id,
        title: w.title,
        text: w.texts.join('\n'),
        buttons: w.buttons,
      }));
    },
    click: (id, label) => act(display, ['click', String(id), label]),
    dismiss: (id) => act(display, ['dismiss', String(id)]),
  };
}

/** Types `text` into the window's Edit (replacing what is there; a line break is Enter); returns the Edit's length then. */
export async function typeInto(display: string, id: number, text: string): Promise<number> {
  // typing replaces the Edit's whole text: a launch that printed nothing is tried again
  const out = (await runRepeatable(display, ['type', String(id), Buffer.from(text, 'utf8').toString('hex')], (err) => /printed nothing/.test(err.message))).trim();
  const r = JSON.parse(out || '{}') as { ok?: boolean; length?: number; reason?: string; what?: string };
  if (!r.ok) throw new Error(`win-user.exe type ${id}: ${r.reason ?? 'failed'} ${r.what ?? ''}`);
  return r.length ?? -1;
}

/** Selects a row of the window's ListView, as a click on it does. */
export function selectRow(display: string, id: number, row: number): Promise<void> {
  return act(display, ['select', String(id), String(row)]);
}

/** Presses a button by its label (a disabled one is not pressed). */
export function clickButton(display: string, id: number, label: string): Promise<void> {
  return act(display, ['click', String(id), label]);
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, ms = 15000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The newest window of a kind (ids grow), or undefined. */
export async function newestWindow(display: string, kind: WinUserWindow['kind']): Promise<WinUserWindow | undefined> {
  const all = (await listWindows(display)).filter((w) => w.kind === kind);
  return all.sort((a, b) => b.id - a.id)[0];
}

const sameCells = (shown: string[][], rows: CallListRow[]): boolean =>
  shown.length === rows.length && shown.every((cells, i) => JSON.stringify(cells) === JSON.stringify(rows[i]!.cells));

/**
 * The person in front of the journal's windows. The call list shows no ids: a row's id is the id of
 * the row the program gave at that position (`shownRows`, what the tester handed to the port), and only
 * when every shown cell is what the program gave — else the ids read "?n" and the test sees it.
 */
export function journalWindowsUser(display: string, shownRows: () => CallListRow[] | undefined): JournalWindowsUser {
  const callList = () => newestWindow(display, 'calllist');
  /** The call list once it shows the rows the program gave it last (new rows appear a moment later). */
  async function currentList(): Promise<WinUserWindow | undefined> {
    const expected = shownRows();
    const end = Date.now() + 5000;
    for (;;) {
      const w = await callList();
      if (!w || !expected || sameCells(w.lists[0]?.rows ?? [], expected) || Date.now() > end) return w;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const chooser = () => waitFor('the contact chooser', () => newestWindow(display, 'chooser'));
  return {
    async notes() {
      return (await listWindows(display))
        .filter((w) => w.kind === 'note')
        .map((w) => ({ id: w.id, title: w.title, heading: w.texts[0] ?? '', text: w.texts[1] ?? '', focused: w.focused }));
    },
    async saveNote(id, text) {
      await typeInto(display, id, text);
      await clickButton(display, id, LABELS.save);
    },
    discardNote: (id) => clickButton(display, id, LABELS.discard),
    async callListRows() {
      const w = await currentList();
      if (!w) return undefined;
      const shown = w.lists[0]?.rows ?? [];
      const expected = shownRows();
      const known = expected !== undefined && sameCells(shown, expected);
      return shown.map((cells, i) => ({ id: known ? expected[i]!.id : `?${i}`, cells }));
    },
    async callListAction(rowId, action) {
      const w = await currentList();
      if (!w) throw new Error('the call list is not open');
      const index = (shownRows() ?? []).findIndex((r) => r.id === rowId);
      if (index < 0) throw new Error(`the call list has no row ${rowId}`);
      await selectRow(display, w.id, index);
      await clickButton(display, w.id, action === 'note' ? LABELS.note : action === 'send' ? LABELS.send : LABELS.assign);
    },
    async closeCallList() {
      const w = await callList();
      if (!w) throw new Error('the call list is not open');
      await clickButton(display, w.id, LABELS.close);
    },
    async chooserSearch(text) {
      const w = await chooser();
      await typeInto(display, w.id, text);
      // the status line says „Suche …“ from the first keystroke until the answer to the latest text is shown
      const done = await waitFor('the search results', async () => {
        const now = await newestWindow(display, 'chooser');
        return now && !now.texts.includes(CHOOSER_STATUS.searching) ? now : undefined;
      });
      return (done.lists[0]?.rows ?? []).map((cells) => cells[0] ?? '');
    },
    async chooserPick(label) {
      const w = await chooser();
      const index = (w.lists[0]?.rows ?? []).findIndex((cells) => cells[0] === label);
      if (index < 0) throw new Error(`the contact chooser does not show "${label}"`);
      await selectRow(display, w.id, index);
      await clickButton(display, w.id, LABELS.choose);
    },
    async chooserCancel() {
      await clickButton(display, (await chooser()).id, LABELS.cancel);
    },
  };
}
