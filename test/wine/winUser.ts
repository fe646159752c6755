/**
 * DialogUser for the Wine tests: runs fakes/win-user (win-user.exe) inside the same virtual desktop
 * as the port host. Dialog ids come from the window property "WildixCtiDialogId" (native/ui).
 */
import { execFile } from 'node:child_process';
import type { DialogUser, VisibleDialog } from '../../contracts/harness';
import { paths, VIRTUAL_DESKTOP, wineEnv } from './env';

export interface WinUserWindow {
  id: number;
  kind: 'dialog' | 'messagebox' | 'other';
  title: string;
  texts: string[];
  buttons: { label: string; enabled: boolean }[];
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
          reject(new Error(`win-user.exe ${args.join(' ')} failed: ${err.message}\n${stderr}`));
          return;
        }
        resolve(stdout);
      },
    );
  });
}

export async function listWindows(display: string): Promise<WinUserWindow[]> {
  const out = await run(display, ['list']);
  try {
    return JSON.parse(out) as WinUserWindow[];
  } catch {
    throw new Error(`win-user.exe list printed no JSON: ${out.slice(0, 500)}`);
  }
}

async function act(display: string, args: string[]): Promise<void> {
  const out = (await run(display, args)).trim();
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
