#include "win/session_watch.h"

#include <windows.h>

#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "win/win_handles.h"

namespace winx {
namespace {

constexpr const wchar_t* kClassName = kSessionWatchClass;

struct Watch {
  std::function<void(SessionEnd)> on_end;
  unsigned hold_ms = 0;
  UniqueHandle released;  // manual-reset event: set by StopSessionWatch
  HWND hwnd = nullptr;    // written by the watcher thread before `ready` is set
  UniqueHandle ready;
  bool ok = false;
  std::thread thread;
};

std::mutex g_lock;
// A plain pointer on purpose: process.exit() ends the process without Node's cleanup hooks, and a
// static destructor must not destroy (or std::terminate on) a watch whose thread still runs.
Watch* g_watch = nullptr;

LRESULT CALLBACK WndProc(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp) {
  Watch* w = reinterpret_cast<Watch*>(GetWindowLongPtrW(hwnd, GWLP_USERDATA));
  switch (msg) {
    case WM_QUERYENDSESSION:
      return TRUE;  // never block the user's logoff
    case WM_ENDSESSION:
      if (wp && w) {
        w->on_end((static_cast<DWORD>(lp) & ENDSESSION_LOGOFF) ? SessionEnd::kLogoff : SessionEnd::kShutdown);
        // Hold the session end while the program closes the line and leaves the ROT; released by
        // StopSessionWatch (process exit) or after hold_ms.
        WaitForSingleObject(w->released.Get(), w->hold_ms);
      }
      return 0;
    case WM_CLOSE:
      // From StopSessionWatch (released is set): end the thread. From outside: a stop request.
      if (!w || WaitForSingleObject(w->released.Get(), 0) == WAIT_OBJECT_0) DestroyWindow(hwnd);
      else w->on_end(SessionEnd::kClose);
      return 0;
    case WM_DESTROY:
      PostQuitMessage(0);
      return 0;
    default:
      return DefWindowProcW(hwnd, msg, wp, lp);
  }
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
  MSG msg;
  while (GetMessageW(&msg, nullptr, 0, 0) > 0) {
    TranslateMessage(&msg);
    DispatchMessageW(&msg);
  }
}

}  // namespace

bool StartSessionWatch(std::function<void(SessionEnd)> on_end, unsigned hold_ms) {
  std::lock_guard<std::mutex> guard(g_lock);
  if (g_watch) return g_watch->ok;
  auto w = std::make_unique<Watch>();
  w->on_end = std::move(on_end);
  w->hold_ms = hold_ms;
  w->released = UniqueHandle(CreateEventW(nullptr, TRUE, FALSE, nullptr));
  w->ready = UniqueHandle(CreateEventW(nullptr, TRUE, FALSE, nullptr));
  if (!w->released || !w->ready) return false;
  try {
    w->thread = std::thread(Run, w.get());
  } catch (...) {  // no thread: resources exhausted
    return false;
  }
  WaitForSingleObject(w->ready.Get(), INFINITE);
  const bool ok = w->ok;
  if (!ok) w->thread.join();
  else g_watch = w.release();
  return ok;
}

void StopSessionWatch() {
  std::unique_ptr<Watch> w;
  {
    std::lock_guard<std::mutex> guard(g_lock);
    w.reset(std::exchange(g_watch, nullptr));
  }
  if (!w) return;
  SetEvent(w->released.Get());
  PostMessageW(w->hwnd, WM_CLOSE, 0, 0);
  if (w->thread.joinable()) w->thread.join();
}

}  // namespace winx
