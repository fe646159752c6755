#include "tray/tray_window.h"

#include <windows.h>
#include <shellapi.h>

#include <cwchar>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "win/win_handles.h"

namespace tray {
namespace {

constexpr UINT kIconId = 1;
constexpr UINT kNotifyMessage = WM_APP + 1;  // the icon's mouse messages (uCallbackMessage)
constexpr UINT kStatusMessage = WM_APP + 2;  // SetTrayStatus: take the pending status
constexpr UINT kStopMessage = WM_APP + 3;    // StopTray: remove the icon, close the window

struct Tray {
  std::function<void(TrayCommand)> on_command;
  std::mutex lock;  // guards tooltip/problem between SetTrayStatus and the tray thread
  std::wstring tooltip;
  bool problem = false;
  UINT taskbar_created = 0;  // "TaskbarCreated": the shell (re)started, add the icon again
  bool added = false;        // tray thread only
  HWND hwnd = nullptr;       // written by the tray thread before `ready` is set
  winx::UniqueHandle ready;
  TrayStart start = TrayStart::kFailed;
  DWORD error = 0;
  std::thread thread;
};

std::mutex g_lock;
// A plain pointer on purpose (as in win/session_watch.cc): no static destructor after process.exit().
Tray* g_tray = nullptr;

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

LRESULT CALLBACK WndProc(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp) {
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
          t->on_command(TrayCommand::kStatus);
          break;
        default:
          break;
      }
      return 0;
    case WM_COMMAND:
      if (LOWORD(wp) == kCommandStatus) t->on_command(TrayCommand::kStatus);
      else if (LOWORD(wp) == kCommandQuit) t->on_command(TrayCommand::kQuit);
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

void Run(Tray* t) {
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
  t->start = AddIcon(t, hwnd) ? TrayStart::kShown : TrayStart::kNoShell;
  SetEvent(t->ready.Get());
  MSG msg;
  while (GetMessageW(&msg, nullptr, 0, 0) > 0) {
    TranslateMessage(&msg);
    DispatchMessageW(&msg);
  }
}

}  // namespace

TrayStart StartTray(std::function<void(TrayCommand)> on_command, const std::wstring& tooltip, bool problem,
                    unsigned long* error) {
  std::lock_guard<std::mutex> guard(g_lock);
  if (g_tray) return TrayStart::kRunning;
  auto t = std::make_unique<Tray>();
  t->on_command = std::move(on_command);
  t->tooltip = tooltip.substr(0, kMaxTooltip);
  t->problem = problem;
  t->ready = winx::UniqueHandle(CreateEventW(nullptr, TRUE, FALSE, nullptr));
  if (!t->ready) {
    if (error) *error = GetLastError();
    return TrayStart::kFailed;
  }
  try {
    t->thread = std::thread(Run, t.get());
  } catch (...) {  // no thread: resources exhausted
    if (error) *error = ERROR_NOT_ENOUGH_MEMORY;
    return TrayStart::kFailed;
  }
  WaitForSingleObject(t->ready.Get(), INFINITE);
  const TrayStart result = t->start;
  if (result == TrayStart::kFailed) {
    if (error) *error = t->error;
    t->thread.join();
  } else {
    g_tray = t.release();
  }
  return result;
}

bool SetTrayStatus(const std::wstring& tooltip, bool problem) {
  std::lock_guard<std::mutex> guard(g_lock);
  if (!g_tray) return false;
  {
    std::lock_guard<std::mutex> status_guard(g_tray->lock);
    g_tray->tooltip = tooltip.substr(0, kMaxTooltip);
    g_tray->problem = problem;
  }
  return PostMessageW(g_tray->hwnd, kStatusMessage, 0, 0) != FALSE;
}

bool StopTray() {
  std::unique_ptr<Tray> t;
  {
    std::lock_guard<std::mutex> guard(g_lock);
    t.reset(std::exchange(g_tray, nullptr));
  }
  if (!t) return false;
  PostMessageW(t->hwnd, kStopMessage, 0, 0);
  if (t->thread.joinable()) t->thread.join();
  return true;
}

}  // namespace tray
