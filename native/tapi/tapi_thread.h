// The TAPI thread: owns hLineApp and performs every tapi32 call. Commands from JS are queued to it;
// it waits on {stop, command, TAPI event}, drains lineGetMessage(…, 0) until OPERATIONFAILED and
// turns messages into EventData. Results and events leave through the two callbacks given to
// Create(), which are called on the TAPI thread (the N-API layer forwards them to JS).
//
// Bounded: lineClose and lineShutdown (with the lineDeallocateCall calls before them) run on a helper
// thread; when the TSP does not return within closeTimeoutMs the command ends with a timeout outcome
// and the helper is abandoned (it holds only what it was given, never this object; tapi32.dll stays
// loaded, see tapi_api.h). Stop() waits with a bound too and abandons a TAPI thread stuck elsewhere.
//
// Exceptions: nothing thrown inside (std::bad_alloc included) leaves a command, a message, a
// callback or the thread: a command ends with an "internal error" outcome, a message is dropped.
#pragma once

#include <windows.h>
#include <tapi.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "tapi/tapi_api.h"
#include "tapi/tapi_types.h"
#include "tapi/var_struct.h"
#include "win/thread.h"

namespace tapi {

// Owns a kernel handle (CloseHandle on destruction).
class UniqueHandle {
 public:
  explicit UniqueHandle(HANDLE h = nullptr) : h_(h) {}
  ~UniqueHandle() {
    if (h_ != nullptr) CloseHandle(h_);
  }
  UniqueHandle(const UniqueHandle &) = delete;
  UniqueHandle &operator=(const UniqueHandle &) = delete;
  HANDLE get() const { return h_; }

 private:
  HANDLE h_;
};

class TapiThread : public std::enable_shared_from_this<TapiThread> {
 public:
  using ResultSink = std::function<void(uint32_t id, Outcome outcome)>;
  using EventSink = std::function<void(EventData event)>;
  // Called once on the TAPI thread just before it ends (after lineShutdown or its timeout).
  using ExitSink = std::function<void()>;

  static constexpr DWORD kDefaultCloseTimeoutMs = 2000;

  // The running thread holds a reference of its own, so an abandoned thread never uses freed memory.
  static std::shared_ptr<TapiThread> Create(ResultSink results, EventSink events, ExitSink onExit,
                                            DWORD closeTimeoutMs = kDefaultCloseTimeoutMs);
  ~TapiThread() = default;
  TapiThread(const TapiThread &) = delete;
  TapiThread &operator=(const TapiThread &) = delete;

  // Starts the thread; false when no thread could be started (commands are then refused).
  bool Start() noexcept;
  // Asks the thread to shut TAPI down and end, and waits up to waitMs for it. A thread that has not
  // ended by then is abandoned. true when it ended. Idempotent; never on the TAPI thread.
  bool Stop(DWORD waitMs) noexcept;
  // Stops accepting commands and gives the thread up without waiting (it ends by itself, if ever).
  void Abandon() noexcept;
  DWORD closeTimeoutMs() const { return closeTimeoutMs_; }

  // Commands: each ends with exactly one ResultSink call carrying `id`; false (and no call) when the
  // thread has ended or is ending (or the command could not be queued).
  bool Initialize(uint32_t id, std::wstring appName) noexcept;
  bool ListLines(uint32_t id) noexcept;
  bool OpenLine(uint32_t id, uint32_t deviceId, uint32_t apiVersion) noexcept;
  bool CloseLine(uint32_t id, uint32_t hLine) noexcept;
  bool MakeCall(uint32_t id, uint32_t hLine, std::wstring destination) noexcept;
  bool Answer(uint32_t id, uint32_t hCall) noexcept;
  bool Drop(uint32_t id, uint32_t hCall) noexcept;
  bool Deallocate(uint32_t id, uint32_t hCall) noexcept;
  bool GetCallInfo(uint32_t id, uint32_t hCall) noexcept;
  // lineGetCallStatus: the call's LINECALLSTATE_* now (a number outcome).
  bool GetCallState(uint32_t id, uint32_t hCall) noexcept;
  // lineShutdown (bounded), then the thread ends.
  bool Shutdown(uint32_t id) noexcept;

 private:
  TapiThread(ResultSink results, EventSink events, ExitSink onExit, DWORD closeTimeoutMs);

  // Queues `body` (returns Outcome) as the command `id`; its outcome (or an internal-error outcome
  // for an exception) goes to the ResultSink. false when it could not be queued (no memory either).
  template <typename F>
  bool Command(uint32_t id, const char *fn, F &&body) noexcept {
    try {
      return QueueCommand(id, fn, std::function<Outcome()>(std::forward<F>(body)));
    } catch (...) {
      return false;
    }
  }
  bool QueueCommand(uint32_t id, const char *fn, std::function<Outcome()> body);
  bool Post(std::function<void()> command) noexcept;
  void Run() noexcept;
  void Loop();
  void RunCommands();
  void DrainMessages(bool woken);
  void Handle(const LINEMESSAGE &msg);
  // false when lineShutdown (or the lineDeallocateCall calls before it) timed out.
  bool ShutdownTapi();
  std::vector<HCALL> TakeCallHandles(DWORD hLine);  // 0 = all lines; forgets them
  LONG AsOwner(HCALL hCall, LONG (*op)(const TapiApi &, HCALL));
  // Runs `call` on a helper thread and waits up to closeTimeoutMs_; *timedOut when it did not return.
  LONG Bounded(std::function<LONG()> call, bool *timedOut);
  void Deliver(uint32_t id, Outcome outcome) noexcept;
  void Emit(EventData event) noexcept;

  Outcome DoInitialize(const std::wstring &appName);
  Outcome DoListLines();
  Outcome DoOpenLine(uint32_t deviceId, uint32_t apiVersion);
  Outcome DoCloseLine(uint32_t hLine);
  Outcome DoMakeCall(uint32_t hLine, const std::wstring &destination);
  Outcome Uninitialized(const char *fn) const;
  Outcome Failed(const char *fn, LONG rc) const;
  LONG ReadCallInfo(HCALL hCall, CallInfoData *out);

  ResultSink results_;
  EventSink events_;
  ExitSink onExit_;
  const DWORD closeTimeoutMs_;

  std::mutex mutex_;
  std::deque<std::function<void()>> queue_;
  UniqueHandle stopEvent_;
  UniqueHandle commandEvent_;
  winx::Thread thread_;  // JS thread only
  bool started_ = false;
  bool stopped_ = false;
  bool accepting_ = true;

  // TAPI thread only.
  std::unique_ptr<TapiApi> api_;
  HLINEAPP hLineApp_ = 0;
  HANDLE tapiEvent_ = nullptr;  // owned by TAPI: never closed here
  DWORD numDevs_ = 0;
  std::set<DWORD> removed_;
  std::map<DWORD, DWORD> lineStates_;  // deviceId -> LINEDEVCAPS.dwLineStates
  struct PendingMakeCall {
    DWORD hLine;
    std::unique_ptr<HCALL> hCall;  // TAPI writes the new handle here when it queues LINE_REPLY
  };
  std::map<DWORD, PendingMakeCall> pendingMakeCalls_;  // by request id
  std::map<DWORD, DWORD> callHandles_;                 // hCall -> hLine, every handle we hold
  bool ending_ = false;
  int idleWakeups_ = 0;
  // TAPI answered lineGetMessage with INVALAPPHANDLE/UNINITIALIZED (the Telephony service restarted):
  // reported once as a re-init; the queue is not read again until the next lineInitializeExW.
  bool appLost_ = false;
};

}  // namespace tapi
