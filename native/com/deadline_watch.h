// One long-lived thread that watches the deadlines of bounded jobs for any number of owners (the COM
// bridge's two ApartmentPools): each owner registers a check, which settles what has expired and says
// when its next deadline is; the thread sleeps until the earliest one or until an owner has a new one.
// One thread for all instead of a watchdog per pool (under Wine each thread costs about 1 MB).
//
// A check runs on the watch thread without any lock of the watch held, so it may call Wake() and take
// its owner's locks; it must not block (it settles and returns). The thread owns the watch (it holds a
// reference), so the watch outlives it whichever thread lets go of it last.
#pragma once

#include <windows.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "win/thread.h"

namespace datev {

class DeadlineWatch : public std::enable_shared_from_this<DeadlineWatch> {
 public:
  // Settles the owner's expired jobs at `now` (GetTickCount64()) and returns its next deadline, 0 for none.
  using Check = std::function<ULONGLONG(ULONGLONG now)>;

  static std::shared_ptr<DeadlineWatch> Create();
  DeadlineWatch(const DeadlineWatch&) = delete;
  DeadlineWatch& operator=(const DeadlineWatch&) = delete;

  // Registers `check` (the thread starts with the first one; std::runtime_error when it cannot) and
  // returns its token for Remove.
  uint64_t Add(Check check);
  // Unregisters a check. Once it returns, the check does not run again and is not running (it waits
  // for a running one at most kRemoveWaitMs; from inside a check, on the watch thread, it does not wait).
  void Remove(uint64_t token);
  // An owner has a new deadline: the checks run again now. Any thread; never blocks for long.
  void Wake();
  // Ends the thread: waits for it at most kStopWaitMs (not at all on the watch thread). Idempotent.
  void Shutdown();

  static constexpr DWORD kRemoveWaitMs = 5000;
  static constexpr DWORD kStopWaitMs = 2000;

 private:
  DeadlineWatch() = default;
  void Run();

  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<uint64_t, std::shared_ptr<Check>> checks_;
  uint64_t nextToken_ = 1;
  uint64_t wakes_ = 0;    // bumped by Wake(): a wake during a round is not lost
  uint64_t running_ = 0;  // token of the check running now, 0 when none
  bool shutdown_ = false;
  winx::Thread thread_;
};

}  // namespace datev
