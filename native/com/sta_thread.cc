#include "com/sta_thread.h"

#include <objbase.h>

namespace datev {

namespace {
constexpr UINT kWmJobs = WM_APP + 1;
constexpr UINT kWmQuit = WM_APP + 2;
const wchar_t kClassName[] = L"WildixDatevCtiStaWindow";
}  // namespace

StaThread::~StaThread() { Stop(); }

bool StaThread::Running() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return running_;
}

HRESULT StaThread::Start(std::function<void()> onExit, std::shared_ptr<void> keepAlive) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (running_) return S_FALSE;
  }
  HANDLE ready = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (!ready) return HRESULT_FROM_WIN32(GetLastError());
  exited_ = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (!exited_) {
    CloseHandle(ready);
    return HRESULT_FROM_WIN32(GetLastError());
  }
  thread_ = std::thread([this, ready, onExit, keepAlive]() mutable {
    Run(ready, onExit);
    keepAlive.reset();  // may destroy the owner (and this object) on this thread
  });
  WaitForSingleObject(ready, INFINITE);
  CloseHandle(ready);
  if (FAILED(startHr_)) {
    thread_.join();
    CloseHandle(exited_);
    exited_ = nullptr;
  }
  return startHr_;
}

void StaThread::Run(HANDLE ready, std::function<void()> onExit) {
  startHr_ = CoInitializeEx(nullptr, COINIT_APARTMENTTHREADED | COINIT_DISABLE_OLE1DDE);
  if (FAILED(startHr_)) {
    SetEvent(ready);
    return;
  }
  static std::once_flag registered;
  std::call_once(registered, [] {
    WNDCLASSEXW wc{};
    wc.cbSize = sizeof(wc);
    wc.lpfnWndProc = &StaThread::WndProc;
    wc.hInstance = GetModuleHandleW(nullptr);
    wc.lpszClassName = kClassName;
    RegisterClassExW(&wc);
  });
  HWND hwnd = CreateWindowExW(0, kClassName, L"", 0, 0, 0, 0, 0, HWND_MESSAGE, nullptr, GetModuleHandleW(nullptr),
                              nullptr);
  if (!hwnd) {
    startHr_ = HRESULT_FROM_WIN32(GetLastError());
    CoUninitialize();
    SetEvent(ready);
    return;
  }
  SetWindowLongPtrW(hwnd, GWLP_USERDATA, reinterpret_cast<LONG_PTR>(this));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    hwnd_ = hwnd;
    running_ = true;
  }
  SetEvent(ready);

  MSG msg;
  while (!quit_) {
    BOOL got = GetMessageW(&msg, nullptr, 0, 0);
    if (got == 0 || got == -1) break;
    TranslateMessage(&msg);
    DispatchMessageW(&msg);
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    running_ = false;
    hwnd_ = nullptr;
  }
  DrainJobs();  // jobs posted before Stop still run (they settle their promises)
  if (onExit) onExit();
  DestroyWindow(hwnd);
  CoUninitialize();
  SetEvent(exited_);
}

LRESULT CALLBACK StaThread::WndProc(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp) {
  auto* self = reinterpret_cast<StaThread*>(GetWindowLongPtrW(hwnd, GWLP_USERDATA));
  if (self && msg == kWmJobs) {
    self->DrainJobs();
    return 0;
  }
  if (self && msg == kWmQuit) {
    self->quit_ = true;
    PostMessageW(hwnd, WM_NULL, 0, 0);  // wake GetMessage
    return 0;
  }
  return DefWindowProcW(hwnd, msg, wp, lp);
}

void StaThread::DrainJobs() {
  for (;;) {
    std::function<void()> job;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

bool StaThread::Post(std::function<void()> job) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!running_ || !hwnd_) return false;
  jobs_.push_back(std::move(job));
  PostMessageW(hwnd_, kWmJobs, 0, 0);
  return true;
}

void StaThread::Stop(DWORD timeoutMs) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (hwnd_) PostMessageW(hwnd_, kWmQuit, 0, 0);
  }
  if (!thread_.joinable()) return;
  if (thread_.get_id() == std::this_thread::get_id()) {
    thread_.detach();
    return;
  }
  if (WaitForSingleObject(exited_, timeoutMs) == WAIT_OBJECT_0) {
    thread_.join();
    CloseHandle(exited_);
    exited_ = nullptr;
  } else {
    thread_.detach();  // stuck in a foreign COM call; the process may exit with it
  }
}

bool StaThread::PumpUntil(const std::function<bool()>& done, DWORD timeoutMs) {
  ULONGLONG deadline = GetTickCount64() + timeoutMs;
  MSG msg;
  for (;;) {
    while (PeekMessageW(&msg, nullptr, 0, 0, PM_REMOVE)) {
      if (msg.message == WM_QUIT) {
        quit_ = true;
        break;
      }
      TranslateMessage(&msg);
      DispatchMessageW(&msg);
      if (done()) return true;
    }
    if (done()) return true;
    if (quit_) return false;
    ULONGLONG now = GetTickCount64();
    if (now >= deadline) return false;
    MsgWaitForMultipleObjectsEx(0, nullptr, static_cast<DWORD>(deadline - now), QS_ALLINPUT, MWMO_INPUTAVAILABLE);
  }
}

}  // namespace datev
