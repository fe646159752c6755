#include "tray/tray_window.h"

#include <windows.h>
#include <shellapi.h>

#include <atomic>
#include <cwchar>
#include <memory>
#include <mutex>
#include <utility>

#include "win/dpi.h"
#include "win/thread.h"
#include "win/win_handles.h"

namespace tray {
namespace {

constexpr UINT kIconId = 1;
constexpr UINT kNotifyMessage = WM_APP + 1;  // the icon's mouse messages (uCallbackMessage)
constexpr UINT kStatusMessage = WM_APP + 2;  // SetTrayStatus: take the pending status
constexpr UINT kStopMessage = WM_APP + 3;    // StopTray: remove the icon, close the window
constexpr DWORD kStartWaitMs = 10000;        // the window is there within this (else: failed)
constexpr DWORD kStopWaitMs = 5000;          // the thread ends within this (else: abandoned)

// Shared by the JS side and the tray thread (the thread holds a reference of its own, so a tray thread
// that does not end in time can be abandoned safely).
struct Tray {
  std::function<void(TrayCommand)> on_command;
  std::function<void(bool)> on_icon;  // once, after the first NIM_ADD
  std::mutex lock;  // guards tooltip/problem/commands_open between the JS side and the tray thread
  std::wstring tooltip;
  bool problem = false;
  bool commands_open = true;  // cleared by StopTray: no on_command call after it returned
  UINT taskbar_created = 0;  // "TaskbarCreated": the shell (re)started, add the icon again
  bool added = false;        // tray thread only
  HWND hwnd = nullptr;       // written by the tray thread before `ready` is set
  winx::UniqueHandle ready;
  std::atomic<bool> abandoned{false};  // the start waited too long: a window made later ends at once
  TrayStart start = TrayStart::kFailed;
  DWORD error = 0;
  winx::Thread thread;
};

std::mutex g_lock;
// A plain pointer on purpose (as in win/session_watch.cc): no static destructor after process.exit().
std::shared_ptr<Tray>* g_tray = nullptr;

NOTIFYICONDATAW IconData(Tray* t, HWND hwnd) {
  NOTIFYICONDATAW nid{};
  nid.cbSize = sizeof(nid);
  nid.hWnd = hwnd;
  nid.uID = kIconId;
  nid.uFlags = NIF_MESSAGE | NIF_ICON | NIF_TIP;
  nid.uCallbackMessage = kNotifyMessage;
  std::lock_guard<std::mutex> guard(t->lock);
  // stock icons are shared: never destroyed
  nid.hIcon = LoadIconW(nullptr, t->problem ? IDI_WARNING : IDI_INFORMATION);
  const size_t n = t->tooltip.size() < kMaxTooltip ? t->tooltip.size() : kMaxTooltip;
  wmemcpy(nid.szTip, t->tooltip.data(), n);
  nid.szTip[n] = L'\0';
  return nid;
}

bool AddIcon(Tray* t, HWND hwnd) {
  NOTIFYICONDATAW nid = IconData(t, hwnd);
  t->added = Shell_NotifyIconW(NIM_ADD, &nid) != FALSE;
  return t->added;
}

void RemoveIcon(Tray* t, HWND hwnd) {
  if (!t->added) return;
  NOTIFYICONDATAW nid{};
  nid.cbSize = sizeof(nid);
  nid.hWnd = hwnd;
  nid.uID = kIconId;
  Shell_NotifyIconW(NIM_DELETE, &nid);
  t->added = false;
}

void ShowMenu(HWND hwnd) {
  HMENU menu = CreatePopupMenu();
  if (!menu) return;
  AppendMenuW(menu, MF_STRING, kCommandStatus, L"Status anzeigen");
  AppendMenuW(menu, MF_STRING, kCommandCalls, L"Anrufliste");
  AppendMenuW(menu, MF_STRING, kCommandSupport, L"Support-Paket erstellen");
  AppendMenuW(menu, MF_SEPARATOR, 0, nullptr);
  AppendMenuW(menu, MF_STRING, kCommandQuit, L"Beenden");
  SetMenuDefaultItem(menu, kCommandStatus, FALSE);
  POINT pt{};
  GetCursorPos(&pt);
  // The documented dance for notification-icon menus: foreground first, WM_NULL after, so the menu
  // closes when the user clicks elsewhere. The choice arrives as WM_COMMAND (like a test's post).
  SetForegroundWindow(hwnd);
  TrackPopupMenu(menu, TPM_RIGHTBUTTON | TPM_BOTTOMALIGN, pt.x, pt.y, 0, hwnd, nullptr);
  PostMessageW(hwnd, WM_NULL, 0, 0);
  DestroyMenu(menu);
}

// The user's choice goes to on_command; a failure there (no memory) is reported and dropped.
void Command(Tray* t, TrayCommand c) noexcept {
  winx::NoThrow("tray command", [&] {
    std::lock_guard<std::mutex> guard(t->lock);
    if (t->commands_open) t->on_command(c);
  });
}

// Whether the shell took the icon at the start goes to on_icon, as a command does.
void IconResult(Tray* t, bool shown) noexcept {
  winx::NoThrow("tray icon result", [&] {
    std::lock_guard<std::mutex> guard(t->lock);
    if (t->commands_open && t->on_icon) t->on_icon(shown);
  });
}

LRESULT Handle(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp) {
  Tray* t = reinterpret_cast<Tray*>(GetWindowLongPtrW(hwnd, GWLP_USERDATA));
  if (!t) return DefWindowProcW(hwnd, msg, wp, lp);
  if (t->taskbar_created != 0 && msg == t->taskbar_created) {
    t->added = false;  // the old shell's icons are gone
    AddIcon(t, hwnd);
    return 0;
  }
  switch (msg) {
    case kNotifyMessage:
      switch (LOWORD(lp)) {
        case WM_RBUTTONUP:
        case WM_CONTEXTMENU:
          ShowMenu(hwnd);
          break;
        case WM_LBUTTONDBLCLK:
          Command(t, TrayCommand::kStatus);
          break;
        default:
          break;
      }
      return 0;
    case WM_COMMAND:
      if (LOWORD(wp) == kCommandStatus) Command(t, TrayCommand::kStatus);
      else if (LOWORD(wp) == kCommandCalls) Command(t, TrayCommand::kCalls);
      else if (LOWORD(wp) == kCommandSupport) Command(t, TrayCommand::kSupport);
      else if (LOWORD(wp) == kCommandQuit) Command(t, TrayCommand::kQuit);
      return 0;
    case kStatusMessage: {
      NOTIFYICONDATAW nid = IconData(t, hwnd);
      if (!t->added || !Shell_NotifyIconW(NIM_MODIFY, &nid)) AddIcon(t, hwnd);
      return 0;
    }
    case kStopMessage:
      EndMenu();  // a menu still open would keep its modal loop running
      DestroyWindow(hwnd);
      return 0;
    case WM_CLOSE:
      return 0;  // only StopTray ends the tray (a stop request goes to the session-watch window)
    case WM_DESTROY:
      RemoveIcon(t, hwnd);
      PostQuitMessage(0);
      return 0;
    default:
      return DefWindowProcW(hwnd, msg, wp, lp);
  }
}

// No C++ exception leaves the window procedure (it would unwind through user32).
LRESULT CALLBACK WndProc(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp) {
  try {
    return Handle(hwnd, msg, wp, lp);
  } catch (...) {
    winx::ReportUncaught("tray window procedure", winx::CurrentExceptionWhat());
  }
  return msg == WM_DESTROY ? (PostQuitMessage(0), 0) : DefWindowProcW(hwnd, msg, wp, lp);
}

void Run(Tray* t) {
  winx::ScopedThreadDpiAwareness per_monitor_dpi;  // the menu and the icon at the monitor's DPI
  HINSTANCE instance = GetModuleHandleW(nullptr);
  WNDCLASSEXW wc{};
  wc.cbSize = sizeof(wc);
  wc.lpfnWndProc = WndProc;
  wc.hInstance = instance;
  wc.lpszClassName = kTrayWindowClass;
  RegisterClassExW(&wc);  // fails harmlessly when already registered by an earlier tray
  // Hidden top-level window (not HWND_MESSAGE: it must get the broadcast "TaskbarCreated" and be
  // found by FindWindowW).
  HWND hwnd = CreateWindowExW(0, kTrayWindowClass, L"Wildix CTI tray", WS_OVERLAPPED, 0, 0, 0, 0, nullptr, nullptr,
                              instance, nullptr);
  if (!hwnd) {
    t->error = GetLastError();
    t->start = TrayStart::kFailed;
    SetEvent(t->ready.Get());
    return;
  }
  t->taskbar_created = RegisterWindowMessageW(L"TaskbarCreated");
  SetWindowLongPtrW(hwnd, GWLP_USERDATA, reinterpret_cast<LONG_PTR>(t));
  t->hwnd = hwnd;
  t->start = TrayStart::kStarted;
  SetEvent(t->ready.Get());
  if (t->abandoned.load()) {
    PostMessageW(hwnd, kStopMessage, 0, 0);  // StartTray gave up on it
  } else {
    // after StartTray returned: a shell that is slow to take the icon (at logon) holds only this thread
    IconResult(t, AddIcon(t, hwnd));
  }
  MSG msg;
  while (GetMessageW(&msg, nullptr, 0, 0) > 0) {
    TranslateMessage(&msg);
    DispatchMessageW(&msg);
  }
}

}  // namespace

TrayStart StartTray(std::function<void(TrayCommand)> on_command, std::function<void(bool)> on_icon, const std::wstring& tooltip,
                    bool problem, unsigned long* error) {
  std::lock_guard<std::mutex> guard(g_lock);
  if (g_tray) return TrayStart::kRunning;
  std::shared_ptr<Tray> t;
  try {
    t = std::make_shared<Tray>();
    t->on_command = std::move(on_command);
    t->on_icon = std::move(on_icon);
    t->tooltip = tooltip.substr(0, kMaxTooltip);
  } catch (...) {
    if (error) *error = ERROR_NOT_ENOUGH_MEMORY;
    return TrayStart::kFailed;
  }
  t->problem = problem;
  t->ready = winx::UniqueHandle(CreateEventW(nullptr, TRUE, FALSE, nullptr));
  if (!t->ready) {
    if (error) *error = GetLastError();
    return TrayStart::kFailed;
  }
  DWORD start_error = 0;
  if (!t->thread.Start([t] { Run(t.get()); }, "tray thread", &start_error)) {
    if (error) *error = start_error;
    return TrayStart::kFailed;
  }
  if (WaitForSingleObject(t->ready.Get(), kStartWaitMs) != WAIT_OBJECT_0) {
    // No window in time: give the thread up (it holds its own reference) and report it. Its callback
    // (and the thread-safe function behind it, which the caller frees now) is never called, and a window
    // it makes later ends at once: either it sees `abandoned` after `ready`, or `ready` is set by now.
    {
      std::lock_guard<std::mutex> status_guard(t->lock);
      t->commands_open = false;
    }
    t->abandoned.store(true);
    if (WaitForSingleObject(t->ready.Get(), 0) == WAIT_OBJECT_0 && t->hwnd) PostMessageW(t->hwnd, kStopMessage, 0, 0);
    t->thread.Abandon();
    if (error) *error = ERROR_TIMEOUT;
    return TrayStart::kFailed;
  }
  const TrayStart result = t->start;
  if (result == TrayStart::kFailed) {
    if (error) *error = t->error;
    t->thread.Wait(kStopWaitMs);
    return result;
  }
  try {
    g_tray = new std::shared_ptr<Tray>(std::move(t));
  } catch (...) {
    PostMessageW(t->hwnd, kStopMessage, 0, 0);
    t->thread.Wait(kStopWaitMs);
    if (error) *error = ERROR_NOT_ENOUGH_MEMORY;
    return TrayStart::kFailed;
  }
  return result;
}

bool SetTrayStatus(const std::wstring& tooltip, bool problem) {
  std::lock_guard<std::mutex> guard(g_lock);
  if (!g_tray) return false;
  Tray* t = g_tray->get();
  {
    std::lock_guard<std::mutex> status_guard(t->lock);
    t->tooltip = tooltip.substr(0, kMaxTooltip);
    t->problem = problem;
  }
  return PostMessageW(t->hwnd, kStatusMessage, 0, 0) != FALSE;
}

bool StopTray() {
  std::shared_ptr<Tray> t;
  {
    std::lock_guard<std::mutex> guard(g_lock);
    if (!g_tray) return false;
    t = std::move(*g_tray);
    delete std::exchange(g_tray, nullptr);
  }
  {
    std::lock_guard<std::mutex> status_guard(t->lock);
    t->commands_open = false;
  }
  PostMessageW(t->hwnd, kStopMessage, 0, 0);
  // Bounded: a tray thread that does not end (a hung shell call) is given up; it owns its state.
  if (!t->thread.Wait(kStopWaitMs)) t->thread.Abandon();
  return true;
}

}  // namespace tray
