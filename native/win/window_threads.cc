#include "win/window_threads.h"

#include <chrono>
#include <utility>

#include "win/thread.h"

namespace winx {

WindowThreads::WindowThreads(const char* name, size_t keep, DWORD idle_ms) : shared_(std::make_shared<Shared>()) {
  shared_->name = name;
  shared_->keep = keep;
  shared_->idle_ms = idle_ms;
}

bool WindowThreads::Run(std::function<void()> job, DWORD* error) noexcept {
  std::shared_ptr<Shared> shared = shared_;
  {
    std::lock_guard<std::mutex> lock(shared->mutex);
    if (!shared->idle.empty()) {  // the thread that became idle last takes it
      Slot* slot = shared->idle.back();
      shared->idle.pop_back();
      slot->job = std::move(job);
      slot->wake.notify_one();
      return true;
    }
    ++shared->threads;  // counted before it runs, so that a failed start is undone below
  }
  Thread thread;  // runs on by itself; the handle is closed when `thread` goes
  if (thread.Start([shared, job = std::move(job)]() mutable { Loop(shared, std::move(job)); }, shared->name, error)) {
    return true;
  }
  std::lock_guard<std::mutex> lock(shared->mutex);
  --shared->threads;
  return false;
}

namespace {

// Whatever a job left in the thread's queue goes before the next job: above all a WM_QUIT (a window
// destroyed after its loop had ended posts one), which would end the next job's loop at once while its
// window still lives. Bounded, in case something keeps posting.
void DrainMessages() noexcept {
  MSG msg;
  for (int i = 0; i < 10000 && PeekMessageW(&msg, nullptr, 0, 0, PM_REMOVE); ++i) {
  }
}

}  // namespace

void WindowThreads::Loop(const std::shared_ptr<Shared>& shared, std::function<void()> first) noexcept {
  Slot slot;
  slot.job = std::move(first);
  for (;;) {
    DrainMessages();
    NoThrow(shared->name, slot.job);  // a job reports its own failures; an escaped exception ends only the job
    slot.job = nullptr;
    std::unique_lock<std::mutex> lock(shared->mutex);
    if (!NoThrow("window thread (idle list)", [&] { shared->idle.push_back(&slot); })) {
      --shared->threads;  // no memory to wait for another job: this thread ends
      return;
    }
    auto has_job = [&]() { return static_cast<bool>(slot.job); };
    for (;;) {
      if (shared->threads <= shared->keep) {  // one of the kept ones (also once the others have ended)
        slot.wake.wait(lock, has_job);
        break;
      }
      if (slot.wake.wait_for(lock, std::chrono::milliseconds(shared->idle_ms), has_job)) break;
      if (shared->threads <= shared->keep) continue;
      // idle too long: still in the list (Run() takes a slot out before it hands it a job)
      for (auto it = shared->idle.begin(); it != shared->idle.end(); ++it) {
        if (*it == &slot) {
          shared->idle.erase(it);
          break;
        }
      }
      --shared->threads;
      return;
    }
  }
}

}  // namespace winx
