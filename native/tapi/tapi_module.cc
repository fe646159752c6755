// N-API surface of native/tapi (typed in src/native/tapiTelephonyPort.ts as NativeTapi):
//   new tapi.NativeTapiSession(onEvent: (e) => void, options?: { closeTimeoutMs?: number })
// A session owns one TAPI thread (tapi32.dll from System32 only). Its methods return Promises settled
// on the JS thread through a ThreadSafeFunction; events go to onEvent in TAPI order. Rejections are
// Error objects with `fn` and `code` (LINEERR_* unsigned, or 0) that the TS wrapper turns into
// TelephonyError; a TAPI function that hung past its bound adds `timeoutMs`.
//
// The TAPI thread reaches the ThreadSafeFunction only through a Bridge it shares with the session:
// once the session gave the thread up (abandon(), or a bounded Stop at environment teardown), the
// Bridge is closed and whatever the thread still reports is dropped, never sent to a released
// ThreadSafeFunction.
#include <napi.h>

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "common/modules.h"
#include "tapi/tapi_thread.h"
#include "tapi/text.h"

namespace {

using tapi::CallInfoData;
using tapi::EventData;
using tapi::Outcome;
using tapi::PartyData;

constexpr uint32_t kLineErrUninitialized = 0x80000050;
constexpr double kMaxCloseTimeoutMs = 60000;

// One item crossing from the TAPI thread to JS.
struct Delivery {
  bool isEvent = false;
  uint32_t id = 0;
  Outcome outcome;
  EventData event;
};

class SessionWrap;
void CallJs(Napi::Env env, Napi::Function onEvent, SessionWrap *session, Delivery *item);
using Tsfn = Napi::TypedThreadSafeFunction<SessionWrap, Delivery, CallJs>;

Napi::Object PartyToJs(Napi::Env env, const PartyData &p) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("flags", Napi::Number::New(env, p.flags));
  o.Set("number", Napi::String::New(env, p.number));
  o.Set("name", Napi::String::New(env, p.name));
  return o;
}

Napi::Object CallInfoToJs(Napi::Env env, const CallInfoData &i) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("hCall", Napi::Number::New(env, i.hCall));
  o.Set("hLine", Napi::Number::New(env, i.hLine));
  o.Set("callId", Napi::Number::New(env, i.callId));
  o.Set("origin", Napi::Number::New(env, i.origin));
  o.Set("reason", Napi::Number::New(env, i.reason));
  o.Set("addressId", Napi::Number::New(env, i.addressId));
  o.Set("caller", PartyToJs(env, i.caller));
  o.Set("called", PartyToJs(env, i.called));
  o.Set("connected", PartyToJs(env, i.connected));
  o.Set("redirecting", PartyToJs(env, i.redirecting));
  return o;
}

Napi::Value OutcomeToJs(Napi::Env env, const Outcome &out) {
  switch (out.kind) {
    case Outcome::Kind::kNumber:
      return Napi::Number::New(env, out.number);
    case Outcome::Kind::kCallInfo:
      return CallInfoToJs(env, out.info);
    case Outcome::Kind::kLines: {
      Napi::Array arr = Napi::Array::New(env, out.lines.size());
      for (size_t i = 0; i < out.lines.size(); ++i) {
        const tapi::LineData &l = out.lines[i];
        Napi::Object o = Napi::Object::New(env);
        o.Set("deviceId", Napi::Number::New(env, l.deviceId));
        o.Set("permanentId", Napi::Number::New(env, l.permanentId));
        o.Set("name", Napi::String::New(env, l.name));
        o.Set("provider", Napi::String::New(env, l.provider));
        o.Set("apiVersion", Napi::Number::New(env, l.apiVersion));
        Napi::Array addrs = Napi::Array::New(env, l.addresses.size());
        for (size_t a = 0; a < l.addresses.size(); ++a) {
          Napi::Object ao = Napi::Object::New(env);
          ao.Set("addressId", Napi::Number::New(env, l.addresses[a].addressId));
          ao.Set("address", Napi::String::New(env, l.addresses[a].address));
          addrs.Set(static_cast<uint32_t>(a), ao);
        }
        o.Set("addresses", addrs);
        arr.Set(static_cast<uint32_t>(i), o);
      }
      return arr;
    }
    case Outcome::Kind::kNone:
    default:
      return env.Undefined();
  }
}

Napi::Object EventToJs(Napi::Env env, const EventData &e) {
  Napi::Object o = Napi::Object::New(env);
  auto num = [&](const char *k, uint32_t v) { o.Set(k, Napi::Number::New(env, v)); };
  switch (e.kind) {
    case EventData::Kind::kNewCall:
      o.Set("type", "newCall");
      num("hLine", e.hLine);
      num("hCall", e.hCall);
      num("addressId", e.addressId);
      num("privilege", e.privilege);
      if (e.hasInfo) o.Set("info", CallInfoToJs(env, e.info));
      break;
    case EventData::Kind::kCallState:
      o.Set("type", "callState");
      num("hCall", e.hCall);
      num("state", e.state);
      num("mode", e.mode);
      num("privilege", e.privilege);
      break;
    case EventData::Kind::kCallInfo:
      o.Set("type", "callInfo");
      num("hCall", e.hCall);
      num("changed", e.changed);
      o.Set("info", CallInfoToJs(env, e.info));
      break;
    case EventData::Kind::kReply:
      o.Set("type", "reply");
      num("requestId", e.requestId);
      num("result", e.result);
      if (e.hasHCall) num("hCall", e.hCall);
      break;
    case EventData::Kind::kLineClosed:
      o.Set("type", "lineClosed");
      num("hLine", e.hLine);
      break;
    case EventData::Kind::kLineState:
      o.Set("type", "lineState");
      num("hLine", e.hLine);
      num("state", e.state);
      break;
    case EventData::Kind::kReinit:
      o.Set("type", "reinit");
      break;
    case EventData::Kind::kLineAdded:
      o.Set("type", "lineAdded");
      num("deviceId", e.deviceId);
      break;
    case EventData::Kind::kLineRemoved:
      o.Set("type", "lineRemoved");
      num("deviceId", e.deviceId);
      break;
  }
  return o;
}

Napi::Error MakeError(Napi::Env env, const std::string &fn, uint32_t code, const std::string &message,
                      uint32_t timeoutMs = 0) {
  Napi::Error err = Napi::Error::New(env, message.empty() ? std::string("internal error in native/tapi") : message);
  err.Set("fn", Napi::String::New(env, fn.empty() ? std::string("internal") : fn));
  err.Set("code", Napi::Number::New(env, code));
  if (timeoutMs != 0) err.Set("timeoutMs", Napi::Number::New(env, timeoutMs));
  return err;
}

// The only way from the TAPI thread to JS. Close() releases the ThreadSafeFunction once; a delivery
// after that is dropped.
class Bridge {
 public:
  // Before the thread starts (JS thread).
  void Attach(Tsfn tsfn) {
    tsfn_ = tsfn;
    open_ = true;
  }
  void Send(std::unique_ptr<Delivery> d) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!open_) return;
    if (tsfn_.NonBlockingCall(d.get()) == napi_ok) d.release();
  }
  void Close() noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!open_) return;
    open_ = false;
    tsfn_.Release();
  }

 private:
  std::mutex mutex_;
  bool open_ = false;
  Tsfn tsfn_;
};

class SessionWrap : public Napi::ObjectWrap<SessionWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeTapiSession",
                       {
                           InstanceMethod<&SessionWrap::Initialize>("initialize"),
                           InstanceMethod<&SessionWrap::ListLines>("listLines"),
                           InstanceMethod<&SessionWrap::OpenLine>("openLine"),
                           InstanceMethod<&SessionWrap::CloseLine>("closeLine"),
                           InstanceMethod<&SessionWrap::MakeCall>("makeCall"),
                           InstanceMethod<&SessionWrap::Answer>("answer"),
                           InstanceMethod<&SessionWrap::Drop>("drop"),
                           InstanceMethod<&SessionWrap::Deallocate>("deallocate"),
                           InstanceMethod<&SessionWrap::GetCallInfo>("getCallInfo"),
                           InstanceMethod<&SessionWrap::GetCallState>("getCallState"),
                           InstanceMethod<&SessionWrap::Shutdown>("shutdown"),
                           InstanceMethod<&SessionWrap::Abandon>("abandon"),
                           InstanceMethod<&SessionWrap::Library>("library"),
                       });
  }

  // new NativeTapiSession(onEvent, options?)
  explicit SessionWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<SessionWrap>(info), env_(info.Env()) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsFunction()) {
      throw Napi::TypeError::New(env, "NativeTapiSession(onEvent: function, options?: { closeTimeoutMs?: number })");
    }
    DWORD closeTimeoutMs = tapi::TapiThread::kDefaultCloseTimeoutMs;
    if (info.Length() > 1 && info[1].IsObject()) {
      Napi::Value v = info[1].As<Napi::Object>().Get("closeTimeoutMs");
      if (!v.IsUndefined()) {
        if (!v.IsNumber()) throw Napi::TypeError::New(env, "closeTimeoutMs must be a number");
        const double ms = v.As<Napi::Number>().DoubleValue();
        if (!(ms >= 1 && ms <= kMaxCloseTimeoutMs)) throw Napi::RangeError::New(env, "closeTimeoutMs must be 1..60000");
        closeTimeoutMs = static_cast<DWORD>(ms);
      }
    }
    // Everything that can run out of memory comes before the ThreadSafeFunction exists: a failure
    // then leaves nothing behind that keeps the event loop alive or calls back into a dead object.
    bridge_ = std::make_shared<Bridge>();
    std::shared_ptr<Bridge> bridge = bridge_;
    thread_ = tapi::TapiThread::Create(
        [bridge](uint32_t id, Outcome outcome) {
          auto d = std::make_unique<Delivery>();
          d->id = id;
          d->outcome = std::move(outcome);
          bridge->Send(std::move(d));
        },
        [bridge](EventData event) {
          auto d = std::make_unique<Delivery>();
          d->isEvent = true;
          d->event = std::move(event);
          bridge->Send(std::move(d));
        },
        [bridge]() { bridge->Close(); }, closeTimeoutMs);
    Tsfn tsfn = Tsfn::New(env, info[0].As<Napi::Function>(), "wildix-tapi", 0, 1, this,
                          [](Napi::Env, void *, SessionWrap *session) { session->self_.Reset(); });
    bridge_->Attach(tsfn);
    // Keeps this object alive until the ThreadSafeFunction is released (by the thread's end or Close()).
    self_ = Napi::Persistent(info.This().As<Napi::Object>());
    napi_add_env_cleanup_hook(env, &SessionWrap::EnvCleanup, this);
    cleanupHook_ = true;
    if (!thread_->Start()) {
      closed_ = true;  // every command rejects with LINEERR_UNINITIALIZED
      startFailed_ = true;
      bridge_->Close();
    }
  }

  ~SessionWrap() override {
    StopThread();
    if (cleanupHook_) napi_remove_env_cleanup_hook(env_, &SessionWrap::EnvCleanup, this);
  }

  void Deliver(Napi::Env env, Napi::Function onEvent, Delivery *d) {
    if (d->isEvent) {
      if (closed_) return;  // no events after shutdown()
      try {
        onEvent.Call({EventToJs(env, d->event)});
      } catch (...) {
        // A throwing listener (or no memory for the event) must not take the TAPI bridge down.
      }
      return;
    }
    auto it = pending_.find(d->id);
    if (it == pending_.end()) return;
    Napi::Promise::Deferred deferred = it->second;
    pending_.erase(it);
    if (d->outcome.ok) {
      deferred.Resolve(OutcomeToJs(env, d->outcome));
    } else {
      deferred.Reject(
          MakeError(env, d->outcome.fn, d->outcome.code, d->outcome.message, d->outcome.timeoutMs).Value());
    }
  }

 private:
  static void EnvCleanup(void *arg) {
    auto *self = static_cast<SessionWrap *>(arg);
    self->cleanupHook_ = false;
    self->StopThread();
  }

  // At the end of the environment (or of this object): a bounded wait, then the thread is given up.
  void StopThread() noexcept {
    if (!thread_) return;
    if (!thread_->Stop(thread_->closeTimeoutMs() + kStopGraceMs)) bridge_->Close();
  }

  // Creates the promise of one command; posts the command unless the session was shut down.
  template <typename Post>
  Napi::Value Start(Napi::Env env, const char *fn, Post post) {
    Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
    if (closed_) {
      deferred.Reject(MakeError(env, fn, kLineErrUninitialized,
                                std::string(fn) + (startFailed_ ? " failed: LINEERR_UNINITIALIZED (no TAPI thread could be started)"
                                                                : " failed: LINEERR_UNINITIALIZED (TAPI was shut down)"))
                          .Value());
      return deferred.Promise();
    }
    uint32_t id = ++nextId_;
    pending_.emplace(id, deferred);
    if (!post(id)) {
      pending_.erase(id);
      deferred.Reject(MakeError(env, fn, kLineErrUninitialized,
                                std::string(fn) + " failed: LINEERR_UNINITIALIZED (the TAPI thread has ended)")
                          .Value());
    }
    return deferred.Promise();
  }

  static uint32_t U32(const Napi::CallbackInfo &info, size_t i) {
    if (info.Length() <= i || !info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "expected a number argument");
    return info[i].As<Napi::Number>().Uint32Value();
  }

  static std::string Str(const Napi::CallbackInfo &info, size_t i) {
    if (info.Length() <= i || !info[i].IsString()) throw Napi::TypeError::New(info.Env(), "expected a string argument");
    return info[i].As<Napi::String>().Utf8Value();
  }

  Napi::Value Initialize(const Napi::CallbackInfo &info) {
    std::wstring appName = tapi::Utf8ToWide(Str(info, 0));
    return Start(info.Env(), "lineInitializeExW", [&](uint32_t id) { return thread_->Initialize(id, appName); });
  }
  Napi::Value ListLines(const Napi::CallbackInfo &info) {
    return Start(info.Env(), "lineGetDevCapsW", [&](uint32_t id) { return thread_->ListLines(id); });
  }
  Napi::Value OpenLine(const Napi::CallbackInfo &info) {
    uint32_t dev = U32(info, 0), ver = U32(info, 1);
    return Start(info.Env(), "lineOpenW", [&](uint32_t id) { return thread_->OpenLine(id, dev, ver); });
  }
  Napi::Value CloseLine(const Napi::CallbackInfo &info) {
    uint32_t h = U32(info, 0);
    return Start(info.Env(), "lineClose", [&](uint32_t id) { return thread_->CloseLine(id, h); });
  }
  Napi::Value MakeCall(const Napi::CallbackInfo &info) {
    uint32_t h = U32(info, 0);
    std::wstring dest = tapi::Utf8ToWide(Str(info, 1));
    return Start(info.Env(), "lineMakeCallW", [&](uint32_t id) { return thread_->MakeCall(id, h, dest); });
  }
  Napi::Value Answer(const Napi::CallbackInfo &info) {
    uint32_t h = U32(info, 0);
    return Start(info.Env(), "lineAnswer", [&](uint32_t id) { return thread_->Answer(id, h); });
  }
  Napi::Value Drop(const Napi::CallbackInfo &info) {
    uint32_t h = U32(info, 0);
    return Start(info.Env(), "lineDrop", [&](uint32_t id) { return thread_->Drop(id, h); });
  }
  Napi::Value Deallocate(const Napi::CallbackInfo &info) {
    uint32_t h = U32(info, 0);
    return Start(info.Env(), "lineDeallocateCall", [&](uint32_t id) { return thread_->Deallocate(id, h); });
  }
  Napi::Value GetCallInfo(const Napi::CallbackInfo &info) {
    uint32_t h = U32(info, 0);
    return Start(info.Env(), "lineGetCallInfoW", [&](uint32_t id) { return thread_->GetCallInfo(id, h); });
  }
  Napi::Value GetCallState(const Napi::CallbackInfo &info) {
    uint32_t h = U32(info, 0);
    return Start(info.Env(), "lineGetCallStatus", [&](uint32_t id) { return thread_->GetCallState(id, h); });
  }
  // lineShutdown; the TAPI thread ends afterwards. Later calls reject with LINEERR_UNINITIALIZED.
  Napi::Value Shutdown(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
    if (closed_) {
      deferred.Resolve(env.Undefined());
      return deferred.Promise();
    }
    uint32_t id = ++nextId_;
    pending_.emplace(id, deferred);
    closed_ = true;
    if (!thread_->Shutdown(id)) {
      pending_.erase(id);
      deferred.Resolve(env.Undefined());
    }
    return deferred.Promise();
  }

  // library(): where the loaded tapi32.dll came from, "" for Windows' own (tapi::LoadedFrom).
  Napi::Value Library(const Napi::CallbackInfo &info) { return Napi::String::New(info.Env(), tapi::LoadedFrom()); }

  // Gives the TAPI thread up (it hangs in a TSP call): no event or result comes any more, every
  // pending promise rejects with `timeoutMs`, later calls reject with LINEERR_UNINITIALIZED. Returns
  // whether there was a thread to give up.
  Napi::Value Abandon(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    const bool had = !abandoned_ && !startFailed_;
    if (had) {
      abandoned_ = true;
      closed_ = true;
      thread_->Abandon();
      bridge_->Close();
      auto pending = std::move(pending_);
      pending_.clear();
      for (auto &p : pending) {
        p.second.Reject(MakeError(env, "abandon", 0,
                                  "the TAPI thread did not answer (the TAPI provider hangs) and was abandoned",
                                  thread_->closeTimeoutMs())
                            .Value());
      }
    }
    return Napi::Boolean::New(env, had);
  }

  static constexpr DWORD kStopGraceMs = 1000;

  Napi::Env env_;
  Napi::ObjectReference self_;
  std::shared_ptr<Bridge> bridge_;
  std::shared_ptr<tapi::TapiThread> thread_;
  std::unordered_map<uint32_t, Napi::Promise::Deferred> pending_;  // JS thread only
  uint32_t nextId_ = 0;
  bool closed_ = false;
  bool abandoned_ = false;
  bool startFailed_ = false;
  bool cleanupHook_ = false;
};

void CallJs(Napi::Env env, Napi::Function onEvent, SessionWrap *session, Delivery *item) {
  std::unique_ptr<Delivery> owned(item);
  if (env == nullptr || session == nullptr) return;
  session->Deliver(env, onEvent, owned.get());
}

}  // namespace

Napi::Object InitTapi(Napi::Env env) {
  Napi::Object exports = Napi::Object::New(env);
  exports.Set("NativeTapiSession", SessionWrap::Define(env));
  return exports;
}
