#include "com/sta_thread.h"

#include <objbase.h>

#include <cstdio>
#include <exception>
#include <system_error>

#include "win/thread.h"

namespace datev {

namespace {
constexpr UINT kWmJobs = WM_APP + 1;
constexpr UINT kWmQuit = WM_APP + 2;
const wchar_t kClassName[] = L"WildixDatevCtiStaWindow";
// E_ILLEGAL_METHOD_CALL (not declared by every SDK for _WIN32_WINNT 0x0601)
constexpr HRESULT kIllegalMethodCall = static_cast<HRESULT>(0x8000000EL);

thread_local StaThread* t_current = nullptr;
std::mutex g_errorMutex;
std::function<void(const std::string&)> g_jobError;

void ReportJobError(const std::string& what) {
  std::function<void(const std::string&)> handler;
  {
    std::lock_guard<std::mutex> lock(g_errorMutex);
    handler = g_jobError;
  }
  if (!handler) return;
  try {
    handler(what);
  } catch (...) {
    // the error reporter itself failed: nothing more can be done on this thread
  }
}
}  // namespace

StaThread* StaThread::Current() { return t_current; }

void StaThread::SetJobErrorHandler(std::function<void(const std::string&)> handler) {
  std::lock_guard<std::mutex> lock(g_errorMutex);
  g_jobError = std::move(handler);
}

StaThread::StaThread(std::string name, IMessageFilter* filter) : name_(std::move(name)), filter_(filter) {
  if (filter_) filter_->AddRef();
}

StaThread::~StaThread() {
  Stop();
  // Either the thread was joined, or this runs after Run() returned (keepAlive holds this object
  // while the thread lives), so exited_ is no longer used.
  if (exited_) CloseHandle(exited_);
  if (filter_) filter_->Release();
}

bool StaThread::Running() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return running_;
}

HRESULT StaThread::Start(std::function<void()> onExit, std::shared_ptr<void> keepAlive, DWORD readyMs) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (started_) return kIllegalMethodCall;
    started_ = true;
  }
  HANDLE ready = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (!ready) return HRESULT_FROM_WIN32(GetLastError());
  exited_ = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (!exited_) {
    CloseHandle(ready);
    return HRESULT_FROM_WIN32(GetLastError());
  }
  try {
    thread_ = std::thread([this, ready, onExit, keepAlive]() mutable {
      try {
        Run(ready, onExit);
      } catch (...) {
        // Jobs catch their own exceptions; this is the loop itself failing (out of memory, a broken
        // lock). Nothing may leave a thread (std::terminate would end the program without a word): the
        // apartment ends, its next job is refused ("has ended") and a new thread takes the one after.
        winx::ReportUncaught(name_.c_str(), winx::CurrentExceptionWhat());
        try {
          ReportJobError(name_ + ": the thread ended on an exception: " + winx::CurrentExceptionWhat());
        } catch (...) {
        }
        SetEvent(exited_);
      }
      keepAlive.reset();  // may destroy the owner (and this object) on this thread
    });
  } catch (const std::system_error&) {
    CloseHandle(ready);
    CloseHandle(exited_);
    exited_ = nullptr;
    return E_OUTOFMEMORY;
  }
  // Run() sets `ready` on every path, right at the start; bounded all the same (the caller may be the
  // JavaScript thread).
  if (WaitForSingleObject(ready, readyMs) != WAIT_OBJECT_0) {
    int pending = kStartPending;
    if (startState_.compare_exchange_strong(pending, kStartAbandoned)) {
      // The thread owns `ready` from now on (it closes it) and ends once it runs; it holds keepAlive.
      thread_.detach();
      return RPC_E_TIMEOUT;
    }
    // it became ready just now
  }
  CloseHandle(ready);
  if (FAILED(startHr_)) {
    thread_.join();
    CloseHandle(exited_);
    exited_ = nullptr;
  }
  return startHr_;
}

void StaThread::Run(HANDLE ready, std::function<void()> onExit) {
  // Start() waits for `ready`: it is set on every way out of here, an exception included.
  // Set() returns false when Start() has given up waiting: the thread then ends without a loop.
  struct ReadySignal {
    HANDLE event;
    HRESULT& hr;
    std::atomic<int>& state;
    bool set = false;
    bool Set() {
      set = true;
      SetEvent(event);
      int pending = kStartPending;
      if (state.compare_exchange_strong(pending, kStartReady)) return true;
      CloseHandle(event);  // abandoned: Start() left it to this thread
      return false;
    }
    ~ReadySignal() {
      if (set) return;
      hr = E_UNEXPECTED;
      Set();
    }
  } readySignal{ready, startHr_, startState_};
  threadId_ = GetCurrentThreadId();
  t_current = this;
  char threadName[64];
  std::snprintf(threadName, sizeof threadName, "%s%s", name_.rfind("COM", 0) == 0 ? "" : "COM ", name_.c_str());
  winx::NameCurrentThread(threadName);
  startHr_ = CoInitializeEx(nullptr, COINIT_APARTMENTTHREADED | COINIT_DISABLE_OLE1DDE);
  if (FAILED(startHr_)) {
    readySignal.Set();
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
    readySignal.Set();
    return;
  }
  SetWindowLongPtrW(hwnd, GWLP_USERDATA, reinterpret_cast<LONG_PTR>(this));
  IMessageFilter* previous = nullptr;
  if (filter_) CoRegisterMessageFilter(filter_, &previous);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    hwnd_ = hwnd;
    running_ = true;
  }
  if (!readySignal.Set()) quit_ = true;  // Start() gave up on this thread: no loop, straight to the end

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
  if (onExit) {
    try {
      onExit();
    } catch (...) {
      ReportJobError(name_ + ": the exit job failed");
    }
  }
  if (filter_) {
    IMessageFilter* ours = nullptr;
    CoRegisterMessageFilter(previous, &ours);
    if (ours) ours->Release();
  } else if (previous) {
    previous->Release();
  }
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

void StaThread::RunJob(std::function<void()>& job) {
  // Nested jobs (a job pumping messages, e.g. PumpUntil) keep the outer start time.
  ULONGLONG expected = 0;
  bool outer = busySince_.compare_exchange_strong(expected, GetTickCount64());
  try {
    job();
  } catch (const std::exception& e) {
    ReportJobError(name_ + ": a job failed: " + e.what());
  } catch (...) {
    ReportJobError(name_ + ": a job failed with an unknown exception");
  }
  if (outer) busySince_ = 0;
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
    RunJob(job);
  }
}

bool StaThread::Post(std::function<void()> job) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!running_ || !hwnd_) return false;
  try {
    jobs_.push_back(std::move(job));
  } catch (const std::bad_alloc&) {
    return false;
  }
  PostMessageW(hwnd_, kWmJobs, 0, 0);
  return true;
}

bool StaThread::Stop(DWORD timeoutMs) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (hwnd_) PostMessageW(hwnd_, kWmQuit, 0, 0);
  }
  if (!thread_.joinable()) return true;
  if (thread_.get_id() == std::this_thread::get_id()) {
    thread_.detach();
    return true;
  }
  if (WaitForSingleObject(exited_, timeoutMs) == WAIT_OBJECT_0) {
    thread_.join();
    CloseHandle(exited_);
    exited_ = nullptr;
    return true;
  }
  thread_.detach();  // stuck in a foreign COM call; it still holds keepAlive, so this object lives on
  return false;
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
      if (GetTickCount64() >= deadline) return false;  // bounded even when messages never stop coming
    }
    if (done()) return true;
    if (quit_) return false;
    ULONGLONG now = GetTickCount64();
    if (now >= deadline) return false;
    MsgWaitForMultipleObjectsEx(0, nullptr, static_cast<DWORD>(deadline - now), QS_ALLINPUT, MWMO_INPUTAVAILABLE);
  }
}

}  // namespace datev
