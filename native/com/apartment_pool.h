// A small, fixed set of long-lived STA threads ("apartments") that run jobs one after another, in the
// order they were submitted, each bounded in time by a watchdog (a DeadlineWatch, shared with other pools).
//
// One job runs at a time, on one apartment. When a job does not finish within its bound (DATEV hangs
// inside a notification), the watchdog settles it with "timeout", leaves its apartment to finish the
// call on its own ("stuck") and lets the next job run on another apartment of the set. When the stuck
// call finally returns, its result is reported as a late result and the apartment is used again.
// When every apartment is stuck, jobs are not started at all ("stalled") until one comes back.
//
// The set never grows: under Wine every apartment that ever exported an object keeps an RPC endpoint
// for the rest of the process (64 are the limit), and on Windows a thread per event is waste.
#pragma once

#include <windows.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "com/apartment_state.h"
#include "com/deadline_watch.h"
#include "com/outcome.h"
#include "com/sta_thread.h"

namespace datev {

struct PoolHealth {
  int size = 0;     // apartments in the set
  int started = 0;  // apartments whose thread runs
  int busy = 0;     // running a job within its bound (0 or 1)
  int stuck = 0;    // abandoned by the watchdog, still inside a call
  int queued = 0;
  uint64_t timeouts = 0;  // jobs that ran past their bound, since start
  uint64_t stalled = 0;   // jobs not started because every apartment was stuck, since start
};

class ApartmentPool : public std::enable_shared_from_this<ApartmentPool> {
 public:
  // The work of a job; runs on an apartment thread with that apartment's state.
  using Work = std::function<Outcome(ApartmentState&)>;
  // First settlement of a job: ok/failure, or "timeout" / "stalled" / "shutdown".
  using Done = std::function<void(const Outcome&)>;
  // The real result of a job that was settled with "timeout" before (any thread).
  using Late = std::function<void(uint64_t ticket, const Outcome&)>;
  // The health changed (a job got stuck, a stuck apartment came back); any thread.
  using HealthChanged = std::function<void(const PoolHealth&)>;

  // `watch` times the jobs (it may watch other pools too).
  static std::shared_ptr<ApartmentPool> Create(std::string name, int size, IMessageFilter* filter, Late late,
                                               HealthChanged healthChanged, std::shared_ptr<DeadlineWatch> watch);
  ~ApartmentPool();

  // Queues `work`; returns its ticket. `done` is called exactly once (on some thread).
  uint64_t Submit(Work work, DWORD timeoutMs, Done done);
  // Runs `work` only if the pool is idle (nothing queued or running, no apartment stuck) and says
  // whether it was started. Its result goes nowhere, also when it comes late; it is bounded like any
  // job, and a job submitted meanwhile runs after it, in order.
  bool SubmitIfIdle(Work work, DWORD timeoutMs);
  PoolHealth Health() const;
  // Settles queued jobs with "shutdown", ends the apartments (waits at most `timeoutMs` in all; stuck
  // ones are left behind) and leaves the watch. The pool cannot be used afterwards.
  void Shutdown(DWORD timeoutMs);

 private:
  struct Job {
    uint64_t ticket = 0;
    Work work;
    Done done;
    DWORD timeoutMs = 0;
    ULONGLONG deadline = 0;
    bool timedOut = false;
    bool quiet = false;  // SubmitIfIdle: no late result
  };
  struct Slot {
    std::shared_ptr<StaThread> sta;
    enum class Use { Idle, Busy, Stuck } use = Use::Idle;
    std::shared_ptr<Job> job;
  };

  ApartmentPool(std::string name, int size, IMessageFilter* filter, Late late, HealthChanged healthChanged,
                std::shared_ptr<DeadlineWatch> watch);
  // Starts the next job if none runs; settles jobs as "stalled" when every apartment is stuck.
  void Dispatch();
  void RunOn(size_t slot, std::shared_ptr<Job> job);
  // The watch's check: settles the running job with "timeout" when past its deadline; returns the next
  // deadline (0: none).
  ULONGLONG Expire(ULONGLONG now);
  PoolHealth HealthLocked() const;
  void ReportHealth();

  const std::string name_;
  IMessageFilter* filter_;
  Late late_;
  HealthChanged healthChanged_;
  const std::shared_ptr<DeadlineWatch> watch_;
  uint64_t watchToken_ = 0;  // set once in Create
  mutable std::mutex mutex_;
  std::deque<std::shared_ptr<Job>> queue_;
  std::vector<Slot> slots_;
  uint64_t nextTicket_ = 1;
  uint64_t timeouts_ = 0;
  uint64_t stalled_ = 0;
  int lastStuck_ = 0;
  bool shutdown_ = false;
  bool watched_ = false;  // registered with watch_ (until Shutdown)
};

}  // namespace datev
