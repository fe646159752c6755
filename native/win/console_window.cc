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
  ShowWindow(console, SW_HIDE);
  return true;
}

bool RequestRunningInstanceStop() {
  // top-level windows are per desktop, so this only finds the instance of this session
  HWND watcher = FindWindowW(kSessionWatchClass, nullptr);
  if (watcher == nullptr) return false;
  return PostMessageW(watcher, WM_CLOSE, 0, 0) != FALSE;
}

}  // namespace winx
