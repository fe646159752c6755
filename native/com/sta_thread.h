// A thread that is a COM single-threaded apartment with its own message loop. Jobs posted from any
// thread run on it, in order, through a message-only window (so COM's modal loops dispatch them too).
#pragma once

#include <windows.h>

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace datev {

class StaThread {
 public:
  StaThread() = default;
  ~StaThread();  // Stop()s
  StaThread(const StaThread&) = delete;
  StaThread& operator=(const StaThread&) = delete;

  // Starts the thread and waits until the apartment is ready. `onExit` runs on the thread after the
  // loop ended, still inside the apartment (release COM objects there). `keepAlive` (the owner of
  // this object) is held until the thread ends, so a detached thread never outlives it.
  HRESULT Start(std::function<void()> onExit, std::shared_ptr<void> keepAlive);
  // Thread-safe. Returns false when the thread is not running (the job is dropped).
  bool Post(std::function<void()> job);
  // Ends the loop and joins; waits at most `timeoutMs` (then the thread is left behind, detached).
  void Stop(DWORD timeoutMs = 5000);
  bool Running() const;

  // On the apartment thread only: pump messages (COM calls, jobs) until done() or the timeout.
  // Returns true when done() became true.
  bool PumpUntil(const std::function<bool()>& done, DWORD timeoutMs);

  static LRESULT CALLBACK WndProc(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp);

 private:
  void Run(HANDLE ready, std::function<void()> onExit);
  void DrainJobs();

  mutable std::mutex mutex_;
  std::deque<std::function<void()>> jobs_;
  HWND hwnd_ = nullptr;
  bool running_ = false;
  bool quit_ = false;  // loop must end (set on the thread)
  HRESULT startHr_ = S_OK;
  std::thread thread_;
  HANDLE exited_ = nullptr;
};

}  // namespace datev
