/**
 * DialogPort contract against the real Win32 dialogs (native/ui) inside Wine's node.exe, plus the
 * parts the contract does not cover: message boxes, bad input, a screenshot, the keyboard focus of
 * the program the user is typing in (an incoming-call dialog must not take it; a real X mouse click
 * still answers), and the layout at 120/144/192 dpi (Wine's LogPixels).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dialogsContract } from '../../contracts/dialogs.contract';
import type { DialogSpec } from '../../src/dialogs/port';
import { connectHost, type RemoteHost } from './remote';
import { paths, screenshot, VIRTUAL_DESKTOP, wineEnv } from './env';
import { listWindows, winUser, winUserJsonSync, type WinUserWindow } from './winUser';

const display = inject('display');
let host: RemoteHost;

beforeAll(async () => {
  if (!display) throw new Error('no X display: run the Wine tests with npm run test:wine (vitest.wine.config.ts)');
  host = await connectHost({ display, logName: 'dialogs-host.log' });
});

afterAll(async () => {
  await host?.close();
});

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 20000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** win-user.exe with JSON output (see fakes/win-user). */
const winUserJson = <T>(args: string[]): T => winUserJsonSync<T>(wineEnv(display), args);

interface Foreground {
  title: string;
  class: string;
  focusClass: string;
}

const incomingCall: DialogSpec = {
  title: 'Wildix CTI – Eingehender Anruf',
  heading: 'Müller & Söhne GmbH',
  text: '+49 89 1234567\nDATEV-Nr. 4711',
  buttons: [
    { id: 'answer', label: 'Annehmen', enabled: true },
    { id: 'reject', label: 'Ablehnen', enabled: true },
  ],
};

dialogsContract('Win32 dialogs under Wine', async () => {
  const port = host.remoteDialogPort();
  return { port, user: winUser(display), dispose: () => port.dispose() };
});

describe('Win32 dialogs under Wine: beyond the contract', () => {
  it('runs in the Windows node.exe with the addon loaded', () => {
    expect(host.hello.execPath.toLowerCase()).toMatch(/node\.exe$/);
    expect(host.hello.ports).toContain('dialogs');
  });

  it('shows a message box with title and text and resolves when the user presses OK', async () => {
    const port = host.remoteDialogPort();
    const done = port.message('Wildix CTI – Hinweis', 'Verbindung zu DATEV hergestellt. Grüße aus Nürnberg', 'info');
    done.catch(() => undefined); // asserted below; avoid an unhandled rejection meanwhile
    let box;
    for (let i = 0; i < 40 && !box; i++) {
      box = (await listWindows(display)).find((w) => w.kind === 'messagebox' && w.title === 'Wildix CTI – Hinweis');
      if (!box) await new Promise((r) => setTimeout(r, 100));
    }
    expect(box, 'message box visible').toBeDefined();
    expect(box!.texts.join('\n')).toContain('Grüße aus Nürnberg');
    expect(box!.buttons.length).toBe(1);
    await winUser(display).click(box!.id, box!.buttons[0]!.label);
    await expect(done).resolves.toBeUndefined();
    await port.dispose();
  });

  it('closes a message box after its timeout (Wine ignores MessageBoxTimeoutW)', async () => {
    const port = host.remoteDialogPort();
    const t0 = Date.now();
    await port.message('Wildix CTI – Fehler', 'TAPI nicht erreichbar', 'error', 400);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350);
    expect((await listWindows(display)).some((w) => w.title === 'Wildix CTI – Fehler')).toBe(false);
    await port.dispose();
  });

  it('runs the call windows on long-lived threads: one after another on the same thread, two at once on two, the next one on one of those', async () => {
    const port = host.remoteDialogPort();
    const threadOf = (id: number): Promise<number> =>
      until(`dialog ${id} on screen`, async () => (await listWindows(display)).find((w) => w.id === id)?.thread);
    const closeAndSettle = async (id: number): Promise<void> => {
      await port.close(id);
      await port.result(id);
      // its thread is idle again right after it reported the result (a few instructions later)
      await new Promise((r) => setTimeout(r, 300));
    };
    const a = await port.show(incomingCall);
    const ta = await threadOf(a);
    await closeAndSettle(a);
    const b = await port.show(incomingCall);
    expect(await threadOf(b)).toBe(ta);
    const c = await port.show({ ...incomingCall, heading: 'Zweiter Anruf' });
    const tc = await threadOf(c);
    expect(tc).not.toBe(ta);
    await closeAndSettle(b);
    await closeAndSettle(c);
    const d = await port.show(incomingCall);
    expect([ta, tc]).toContain(await threadOf(d));
    await closeAndSettle(d);
    await port.dispose();
  });

  it('rejects bad input with a typed error and shows nothing', async () => {
    const port = host.remoteDialogPort();
    const err = await port.show({ title: 'Fremd', heading: '', text: '', buttons: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('DialogError');
    expect((err as { code?: string }).code).toBe('invalid-spec');
    expect(await listWindows(display)).toEqual([]);
    await port.dispose();
  });

  it('does not take the keyboard focus from the program the user is typing in; a real mouse click still answers', async () => {
    const EDITOR = 'Brief an Müller – Editor';
    const editor: ChildProcess = spawn('wine', ['explorer', `/desktop=${VIRTUAL_DESKTOP}`, paths.winUser, 'editor', EDITOR], {
      env: wineEnv(display),
      stdio: 'ignore',
    });
    const foreground = () => winUserJson<Foreground>(['foreground']);
    const port = host.remoteDialogPort();
    try {
      await until('the editor in front with the keyboard focus', async () => {
        const f = foreground();
        return f.title === EDITOR && f.focusClass.toLowerCase() === 'edit' ? f : undefined;
      });
      const id = await port.show(incomingCall); // takeFocus: default false
      const d = (await listWindows(display)).find((w) => w.id === id);
      expect(d).toMatchObject({ topmost: true, noActivate: true });
      screenshot(display, 'dialog-no-focus');
      expect(foreground()).toMatchObject({ title: EDITOR, focusClass: 'Edit' });

      // the user clicks "Annehmen" with the mouse (real X events through the virtual desktop)
      const [l, t, r, b] = d!.buttonRects[0]!;
      const x = String(Math.round((l + r) / 2));
      const y = String(Math.round((t + b) / 2));
      const click = spawnSync('xdotool', ['mousemove', x, y, 'click', '1', 'mousemove', '20', '780'], {
        env: { ...process.env, DISPLAY: display },
        encoding: 'utf8',
        timeout: 20000,
      });
      expect(click.status, `xdotool: ${click.stderr}`).toBe(0);
      expect(await port.result(id)).toEqual({ reason: 'button', choice: 'answer' });
      expect(foreground()).toMatchObject({ title: EDITOR, focusClass: 'Edit' });

      // a dialog the user asked for himself (takeFocus) comes to the front, as before
      const asked = await port.show({ ...incomingCall, title: 'Wildix CTI – Ausgehender Anruf', takeFocus: true });
      expect((await listWindows(display)).find((w) => w.id === asked)).toMatchObject({ topmost: true, noActivate: false });
      await until('the asked-for dialog in front', async () => (foreground().title === 'Wildix CTI – Ausgehender Anruf' ? true : undefined));
      await port.close(asked);
      expect(await port.result(asked)).toEqual({ reason: 'closed' });
    } finally {
      await port.dispose();
      spawnSync('wine', ['explorer', `/desktop=${VIRTUAL_DESKTOP}`, paths.winUser, 'close', EDITOR], { env: wineEnv(display), stdio: 'ignore', timeout: 20000 });
      await until('the editor to end', async () => (editor.exitCode !== null ? true : undefined)).catch(() => editor.kill('SIGKILL'));
    }
  });

  it('looks right on screen (screenshot in .cache/screenshots/dialog.png)', async () => {
    const port = host.remoteDialogPort();
    const id = await port.show({
      title: 'Wildix CTI – Eingehender Anruf',
      heading: 'Müller & Söhne GmbH',
      text: '+49 89 1234567\nDATEV-Nr. 4711 · Ärztekammer Nürnberg',
      buttons: [
        { id: 'answer', label: 'Annehmen', enabled: true },
        { id: 'reject', label: 'Ablehnen', enabled: false },
      ],
    });
    const file = screenshot(display, 'dialog');
    expect(fs.statSync(file).size).toBeGreaterThan(1000);
    const [w] = (await listWindows(display)).filter((x) => x.id === id);
    expect(w?.buttons).toEqual([
      { label: 'Annehmen', enabled: true },
      { label: 'Ablehnen', enabled: false },
    ]);
    await port.close(id);
    expect(await port.result(id)).toEqual({ reason: 'closed' });
    await port.dispose();
  });
});

describe('Win32 dialogs under Wine: display scaling (LogPixels)', () => {
  const setDpi = (dpi: number | undefined) => {
    const args =
      dpi === undefined
        ? ['reg', 'delete', 'HKCU\\Control Panel\\Desktop', '/v', 'LogPixels', '/f']
        : ['reg', 'add', 'HKCU\\Control Panel\\Desktop', '/v', 'LogPixels', '/t', 'REG_DWORD', '/d', String(dpi), '/f'];
    spawnSync('wine', args, { env: wineEnv(display), stdio: 'ignore', timeout: 30000 });
  };

  // A host reads the DPI when it starts, and only one host runs on the virtual desktop at a time.
  beforeAll(async () => {
    await host?.close();
  });
  afterAll(() => setDpi(undefined)); // back to Wine's default (96) for everything after this file

  async function dialogAt(dpi: number): Promise<WinUserWindow> {
    setDpi(dpi);
    const h = await connectHost({ display, logName: `dialogs-host-${dpi}dpi.log` });
    try {
      const port = h.remoteDialogPort();
      const id = await port.show(incomingCall);
      const w = (await listWindows(display)).find((x) => x.id === id)!;
      screenshot(display, `dialog-${dpi}dpi`);
      await port.close(id);
      await port.result(id);
      await port.dispose();
      return w;
    } finally {
      await h.close();
    }
  }

  it('scales window, texts and buttons with the display DPI (125 %, 150 %, 200 %)', async () => {
    const base = await dialogAt(96);
    expect(base.dpi).toBe(96);
    const w = (r: number[]) => r[2]! - r[0]!;
    const h = (r: number[]) => r[3]! - r[1]!;
    for (const dpi of [120, 144, 192]) {
      const d = await dialogAt(dpi);
      const f = dpi / 96;
      expect(d.dpi).toBe(dpi);
      expect(d.dpiAwareness).toBe(2); // per-monitor: Windows does not stretch a bitmap (no blur)
      expect(w(d.rect) / w(base.rect)).toBeCloseTo(f, 1);
      expect(w(d.buttonRects[0]!) / w(base.buttonRects[0]!)).toBeCloseTo(f, 1);
      expect(h(d.buttonRects[0]!) / h(base.buttonRects[0]!)).toBeCloseTo(f, 1);
      // the text's font grew with it: its line is taller by about the same factor
      expect(h(d.textRects[0]!) / h(base.textRects[0]!)).toBeGreaterThan(f * 0.8);
      // still on screen, at the bottom right
      expect(d.rect[2]).toBeLessThanOrEqual(1280);
      expect(d.rect[3]).toBeLessThanOrEqual(800);
      expect(d.rect[0]).toBeGreaterThanOrEqual(0);
    }
  });
});
