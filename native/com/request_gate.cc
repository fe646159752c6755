#include "com/request_gate.h"

namespace datev {

uint32_t RequestGate::Open(std::shared_ptr<StaThread> sta) {
  std::lock_guard<std::mutex> lock(mutex_);
  uint32_t id = nextId_++;
  if (nextId_ == 0) nextId_ = 1;
  Pending p;
  p.sta = std::move(sta);
  pending_[id] = std::move(p);
  return id;
}

bool RequestGate::Claim(uint32_t id) {
  std::shared_ptr<StaThread> wake;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = pending_.find(id);
    if (it == pending_.end() || it->second.state != State::Waiting) return false;
    it->second.state = State::Claimed;
    wake = it->second.sta;
  }
  if (wake) wake->Post([] {});  // wakes the waiting apartment
  return true;
}

void RequestGate::Answer(uint32_t id, RequestAnswer answer) {
  std::shared_ptr<StaThread> wake;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    State s = it->second.state;
    if (s != State::Waiting && s != State::Claimed) return;  // expired: DATEV has its answer already
    it->second.state = State::Answered;
    it->second.answer = std::move(answer);
    wake = it->second.sta;
  }
  if (wake) wake->Post([] {});
}

RequestGate::Result RequestGate::Wait(uint32_t id, StaThread& sta, DWORD claimMs, DWORD answerMs, RequestAnswer* out) {
  ULONGLONG start = GetTickCount64();
  auto stateIs = [this, id](State wanted) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = pending_.find(id);
    return it == pending_.end() || it->second.state == wanted;
  };
  auto notWaiting = [this, id]() {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = pending_.find(id);
    return it == pending_.end() || it->second.state != State::Waiting;
  };
  sta.PumpUntil(notWaiting, claimMs);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = pending_.find(id);
    if (it == pending_.end()) return Result::Unanswered;  // cancelled
    if (it->second.state == State::Waiting) {
      pending_.erase(it);
      return Result::Expired;
    }
  }
  ULONGLONG spent = GetTickCount64() - start;
  if (spent < answerMs) sta.PumpUntil([&] { return stateIs(State::Answered); }, static_cast<DWORD>(answerMs - spent));
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = pending_.find(id);
  if (it == pending_.end()) return Result::Unanswered;
  Result r = Result::Unanswered;
  if (it->second.state == State::Answered) {
    *out = std::move(it->second.answer);
    r = Result::Answered;
  }
  pending_.erase(it);
  return r;
}

void RequestGate::CancelAll() {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_.clear();
}

}  // namespace datev
