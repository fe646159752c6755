#include "com/apartment_pool.h"

#include <exception>
#include <system_error>
#include <utility>

namespace datev {

namespace {

// Calls a completion without letting an exception escape into a thread that must go on.
template <typename F, typename... Args>
void Settle(const F& f, Args&&... args) {
  if (!f) return;
  try {
    f(std::forward<Args>(args)...);
  } catch (...) {
    // a completion only hands a result to JS; if that fails there is nobody left to tell
  }
}

Outcome Stalled(const std::string& pool) {
  Outcome o;
  o.code = "stalled";
  o.hr = RPC_E_TIMEOUT;
  o.message = "not attempted: every " + pool + " thread is still waiting for DATEV (DATEV hangs)";
  return o;
}

}  // namespace

std::shared_ptr<ApartmentPool> ApartmentPool::Create(std::string name, int size, IMessageFilter* filter, Late late,
                                                     HealthChanged healthChanged,
                                                     std::shared_ptr<DeadlineWatch> watch) {
  std::shared_ptr<ApartmentPool> pool(new ApartmentPool(std::move(name), size, filter, std::move(late),
                                                        std::move(healthChanged), std::move(watch)));
  std::weak_ptr<ApartmentPool> weak = pool;
  pool->watchToken_ = pool->watch_->Add([weak](ULONGLONG now) -> ULONGLONG {
    auto self = weak.lock();
    return self ? self->Expire(now) : 0;
  });
  pool->watched_ = true;
  return pool;
}

ApartmentPool::ApartmentPool(std::string name, int size, IMessageFilter* filter, Late late,
                             HealthChanged healthChanged, std::shared_ptr<DeadlineWatch> watch)
    : name_(std::move(name)),
      filter_(filter),
      late_(std::move(late)),
      healthChanged_(std::move(healthChanged)),
      watch_(std::move(watch)),
      slots_(static_cast<size_t>(size < 1 ? 1 : size)) {
  if (filter_) filter_->AddRef();
}

ApartmentPool::~ApartmentPool() {
  Shutdown(0);
  if (filter_) filter_->Release();
}

uint64_t ApartmentPool::Submit(Work work, DWORD timeoutMs, Done done) {
  auto job = std::make_shared<Job>();
  job->work = std::move(work);
  job->done = std::move(done);
  job->timeoutMs = timeoutMs;
  uint64_t ticket;
  bool refused;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ticket = job->ticket = nextTicket_++;
    refused = shutdown_;
    if (!refused) queue_.push_back(job);
  }
  if (refused) {
    Done d = std::move(job->done);
    Settle(d, Failure("shutdown", E_ABORT, "the COM bridge is shut down"));
  } else {
    Dispatch();
  }
  return ticket;
}

bool ApartmentPool::SubmitIfIdle(Work work, DWORD timeoutMs) {
  auto job = std::make_shared<Job>();
  job->work = std::move(work);
  job->timeoutMs = timeoutMs;
  job->quiet = true;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (shutdown_ || !queue_.empty()) return false;
    for (const Slot& s : slots_) {
      if (s.use != Slot::Use::Idle) return false;
    }
    job->ticket = nextTicket_++;
    queue_.push_back(job);
  }
  Dispatch();
  return true;
}

void ApartmentPool::Dispatch() {
  std::vector<std::shared_ptr<Job>> stalled;
  std::shared_ptr<Job> next;
  size_t slotIndex = 0;
  bool start = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (shutdown_ || queue_.empty()) return;
    for (const Slot& s : slots_) {
      if (s.use == Slot::Use::Busy) return;  // one job at a time: order holds
    }
    bool found = false;
    for (size_t i = 0; i < slots_.size() && !found; ++i) {
      if (slots_[i].use == Slot::Use::Idle) {
        slotIndex = i;
        found = true;
      }
    }
    if (!found) {
      stalled.assign(queue_.begin(), queue_.end());
      queue_.clear();
      stalled_ += stalled.size();
    } else {
      next = queue_.front();
      queue_.pop_front();
      Slot& slot = slots_[slotIndex];
      slot.use = Slot::Use::Busy;
      slot.job = next;
      next->deadline = GetTickCount64() + next->timeoutMs;
      start = !slot.sta || !slot.sta->Running();
    }
  }
  for (auto& job : stalled) {
    Done d = std::move(job->done);
    Settle(d, Stalled(name_));
  }
  if (!next) return;
  watch_->Wake();  // the watch times the new deadline
  Slot& slot = slots_[slotIndex];  // slots_ never resizes; only this thread touches a Busy slot's sta here
  if (start) {
    auto sta = std::make_shared<StaThread>(name_ + " " + std::to_string(slotIndex + 1), filter_);
    // the apartment's state (and its COM objects) is released on its own thread when it ends
    HRESULT hr = sta->Start([]() { ApartmentState::ReleaseCurrent(); }, sta);
    if (FAILED(hr)) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        slot.use = Slot::Use::Idle;
        slot.job.reset();
      }
      Done d = std::move(next->done);
      Settle(d, Failure("com", hr, "cannot start a COM thread (" + name_ + ")"));
      Dispatch();
      return;
    }
    std::shared_ptr<StaThread> ended;  // released after the lock: its destructor may wait for its thread
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ended = std::exchange(slot.sta, sta);
    }
  }
  RunOn(slotIndex, next);
}

void ApartmentPool::RunOn(size_t index, std::shared_ptr<Job> job) {
  std::shared_ptr<StaThread> sta;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    sta = slots_[index].sta;
  }
  std::weak_ptr<ApartmentPool> weak = shared_from_this();
  bool posted = sta && sta->Post([weak, index, job]() {
    Outcome result;
    try {
      result = job->work(ApartmentState::Current());
    } catch (const std::bad_alloc&) {
      result = Failure("com", E_OUTOFMEMORY, "out of memory");
    } catch (...) {
      result = Failure("com", E_UNEXPECTED, "unexpected failure");
    }
    auto self = weak.lock();
    if (!self) return;
    bool late = false;
    Done done;
    bool healthChanged = false;
    {
      std::lock_guard<std::mutex> lock(self->mutex_);
      Slot& slot = self->slots_[index];
      late = job->timedOut;
      if (slot.use == Slot::Use::Stuck) healthChanged = true;
      slot.use = Slot::Use::Idle;
      slot.job.reset();
      if (!late) done = std::move(job->done);
    }
    if (late && !job->quiet) Settle(self->late_, job->ticket, result);
    else Settle(done, result);
    if (healthChanged) self->ReportHealth();
    self->Dispatch();
  });
  if (!posted) {
    std::shared_ptr<StaThread> ended;  // released after the lock: its destructor may wait for its thread
    {
      std::lock_guard<std::mutex> lock(mutex_);
      slots_[index].use = Slot::Use::Idle;
      slots_[index].job.reset();
      ended = std::move(slots_[index].sta);  // ended: a new thread is made for the next job
    }
    Done d = std::move(job->done);
    Settle(d, Failure("com", E_ABORT, "the COM thread (" + name_ + ") has ended"));
    Dispatch();
  }
}

ULONGLONG ApartmentPool::Expire(ULONGLONG now) {
  std::vector<std::shared_ptr<Job>> expired;
  ULONGLONG next = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (shutdown_) return 0;
    for (Slot& s : slots_) {
      if (s.use != Slot::Use::Busy || !s.job) continue;
      if (s.job->deadline <= now) {
        s.use = Slot::Use::Stuck;
        s.job->timedOut = true;
        ++timeouts_;
        expired.push_back(s.job);
      } else if (next == 0 || s.job->deadline < next) {
        next = s.job->deadline;
      }
    }
  }
  if (expired.empty()) return next;
  for (auto& job : expired) {
    Done d = std::move(job->done);
    Outcome o = Failure("timeout", RPC_E_TIMEOUT, "DATEV did not answer within " + std::to_string(job->timeoutMs) + " ms");
    Settle(d, o);
  }
  ReportHealth();
  Dispatch();  // the next job on another apartment (it wakes the watch for its own deadline)
  return next;
}

PoolHealth ApartmentPool::HealthLocked() const {
  PoolHealth h;
  h.size = static_cast<int>(slots_.size());
  for (const Slot& s : slots_) {
    if (s.sta) ++h.started;
    if (s.use == Slot::Use::Busy) ++h.busy;
    if (s.use == Slot::Use::Stuck) ++h.stuck;
  }
  h.queued = static_cast<int>(queue_.size());
  h.timeouts = timeouts_;
  h.stalled = stalled_;
  return h;
}

PoolHealth ApartmentPool::Health() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return HealthLocked();
}

void ApartmentPool::ReportHealth() {
  PoolHealth h;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    h = HealthLocked();
    if (h.stuck == lastStuck_) return;
    lastStuck_ = h.stuck;
  }
  Settle(healthChanged_, h);
}

void ApartmentPool::Shutdown(DWORD timeoutMs) {
  std::deque<std::shared_ptr<Job>> queued;
  std::vector<std::shared_ptr<StaThread>> threads;
  bool leave = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (shutdown_ && !watched_) return;
    shutdown_ = true;
    leave = watched_;
    watched_ = false;
    queued.swap(queue_);
    for (Slot& s : slots_) {
      if (s.sta) threads.push_back(s.sta);
    }
  }
  if (leave) watch_->Remove(watchToken_);  // (not under mutex_: the check takes it)
  for (auto& job : queued) {
    Done d = std::move(job->done);
    Settle(d, Failure("shutdown", E_ABORT, "the COM bridge is shut down"));
  }
  ULONGLONG deadline = GetTickCount64() + timeoutMs;
  for (auto& sta : threads) {
    ULONGLONG now = GetTickCount64();
    sta->Stop(now < deadline ? static_cast<DWORD>(deadline - now) : 0);  // a stuck one stays detached
  }
}

}  // namespace datev
