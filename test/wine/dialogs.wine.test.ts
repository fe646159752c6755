/**
 * DialogPort contract against the real Win32 dialogs (native/ui) inside Wine's node.exe, plus the
 * parts the contract does not cover: message boxes, bad input, a screenshot.
 */
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dialogsContract } from '../../contracts/dialogs.contract';
import { connectHost, type RemoteHost } from './remote';
import { screenshot } from './env';
import { listWindows, winUser } from './winUser';

const display = inject('display');
let host: RemoteHost;

beforeAll(async () => {
  if (!display) throw new Error('no X display: run the Wine tests with npm run test:wine (vitest.wine.config.ts)');
  host = await connectHost({ display, logName: 'dialogs-host.log' });
});

afterAll(async () => {
  await host?.close();
});

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

  it('rejects bad input with a typed error and shows nothing', async () => {
    const port = host.remoteDialogPort();
    const err = await port.show({ title: 'Fremd', heading: '', text: '', buttons: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('DialogError');
    expect((err as { code?: string }).code).toBe('invalid-spec');
    expect(await listWindows(display)).toEqual([]);
    await port.dispose();
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
