// Long-lived threads for jobs that each run one window's message loop until the window is gone (the
// call windows): a job runs on an idle thread of the set, or on a new one when all are busy; after its
// job a thread waits for the next one — the last `keep` threads for ever, the others `idle_ms` — and
// then ends. The thread that became idle last takes the next job. Instead of a thread per window: under Wine a new thread that shows a window also opens its
// own X11 connection and costs about 1 MB, and every incoming call opens a window.
//
// A job must leave its thread as it found it: its windows destroyed (a window whose procedure points at
// the job's objects would get the next job's messages) and scoped thread settings restored. What it left
// in the thread's message queue (a WM_QUIT above all) is dropped before the next job starts.
#pragma once

#include <windows.h>

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace winx {

class WindowThreads {
 public:
  WindowThreads(const char* name, size_t keep, DWORD idle_ms);
  WindowThreads(const WindowThreads&) = delete;
  WindowThreads& operator=(const WindowThreads&) = delete;

  // Runs `job` on an idle thread, or a new one. false (a Win32-style code in *error) when no thread
  // could be started or there was no memory for the job; nothing here throws.
  bool Run(std::function<void()> job, DWORD* error = nullptr) noexcept;

 private:
  // One waiting thread: Run() hands it its next job directly (the most recently idle thread first, so
  // that dialogs one after another run on the same thread and the surplus ones end).
  struct Slot {
    std::condition_variable wake;
    std::function<void()> job;
  };
  struct Shared {
    const char* name;
    size_t keep;
    DWORD idle_ms;
    std::mutex mutex;
    std::vector<Slot*> idle;  // threads waiting for a job, the most recent last
    size_t threads = 0;
  };
  static void Loop(const std::shared_ptr<Shared>& shared, std::function<void()> first) noexcept;

  // Owned by the threads as well: a thread that outlives this object (process exit) uses nothing else.
  std::shared_ptr<Shared> shared_;
};

}  // namespace winx
