// The DATEV COM/ROT bridge without any Node-API: owns the STA thread, the CTI object in the ROT, the
// requests DATEV makes (handed to a RequestSink and answered later), and the outgoing notifications.
// Every completion callback may run on any thread; the Node layer marshals them to JS.
#pragma once

#include <windows.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "com/cti_object.h"
#include "com/field_value.h"
#include "com/sta_thread.h"

namespace datev {

// Where requests and log lines go (thread-safe; implemented by the Node layer).
class RequestSink {
 public:
  virtual ~RequestSink() = default;
  virtual void Request(uint32_t id, RequestKind kind, const CallValues& data) = 0;
  virtual void Log(const char* level, const std::string& message) = 0;
};

// JS's answer to a request.
struct RequestAnswer {
  bool ok = false;
  std::wstring callId;    // Dial
  bool found = false;     // GetCallData
  CallValues data;        // GetCallData
  std::string error;      // !ok
};

struct Outcome {
  // "ok", "absent", "timeout", "com"
  std::string code = "ok";
  HRESULT hr = S_OK;
  std::string message;
  bool flag = false;  // isPresent's answer
};

struct TypeLibStatus {
  std::string state = "unchecked";  // unchecked | present | registered | failed
  std::string detail;
  std::wstring path;
  HRESULT hr = S_OK;
};

struct BridgeOptions {
  DWORD requestTimeoutMs = 3000;  // how long DATEV's call waits for JS
  DWORD notifyTimeoutMs = 5000;   // bound of one notification into DATEV
  std::wstring typeLibDir;        // where the program's own .tlb goes (default %LOCALAPPDATA%\Wildix\DatevCti)
};

class Bridge final : public RequestHandler, public std::enable_shared_from_this<Bridge> {
 public:
  using Done = std::function<void(const Outcome&)>;

  static std::shared_ptr<Bridge> Create(std::shared_ptr<RequestSink> sink, BridgeOptions options);
  ~Bridge();

  void Register(Done done);
  void Revoke(Done done);
  void IsPresent(Done done);
  void Notify(const std::wstring& method, const CallValues& data, Done done);
  void Answer(uint32_t id, RequestAnswer answer);
  // Revokes and ends the STA thread (waits at most `timeoutMs`); the bridge cannot be used afterwards.
  void Shutdown(DWORD timeoutMs);

  static TypeLibStatus CurrentTypeLibStatus();

  // RequestHandler (STA thread)
  HRESULT HandleRequest(RequestKind kind, IDispatch* callData) override;

 private:
  Bridge(std::shared_ptr<RequestSink> sink, BridgeOptions options);
  bool EnsureThread(Outcome* failure);
  void RunOnSta(std::function<void()> job, const Done& done);
  void RevokeOnSta();
  void EnsureMarshaling(IUnknown* cti);

  std::shared_ptr<RequestSink> sink_;
  BridgeOptions options_;
  std::mutex startMutex_;  // guards starting/stopping the thread and shutdown_
  bool shutdown_ = false;
  StaThread sta_;
  // STA-thread state
  CtiObject* cti_ = nullptr;
  DWORD cookie_ = 0;
  uint32_t nextId_ = 1;
  struct Pending {
    bool answered = false;
    RequestAnswer answer;
  };
  std::map<uint32_t, Pending> pending_;
};

const char* RequestKindName(RequestKind kind);

}  // namespace datev
