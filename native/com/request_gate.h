// DATEV's requests (Dial, Drop, GetCallData) waiting in the CTI apartment for the program's answer.
//
// A request is offered to JS and waits a short budget for JS to *claim* it. JS claims it the moment
// its event arrives (a synchronous call), decides, and answers; the apartment then waits at most the
// answer bound. If JS does not claim in time (its thread is busy or blocked), the apartment decides
// alone and the request is *expired*: a later claim returns false, so JS knows DATEV already has its
// answer (e.g. Dial returned S_OK with a CallID minted natively) and acts on that, never against it.
#pragma once

#include <windows.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "com/field_value.h"
#include "com/sta_thread.h"

namespace datev {

// JS's answer to a request.
struct RequestAnswer {
  bool ok = false;
  bool found = false;  // GetCallData
  CallValues data;     // GetCallData
  std::string error;   // !ok
};

class RequestGate {
 public:
  enum class Result { Answered, Expired, Unanswered };

  // A new pending request whose waiter runs on `sta` (woken when JS claims or answers).
  uint32_t Open(std::shared_ptr<StaThread> sta);
  // JS thread: true when the apartment still waits for this request (it now waits for Answer()).
  bool Claim(uint32_t id);
  // JS thread: the answer; ignored when the request expired.
  void Answer(uint32_t id, RequestAnswer answer);
  // Apartment thread (pumps messages while waiting): waits `claimMs` for a claim, then — if claimed —
  // until `answerMs` have passed since the start for the answer. Expired: nobody claimed in time;
  // Unanswered: claimed but no answer in time. Removes the request.
  Result Wait(uint32_t id, StaThread& sta, DWORD claimMs, DWORD answerMs, RequestAnswer* out);
  // Every waiting request ends now, unanswered (the CTI object is being revoked).
  void CancelAll();

 private:
  enum class State { Waiting, Claimed, Answered, Expired };
  struct Pending {
    State state = State::Waiting;
    RequestAnswer answer;
    std::shared_ptr<StaThread> sta;
  };
  std::mutex mutex_;
  std::map<uint32_t, Pending> pending_;
  uint32_t nextId_ = 1;
};

}  // namespace datev
