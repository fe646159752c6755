#include <stdlib.h>

#include "com/datev_bridge.h"

#include <new>

#include "com/call_data_object.h"
#include "com/com_ptr.h"
#include "com/dispatch_util.h"
#include "com/message_filter.h"
#include "com/typelib.h"

namespace datev {

using comx::ComPtr;
using comx::HexHr;

namespace {

// E_ILLEGAL_METHOD_CALL (not declared by every SDK for _WIN32_WINNT 0x0601)
constexpr HRESULT kIllegalMethodCall = static_cast<HRESULT>(0x8000000EL);
// GetCallData answers from the data last sent to DATEV for this many calls
constexpr size_t kLastSentCalls = 256;
// what Dial reads from DATEV's object (each read is a round trip into DATEV)
constexpr unsigned kDialFields = FieldBit(1) | FieldBit(6) | FieldBit(7) | FieldBit(8) | FieldBit(9);
constexpr unsigned kCallIdField = FieldBit(0);
constexpr DWORD kRetryDelayMs = 100;

std::mutex g_typeLibMutex;
TypeLibStatus g_typeLib;

std::wstring DefaultTypeLibDir() {
  wchar_t buf[MAX_PATH];
  DWORD n = GetEnvironmentVariableW(L"LOCALAPPDATA", buf, MAX_PATH);
  if (n == 0 || n >= MAX_PATH) n = GetTempPathW(MAX_PATH, buf);
  std::wstring dir(buf, n < MAX_PATH ? n : 0);
  if (!dir.empty() && dir.back() != L'\\') dir += L'\\';
  return dir + L"Wildix\\DatevCti";  // next to the program's logs (src/config/paths.ts)
}

// CreateDirectory for every missing level of `dir`.
void CreateDirectories(const std::wstring& dir) {
  for (size_t pos = dir.find(L'\\', 3); pos != std::wstring::npos; pos = dir.find(L'\\', pos + 1)) {
    CreateDirectoryW(dir.substr(0, pos).c_str(), nullptr);
  }
  CreateDirectoryW(dir.c_str(), nullptr);
}

std::wstring MakeToken() {
  unsigned int r = 0;
  if (rand_s(&r) != 0) r = static_cast<unsigned int>(GetTickCount64());
  return std::to_wstring(GetCurrentProcessId()) + L"-" + std::to_wstring(r);
}

// Pumps messages (this is an STA) for `ms` before a retry, so calls into the apartment go on.
void PumpFor(DWORD ms) {
  if (StaThread* sta = StaThread::Current()) sta->PumpUntil([] { return false; }, ms);
  else Sleep(ms);
}

// One notification on a notification apartment: lookup, the call's data object, the call (retried
// while DATEV says it is busy, and once after DATEV went away between lookup and call).
// `lookAheadMs`: a lookup made when a new call appeared (Bridge::LookUpAhead) serves this notification if
// at most this old (the hop of the event to JavaScript and the contact lookup take a few milliseconds; a
// NewCall that waited longer, e.g. for a slow contact directory, looks DATEV up again); 0: never.
Outcome Deliver(ApartmentState& st, const NotifyRequest& req, DWORD boundMs, DWORD graceMs, DWORD lookAheadMs,
                std::atomic<uint64_t>& lookupsAhead) {
  ULONGLONG start = GetTickCount64();
  st.Sweep();
  std::wstring callId = req.data[0].kind == FieldValue::Kind::String ? req.data[0].str : std::wstring();
  ComPtr<IDispatch> object;
  CallDataObject* data = nullptr;  // `object`'s (it holds the reference)
  {
    HRESULT hr = st.ObjectFor(callId, req.data, &data);
    if (FAILED(hr)) return Failure("com", hr, "invalid call data for DATEV");
    object = ComPtr<IDispatch>(static_cast<IDispatch*>(static_cast<IDatevCtiDataDual*>(data)), false);
  }
  VARIANT arg;
  VariantInit(&arg);
  arg.vt = VT_DISPATCH;
  arg.pdispVal = object.Get();
  const std::string method = comx::ToUtf8(req.method);
  const CallDataObject::Access before = data->Accessed();
  bool lookedUpAgain = false;
  for (;;) {
    bool ahead = false;
    TargetLookup found = lookedUpAgain ? st.target().Resolve() : st.target().Acquire(lookAheadMs, &ahead);
    if (FAILED(found.hr)) {
      if (found.hr == MK_E_UNAVAILABLE) return Failure("absent", found.hr, "DATEV Telefonie is not in the Running Object Table");
      return Failure("com", found.hr, found.what + " failed");
    }
    if (req.expectGeneration != 0 && found.generation != req.expectGeneration) {
      Outcome o = Failure("gone", RPC_E_DISCONNECTED,
                          "DATEV was restarted since this call was reported; " + method + " not sent");
      o.generation = found.generation;
      o.registered = found.registered;
      return o;
    }
    if (req.expectRegistered != 0 && found.registered != req.expectRegistered) {
      // not provably the DATEV that had the call (another one, or its ROT entry's time cannot be read)
      Outcome o = Failure("gone", RPC_E_DISCONNECTED,
                          "DATEV is not the one this call was reported to; " + method + " not sent");
      o.generation = found.generation;
      o.registered = found.registered;
      return o;
    }
    std::wstring description;
    HRESULT hr = st.target().Call(req.method, arg, &description);
    while (IsBusyRejection(hr) && GetTickCount64() - start + kRetryDelayMs < boundMs) {
      PumpFor(kRetryDelayMs);  // DATEV is busy (its message filter said so): try again shortly
      description.clear();
      hr = st.target().Call(req.method, arg, &description);
    }
    if (IsGone(hr)) DatevTarget::NoteGone(found.generation);  // what is found next is not the DATEV that had the call
    if (IsGone(hr) && !lookedUpAgain) {
      st.target().Forget();  // DATEV restarted between lookup and call: look it up once more
      lookedUpAgain = true;
      continue;
    }
    if (IsGone(hr)) {
      st.target().Forget();
      Outcome o = Failure("absent", hr, "DATEV went away during " + method);
      o.generation = found.generation;
      o.registered = found.registered;
      return o;
    }
    if (FAILED(hr)) {
      Outcome o = Failure("com", hr, "DATEV " + method + " failed");
      if (!description.empty()) o.message += " - " + comx::ToUtf8(description);
      o.generation = found.generation;
      o.registered = found.registered;
      return o;
    }
    if (req.lastOfCall && !callId.empty()) st.Finish(callId, graceMs);
    if (ahead) ++lookupsAhead;
    Outcome ok;
    ok.generation = found.generation;
    ok.registered = found.registered;
    ok.syncId = data->SyncIdFromDatev();
    const CallDataObject::Access after = data->Accessed();
    if (after.names != before.names || after.dispids != before.dispids || after.vtable != before.vtable) {
      ok.datevRead = "names " + std::to_string(after.names - before.names) + ", dispids " +
                     std::to_string(after.dispids - before.dispids) + ", vtable " + std::to_string(after.vtable - before.vtable);
    }
    return ok;
  }
}

}  // namespace

const char* RequestKindName(RequestKind kind) {
  switch (kind) {
    case RequestKind::Dial: return "dial";
    case RequestKind::Drop: return "drop";
    case RequestKind::GetCallData: return "getCallData";
  }
  return "?";
}

std::shared_ptr<Bridge> Bridge::Create(std::shared_ptr<RequestSink> sink, BridgeOptions options) {
  std::shared_ptr<Bridge> bridge(new Bridge(std::move(sink), std::move(options)));
  std::weak_ptr<Bridge> weak = bridge;
  auto sink2 = bridge->sink_;
  auto late = [sink2](uint64_t ticket, const Outcome& o) { sink2->Late(ticket, o); };
  auto health = [weak](const PoolHealth&) {
    if (auto self = weak.lock()) self->ReportHealth();
  };
  RetryMessageFilter* filter = RetryMessageFilter::Create(bridge->options_.notifyTimeoutMs, kRetryDelayMs);
  bridge->filter_ = filter;  // the bridge keeps its reference (released in ~Bridge)
  bridge->watch_ = DeadlineWatch::Create();
  bridge->notify_ =
      ApartmentPool::Create("DATEV notification", bridge->options_.notifyThreads, filter, late, health, bridge->watch_);
  // a probe that comes back late has nobody waiting for it any more
  bridge->probe_ =
      ApartmentPool::Create("COM check", 2, filter, [](uint64_t, const Outcome&) {}, health, bridge->watch_);
  return bridge;
}

Bridge::Bridge(std::shared_ptr<RequestSink> sink, BridgeOptions options)
    : sink_(std::move(sink)),
      options_(std::move(options)),
      claimMs_(options_.claimMs),
      dialAtOnce_(options_.dialAtOnce),
      requestTimeoutMs_(options_.requestTimeoutMs),
      notifyTimeoutMs_(options_.notifyTimeoutMs),
      lookAheadMs_(options_.lookAheadMs),
      probeTimeoutMs_(options_.probeTimeoutMs),
      token_(MakeToken()) {
  if (options_.typeLibDir.empty()) options_.typeLibDir = DefaultTypeLibDir();
}

Bridge::~Bridge() {
  if (watch_) watch_->Shutdown();  // (already done by Shutdown(), if that ran)
  if (filter_) filter_->Release();
}

void Bridge::Configure(DWORD claimMs, DWORD requestTimeoutMs, DWORD notifyTimeoutMs, DWORD probeTimeoutMs) {
  if (claimMs) claimMs_ = claimMs;
  if (requestTimeoutMs) requestTimeoutMs_ = requestTimeoutMs;
  if (notifyTimeoutMs) {
    notifyTimeoutMs_ = notifyTimeoutMs;
    if (filter_) filter_->SetRetryLimit(notifyTimeoutMs);
  }
  if (probeTimeoutMs) probeTimeoutMs_ = probeTimeoutMs;
}

TypeLibStatus Bridge::CurrentTypeLibStatus() {
  std::lock_guard<std::mutex> lock(g_typeLibMutex);
  return g_typeLib;
}

std::shared_ptr<Bridge::CtiApartment> Bridge::Apartment(Outcome* failure) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (shutdown_) {
    *failure = Failure("com", E_ABORT, "the DATEV bridge is shut down");
    return nullptr;
  }
  if (current_ && current_->sta->Running()) return current_;
  auto apt = std::make_shared<CtiApartment>();
  apt->sta = std::make_shared<StaThread>("CTI");
  // The thread keeps the bridge (its CTI object calls it) and the apartment alive until it ends, even
  // when it is left behind stuck; on its way out it revokes and disconnects its CTI object.
  auto self = shared_from_this();
  auto keep = std::make_shared<std::pair<std::shared_ptr<Bridge>, std::shared_ptr<CtiApartment>>>(self, apt);
  HRESULT hr = apt->sta->Start([self, apt]() { self->RevokeOn(*apt); }, keep);
  if (FAILED(hr)) {
    *failure = Failure("com", hr, "cannot start the COM thread");
    return nullptr;
  }
  current_ = apt;
  return apt;
}

Outcome Bridge::RegisterOn(CtiApartment& apt) {
  if (apt.cti) return Failure("com", kIllegalMethodCall, "the CTI object is already registered");
  CtiObject* cti = new (std::nothrow) CtiObject(this);
  if (!cti) return Failure("com", E_OUTOFMEMORY, "cannot create the CTI object");
  EnsureMarshaling(static_cast<IDatevCtiControl*>(cti));
  DWORD cookie = 0;
  HRESULT hr = RegisterActiveObject(static_cast<IDatevCtiControl*>(cti), kClsidCti, ACTIVEOBJECT_STRONG, &cookie);
  if (FAILED(hr)) {
    cti->Detach();
    CoDisconnectObject(static_cast<IDatevCtiControl*>(cti), 0);
    cti->Release();
    return Failure("com", hr, "RegisterActiveObject(CTI object) failed");
  }
  if (hr == MK_S_MONIKERALREADYREGISTERED) {
    sink_->Log("warn",
               "another CTI object is registered under {D8CA0C15-8585-494A-93DF-07D706629793} in this session "
               "(another CTI program, or this program's previous one while it is being replaced); DATEV may talk to "
               "either of them");
  }
  apt.cti = cti;
  apt.cookie = cookie;
  return Outcome{};
}

void Bridge::RevokeCookie(CtiApartment& apt, RequestSink& sink) {
  DWORD cookie = apt.cookie.exchange(0);
  if (!cookie) return;
  HRESULT hr = RevokeActiveObject(cookie, nullptr);
  if (FAILED(hr)) sink.Log("warn", "RevokeActiveObject failed (HRESULT " + HexHr(hr) + ")");
}

void Bridge::RevokeOn(CtiApartment& apt) {
  if (!apt.cti) return;
  RevokeCookie(apt, *sink_);
  apt.cti->Detach();
  CoDisconnectObject(static_cast<IDatevCtiControl*>(apt.cti), 0);
  apt.cti->Release();
  apt.cti = nullptr;
  sink_->Log("info", "CTI object revoked from the ROT");
}

void Bridge::Register(Done done) {
  Outcome failure;
  auto apt = Apartment(&failure);
  if (!apt) {
    done(failure);
    return;
  }
  auto self = shared_from_this();
  if (!apt->sta->Post([self, apt, done]() {
        Outcome o = self->RegisterOn(*apt);
        if (o.code == "ok") {
          {
            std::lock_guard<std::mutex> lock(self->mutex_);
            self->registered_ = true;
          }
          self->sink_->Log("info", "CTI object registered in the ROT");
        }
        done(o);
      })) {
    done(Failure("com", E_ABORT, "the COM thread has ended"));
  }
}

void Bridge::Revoke(Done done) {
  std::shared_ptr<CtiApartment> apt;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    registered_ = false;
    apt = current_;
  }
  gate_.CancelAll();
  auto self = shared_from_this();
  if (!apt || !apt->sta->Post([self, apt, done]() {
        self->RevokeOn(*apt);
        done(Outcome{});
      })) {
    done(Outcome{});
  }
}

void Bridge::Rebuild(Done done) {
  std::shared_ptr<CtiApartment> old;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (shutdown_) {
      done(Failure("com", E_ABORT, "the DATEV bridge is shut down"));
      return;
    }
    old = current_;
    current_.reset();  // Apartment() makes a new one
    ++rebuilds_;
  }
  Outcome failure;
  auto apt = Apartment(&failure);
  if (!apt) {
    done(failure);
    return;
  }
  auto self = shared_from_this();
  bool posted = apt->sta->Post([self, apt, old, done]() {
    Outcome o = self->RegisterOn(*apt);
    if (old) {
      // The old apartment may be stuck: revoke its ROT entry from here (the ROT takes a revoke from any
      // thread); it releases its object on its own thread on its way out, if it still can.
      RevokeCookie(*old, *self->sink_);
      if (!old->sta->Stop(0)) self->sink_->Log("info", "the old COM thread ends on its own");
    }
    if (o.code == "ok") {
      std::lock_guard<std::mutex> lock(self->mutex_);
      self->registered_ = true;
    }
    self->sink_->Log(o.code == "ok" ? "warn" : "error",
                     o.code == "ok" ? "COM thread rebuilt; CTI object registered in the ROT again"
                                    : "COM thread rebuilt, but registering the CTI object failed: " + o.message);
    done(o);
    self->ReportHealth();
  });
  if (!posted) done(Failure("com", E_ABORT, "the new COM thread has ended"));
}

void Bridge::IsPresent(Done done) {
  probe_->Submit(
      [](ApartmentState&) {
        ComPtr<IUnknown> unknown;
        HRESULT hr = GetActiveObject(kClsidDatevTelefonie, nullptr, unknown.Put());
        if (hr == MK_E_UNAVAILABLE) DatevTarget::NoteAbsent();
        Outcome o;
        o.flag = SUCCEEDED(hr);
        o.hr = hr;
        return o;
      },
      probeTimeoutMs_, std::move(done));
}

void Bridge::SelfCheck(Done done) {
  std::wstring token = token_;
  probe_->Submit(
      [token](ApartmentState&) {
        Outcome o;
        ComPtr<IUnknown> unknown;
        HRESULT hr = GetActiveObject(kClsidCti, nullptr, unknown.Put());
        if (FAILED(hr)) return Failure("com", hr, "our CTI object is not in the ROT (GetActiveObject)");
        ComPtr<IUnknown> control;
        hr = unknown.As(kIidControl, &control);
        if (FAILED(hr)) return Failure("com", hr, "the ROT entry does not answer QueryInterface(IDatevCtiControl)");
        ComPtr<IDispatch> dispatch;
        hr = unknown.As(IID_IDispatch, &dispatch);
        if (FAILED(hr)) return Failure("com", hr, "the ROT entry does not answer QueryInterface(IDispatch)");
        VARIANT v;
        hr = GetProperty(dispatch.Get(), L"WildixCtiInstance", &v);
        bool ours = SUCCEEDED(hr) && v.vt == VT_BSTR && v.bstrVal && token == v.bstrVal;
        VariantClear(&v);
        if (FAILED(hr)) return Failure("other", hr, "the ROT entry is another CTI program's (no WildixCtiInstance)");
        if (!ours) return Failure("other", S_FALSE, "the ROT entry belongs to another instance of this program");
        o.flag = true;
        return o;
      },
      probeTimeoutMs_, std::move(done));
}

uint64_t Bridge::Notify(NotifyRequest request, Done done) {
  Remember(request.data);
  DWORD bound = notifyTimeoutMs_;
  DWORD grace = options_.graceMs;
  auto req = std::make_shared<NotifyRequest>(std::move(request));
  auto ahead = lookupsAhead_;
  DWORD fresh = lookAheadMs_;
  return notify_->Submit(
      [req, bound, grace, fresh, ahead](ApartmentState& st) { return Deliver(st, *req, bound, grace, fresh, *ahead); },
      bound, std::move(done));
}

bool Bridge::LookUpAhead() {
  if (lookAheadMs_ == 0) return false;
  return notify_->SubmitIfIdle(
      [](ApartmentState& st) {
        st.target().LookUpAhead();
        return Outcome();
      },
      notifyTimeoutMs_);
}

void Bridge::Remember(const CallValues& data) {
  if (data[0].kind != FieldValue::Kind::String || data[0].str.empty()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  const std::wstring& id = data[0].str;
  if (lastSent_.find(id) == lastSent_.end()) {
    lastSentOrder_.push_back(id);
    while (lastSentOrder_.size() > kLastSentCalls) {
      lastSent_.erase(lastSentOrder_.front());
      lastSentOrder_.pop_front();
    }
  }
  lastSent_[id] = data;
}

BridgeHealth Bridge::Health() {
  BridgeHealth h;
  h.notify = notify_->Health();
  h.probe = probe_->Health();
  h.generation = DatevTarget::CurrentGeneration();
  std::lock_guard<std::mutex> lock(mutex_);
  h.registered = registered_ && current_ && current_->sta->Running();
  h.rebuilds = rebuilds_;
  h.requestsExpired = requestsExpired_;
  h.lookupsAhead = *lookupsAhead_;
  return h;
}

void Bridge::ReportHealth() { sink_->Health(Health()); }

void Bridge::Shutdown(DWORD timeoutMs) {
  std::shared_ptr<CtiApartment> apt;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    shutdown_ = true;
    registered_ = false;
    apt = current_;
  }
  gate_.CancelAll();
  ULONGLONG deadline = GetTickCount64() + timeoutMs;
  auto left = [deadline]() {
    ULONGLONG now = GetTickCount64();
    return now < deadline ? static_cast<DWORD>(deadline - now) : 0;
  };
  if (apt) apt->sta->Stop(left());  // the thread revokes the CTI object on its way out
  notify_->Shutdown(left());
  probe_->Shutdown(left());
  watch_->Shutdown();
}

HRESULT Bridge::HandleRequest(RequestKind kind, IDispatch* callData) {
  const char* name = RequestKindName(kind);
  if (!callData) {
    sink_->Log("warn", std::string("DATEV called ") + name + " without a call data object");
    return E_POINTER;
  }
  StaThread* sta = StaThread::Current();  // the CTI apartment this call came in on
  if (!sta) return E_UNEXPECTED;
  switch (kind) {
    case RequestKind::Dial: return Dial(callData, *sta);
    case RequestKind::Drop: {
      CallValues values = ReadFields(callData, kCallIdField);
      sink_->Request(0, kind, values, L"");  // nothing to decide: DATEV gets S_OK at once
      return S_OK;
    }
    case RequestKind::GetCallData: return GetCallData(callData, *sta);
  }
  return E_UNEXPECTED;
}

HRESULT Bridge::Dial(IDispatch* callData, StaThread& sta) {
  CallValues values = ReadFields(callData, kDialFields);
  for (int i = 0; i < kFieldCount; ++i) {
    const FieldValue& f = values[static_cast<size_t>(i)];
    if (f.kind == FieldValue::Kind::Unsupported) {
      sink_->Log("warn", std::string("dial: field ") + kFieldNamesUtf8[i] + " has the unsupported VARTYPE " +
                             std::to_string(f.vt));
    } else if (f.truncated) {
      sink_->Log("warn", std::string("dial: field ") + kFieldNamesUtf8[i] + " was cut to " +
                             std::to_string(kMaxStringChars) + " characters");
    }
  }
  // The CallID goes into DATEV's object before the program sees the request: if DATEV's object takes
  // no CallID, DATEV is told Dial failed and nothing is dialled.
  std::wstring callId = minter_.Next();
  VARIANT v;
  VariantInit(&v);
  v.vt = VT_BSTR;
  v.bstrVal = SysAllocStringLen(callId.data(), static_cast<UINT>(callId.size()));
  HRESULT hr = v.bstrVal ? PutProperty(callData, L"CallID", v) : E_OUTOFMEMORY;
  VariantClear(&v);
  if (FAILED(hr)) {
    sink_->Log("error", "dial: cannot write the CallID into DATEV's object (HRESULT " + HexHr(hr) + "); not dialled");
    return hr;
  }
  if (dialAtOnce_) {
    // Decided: the program dials or reports the call failed. The request goes to the program once this
    // apartment has sent DATEV its answer (a job posted here runs after the current call has returned):
    // the program's work on the Dial (lineMakeCall, its window) then no longer competes with that answer
    // for the CPU. Measured under Wine, 2 cores: Dial returned 7.7 ms after the CallID write, the
    // baseline's 3.4 ms.
    std::shared_ptr<RequestSink> sink = sink_;
    auto forward = [sink, values, callId]() { sink->Request(0, RequestKind::Dial, values, callId); };
    if (!sta.Post(forward)) forward();
    return S_OK;
  }
  uint32_t id = gate_.Open(sta.shared_from_this());
  sink_->Request(id, RequestKind::Dial, values, callId);
  RequestAnswer answer;
  RequestGate::Result r = gate_.Wait(id, sta, claimMs_, requestTimeoutMs_, &answer);
  if (r == RequestGate::Result::Answered && !answer.ok) {
    sink_->Log("warn", "dial refused: " + answer.error);
    return E_INVALIDARG;
  }
  if (r != RequestGate::Result::Answered) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++requestsExpired_;
    }
    sink_->Log("warn", r == RequestGate::Result::Expired
                           ? "dial: the program did not take the request within " + std::to_string(claimMs_.load()) +
                                 " ms; DATEV got its CallID, the program dials when it gets to it"
                           : "dial: no answer within " + std::to_string(requestTimeoutMs_.load()) +
                                 " ms; DATEV got its CallID");
  }
  return S_OK;
}

HRESULT Bridge::GetCallData(IDispatch* callData, StaThread& sta) {
  CallValues values = ReadFields(callData, kCallIdField);
  uint32_t id = gate_.Open(sta.shared_from_this());
  sink_->Request(id, RequestKind::GetCallData, values, L"");
  RequestAnswer answer;
  RequestGate::Result r = gate_.Wait(id, sta, claimMs_, requestTimeoutMs_, &answer);
  if (r == RequestGate::Result::Answered) {
    if (!answer.ok) {
      sink_->Log("warn", "getCallData refused: " + answer.error);
      return E_FAIL;
    }
    if (!answer.found) return S_FALSE;
  } else {
    // JS is busy: answer from what DATEV was last told about this call
    std::lock_guard<std::mutex> lock(mutex_);
    ++requestsExpired_;
    auto it = values[0].kind == FieldValue::Kind::String ? lastSent_.find(values[0].str) : lastSent_.end();
    if (it == lastSent_.end()) return S_FALSE;
    answer.data = it->second;
  }
  HRESULT hr = WriteFields(callData, answer.data);
  if (FAILED(hr)) sink_->Log("error", "getCallData: cannot write into DATEV's object (HRESULT " + HexHr(hr) + ")");
  return hr;
}

void Bridge::EnsureMarshaling(IUnknown* cti) {
  {
    std::lock_guard<std::mutex> lock(g_typeLibMutex);
    if (g_typeLib.state == "present" || g_typeLib.state == "registered") return;
  }
  TypeLibStatus status;
  HRESULT control = TryMarshal(cti, kIidControl);
  HRESULT history = TryMarshal(cti, kIidHistory);
  if (SUCCEEDED(control) && SUCCEEDED(history)) {
    status.state = "present";
    status.detail = "IDatevCtiControl and IDatevCtiHistory can be marshaled (a type library is registered)";
  } else {
    std::string before = "IDatevCtiControl " + HexHr(control) + ", IDatevCtiHistory " + HexHr(history);
    CreateDirectories(options_.typeLibDir);
    status.path = options_.typeLibDir + (sizeof(void*) == 8 ? L"\\DatevCtiBridge-x64.tlb" : L"\\DatevCtiBridge-x86.tlb");
    std::string error, how;
    HRESULT hr = BuildTypeLib(kLibidBridge, L"WildixDatevCtiBridge", status.path, TypeLibContent::ControlOnly, &error);
    if (SUCCEEDED(hr)) hr = RegisterTypeLibFile(status.path, true, &how);
    else how = error;
    if (SUCCEEDED(hr)) {
      control = TryMarshal(cti, kIidControl);
      history = TryMarshal(cti, kIidHistory);
      hr = FAILED(control) ? control : history;
    }
    status.hr = hr;
    status.state = SUCCEEDED(hr) ? "registered" : "failed";
    status.detail = "not marshalable at start (" + before + "); " + how + " " + comx::ToUtf8(status.path) +
                    (SUCCEEDED(hr) ? ": now marshalable" : ": still not marshalable (HRESULT " + HexHr(hr) + ")");
  }
  sink_->Log(status.state == "failed" ? "error" : "info", "type library: " + status.state + " - " + status.detail);
  std::lock_guard<std::mutex> lock(g_typeLibMutex);
  g_typeLib = status;
}

}  // namespace datev
