#include "com/datev_bridge.h"

#include <chrono>
#include <condition_variable>
#include <new>
#include <system_error>
#include <thread>

#include "com/call_data_object.h"
#include "com/com_ptr.h"
#include "com/dispatch_util.h"
#include "com/typelib.h"

namespace datev {

using comx::ComPtr;
using comx::HexHr;

namespace {

// E_ILLEGAL_METHOD_CALL (not declared by every SDK for _WIN32_WINNT 0x0601)
constexpr HRESULT kIllegalMethodCall = static_cast<HRESULT>(0x8000000EL);

std::mutex g_typeLibMutex;
TypeLibStatus g_typeLib;

Outcome Failure(const std::string& code, HRESULT hr, const std::string& what) {
  Outcome o;
  o.code = code;
  o.hr = hr;
  o.message = what + " (HRESULT " + HexHr(hr) + ")";
  std::string sys = comx::HrMessage(hr);
  if (!sys.empty()) o.message += ": " + sys;
  return o;
}

// DATEV went away between lookup and call (restart): worth one fresh lookup.
bool IsGone(HRESULT hr) {
  return hr == RPC_E_DISCONNECTED || hr == HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE) || hr == RPC_E_SERVER_DIED ||
         hr == RPC_E_SERVER_DIED_DNE || hr == CO_E_OBJNOTCONNECTED || hr == HRESULT_FROM_WIN32(RPC_S_CALL_FAILED);
}

// One notification on the calling thread (an STA of its own): lookup, call by name, release.
Outcome NotifyOnce(const std::wstring& method, const CallValues& data) {
  ComPtr<IUnknown> unknown;
  HRESULT hr = GetActiveObject(kClsidDatevTelefonie, nullptr, unknown.Put());
  if (hr == MK_E_UNAVAILABLE) return Failure("absent", hr, "DATEV Telefonie is not in the Running Object Table");
  if (FAILED(hr)) return Failure("com", hr, "GetActiveObject(DATEV Telefonie) failed");
  ComPtr<IDispatch> target;
  if (FAILED(unknown.As(kIidNotification, &target)) && FAILED(hr = unknown.As(IID_IDispatch, &target))) {
    return Failure("com", hr, "DATEV's object has neither IDatevCtiNotification nor IDispatch");
  }
  CallDataObject* object = nullptr;
  hr = CallDataObject::CreateTyped(data, &object);
  if (FAILED(hr)) return Failure("com", hr, "invalid call data for DATEV");
  VARIANT arg;
  VariantInit(&arg);
  arg.vt = VT_DISPATCH;
  arg.pdispVal = object;
  std::wstring description;
  hr = CallMethod(target.Get(), method.c_str(), arg, &description);
  object->Release();
  if (FAILED(hr)) {
    Outcome o = Failure("com", hr, "DATEV " + comx::ToUtf8(method) + " failed");
    if (!description.empty()) o.message += " - " + comx::ToUtf8(description);
    return o;
  }
  return Outcome{};
}

// Settles a Done exactly once, from whichever comes first: the work or the timeout.
struct OnceDone {
  std::mutex mutex;
  std::condition_variable cv;
  bool finished = false;
  Outcome outcome;
};

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
  return std::shared_ptr<Bridge>(new Bridge(std::move(sink), std::move(options)));
}

Bridge::Bridge(std::shared_ptr<RequestSink> sink, BridgeOptions options)
    : sink_(std::move(sink)), options_(std::move(options)) {
  if (options_.typeLibDir.empty()) options_.typeLibDir = DefaultTypeLibDir();
}

Bridge::~Bridge() = default;

TypeLibStatus Bridge::CurrentTypeLibStatus() {
  std::lock_guard<std::mutex> lock(g_typeLibMutex);
  return g_typeLib;
}

bool Bridge::EnsureThread(Outcome* failure) {
  std::lock_guard<std::mutex> lock(startMutex_);
  if (shutdown_) {
    *failure = Failure("com", E_ABORT, "the DATEV bridge is shut down");
    return false;
  }
  if (sta_.Running()) return true;
  std::weak_ptr<Bridge> weak = shared_from_this();
  HRESULT hr = sta_.Start(
      [weak]() {
        if (auto self = weak.lock()) self->RevokeOnSta();
      },
      shared_from_this());
  if (FAILED(hr)) {
    *failure = Failure("com", hr, "cannot start the COM thread");
    return false;
  }
  return true;
}

void Bridge::RunOnSta(std::function<void()> job, const Done& done) {
  Outcome failure;
  if (!EnsureThread(&failure)) {
    done(failure);
    return;
  }
  if (!sta_.Post(std::move(job))) done(Failure("com", E_ABORT, "the COM thread has ended"));
}

void Bridge::Register(Done done) {
  auto self = shared_from_this();
  RunOnSta(
      [self, done]() {
        if (self->cti_) {
          done(Failure("com", kIllegalMethodCall, "the CTI object is already registered"));
          return;
        }
        CtiObject* cti = new (std::nothrow) CtiObject(self.get());
        if (!cti) {
          done(Failure("com", E_OUTOFMEMORY, "cannot create the CTI object"));
          return;
        }
        self->EnsureMarshaling(static_cast<IDatevCtiControl*>(cti));
        DWORD cookie = 0;
        HRESULT hr = RegisterActiveObject(static_cast<IDatevCtiControl*>(cti), kClsidCti, ACTIVEOBJECT_STRONG, &cookie);
        if (FAILED(hr)) {
          cti->Detach();
          CoDisconnectObject(static_cast<IDatevCtiControl*>(cti), 0);
          cti->Release();
          done(Failure("com", hr, "RegisterActiveObject(CTI object) failed"));
          return;
        }
        if (hr == MK_S_MONIKERALREADYREGISTERED) {
          self->sink_->Log("warn",
                           "another CTI program has registered {D8CA0C15-8585-494A-93DF-07D706629793} in this session; "
                           "DATEV may talk to either of them");
        }
        self->cti_ = cti;
        self->cookie_ = cookie;
        self->sink_->Log("info", "CTI object registered in the ROT");
        done(Outcome{});
      },
      done);
}

void Bridge::RevokeOnSta() {
  for (auto& entry : pending_) {
    if (!entry.second.answered) {
      entry.second.answered = true;
      entry.second.answer = RequestAnswer{};
      entry.second.answer.error = "revoked";
    }
  }
  if (!cti_) return;
  HRESULT hr = RevokeActiveObject(cookie_, nullptr);
  if (FAILED(hr)) sink_->Log("warn", "RevokeActiveObject failed (HRESULT " + HexHr(hr) + ")");
  cti_->Detach();
  CoDisconnectObject(static_cast<IDatevCtiControl*>(cti_), 0);
  cti_->Release();
  cti_ = nullptr;
  cookie_ = 0;
  sink_->Log("info", "CTI object revoked from the ROT");
}

void Bridge::Revoke(Done done) {
  if (!sta_.Running()) {
    done(Outcome{});
    return;
  }
  auto self = shared_from_this();
  if (!sta_.Post([self, done]() {
        self->RevokeOnSta();
        done(Outcome{});
      })) {
    done(Outcome{});
  }
}

void Bridge::IsPresent(Done done) {
  RunOnSta(
      [done]() {
        ComPtr<IUnknown> unknown;
        HRESULT hr = GetActiveObject(kClsidDatevTelefonie, nullptr, unknown.Put());
        Outcome o;
        o.flag = SUCCEEDED(hr);
        o.hr = hr;
        done(o);
      },
      done);
}

void Bridge::Notify(const std::wstring& method, const CallValues& data, Done done) {
  auto state = std::make_shared<OnceDone>();
  auto sink = sink_;
  // The call runs on its own short-lived STA thread, so a DATEV that does not answer blocks neither
  // the CTI object nor JS; when the bound passes, the caller gets "timeout" and the thread is left to
  // finish (or fail) on its own.
  try {
    std::thread([state, method, data]() {
      Outcome o;
      HRESULT hr = CoInitializeEx(nullptr, COINIT_APARTMENTTHREADED | COINIT_DISABLE_OLE1DDE);
      if (FAILED(hr)) {
        o = Failure("com", hr, "CoInitializeEx failed");
      } else {
        o = NotifyOnce(method, data);
        if (o.code == "com" && IsGone(o.hr)) o = NotifyOnce(method, data);  // DATEV restarted: look it up again
        if (o.code == "com" && IsGone(o.hr)) o.code = "absent";
        CoUninitialize();
      }
      std::lock_guard<std::mutex> lock(state->mutex);
      state->finished = true;
      state->outcome = o;
      state->cv.notify_all();
    }).detach();
    DWORD timeoutMs = options_.notifyTimeoutMs;
    std::thread([state, done, timeoutMs, method, sink]() {
      Outcome o;
      {
        std::unique_lock<std::mutex> lock(state->mutex);
        if (state->cv.wait_for(lock, std::chrono::milliseconds(timeoutMs), [&] { return state->finished; })) {
          o = state->outcome;
        } else {
          o = Failure("timeout", RPC_E_TIMEOUT,
                      "DATEV did not answer " + comx::ToUtf8(method) + " within " + std::to_string(timeoutMs) + " ms");
        }
      }
      done(o);
    }).detach();
  } catch (const std::system_error&) {
    done(Failure("com", E_OUTOFMEMORY, "cannot start a thread for the notification"));
  }
}

void Bridge::Answer(uint32_t id, RequestAnswer answer) {
  auto self = shared_from_this();
  auto shared = std::make_shared<RequestAnswer>(std::move(answer));
  sta_.Post([self, id, shared]() {
    auto it = self->pending_.find(id);
    if (it == self->pending_.end() || it->second.answered) return;  // late answer: DATEV got its timeout
    it->second.answered = true;
    it->second.answer = std::move(*shared);
  });
}

void Bridge::Shutdown(DWORD timeoutMs) {
  std::lock_guard<std::mutex> lock(startMutex_);  // also serializes concurrent Shutdown calls
  shutdown_ = true;
  sta_.Stop(timeoutMs);  // the thread revokes the CTI object on its way out
}

HRESULT Bridge::HandleRequest(RequestKind kind, IDispatch* callData) {
  const char* name = RequestKindName(kind);
  if (!callData) {
    sink_->Log("warn", std::string("DATEV called ") + name + " without a call data object");
    return E_POINTER;
  }
  CallValues values = ReadFields(callData);
  for (int i = 0; i < kFieldCount; ++i) {
    const FieldValue& f = values[static_cast<size_t>(i)];
    if (f.kind == FieldValue::Kind::Unsupported) {
      sink_->Log("warn", std::string(name) + ": field " + kFieldNamesUtf8[i] + " has the unsupported VARTYPE " +
                             std::to_string(f.vt));
    } else if (f.truncated) {
      sink_->Log("warn", std::string(name) + ": field " + kFieldNamesUtf8[i] + " was cut to " +
                             std::to_string(kMaxStringChars) + " characters");
    }
  }
  uint32_t id = nextId_++;
  pending_[id] = Pending{};
  sink_->Request(id, kind, values);
  bool answered = sta_.PumpUntil(
      [this, id]() {
        auto it = pending_.find(id);
        return it == pending_.end() || it->second.answered;
      },
      options_.requestTimeoutMs);
  RequestAnswer answer;
  auto it = pending_.find(id);
  if (it != pending_.end()) {
    answer = std::move(it->second.answer);
    answered = answered && it->second.answered;
    pending_.erase(it);
  }
  if (!answered) {
    sink_->Log("error", std::string(name) + ": no answer from the program within " +
                            std::to_string(options_.requestTimeoutMs) + " ms");
    return RPC_E_TIMEOUT;
  }
  if (!answer.ok) {
    sink_->Log("warn", std::string(name) + " refused: " + answer.error);
    return kind == RequestKind::GetCallData ? E_FAIL : E_INVALIDARG;
  }
  switch (kind) {
    case RequestKind::Dial: {
      if (answer.callId.empty()) return E_INVALIDARG;
      VARIANT v;
      VariantInit(&v);
      v.vt = VT_BSTR;
      v.bstrVal = SysAllocStringLen(answer.callId.data(), static_cast<UINT>(answer.callId.size()));
      HRESULT hr = v.bstrVal ? PutProperty(callData, L"CallID", v) : E_OUTOFMEMORY;
      VariantClear(&v);
      if (FAILED(hr)) sink_->Log("error", "dial: cannot write the CallID into DATEV's object (HRESULT " + HexHr(hr) + ")");
      return hr;
    }
    case RequestKind::Drop:
      return S_OK;
    case RequestKind::GetCallData: {
      if (!answer.found) return S_FALSE;
      HRESULT hr = WriteFields(callData, answer.data);
      if (FAILED(hr)) {
        sink_->Log("error", "getCallData: cannot write into DATEV's object (HRESULT " + HexHr(hr) + ")");
      }
      return hr;
    }
  }
  return E_UNEXPECTED;
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
