// The TAPI thread: owns hLineApp and performs every tapi32 call. Commands from JS are queued to it;
// it waits on {stop, command, TAPI event}, drains lineGetMessage(…, 0) until OPERATIONFAILED and
// turns messages into EventData. Results and events leave through the two callbacks given to the
// constructor, which are called on the TAPI thread (the N-API layer forwards them to JS).
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
#include <thread>

#include "tapi/tapi_api.h"
#include "tapi/tapi_types.h"
#include "tapi/var_struct.h"

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

class TapiThread {
 public:
  using ResultSink = std::function<void(uint32_t id, Outcome outcome)>;
  using EventSink = std::function<void(EventData event)>;
  // Called once on the TAPI thread just before it ends (after lineShutdown).
  using ExitSink = std::function<void()>;

  TapiThread(std::wstring dllPath, ResultSink results, EventSink events, ExitSink onExit);
  ~TapiThread();  // Stop()
  TapiThread(const TapiThread &) = delete;
  TapiThread &operator=(const TapiThread &) = delete;

  void Start();
  // Signals the thread to shut TAPI down and end; joins it. Idempotent; never called on the TAPI thread.
  void Stop();

  // Commands: each ends with exactly one ResultSink call carrying `id`; false (and no call) when the
  // thread has ended or is ending.
  bool Initialize(uint32_t id, std::wstring appName);
  bool ListLines(uint32_t id);
  bool OpenLine(uint32_t id, uint32_t deviceId, uint32_t apiVersion);
  bool CloseLine(uint32_t id, uint32_t hLine);
  bool MakeCall(uint32_t id, uint32_t hLine, std::wstring destination);
  bool Answer(uint32_t id, uint32_t hCall);
  bool Drop(uint32_t id, uint32_t hCall);
  bool Deallocate(uint32_t id, uint32_t hCall);
  bool GetCallInfo(uint32_t id, uint32_t hCall);
  // lineShutdown, then the thread ends.
  bool Shutdown(uint32_t id);

 private:
  bool Post(std::function<void()> command);
  void Run();
  void RunCommands();
  void DrainMessages(bool woken);
  void Handle(const LINEMESSAGE &msg);
  void ShutdownTapi();
  void ReleaseCallHandles(DWORD hLine);  // 0 = all lines
  LONG AsOwner(HCALL hCall, LONG (*op)(const TapiApi &, HCALL));

  Outcome DoInitialize(const std::wstring &appName);
  Outcome DoListLines();
  Outcome DoOpenLine(uint32_t deviceId, uint32_t apiVersion);
  Outcome DoMakeCall(uint32_t hLine, const std::wstring &destination);
  Outcome Uninitialized(const char *fn) const;
  Outcome Failed(const char *fn, LONG rc) const;
  LONG ReadCallInfo(HCALL hCall, CallInfoData *out);

  const std::wstring dllPath_;
  ResultSink results_;
  EventSink events_;
  ExitSink onExit_;

  std::mutex mutex_;
  std::deque<std::function<void()>> queue_;
  UniqueHandle stopEvent_;
  UniqueHandle commandEvent_;
  std::thread thread_;
  bool started_ = false;
  bool stopped_ = false;
  bool accepting_ = true;

  // TAPI thread only.
  std::unique_ptr<TapiApi> api_;
  HLINEAPP hLineApp_ = 0;
  HANDLE tapiEvent_ = nullptr;  // owned by TAPI: never closed here
  DWORD numDevs_ = 0;
  std::set<DWORD> removed_;
  std::map<DWORD, DWORD> lineStates_;                        // deviceId -> LINEDEVCAPS.dwLineStates
  struct PendingMakeCall {
    DWORD hLine;
    std::unique_ptr<HCALL> hCall;  // TAPI writes the new handle here when it queues LINE_REPLY
  };
  std::map<DWORD, PendingMakeCall> pendingMakeCalls_;  // by request id
  std::map<DWORD, DWORD> callHandles_;                 // hCall -> hLine, every handle we hold
  bool ending_ = false;
  int idleWakeups_ = 0;
};

}  // namespace tapi
