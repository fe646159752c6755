#include "com/deadline_watch.h"

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace datev {

std::shared_ptr<DeadlineWatch> DeadlineWatch::Create() { return std::shared_ptr<DeadlineWatch>(new DeadlineWatch()); }

uint64_t DeadlineWatch::Add(Check check) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!thread_.started() && !shutdown_) {
    DWORD error = 0;
    if (!thread_.Start([self = shared_from_this()] { self->Run(); }, "COM deadline watch", &error)) {
      throw std::runtime_error("cannot start the COM watchdog thread (error " + std::to_string(error) + ")");
    }
  }
  const uint64_t token = nextToken_++;
  checks_[token] = std::make_shared<Check>(std::move(check));
  ++wakes_;
  cv_.notify_all();
  return token;
}

void DeadlineWatch::Remove(uint64_t token) {
  std::unique_lock<std::mutex> lock(mutex_);
  checks_.erase(token);
  if (thread_.IsCurrent()) return;  // from inside a check: it is not called again
  cv_.wait_for(lock, std::chrono::milliseconds(kRemoveWaitMs), [&]() { return running_ != token; });
}

void DeadlineWatch::Wake() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++wakes_;
  cv_.notify_all();
}

void DeadlineWatch::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (shutdown_) return;
    shutdown_ = true;
  }
  cv_.notify_all();
  if (thread_.IsCurrent()) return;  // it ends after the current round
  if (!thread_.Wait(kStopWaitMs)) thread_.Abandon();  // it holds the watch: nothing it uses goes away
}

void DeadlineWatch::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!shutdown_) {
    const uint64_t wakes = wakes_;
    std::vector<std::pair<uint64_t, std::shared_ptr<Check>>> round(checks_.begin(), checks_.end());
    ULONGLONG next = 0;
    for (auto& [token, check] : round) {
      if (shutdown_ || checks_.find(token) == checks_.end()) continue;  // removed meanwhile
      running_ = token;
      lock.unlock();
      ULONGLONG due = 0;
      try {
        due = (*check)(GetTickCount64());
      } catch (...) {
        due = 0;  // a check only settles bookkeeping; if it fails, its owner's next Wake() tries again
      }
      lock.lock();
      running_ = 0;
      cv_.notify_all();  // a Remove may wait for this check to end
      if (due != 0 && (next == 0 || due < next)) next = due;
    }
    if (shutdown_) break;
    if (wakes_ != wakes) continue;  // woken during the round: look again
    if (next == 0) {
      cv_.wait(lock, [&]() { return shutdown_ || wakes_ != wakes; });
    } else {
      const ULONGLONG now = GetTickCount64();
      if (next > now) {
        cv_.wait_for(lock, std::chrono::milliseconds(next - now), [&]() { return shutdown_ || wakes_ != wakes; });
      }
    }
  }
  checks_.clear();  // the owners' checks (and what they hold) go with the thread
}

}  // namespace datev
