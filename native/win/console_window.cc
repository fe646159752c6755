#include "console_window.h"

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include "win/session_watch.h"

namespace winx {

bool HideConsoleWindow() {
  HWND console = GetConsoleWindow();
  if (console == nullptr) return false;
  // a console of this program alone (a logon start) is hidden at once: no window until it closes
  DWORD pids[2] = {};
  if (GetConsoleProcessList(pids, 2) == 1) ShowWindow(console, SW_HIDE);
  // Leaving it closes it: SW_HIDE does not hide a console that Windows Terminal hosts (the default
  // terminal of Windows 11 — GetConsoleWindow() is then a hidden pseudo window), whose window goes
  // with its last process. A console shared with the shell that started the program stays open.
  // (false when the program is still attached: it says so in its log)
  return FreeConsole() != FALSE && GetConsoleWindow() == nullptr;
}

bool RequestRunningInstanceStop() {
  // top-level windows are per desktop, so this only finds the instance of this session
  HWND watcher = FindWindowW(kSessionWatchClass, nullptr);
  if (watcher == nullptr) return false;
  return PostMessageW(watcher, WM_CLOSE, 0, 0) != FALSE;
}

}  // namespace winx
