#include "ui/message_box.h"

#include <windows.h>

#include "common/activation_context.h"
#include "ui/dialog_state.h"
#include "win/dpi.h"

namespace wildix::ui {

namespace {

// Per-thread state: each box runs on its own thread.
thread_local HHOOK cbt_hook = nullptr;
thread_local HWND box_window = nullptr;
thread_local uint32_t box_id = 0;

LRESULT CALLBACK CbtProc(int code, WPARAM wparam, LPARAM lparam) {
  if (code == HCBT_ACTIVATE && box_window == nullptr) {
    box_window = reinterpret_cast<HWND>(wparam);
    SetPropW(box_window, kDialogIdProperty, reinterpret_cast<HANDLE>(static_cast<uintptr_t>(box_id)));
  }
  return CallNextHookEx(cbt_hook, code, wparam, lparam);
}

void CALLBACK TimeoutProc(HWND, UINT, UINT_PTR, DWORD) {
  if (box_window != nullptr && IsWindow(box_window)) EndDialog(box_window, kMessageBoxTimedOut);
}

}  // namespace

int RunMessageBox(uint32_t id, const std::wstring& title, const std::wstring& text, bool error, unsigned timeout_ms) {
  winx::ScopedThreadDpiAwareness per_monitor_dpi;  // the box is laid out for its monitor's DPI
  ScopedActivationContext themed_controls;
  box_id = id;
  box_window = nullptr;
  cbt_hook = SetWindowsHookExW(WH_CBT, &CbtProc, nullptr, GetCurrentThreadId());
  UINT_PTR timer = timeout_ms > 0 ? SetTimer(nullptr, 0, timeout_ms, &TimeoutProc) : 0;
  const UINT flags = MB_OK | (error ? MB_ICONERROR : MB_ICONINFORMATION) | MB_TOPMOST | MB_SETFOREGROUND;
  const int result = MessageBoxW(nullptr, text.c_str(), title.c_str(), flags);
  if (timer) KillTimer(nullptr, timer);
  if (cbt_hook) UnhookWindowsHookEx(cbt_hook);
  cbt_hook = nullptr;
  box_window = nullptr;
  return result;
}

}  // namespace wildix::ui
