#include "win/session_watch.h"

#include <windows.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <utility>

#include "win/thread.h"
#include "win/win_handles.h"

namespace winx {
namespace {

constexpr const wchar_t* kClassName = kSessionWatchClass;
constexpr DWORD kStartWaitMs = 10000;  // the window is there within this (else: failed)
constexpr DWORD kStopWaitMs = 5000;    // the thread ends within this (else: abandoned)

// Shared by the JS side and the watcher thread (which holds a reference of its own).
struct Watch {
  std::function<void(SessionEnd)> on_end;
  unsigned hold_ms = 0;
  UniqueHandle released;  // manual-reset event: set by StopSessionWatch
  HWND hwnd = nullptr;    // written by the watcher thread before `ready` is set
  UniqueHandle ready;
  std::atomic<bool> abandoned{false};  // the start waited too long: a window made later ends at once
  bool ok = false;
  std::mutex lock;       // on_end calls vs. StopSessionWatch
  bool ends_open = true;  // cleared by StopSessionWatch: no on_end call after it returned
  winx::Thread thread;
};

std::mutex g_lock;
// A plain pointer on purpose: process.exit() ends the process without Node's cleanup hooks, and a
// static destructor must not destroy a watch whose thread still runs.
std::shared_ptr<Watch>* g_watch = nullptr;

void End(Watch* w, SessionEnd end) noexcept {
  winx::NoThrow("session watch callback", [&] {
    std::lock_guard<std::mutex> guard(w->lock);
    if (w->ends_open) w->on_end(end);
  });
}

LRESULT Handle(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp) {
  Watch* w = reinterpret_cast<Watch*>(GetWindowLongPtrW(hwnd, GWLP_USERDATA));
  switch (msg) {
    case WM_QUERYENDSESSION:
      return TRUE;  // never block the user's logoff
    case WM_ENDSESSION:
      if (wp && w) {
        End(w, (static_cast<DWORD>(lp) & ENDSESSION_LOGOFF) ? SessionEnd::kLogoff : SessionEnd::kShutdown);
        // Hold the session end while the program closes the line and leaves the ROT; released by
        // StopSessionWatch (process exit) or after hold_ms.
        WaitForSingleObject(w->released.Get(), w->hold_ms);
      }
      return 0;
    case WM_CLOSE:
      // From StopSessionWatch (released is set): end the thread. From outside: a stop request.
      if (!w || WaitForSingleObject(w->released.Get(), 0) == WAIT_OBJECT_0) DestroyWindow(hwnd);
      else End(w, SessionEnd::kClose);
      return 0;
    case WM_DESTROY:
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
    winx::ReportUncaught("session watch window procedure", winx::CurrentExceptionWhat());
  }
  return msg == WM_DESTROY ? (PostQuitMessage(0), 0) : DefWindowProcW(hwnd, msg, wp, lp);
}

void Run(Watch* w) {
  HINSTANCE instance = GetModuleHandleW(nullptr);
  WNDCLASSEXW wc{};
  wc.cbSize = sizeof(wc);
  wc.lpfnWndProc = WndProc;
  wc.hInstance = instance;
  wc.lpszClassName = kClassName;
  RegisterClassExW(&wc);  // fails harmlessly when already registered by an earlier watcher
  // A hidden top-level window (not HWND_MESSAGE: message-only windows get no session messages).
  HWND hwnd = CreateWindowExW(0, kClassName, L"Wildix CTI session", WS_OVERLAPPED, 0, 0, 0, 0, nullptr, nullptr,
                              instance, nullptr);
  if (hwnd) SetWindowLongPtrW(hwnd, GWLP_USERDATA, reinterpret_cast<LONG_PTR>(w));
  w->hwnd = hwnd;
  w->ok = hwnd != nullptr;
  SetEvent(w->ready.Get());
  if (!hwnd) return;
  if (w->abandoned.load()) PostMessageW(hwnd, WM_CLOSE, 0, 0);  // StartSessionWatch gave up on it
  MSG msg;
  while (GetMessageW(&msg, nullptr, 0, 0) > 0) {
    TranslateMessage(&msg);
    DispatchMessageW(&msg);
  }
}

}  // namespace

bool StartSessionWatch(std::function<void(SessionEnd)> on_end, unsigned hold_ms) {
  std::lock_guard<std::mutex> guard(g_lock);
  if (g_watch) return (*g_watch)->ok;
  std::shared_ptr<Watch> w;
  try {
    w = std::make_shared<Watch>();
    w->on_end = std::move(on_end);
  } catch (...) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return false;
  }
  w->hold_ms = hold_ms;
  w->released = UniqueHandle(CreateEventW(nullptr, TRUE, FALSE, nullptr));
  w->ready = UniqueHandle(CreateEventW(nullptr, TRUE, FALSE, nullptr));
  if (!w->released || !w->ready) return false;
  DWORD error = 0;
  if (!w->thread.Start([w] { Run(w.get()); }, "session watch thread", &error)) {
    SetLastError(error);
    return false;
  }
  if (WaitForSingleObject(w->ready.Get(), kStartWaitMs) != WAIT_OBJECT_0) {
    // Given up: its callback (and the thread-safe function behind it, which the caller frees now) is
    // never called, and a window it makes later closes at once (it sees `abandoned`, or `ready` is set).
    SetEvent(w->released.Get());
    {
      std::lock_guard<std::mutex> ends_guard(w->lock);
      w->ends_open = false;
    }
    w->abandoned.store(true);
    if (WaitForSingleObject(w->ready.Get(), 0) == WAIT_OBJECT_0 && w->hwnd) PostMessageW(w->hwnd, WM_CLOSE, 0, 0);
    w->thread.Abandon();  // it holds its own reference
    SetLastError(ERROR_TIMEOUT);
    return false;
  }
  const bool ok = w->ok;
  if (!ok) {
    w->thread.Wait(kStopWaitMs);
    return false;
  }
  try {
    g_watch = new std::shared_ptr<Watch>(std::move(w));
  } catch (...) {
    SetEvent(w->released.Get());
    PostMessageW(w->hwnd, WM_CLOSE, 0, 0);
    w->thread.Wait(kStopWaitMs);
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return false;
  }
  return true;
}

void StopSessionWatch() {
  std::shared_ptr<Watch> w;
  {
    std::lock_guard<std::mutex> guard(g_lock);
    if (!g_watch) return;
    w = std::move(*g_watch);
    delete std::exchange(g_watch, nullptr);
  }
  SetEvent(w->released.Get());  // also ends a WM_ENDSESSION hold at once
  {
    std::lock_guard<std::mutex> guard(w->lock);
    w->ends_open = false;
  }
  PostMessageW(w->hwnd, WM_CLOSE, 0, 0);
  if (!w->thread.Wait(kStopWaitMs)) w->thread.Abandon();
}

}  // namespace winx
