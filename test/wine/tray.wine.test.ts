/**
 * The notification-area icon of the running program (native/tray) under Wine: node.exe with
 * build/js/src/main.js on the tests' virtual desktop (its taskbar takes the icon), the fake tapi32.dll
 * and the fake DATEV. The test user posts the same WM_COMMAND a menu click does to the hidden window
 * "WildixCtiTray" (win-user.exe command / post) and clicks the icon's menu with real X mouse events
 * (xdotool): a double-click and "Status anzeigen" open a message box with the status text, "Anrufliste"
 * opens the call list window, "Beenden" stops the program cleanly (line closed, ROT entry revoked,
 * "stopping (tray)", the call list gone with it).
 */
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { primaryTarget, startApp, type AppProcess } from './appProcess';
import { FakeDatevProcess } from './datevDriver';
import { paths, removeUserData, ROOT, screenshot, VIRTUAL_DESKTOP, wineEnv } from './env';
import { FakeTapiServer } from './pbxDriver';
import { COLUMNS, CALL_LIST_TITLE, LABELS } from '../../src/journal/texts';
import { listWindows, newestWindow, winUser, type WinUserWindow } from './winUser';
import { buildWineFakes } from './fakeBuilds';

const display = inject('display');
/** WM_COMMAND ids of the tray window (native/tray/tray_window.h). */
const TRAY_CLASS = 'WildixCtiTray';
const COMMAND_STATUS = 1001;
const COMMAND_QUIT = 1002;
const COMMAND_CALLS = 1003;
const COMMAND_SUPPORT = 1004;
const SUPPORT_TITLE = 'Wildix CTI – Support-Paket';
const WM_APP = 0x8000;
const WM_LBUTTONDBLCLK = 0x0203;
const STATUS_TITLE = 'Wildix CTI – Status';
/** Reads where the icon and its menu are (test/wine/trayLocate.c), built on demand like the fakes. */
const TRAY_LOCATE_SRC = path.join(ROOT, 'test', 'wine', 'trayLocate.c');
const TRAY_LOCATE_EXE = path.join(ROOT, 'build', 'fakes', 'tray-locate.exe');

interface Rect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

let server: FakeTapiServer;

/** win-user.exe on the tests' virtual desktop (FindWindowW only sees its own desktop); its JSON answer. */
function winUserJson(args: string[]): Promise<{ ok: boolean; reason?: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      'wine',
      ['explorer', `/desktop=${VIRTUAL_DESKTOP}`, paths.winUser, ...args],
      { env: wineEnv(display), encoding: 'utf8', timeout: 20000 },
      (err, stdout, stderr) => {
        if (err && (err as { code?: unknown }).code !== 2) reject(new Error(`win-user.exe ${args.join(' ')} failed: ${err.message}\n${stderr}`));
        else {
          try {
            resolve(JSON.parse(stdout.trim()) as { ok: boolean; reason?: string });
          } catch {
            reject(new Error(`win-user.exe ${args.join(' ')} printed no JSON: ${stdout}${stderr}`));
          }
        }
      },
    );
  });
}

/** The WM_COMMAND a click on the tray menu sends. */
const postCommand = (id: number) => winUserJson(['command', TRAY_CLASS, String(id)]);
/** The icon's mouse notification for a left double-click (uCallbackMessage WM_APP+1, lParam WM_LBUTTONDBLCLK). */
const doubleClick = () => winUserJson(['post', TRAY_CLASS, String(WM_APP + 1), '1', String(WM_LBUTTONDBLCLK)]);

function buildTrayLocate(): void {
  if (fs.existsSync(TRAY_LOCATE_EXE) && fs.statSync(TRAY_LOCATE_EXE).mtimeMs >= fs.statSync(TRAY_LOCATE_SRC).mtimeMs) return;
  fs.mkdirSync(path.dirname(TRAY_LOCATE_EXE), { recursive: true });
  const cc = spawnSync('x86_64-w64-mingw32-gcc', ['-O2', '-Wall', '-Wextra', '-Werror', TRAY_LOCATE_SRC, '-o', TRAY_LOCATE_EXE, '-static', '-s', '-luser32'], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`building ${TRAY_LOCATE_EXE} failed (scripts/setup-windows-toolchain.sh installs mingw-w64):\n${cc.stdout}${cc.stderr}`);
}

/** tray-locate.exe on the tests' virtual desktop: the icons in the taskbar or the open popup menus. */
function locate(what: 'icons'): Promise<{ icons: Rect[] }>;
function locate(what: 'menus'): Promise<{ menus: (Rect & { items: number })[] }>;
function locate(what: 'dump'): Promise<{ all: unknown[] }>;
function locate(what: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile('wine', ['explorer', `/desktop=${VIRTUAL_DESKTOP}`, TRAY_LOCATE_EXE, what], { env: wineEnv(display), encoding: 'utf8', timeout: 20000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`tray-locate.exe ${what} failed: ${err.message}\n${stderr}`));
      else {
        try {
          resolve(JSON.parse(stdout.trim()));
        } catch {
          reject(new Error(`tray-locate.exe ${what} printed no JSON: ${stdout}${stderr}`));
        }
      }
    });
  });
}

/**
 * Screen position of a desktop point for xdotool: the virtual desktop is the X window named after it
 * (env.ts VIRTUAL_DESKTOP), its client area at its X position.
 */
function desktopOrigin(): { x: number; y: number } {
  const r = spawnSync('xdotool', ['search', '--name', `^${VIRTUAL_DESKTOP.split(',')[0]}`, 'getwindowgeometry', '--shell'], {
    env: { ...process.env, DISPLAY: display },
    encoding: 'utf8',
    timeout: 20000,
  });
  const x = /^X=(-?\d+)$/m.exec(r.stdout);
  const y = /^Y=(-?\d+)$/m.exec(r.stdout);
  if (r.status !== 0 || !x || !y) throw new Error(`the virtual desktop's X window was not found (xdotool ${r.status}): ${r.stdout}${r.stderr}`);
  return { x: Number(x[1]), y: Number(y[1]) };
}

/** A failed wait for a window says which windows there were. */
async function withWindows<T>(wait: Promise<T>): Promise<T> {
  try {
    return await wait;
  } catch (e) {
    const all = await locate('dump').catch((d: unknown) => String(d));
    throw new Error(`${(e as Error).message}; windows: ${JSON.stringify(all)}`);
  }
}

/** xdotool on the tests' X display; a missing xdotool or a failed command fails the test. */
function mouse(...args: string[]): void {
  const r = spawnSync('xdotool', args, { env: { ...process.env, DISPLAY: display }, encoding: 'utf8', timeout: 20000 });
  if (r.status !== 0) throw new Error(`xdotool ${args.join(' ')} failed (${r.status ?? r.error?.message}): ${r.stderr}`);
}

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 20000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  if (!display) throw new Error('no X display: run the Wine tests with vitest.wine.config.ts (npm run test:wine)');
  buildWineFakes();
  expect(fs.existsSync(paths.winUser)).toBe(true);
  buildTrayLocate();
  removeUserData();
  server = await FakeTapiServer.start();
});

afterAll(async () => {
  await server?.close();
  removeUserData();
});

async function statusBox(): Promise<WinUserWindow> {
  return until('the status message box', async () => (await listWindows(display)).find((w) => w.title === STATUS_TITLE));
}

describe('tray icon under Wine', () => {
  it('shows the state (DATEV missing, then ready); double-click and the menu\'s "Status anzeigen" show it; "Anrufliste" opens the call list; "Support-Paket erstellen" writes the ZIP; "Beenden" stops cleanly', async () => {
    const pbx = server.session();
    let datev: FakeDatevProcess | undefined;
    let app: AppProcess | undefined;
    try {
      await pbx.addLine('Wildix 201 Anna Schmidt', '201');
      // no window of the tray yet: the command has nowhere to go
      expect(await postCommand(COMMAND_STATUS)).toMatchObject({ ok: false, reason: 'not-found' });
      app = startApp({
        display,
        target: primaryTarget(),
        name: 'tray',
        config: { line: '201', contacts: { datevConnect: { enabled: false }, learnFromDial: false }, log: { level: 'debug' } },
        env: { FAKE_TAPI_PORT: String(server.port) },
        dllOverrides: 'tapi32=n',
      });
      const running = app;
      await running.waitForLog(/CTI object registered in the ROT/, 40000);
      await running.waitForLog(/TAPI line open: "Wildix 201 Anna Schmidt"/, 20000);
      // DATEV is not there yet; the virtual desktop's taskbar takes the icon
      await running.waitForLog(/tray icon shown: Wildix CTI – DATEV nicht gestartet/, 20000);
      expect(running.logText()).not.toContain('tray icon cannot be created');

      // left double-click on the icon: the status, as an error box (something is missing)
      expect(await doubleClick()).toEqual({ ok: true });
      const missing = await statusBox();
      expect(missing.kind).toBe('messagebox');
      expect(missing.texts.join('\n')).toContain('Zustand: DATEV nicht gestartet');
      expect(missing.texts.join('\n')).toContain('DATEV Telefonie: nicht gestartet');
      await winUser(display).click(missing.id, 'OK');
      await until('the status box to close', async () => ((await listWindows(display)).some((w) => w.title === STATUS_TITLE) ? undefined : true));

      // DATEV starts: within the presence check (5 s) and the tray refresh (5 s) the tooltip says ready
      datev = new FakeDatevProcess({ env: wineEnv(display), checkRules: true });
      await datev.ready;
      await running.waitForLog(/tray: Wildix CTI – bereit \(Leitung Wildix 201 Anna Schmidt, DATEV verbunden\)/, 20000);

      // the user right-clicks the icon where the taskbar shows it and picks "Status anzeigen" from its
      // menu (real X mouse events at positions read from the windows, no fixed coordinates or waits)
      const origin = desktopOrigin();
      const at = (x: number, y: number): string[] => [String(origin.x + Math.round(x)), String(origin.y + Math.round(y))];
      const icon = await withWindows(
        until('the one notification icon in the taskbar', async () => {
          const { icons } = await locate('icons');
          return icons.length === 1 ? icons[0] : undefined;
        }),
      );
      const openMenu = async (): Promise<Rect & { items: number }> => {
        mouse('mousemove', ...at((icon.left + icon.right) / 2, (icon.top + icon.bottom) / 2), 'click', '3');
        return withWindows(
          until('the icon\'s menu (Status anzeigen, Anrufliste, Support-Paket erstellen, separator, Beenden)', async () => {
            const { menus } = await locate('menus');
            return menus.length === 1 && (menus[0]!.items === 5 || menus[0]!.items === -1) ? menus[0] : undefined;
          }),
        );
      };
      const menu = await openMenu();
      screenshot(display, 'tray-menu'); // for a failure: the menu as it was opened
      // "Status anzeigen" is the first of the five entries (item, item, item, separator, item): an eighth
      // down the menu lies inside it whatever the item and separator heights are
      mouse('mousemove', ...at((menu.left + menu.right) / 2, menu.top + (menu.bottom - menu.top) / 8), 'click', '1', 'mousemove', '640', '400');
      const box = await statusBox();
      expect(box.kind).toBe('messagebox');
      const text = box.texts.join('\n');
      expect(text).toContain('Zustand: bereit');
      expect(text).toContain('Leitung: geöffnet (Wildix 201 Anna Schmidt)');
      expect(text).toContain('DATEV Telefonie: läuft');
      expect(text).toContain('Anmeldung bei DATEV (ROT): ja');
      expect(text).toContain('Laufende Gespräche: 0');
      expect(running.logText()).toContain('tray: "Status anzeigen" chosen');

      // "Anrufliste" from the menu: the call list window comes up in front
      const menu2 = await openMenu();
      // the second of the five entries: between a quarter and half of the menu's height (items are
      // taller than the separator), i.e. 40 % down the menu
      mouse('mousemove', ...at((menu2.left + menu2.right) / 2, menu2.top + ((menu2.bottom - menu2.top) * 2) / 5), 'click', '1', 'mousemove', '640', '400');
      const list = await until('the call list', () => newestWindow(display, 'calllist'));
      expect(list.title).toBe(CALL_LIST_TITLE);
      expect(list.lists[0]!.columns).toEqual(COLUMNS);
      expect(list.buttons.map((b) => b.label)).toEqual([LABELS.note, LABELS.send, LABELS.assign, LABELS.close]);
      await running.waitForLog(/tray: "Anrufliste" chosen/);
      screenshot(display, 'tray-calllist');
      // the menu's command again (what a second click sends): still one window
      expect(await postCommand(COMMAND_CALLS)).toEqual({ ok: true });
      await until('the second "Anrufliste"', () => (running.logLines(/tray: "Anrufliste" chosen/).length === 2 ? true : undefined));
      expect((await listWindows(display)).filter((w) => w.kind === 'calllist')).toHaveLength(1);

      // "Support-Paket erstellen": a ZIP with the logs, the status file and the settings; a box says where
      const supportAt = running.logLines(/support bundle written/).length;
      expect(await postCommand(COMMAND_SUPPORT)).toEqual({ ok: true });
      const written = await running.waitForLog(/support bundle written: .*\.zip/, 20000);
      expect(running.logLines(/support bundle written/).length).toBe(supportAt + 1);
      const zipWin = /support bundle written: (.*\.zip)/.exec(written)![1]!;
      const supportBox = await until('the support bundle box', async () => (await listWindows(display)).find((w) => w.title === SUPPORT_TITLE));
      expect(supportBox.texts.join('\n')).toContain(zipWin);
      const zipUnix = spawnSync('wine', ['winepath', '-u', zipWin], { env: wineEnv(display), encoding: 'utf8', timeout: 20000 }).stdout.trim();
      try {
        const zip = fs.readFileSync(zipUnix);
        expect(zip.readUInt32LE(0)).toBe(0x04034b50); // a ZIP, starting with info.txt
        for (const name of ['info.txt', 'status.json', 'settings/config-']) expect(zip.includes(Buffer.from(name))).toBe(true);
        expect(zip.includes(Buffer.from('logs/wildix-datev-cti-'))).toBe(true);
      } finally {
        fs.rmSync(zipUnix, { force: true });
      }
      await winUser(display).click(supportBox.id, 'OK');
      expect(running.logText()).toContain('tray: "Support-Paket erstellen" chosen');

      // "Beenden" while the status box is still open: a clean stop like Ctrl+C
      expect(await datev.isCtiRegistered()).toBe(true);
      expect(await postCommand(COMMAND_QUIT)).toEqual({ ok: true });
      const exited = await Promise.race([running.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 20000))]);
      expect(exited).toBe(true);
      const log = running.logText();
      expect(log).toContain('tray: "Beenden" chosen');
      expect(log).toContain('stopping (tray)');
      expect(log).toContain('CTI object revoked from the ROT');
      expect(await datev.isCtiRegistered()).toBe(false);
      const fns = (await pbx.requests()).map((r) => r.fn);
      expect(fns).toContain('lineClose');
      expect(fns[fns.length - 1]).toBe('lineShutdown');
      // the window, the status box and the call list went with the program
      expect(await postCommand(COMMAND_QUIT)).toMatchObject({ ok: false, reason: 'not-found' });
      expect((await listWindows(display)).filter((w) => w.title === STATUS_TITLE || w.kind === 'calllist')).toEqual([]);
    } finally {
      await app?.dispose();
      await pbx.dispose();
      await datev?.close();
    }
  });
});
