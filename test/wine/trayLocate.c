/* tray-locate.exe: where the notification icon and its menu are on the tests' Wine virtual desktop,
 * for test/wine/tray.wine.test.ts (built on demand with mingw-w64 into build/fakes/tray-locate.exe;
 * run inside the same desktop). Only reads window state, never clicks.
 *   tray-locate.exe icons   {"icons":[{"left":…,"top":…,"right":…,"bottom":…}]}: where the notification
 *                           icons of the taskbar "Shell_TrayWnd" are, in screen coordinates: the icon
 *                           windows (class "__wine_tray_icon", newer Wine) or, where the taskbar paints
 *                           its icons itself (Wine 8), the first icon's slot ("painted":true);
 *                           [] while there is no visible taskbar
 *   tray-locate.exe menus   {"menus":[{…rect…,"items":n}]}: the visible popup menus (class "#32768");
 *                           items = GetMenuItemCount of its menu (MN_GETHMENU), -1 when not readable
 *   tray-locate.exe dump    {"all":[{"depth":…,"class":…,"visible":…,…rect…}]}: every window, for failures
 * Output is JSON on stdout, exit code 0; 1 = usage. */
#include <windows.h>

#include <stdio.h>
#include <string.h>

#define MN_GETHMENU_MSG 0x01E1
#define WINE_ICON_BORDER 2

static char out[65536];
static size_t used;
static int icon_windows;

static void add(const char* s) {
  size_t n = strlen(s);
  if (used + n + 1 >= sizeof(out)) return;
  memcpy(out + used, s, n);
  used += n;
  out[used] = 0;
}

/* One object of a JSON array: a comma unless it is the first. */
static void add_item(const char* s) {
  if (used > 0 && out[used - 1] != '[') add(",");
  add(s);
}

static void add_rect(const RECT* r, const char* extra) {
  char buf[256];
  snprintf(buf, sizeof(buf), "{\"left\":%ld,\"top\":%ld,\"right\":%ld,\"bottom\":%ld%s}", r->left, r->top, r->right, r->bottom, extra);
  add_item(buf);
}

static int has_class(HWND hwnd, const char* name) {
  char cls[64];
  return GetClassNameA(hwnd, cls, sizeof(cls)) && strcmp(cls, name) == 0;
}

static BOOL CALLBACK icon_child(HWND hwnd, LPARAM unused) {
  RECT r;
  (void)unused;
  if (has_class(hwnd, "__wine_tray_icon") && IsWindowVisible(hwnd) && GetWindowRect(hwnd, &r)) {
    add_rect(&r, "");
    icon_windows++;
  }
  return TRUE;
}

/* Wine 8's taskbar paints its icons itself (no window per icon; Shell_NotifyIconGetRect is E_NOTIMPL):
 * the first icon's slot is at the right end of "Shell_TrayWnd", SM_CXSMICON + 2 * ICON_BORDER wide
 * and centred vertically (programs/explorer/systray.c, get_icon_rect). */
static void add_first_slot(HWND tray) {
  RECT t, r;
  const int cx = GetSystemMetrics(SM_CXSMICON) + 2 * WINE_ICON_BORDER;
  const int cy = GetSystemMetrics(SM_CYSMICON) + 2 * WINE_ICON_BORDER;
  if (!GetWindowRect(tray, &t)) return;
  r.right = t.right;
  r.left = t.right - cx;
  r.top = t.top + ((t.bottom - t.top) - cy) / 2;
  r.bottom = r.top + cy;
  add_rect(&r, ",\"painted\":true");
}

static BOOL CALLBACK menu_top(HWND hwnd, LPARAM unused) {
  RECT r;
  char extra[32];
  (void)unused;
  if (has_class(hwnd, "#32768") && IsWindowVisible(hwnd) && GetWindowRect(hwnd, &r)) {
    DWORD_PTR menu = 0;
    int items = -1;
    if (SendMessageTimeoutA(hwnd, MN_GETHMENU_MSG, 0, 0, SMTO_ABORTIFHUNG, 2000, &menu) && menu != 0) {
      items = GetMenuItemCount((HMENU)menu);
    }
    snprintf(extra, sizeof(extra), ",\"items\":%d", items);
    add_rect(&r, extra);
  }
  return TRUE;
}

static BOOL CALLBACK dump_window(HWND hwnd, LPARAM depth) {
  char cls[64] = "", line[256];
  RECT r = {0, 0, 0, 0};
  if (depth == 0 && GetParent(hwnd) != NULL) return TRUE; /* EnumWindows: top level only */
  GetClassNameA(hwnd, cls, sizeof(cls));
  GetWindowRect(hwnd, &r);
  snprintf(line, sizeof(line), "{\"depth\":%d,\"class\":\"%s\",\"visible\":%d,\"left\":%ld,\"top\":%ld,\"right\":%ld,\"bottom\":%ld}",
           (int)depth, cls, IsWindowVisible(hwnd) ? 1 : 0, r.left, r.top, r.right, r.bottom);
  add_item(line);
  EnumChildWindows(hwnd, dump_window, depth + 1);
  return TRUE;
}

int main(int argc, char** argv) {
  const char* verb = argc == 2 ? argv[1] : "";
  if (strcmp(verb, "icons") == 0) {
    HWND tray = FindWindowA("Shell_TrayWnd", NULL);
    add("{\"icons\":[");
    if (tray && IsWindowVisible(tray)) {
      EnumChildWindows(tray, icon_child, 0);
      if (icon_windows == 0) add_first_slot(tray);
    }
    add("]}");
  } else if (strcmp(verb, "menus") == 0) {
    add("{\"menus\":[");
    EnumWindows(menu_top, 0);
    add("]}");
  } else if (strcmp(verb, "dump") == 0) {
    add("{\"all\":[");
    EnumWindows(dump_window, 0);
    add("]}");
  } else {
    fputs("usage: tray-locate.exe icons|menus|dump\n", stderr);
    return 1;
  }
  DWORD written = 0;
  WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), out, (DWORD)used, &written, NULL);
  return 0;
}
