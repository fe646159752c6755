// A thread that is a COM single-threaded apartment with its own message loop. Jobs posted from any
// thread run on it, in order, through a message-only window (so COM's modal loops dispatch them too).
// Each StaThread object runs at most one thread in its lifetime: to restart an apartment, make a new
// StaThread (a stuck old one is detached, never destroyed while joinable, so no std::terminate).
#pragma once

#include <windows.h>
#include <objidl.h>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace datev {

class StaThread : public std::enable_shared_from_this<StaThread> {
 public:
  // `name` is used in log lines; `filter` (optional) is registered as the apartment's IMessageFilter.
  explicit StaThread(std::string name = "COM", IMessageFilter* filter = nullptr);
  ~StaThread();  // Stop()s
  StaThread(const StaThread&) = delete;
  StaThread& operator=(const StaThread&) = delete;

  // Starts the thread and waits until the apartment is ready, at most `readyMs`. `onExit` runs on the
  // thread after the loop ended, still inside the apartment (release COM objects there). `keepAlive`
  // (the owner of this object, or something that owns it) is held until the thread ends, so a detached
  // thread never outlives it. A thread not ready in time (held up in Windows' thread start, e.g. behind
  // the loader lock) is given up: Start returns RPC_E_TIMEOUT, the thread is detached and ends by itself
  // as soon as it gets going, without running a loop. A second Start() returns E_ILLEGAL_METHOD_CALL.
  static constexpr DWORD kDefaultReadyMs = 10000;
  HRESULT Start(std::function<void()> onExit, std::shared_ptr<void> keepAlive, DWORD readyMs = kDefaultReadyMs);
  // Thread-safe. Returns false when the thread is not running (the job is dropped).
  bool Post(std::function<void()> job);
  // Ends the loop and joins; waits at most `timeoutMs` (then the thread is left behind, detached).
  // Returns true when the thread ended in time.
  bool Stop(DWORD timeoutMs = 5000);
  bool Running() const;
  // GetTickCount64() when the job now running started, 0 when idle (for watchdogs; any thread).
  ULONGLONG BusySince() const { return busySince_.load(); }
  DWORD ThreadId() const { return threadId_.load(); }
  const std::string& Name() const { return name_; }
  // The StaThread whose thread is calling (nullptr on other threads).
  static StaThread* Current();

  // On the apartment thread only: pump messages (COM calls, jobs) until done() or the timeout.
  // Returns true when done() became true.
  bool PumpUntil(const std::function<bool()>& done, DWORD timeoutMs);

  // Called (on the apartment thread) when a job throws; the thread goes on. Set once at start-up.
  static void SetJobErrorHandler(std::function<void(const std::string&)> handler);

  static LRESULT CALLBACK WndProc(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp);

 private:
  void Run(HANDLE ready, std::function<void()> onExit);
  void DrainJobs();
  void RunJob(std::function<void()>& job);

  const std::string name_;
  IMessageFilter* filter_;
  mutable std::mutex mutex_;
  std::deque<std::function<void()>> jobs_;
  HWND hwnd_ = nullptr;
  bool running_ = false;
  bool started_ = false;
  bool quit_ = false;  // loop must end (set on the thread)
  HRESULT startHr_ = S_OK;
  // Start()'s handshake with the new thread: whichever of "ready" and "given up" comes first decides.
  enum StartState : int { kStartPending, kStartReady, kStartAbandoned };
  std::atomic<int> startState_{kStartPending};
  std::thread thread_;
  HANDLE exited_ = nullptr;
  std::atomic<ULONGLONG> busySince_{0};
  std::atomic<DWORD> threadId_{0};
};

}  // namespace datev
