// The DATEV COM/ROT bridge without any Node-API:
// - the CTI apartment: an STA thread owning the CTI object in the ROT; DATEV's Dial/Drop/GetCallData
//   arrive there, are offered to JS (RequestSink) and answered within a short bound even when JS is
//   busy (request_gate.h); it can be rebuilt (a new thread, registered again) when the self-check fails;
// - the notification apartments: a fixed set of long-lived STA threads running the notifications into
//   DATEV in order, one call-data object per call, bounded by a watchdog (apartment_pool.h);
// - the probe apartments: the same for short checks (DATEV present? does our own ROT entry answer?).
// Every completion callback may run on any thread; the Node layer marshals them to JS.
#pragma once

#include <windows.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "com/apartment_pool.h"
#include "com/call_id.h"
#include "com/cti_object.h"
#include "com/message_filter.h"
#include "com/field_value.h"
#include "com/outcome.h"
#include "com/request_gate.h"
#include "com/sta_thread.h"

namespace datev {

struct BridgeHealth {
  PoolHealth notify;
  PoolHealth probe;
  bool registered = false;  // the CTI object is in the ROT (as far as this process knows)
  int rebuilds = 0;         // CTI apartments made again since start
  uint64_t generation = 0;  // newest DATEV generation seen
  uint64_t requestsExpired = 0;  // DATEV requests answered without JS (JS did not take them in time)
  uint64_t lookupsAhead = 0;     // notifications sent with the ROT lookup made when their call appeared
};

// Where requests, late results, health changes and log lines go (thread-safe; the Node layer).
class RequestSink {
 public:
  virtual ~RequestSink() = default;
  // `id` 0: no answer expected (Drop). `callId`: the CallID minted for a Dial (already in DATEV's object).
  virtual void Request(uint32_t id, RequestKind kind, const CallValues& data, const std::wstring& callId) = 0;
  virtual void Late(uint64_t ticket, const Outcome& outcome) = 0;
  virtual void Health(const BridgeHealth& health) = 0;
  virtual void Log(const char* level, const std::string& message) = 0;
};

struct TypeLibStatus {
  std::string state = "unchecked";  // unchecked | present | registered | failed
  std::string detail;
  std::wstring path;
  HRESULT hr = S_OK;
};

struct BridgeOptions {
  DWORD claimMs = 40;             // how long DATEV's call waits for JS to take a request over
  DWORD requestTimeoutMs = 3000;  // how long a request JS took over waits for JS's answer
  DWORD notifyTimeoutMs = 5000;   // bound of one notification into DATEV (watchdog)
  DWORD graceMs = 60000;          // a call's data object lives this long after its last notification
  DWORD probeTimeoutMs = 5000;    // bound of a presence check / self-check
  int notifyThreads = 4;          // size of the set of notification apartments
  DWORD lookAheadMs = 500;        // an incoming call's NewCall uses the lookup made when the call appeared if
                                  // at most this old; 0: no lookup ahead
  bool dialAtOnce = false;        // Dial returns S_OK once the CallID is written; the program decides afterwards
  std::wstring typeLibDir;        // where the program's own .tlb goes (default %LOCALAPPDATA%\Wildix\DatevCti)
};

struct NotifyRequest {
  std::wstring method;
  CallValues data;
  bool lastOfCall = false;        // the call's data object is released a grace period after this one
  uint64_t expectGeneration = 0;  // 0: any DATEV; else "gone" (not called) when DATEV is another object
  uint64_t expectRegistered = 0;  // 0: any DATEV; else "gone" (not called) unless DATEV's ROT entry is the
                                  // one made at this time (a DATEV an earlier run of the program had)
};

class Bridge final : public RequestHandler, public std::enable_shared_from_this<Bridge> {
 public:
  using Done = std::function<void(const Outcome&)>;

  static std::shared_ptr<Bridge> Create(std::shared_ptr<RequestSink> sink, BridgeOptions options);
  ~Bridge();

  void Register(Done done);
  void Revoke(Done done);
  void IsPresent(Done done);
  // Returns the ticket of the notification (its late result, after a "timeout", carries it).
  uint64_t Notify(NotifyRequest request, Done done);
  // A new call appeared on the line: looks DATEV up now, on the apartment the call's NewCall will most
  // likely take, if the notification apartments are idle (else nothing). Says whether it started.
  bool LookUpAhead();
  // 0 turns the lookup ahead off; otherwise the longest age of a lookup ahead a NewCall uses.
  void SetLookAhead(DWORD ms) { lookAheadMs_ = ms; }
  // From another apartment: does the ROT entry for our CLSID answer IDatevCtiControl, and is it ours?
  void SelfCheck(Done done);
  // A new CTI apartment with a new CTI object registered in the ROT; the old one is revoked and left.
  void Rebuild(Done done);
  bool Claim(uint32_t id) { return gate_.Claim(id); }
  void Answer(uint32_t id, RequestAnswer answer) { gate_.Answer(id, std::move(answer)); }
  void SetCallIdPrefix(const std::wstring& prefix) { minter_.SetPrefix(prefix); }
  // New bounds (0: unchanged) — the program registers before it has read its settings.
  void Configure(DWORD claimMs, DWORD requestTimeoutMs, DWORD notifyTimeoutMs, DWORD probeTimeoutMs);
  // "immediate" (true): Dial returns as soon as DATEV's object has its CallID, like a native CTI; the
  // program learns of it as an already-answered request. "checked" (false): Dial waits (bounded) for the
  // program's decision, so DATEV gets an error HRESULT for a Dial the program refuses.
  void SetDialAtOnce(bool atOnce) { dialAtOnce_ = atOnce; }
  BridgeHealth Health();
  // Revokes and ends every thread (waits at most `timeoutMs` in all); the bridge cannot be used afterwards.
  void Shutdown(DWORD timeoutMs);

  static TypeLibStatus CurrentTypeLibStatus();

  // RequestHandler (CTI apartment)
  HRESULT HandleRequest(RequestKind kind, IDispatch* callData) override;
  std::wstring InstanceToken() override { return token_; }

 private:
  // One CTI apartment: its thread, and (on that thread) the CTI object and its ROT cookie.
  struct CtiApartment {
    std::shared_ptr<StaThread> sta;
    CtiObject* cti = nullptr;       // used on sta's thread only
    std::atomic<DWORD> cookie{0};   // revoked from whichever thread gets to it first
  };

  Bridge(std::shared_ptr<RequestSink> sink, BridgeOptions options);
  std::shared_ptr<CtiApartment> Apartment(Outcome* failure);
  Outcome RegisterOn(CtiApartment& apt);
  void RevokeOn(CtiApartment& apt);
  void EnsureMarshaling(IUnknown* cti);
  HRESULT Dial(IDispatch* callData, StaThread& sta);
  HRESULT GetCallData(IDispatch* callData, StaThread& sta);
  static void RevokeCookie(CtiApartment& apt, RequestSink& sink);
  void Remember(const CallValues& data);
  void ReportHealth();

  std::shared_ptr<RequestSink> sink_;
  BridgeOptions options_;  // threads, grace period, type-library folder (fixed at creation)
  std::atomic<DWORD> claimMs_;
  std::atomic<bool> dialAtOnce_;
  std::atomic<DWORD> requestTimeoutMs_;
  std::atomic<DWORD> notifyTimeoutMs_;
  std::atomic<DWORD> lookAheadMs_;
  std::atomic<DWORD> probeTimeoutMs_;
  RetryMessageFilter* filter_ = nullptr;
  std::wstring token_;
  RequestGate gate_;
  CallIdMinter minter_;
  std::shared_ptr<DeadlineWatch> watch_;  // one thread timing the jobs of both pools
  std::shared_ptr<ApartmentPool> notify_;
  std::shared_ptr<ApartmentPool> probe_;

  std::mutex mutex_;  // guards the fields below
  bool shutdown_ = false;
  bool registered_ = false;  // JS asked for the CTI object to be in the ROT
  std::shared_ptr<CtiApartment> current_;
  int rebuilds_ = 0;
  uint64_t requestsExpired_ = 0;
  std::shared_ptr<std::atomic<uint64_t>> lookupsAhead_ = std::make_shared<std::atomic<uint64_t>>(0);
  // the last data sent to DATEV per CallID (GetCallData answers from it when JS cannot)
  std::map<std::wstring, CallValues> lastSent_;
  std::deque<std::wstring> lastSentOrder_;
};

const char* RequestKindName(RequestKind kind);

}  // namespace datev
