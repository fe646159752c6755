// Node-API surface of the DATEV COM/ROT bridge (addon.com). Typed on the TS side by
// src/native/comDatevPort.ts (NativeComModule):
//   new DatevBridge({ claimMs, requestTimeoutMs, notifyTimeoutMs, graceMs, probeTimeoutMs, notifyThreads,
//                     typeLibDir? }, onEvent)
//     .register() .revoke() .isPresent() .notify(method, data, { last, generation }) .selfCheck() .rebuild()
//     .claim(id) .answer(id, result) .setCallIdPrefix(prefix) .health() .close()
//   typeLibStatus()
// onEvent receives { type: 'request', id, kind, data, callId }, { type: 'late', ticket, code, hresult,
// message, generation }, { type: 'health', ... } and { type: 'log', level, message }.
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "com/com_ptr.h"
#include "com/datev_bridge.h"
#include "common/modules.h"
#include "common/new_call_hint.h"

namespace {

using datev::Bridge;
using datev::BridgeHealth;
using datev::CallValues;
using datev::FieldValue;
using datev::Outcome;

using JsCallback = std::function<void(Napi::Env, Napi::Function)>;

// Which DATEV (the time its ROT entry was made, a FILETIME) as JS sees it: decimal, "" when not known.
std::string DatevId(uint64_t registered) { return registered == 0 ? std::string() : std::to_string(registered); }

// Thread-safe door to JS. After Close() everything sent is dropped.
class JsSink final : public datev::RequestSink {
 public:
  explicit JsSink(Napi::ThreadSafeFunction tsfn) : tsfn_(std::move(tsfn)) {}

  void Send(JsCallback callback) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    tsfn_.NonBlockingCall(std::move(callback));
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    closed_ = true;
    tsfn_.Release();
  }
  void Ref(Napi::Env env) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!closed_) tsfn_.Ref(env);
  }
  void Unref(Napi::Env env) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!closed_) tsfn_.Unref(env);
  }

  void Request(uint32_t id, datev::RequestKind kind, const CallValues& data, const std::wstring& callId) override;
  void Late(uint64_t ticket, const Outcome& outcome) override;
  void Health(const BridgeHealth& health) override;
  void Log(const char* level, const std::string& message) override;

 private:
  std::mutex mutex_;
  bool closed_ = false;
  Napi::ThreadSafeFunction tsfn_;
};

void CallSafely(Napi::Function fn, const Napi::Object& event) {
  try {
    fn.Call({event});
  } catch (const Napi::Error&) {
    // the adapter's onEvent never throws; a throwing callback must not take the process down
  }
}

Napi::Value DateToJs(Napi::Env env, const datev::DateParts& d) {
  Napi::Function ctor = env.Global().Get("Date").As<Napi::Function>();
  Napi::Object date = ctor.New({Napi::Number::New(env, d.year), Napi::Number::New(env, d.month - 1),
                                Napi::Number::New(env, d.day), Napi::Number::New(env, d.hour),
                                Napi::Number::New(env, d.minute), Napi::Number::New(env, d.second),
                                Napi::Number::New(env, d.millis)});
  if (d.year < 100) {  // new Date(y, ...) maps 0-99 to 1900-1999
    date.Get("setFullYear").As<Napi::Function>().Call(date, {Napi::Number::New(env, d.year)});
  }
  return date;
}

Napi::Value FieldToJs(Napi::Env env, const FieldValue& f) {
  switch (f.kind) {
    case FieldValue::Kind::Null: return env.Null();
    case FieldValue::Kind::String:
      return Napi::String::New(env, reinterpret_cast<const char16_t*>(f.str.data()), f.str.size());
    case FieldValue::Kind::Number: return Napi::Number::New(env, f.number);
    case FieldValue::Kind::Bool: return Napi::Boolean::New(env, f.flag);
    case FieldValue::Kind::Date: return DateToJs(env, f.date);
    case FieldValue::Kind::Missing:
    case FieldValue::Kind::Unsupported: break;
  }
  return env.Undefined();
}

Napi::Object ValuesToJs(Napi::Env env, const CallValues& values) {
  Napi::Object obj = Napi::Object::New(env);
  for (int i = 0; i < datev::kFieldCount; ++i) {
    const FieldValue& f = values[static_cast<size_t>(i)];
    if (f.kind == FieldValue::Kind::Missing) continue;
    obj.Set(datev::kFieldNamesUtf8[i], FieldToJs(env, f));
  }
  return obj;
}

double CallNumber(const Napi::Object& obj, const char* method) {
  return obj.Get(method).As<Napi::Function>().Call(obj, {}).ToNumber().DoubleValue();
}

FieldValue FieldFromJs(const Napi::Value& v) {
  FieldValue f;
  if (v.IsUndefined()) return f;
  if (v.IsNull()) {
    f.kind = FieldValue::Kind::Null;
  } else if (v.IsString()) {
    std::u16string s = v.As<Napi::String>().Utf16Value();
    if (s.size() > datev::kMaxStringChars) {
      s.resize(datev::kMaxStringChars);
      f.truncated = true;
    }
    f.kind = FieldValue::Kind::String;
    f.str.assign(s.begin(), s.end());
  } else if (v.IsNumber()) {
    f.kind = FieldValue::Kind::Number;
    f.number = v.As<Napi::Number>().DoubleValue();
  } else if (v.IsBoolean()) {
    f.kind = FieldValue::Kind::Bool;
    f.flag = v.As<Napi::Boolean>().Value();
  } else if (v.IsDate()) {
    Napi::Object d = v.As<Napi::Object>();
    double t = v.As<Napi::Date>().ValueOf();
    if (t != t) {  // NaN: Invalid Date
      f.kind = FieldValue::Kind::Unsupported;
      return f;
    }
    f.kind = FieldValue::Kind::Date;
    f.date.year = static_cast<int>(CallNumber(d, "getFullYear"));
    f.date.month = static_cast<int>(CallNumber(d, "getMonth")) + 1;
    f.date.day = static_cast<int>(CallNumber(d, "getDate"));
    f.date.hour = static_cast<int>(CallNumber(d, "getHours"));
    f.date.minute = static_cast<int>(CallNumber(d, "getMinutes"));
    f.date.second = static_cast<int>(CallNumber(d, "getSeconds"));
    f.date.millis = static_cast<int>(CallNumber(d, "getMilliseconds"));
  } else {
    f.kind = FieldValue::Kind::Unsupported;
  }
  return f;
}

CallValues ValuesFromJs(const Napi::Value& v) {
  CallValues values;
  if (!v.IsObject()) return values;
  Napi::Object obj = v.As<Napi::Object>();
  for (int i = 0; i < datev::kFieldCount; ++i) {
    values[static_cast<size_t>(i)] = FieldFromJs(obj.Get(datev::kFieldNamesUtf8[i]));
  }
  return values;
}

void JsSink::Request(uint32_t id, datev::RequestKind kind, const CallValues& data, const std::wstring& callId) {
  Send([id, kind, data, callId](Napi::Env env, Napi::Function onEvent) {
    Napi::Object e = Napi::Object::New(env);
    e.Set("type", "request");
    e.Set("id", Napi::Number::New(env, id));
    e.Set("kind", datev::RequestKindName(kind));
    e.Set("data", ValuesToJs(env, data));
    if (!callId.empty()) e.Set("callId", Napi::String::New(env, reinterpret_cast<const char16_t*>(callId.data()), callId.size()));
    CallSafely(onEvent, e);
  });
}

Napi::Object PoolToJs(Napi::Env env, const datev::PoolHealth& p) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("size", Napi::Number::New(env, p.size));
  o.Set("started", Napi::Number::New(env, p.started));
  o.Set("busy", Napi::Number::New(env, p.busy));
  o.Set("stuck", Napi::Number::New(env, p.stuck));
  o.Set("queued", Napi::Number::New(env, p.queued));
  o.Set("timeouts", Napi::Number::New(env, static_cast<double>(p.timeouts)));
  o.Set("stalled", Napi::Number::New(env, static_cast<double>(p.stalled)));
  return o;
}

Napi::Object HealthToJs(Napi::Env env, const BridgeHealth& h) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("notify", PoolToJs(env, h.notify));
  o.Set("probe", PoolToJs(env, h.probe));
  o.Set("registered", Napi::Boolean::New(env, h.registered));
  o.Set("rebuilds", Napi::Number::New(env, h.rebuilds));
  o.Set("generation", Napi::Number::New(env, static_cast<double>(h.generation)));
  o.Set("requestsExpired", Napi::Number::New(env, static_cast<double>(h.requestsExpired)));
  o.Set("lookupsAhead", Napi::Number::New(env, static_cast<double>(h.lookupsAhead)));
  return o;
}

void JsSink::Late(uint64_t ticket, const Outcome& o) {
  Send([ticket, o](Napi::Env env, Napi::Function onEvent) {
    Napi::Object e = Napi::Object::New(env);
    e.Set("type", "late");
    e.Set("ticket", Napi::Number::New(env, static_cast<double>(ticket)));
    e.Set("code", o.code);
    e.Set("hresult", Napi::Number::New(env, static_cast<double>(static_cast<uint32_t>(o.hr))));
    e.Set("message", o.message);
    e.Set("generation", Napi::Number::New(env, static_cast<double>(o.generation)));
    e.Set("datevId", DatevId(o.registered));
    if (o.syncId) e.Set("syncId", comx::ToUtf8(*o.syncId));
    if (!o.datevRead.empty()) e.Set("datevRead", o.datevRead);
    CallSafely(onEvent, e);
  });
}

void JsSink::Health(const BridgeHealth& h) {
  Send([h](Napi::Env env, Napi::Function onEvent) {
    Napi::Object e = HealthToJs(env, h);
    e.Set("type", "health");
    CallSafely(onEvent, e);
  });
}

void JsSink::Log(const char* level, const std::string& message) {
  std::string lvl = level;
  Send([lvl, message](Napi::Env env, Napi::Function onEvent) {
    Napi::Object e = Napi::Object::New(env);
    e.Set("type", "log");
    e.Set("level", lvl);
    e.Set("message", message);
    CallSafely(onEvent, e);
  });
}

Napi::Error OutcomeError(Napi::Env env, const Outcome& o) {
  Napi::Error err = Napi::Error::New(env, o.message);
  err.Set("code", o.code);
  err.Set("hresult", Napi::Number::New(env, static_cast<double>(static_cast<uint32_t>(o.hr))));
  err.Set("generation", Napi::Number::New(env, static_cast<double>(o.generation)));
  err.Set("datevId", DatevId(o.registered));
  return err;
}

// options[name] when it is a number within [lo, hi], else `fallback`
DWORD DwordOption(const Napi::Object& options, const char* name, DWORD lo, DWORD hi, DWORD fallback) {
  Napi::Value v = options.Get(name);
  if (!v.IsNumber()) return fallback;
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= lo && d <= hi)) return fallback;
  return static_cast<DWORD>(d);
}

DWORD TimeoutOption(const Napi::Object& options, const char* name, DWORD fallback) {
  return DwordOption(options, name, 1, 600000, fallback);
}

// lookAheadMs: 0 (off) .. 60000
DWORD LookAheadOption(const Napi::Object& options, DWORD fallback) { return DwordOption(options, "lookAheadMs", 0, 60000, fallback); }

// dialAnswer: "immediate" (Dial returns once the CallID is written) or "checked" (waits for the program)
bool DialAtOnceOption(const Napi::Object& options, bool fallback) {
  Napi::Value v = options.Get("dialAnswer");
  if (v.IsUndefined()) return fallback;
  if (v.IsString()) {
    std::string s = v.As<Napi::String>().Utf8Value();
    if (s == "immediate") return true;
    if (s == "checked") return false;
  }
  throw Napi::TypeError::New(options.Env(), "dialAnswer must be \"immediate\" or \"checked\"");
}

class DatevBridgeWrap final : public Napi::ObjectWrap<DatevBridgeWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "DatevBridge",
                       {InstanceMethod("register", &DatevBridgeWrap::Register),
                        InstanceMethod("revoke", &DatevBridgeWrap::Revoke),
                        InstanceMethod("isPresent", &DatevBridgeWrap::IsPresent),
                        InstanceMethod("notify", &DatevBridgeWrap::Notify),
                        InstanceMethod("selfCheck", &DatevBridgeWrap::SelfCheck),
                        InstanceMethod("rebuild", &DatevBridgeWrap::Rebuild),
                        InstanceMethod("claim", &DatevBridgeWrap::Claim),
                        InstanceMethod("answer", &DatevBridgeWrap::Answer),
                        InstanceMethod("setCallIdPrefix", &DatevBridgeWrap::SetCallIdPrefix),
                        InstanceMethod("configure", &DatevBridgeWrap::Configure),
                        InstanceMethod("health", &DatevBridgeWrap::Health),
                        InstanceMethod("close", &DatevBridgeWrap::Close)});
  }

  explicit DatevBridgeWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DatevBridgeWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) {
      throw Napi::TypeError::New(env, "DatevBridge(options, onEvent): options object and onEvent function required");
    }
    Napi::Object options = info[0].As<Napi::Object>();
    datev::BridgeOptions opts;
    opts.claimMs = TimeoutOption(options, "claimMs", opts.claimMs);
    opts.requestTimeoutMs = TimeoutOption(options, "requestTimeoutMs", opts.requestTimeoutMs);
    opts.notifyTimeoutMs = TimeoutOption(options, "notifyTimeoutMs", opts.notifyTimeoutMs);
    opts.graceMs = TimeoutOption(options, "graceMs", opts.graceMs);
    opts.probeTimeoutMs = TimeoutOption(options, "probeTimeoutMs", opts.probeTimeoutMs);
    opts.dialAtOnce = DialAtOnceOption(options, opts.dialAtOnce);
    opts.lookAheadMs = LookAheadOption(options, opts.lookAheadMs);
    Napi::Value threads = options.Get("notifyThreads");
    if (threads.IsNumber()) {
      int n = threads.As<Napi::Number>().Int32Value();
      if (n >= 1 && n <= 8) opts.notifyThreads = n;
    }
    Napi::Value dir = options.Get("typeLibDir");
    if (dir.IsString()) {
      std::u16string s = dir.As<Napi::String>().Utf16Value();
      opts.typeLibDir.assign(s.begin(), s.end());
    }
    Napi::ThreadSafeFunction tsfn =
        Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "wildix-datev-com", 0, 1);
    tsfn.Unref(env);
    sink_ = std::make_shared<JsSink>(tsfn);
    bridge_ = Bridge::Create(sink_, opts);
    // the TAPI thread's hint of a new call: look DATEV up while the event travels to JavaScript
    std::weak_ptr<Bridge> weak = bridge_;
    hintToken_ = hints::SetNewCallListener([weak]() {
      if (auto bridge = weak.lock()) bridge->LookUpAhead();
    });
    env_ = env;
    napi_add_env_cleanup_hook(env, &DatevBridgeWrap::Cleanup, this);
  }

  ~DatevBridgeWrap() override {
    if (!closed_) napi_remove_env_cleanup_hook(env_, &DatevBridgeWrap::Cleanup, this);
    Shutdown();
  }

 private:
  static void Cleanup(void* arg) {
    auto* self = static_cast<DatevBridgeWrap*>(arg);
    self->closed_ = true;
    self->Shutdown();
  }

  void Shutdown() {
    hints::ClearNewCallListener(hintToken_);
    if (bridge_) bridge_->Shutdown(2000);
    if (sink_) sink_->Close();
  }

  // The process stays alive while the CTI object is registered or an operation is pending.
  void Hold(Napi::Env env) {
    if (holds_++ == 0) {
      sink_->Ref(env);
      Ref();
    }
  }
  void Unhold(Napi::Env env) {
    if (holds_ > 0 && --holds_ == 0) {
      sink_->Unref(env);
      Unref();
    }
  }

  using Settle = std::function<void(Napi::Env, const Outcome&, Napi::Promise::Deferred&)>;

  // A Done for the bridge that settles `deferred` on the JS thread.
  Bridge::Done Completion(Napi::Env env, Napi::Promise::Deferred deferred, Settle settle) {
    Hold(env);
    auto sink = sink_;
    DatevBridgeWrap* self = this;  // kept alive by Hold()'s Ref()
    auto shared = std::make_shared<Napi::Promise::Deferred>(deferred);
    return [sink, self, shared, settle](const Outcome& o) {
      sink->Send([self, shared, settle, o](Napi::Env env, Napi::Function) {
        Napi::HandleScope scope(env);
        settle(env, o, *shared);
        self->Unhold(env);
      });
    };
  }

  Napi::Value Closed(Napi::Env env) {
    auto deferred = Napi::Promise::Deferred::New(env);
    Outcome o;
    o.code = "com";
    o.hr = E_ABORT;
    o.message = "the DATEV bridge is closed";
    deferred.Reject(OutcomeError(env, o).Value());
    return deferred.Promise();
  }

  Napi::Value Register(const Napi::CallbackInfo& info) { return IntoRot(info.Env(), &Bridge::Register); }

  // register() and rebuild(): the CTI object (a new one for rebuild) into the ROT; once in, the wrapper
  // is held until it is revoked.
  Napi::Value IntoRot(Napi::Env env, void (Bridge::*put)(Bridge::Done)) {
    if (closed_) return Closed(env);
    auto deferred = Napi::Promise::Deferred::New(env);
    (bridge_.get()->*put)(Completion(env, deferred, [this](Napi::Env e, const Outcome& o, Napi::Promise::Deferred& d) {
      if (o.code != "ok") {
        d.Reject(OutcomeError(e, o).Value());
        return;
      }
      if (!registered_) {
        registered_ = true;
        Hold(e);
      }
      d.Resolve(e.Undefined());
    }));
    return deferred.Promise();
  }

  Napi::Value Revoke(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto deferred = Napi::Promise::Deferred::New(env);
    if (closed_) {
      deferred.Resolve(env.Undefined());
      return deferred.Promise();
    }
    bridge_->Revoke(Completion(env, deferred, [this](Napi::Env e, const Outcome&, Napi::Promise::Deferred& d) {
      if (registered_) {
        registered_ = false;
        Unhold(e);
      }
      d.Resolve(e.Undefined());
    }));
    return deferred.Promise();
  }

  Napi::Value IsPresent(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closed_) return Closed(env);
    auto deferred = Napi::Promise::Deferred::New(env);
    bridge_->IsPresent(Completion(env, deferred, [](Napi::Env e, const Outcome& o, Napi::Promise::Deferred& d) {
      if (o.code != "ok") d.Reject(OutcomeError(e, o).Value());
      else d.Resolve(Napi::Boolean::New(e, o.flag));
    }));
    return deferred.Promise();
  }

  // notify(method, data, { last?, generation? }) → Promise<{ ticket, generation }>; a rejection carries
  // code, hresult, generation and ticket (a "timeout" is followed by a 'late' event with that ticket).
  Napi::Value Notify(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closed_) return Closed(env);
    if (info.Length() < 2 || !info[0].IsString() || !info[1].IsObject()) {
      throw Napi::TypeError::New(env, "notify(method, data, options?): method name and data object required");
    }
    std::u16string m = info[0].As<Napi::String>().Utf16Value();
    datev::NotifyRequest request;
    request.method.assign(m.begin(), m.end());
    request.data = ValuesFromJs(info[1]);
    for (int i = 0; i < datev::kFieldCount; ++i) {
      if (request.data[static_cast<size_t>(i)].kind == FieldValue::Kind::Unsupported) {
        throw Napi::TypeError::New(env, std::string("notify: field ") + datev::kFieldNamesUtf8[i] +
                                            " has a value that COM cannot carry");
      }
    }
    if (info.Length() > 2 && info[2].IsObject()) {
      Napi::Object o = info[2].As<Napi::Object>();
      request.lastOfCall = o.Get("last").ToBoolean().Value();
      Napi::Value g = o.Get("generation");
      if (g.IsNumber() && g.As<Napi::Number>().DoubleValue() > 0) {
        request.expectGeneration = static_cast<uint64_t>(g.As<Napi::Number>().DoubleValue());
      }
      Napi::Value id = o.Get("datevId");
      if (id.IsString()) {
        // a decimal FILETIME as DatevId() wrote it; anything else can match no DATEV
        const std::string text = id.As<Napi::String>().Utf8Value();
        uint64_t v = 0;
        bool digits = !text.empty() && text.size() <= 19;
        for (char ch : text) {
          if (ch < '0' || ch > '9') digits = false;
          else v = v * 10 + static_cast<uint64_t>(ch - '0');
        }
        request.expectRegistered = digits && v != 0 ? v : ~0ull;
      }
    }
    auto deferred = Napi::Promise::Deferred::New(env);
    // The settling runs later on this (the JS) thread, through the sink, so the ticket is set by then.
    auto ticket = std::make_shared<uint64_t>(0);
    *ticket = bridge_->Notify(std::move(request),
                              Completion(env, deferred, [ticket](Napi::Env e, const Outcome& o, Napi::Promise::Deferred& d) {
                                uint64_t t = *ticket;
                                if (o.code != "ok") {
                                  Napi::Error err = OutcomeError(e, o);
                                  err.Set("ticket", Napi::Number::New(e, static_cast<double>(t)));
                                  d.Reject(err.Value());
                                  return;
                                }
                                Napi::Object r = Napi::Object::New(e);
                                r.Set("ticket", Napi::Number::New(e, static_cast<double>(t)));
                                r.Set("generation", Napi::Number::New(e, static_cast<double>(o.generation)));
                                r.Set("datevId", DatevId(o.registered));
                                if (o.syncId) r.Set("syncId", comx::ToUtf8(*o.syncId));
                                if (!o.datevRead.empty()) r.Set("datevRead", o.datevRead);
                                d.Resolve(r);
                              }));
    return deferred.Promise();
  }

  // selfCheck() → Promise<{ healthy, code, hresult, message }> (never rejects)
  Napi::Value SelfCheck(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closed_) return Closed(env);
    auto deferred = Napi::Promise::Deferred::New(env);
    bridge_->SelfCheck(Completion(env, deferred, [](Napi::Env e, const Outcome& o, Napi::Promise::Deferred& d) {
      Napi::Object r = Napi::Object::New(e);
      r.Set("healthy", Napi::Boolean::New(e, o.code == "ok" && o.flag));
      r.Set("code", o.code);
      r.Set("hresult", Napi::Number::New(e, static_cast<double>(static_cast<uint32_t>(o.hr))));
      r.Set("message", o.message);
      d.Resolve(r);
    }));
    return deferred.Promise();
  }

  Napi::Value Rebuild(const Napi::CallbackInfo& info) { return IntoRot(info.Env(), &Bridge::Rebuild); }

  // claim(id) → true when DATEV's call still waits for the program's answer (synchronous)
  Napi::Value Claim(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "claim(id): id number required");
    if (closed_) return Napi::Boolean::New(env, false);
    return Napi::Boolean::New(env, bridge_->Claim(info[0].As<Napi::Number>().Uint32Value()));
  }

  Napi::Value SetCallIdPrefix(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "setCallIdPrefix(prefix): string required");
    std::u16string s = info[0].As<Napi::String>().Utf16Value();
    if (!closed_) bridge_->SetCallIdPrefix(std::wstring(s.begin(), s.end()));
    return env.Undefined();
  }

  // configure({ claimMs?, requestTimeoutMs?, notifyTimeoutMs?, probeTimeoutMs?, dialAnswer?, lookAheadMs? })
  Napi::Value Configure(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "configure(options): object required");
    Napi::Object o = info[0].As<Napi::Object>();
    if (!closed_) {
      bridge_->Configure(TimeoutOption(o, "claimMs", 0), TimeoutOption(o, "requestTimeoutMs", 0),
                         TimeoutOption(o, "notifyTimeoutMs", 0), TimeoutOption(o, "probeTimeoutMs", 0));
      if (o.Has("dialAnswer")) bridge_->SetDialAtOnce(DialAtOnceOption(o, false));
      if (o.Has("lookAheadMs")) bridge_->SetLookAhead(LookAheadOption(o, datev::BridgeOptions().lookAheadMs));
    }
    return env.Undefined();
  }

  Napi::Value Health(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closed_) return env.Null();
    return HealthToJs(env, bridge_->Health());
  }

  // answer(id, { ok: true, found?, data? } | { ok: false, error })
  Napi::Value Answer(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsObject()) {
      throw Napi::TypeError::New(env, "answer(id, result): id number and result object required");
    }
    uint32_t id = info[0].As<Napi::Number>().Uint32Value();
    Napi::Object r = info[1].As<Napi::Object>();
    datev::RequestAnswer answer;
    answer.ok = r.Get("ok").ToBoolean().Value();
    answer.found = r.Get("found").ToBoolean().Value();
    answer.data = ValuesFromJs(r.Get("data"));
    Napi::Value error = r.Get("error");
    if (error.IsString()) answer.error = error.As<Napi::String>().Utf8Value();
    if (!closed_) bridge_->Answer(id, std::move(answer));
    return env.Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto deferred = Napi::Promise::Deferred::New(env);
    if (closed_) {
      deferred.Resolve(env.Undefined());
      return deferred.Promise();
    }
    auto bridge = bridge_;
    Bridge::Done done =
        Completion(env, deferred, [this](Napi::Env e, const Outcome&, Napi::Promise::Deferred& d) {
          if (registered_) {
            registered_ = false;
            Unhold(e);
          }
          d.Resolve(e.Undefined());
          closed_ = true;
          napi_remove_env_cleanup_hook(env_, &DatevBridgeWrap::Cleanup, this);
          // the sink is closed after this callback returned (a TSFN must not be released inside its own call)
          auto sink = sink_;
          std::thread([sink]() { sink->Close(); }).detach();
        });
    // Shutdown joins the COM thread: not on the JS thread.
    std::thread([bridge, done]() {
      bridge->Shutdown(5000);
      done(Outcome{});
    }).detach();
    return deferred.Promise();
  }

  std::shared_ptr<JsSink> sink_;
  std::shared_ptr<Bridge> bridge_;
  uint64_t hintToken_ = 0;  // this bridge's new-call listener (native/common/new_call_hint.h)
  napi_env env_ = nullptr;
  int holds_ = 0;
  bool registered_ = false;
  bool closed_ = false;
};

Napi::Value TypeLibStatusJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  datev::TypeLibStatus s = Bridge::CurrentTypeLibStatus();
  Napi::Object o = Napi::Object::New(env);
  o.Set("state", s.state);
  o.Set("detail", s.detail);
  o.Set("path", comx::ToUtf8(s.path));
  o.Set("hresult", Napi::Number::New(env, static_cast<double>(static_cast<uint32_t>(s.hr))));
  return o;
}

}  // namespace

Napi::Object InitCom(Napi::Env env) {
  Napi::Object com = Napi::Object::New(env);
  com.Set("DatevBridge", DatevBridgeWrap::Define(env));
  com.Set("typeLibStatus", Napi::Function::New(env, TypeLibStatusJs, "typeLibStatus"));
  return com;
}
