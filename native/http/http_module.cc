// N-API surface of native/http (typed in src/native/winHttpTransport.ts as NativeHttp):
//   get(url, headers, { timeoutMs, sso, maxBodyBytes? }) → Promise<{ status, headers, body, signIn }>
//   inFlight() → number of requests whose worker thread still runs
// Every request runs on its own thread (WinHTTP is blocking here); the result reaches JS through a
// ThreadSafeFunction, so the JS thread never waits. At most kMaxInFlight threads run at once.
#include <atomic>
#include <cwchar>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "common/modules.h"
#include "common/wide_string.h"
#include "http/http_get.h"
#include "http/winhttp_api.h"
#include "win/thread.h"

namespace wildix::http {
namespace {

constexpr int kMaxInFlight = 64;
constexpr size_t kMaxUrl = 8192;
constexpr size_t kMaxHeaders = 64;
constexpr size_t kMaxHeaderValue = 8192;
constexpr double kMaxTimeoutMs = 600000;
constexpr double kMaxBody = 1024.0 * 1024.0 * 1024.0;

std::atomic<int> g_in_flight{0};
std::mutex g_session_mutex;

// The session all requests share; each worker holds its own reference. Deliberately not a static
// object: its destructor would call WinHttpCloseHandle while the process exits (DLL detach, request
// threads already killed). The environment's cleanup hook releases it instead.
std::shared_ptr<Session>& SharedSessionSlot() {
  static auto* slot = new std::shared_ptr<Session>();
  return *slot;
}

struct Pending {
  explicit Pending(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise::Deferred deferred;
};

struct Outcome {
  bool ok = false;
  GetResponse res;
  GetError err;
};

Napi::Error MakeError(Napi::Env env, const GetError& e) {
  Napi::Error error = Napi::Error::New(env, e.message);
  error.Set("code", Napi::String::New(env, "winhttp"));
  error.Set("fn", Napi::String::New(env, e.fn));
  error.Set("win32Error", Napi::Number::New(env, static_cast<double>(e.code)));
  error.Set("timeout", Napi::Boolean::New(env, e.timeout));
  return error;
}

// Runs on the JS thread (env is null while the environment is torn down: then only free the data).
void Settle(Napi::Env env, Napi::Function /*unused*/, Pending* pending, Outcome* raw) noexcept {
  std::unique_ptr<Outcome> outcome(raw);
  if (static_cast<napi_env>(env) == nullptr || pending == nullptr) return;
  try {
    if (!outcome) {
      GetError e;
      e.fn = "internal";
      e.message = "the request thread could not report its result";
      pending->deferred.Reject(MakeError(env, e).Value());
    } else if (outcome->ok) {
      Napi::Object r = Napi::Object::New(env);
      r.Set("status", Napi::Number::New(env, static_cast<double>(outcome->res.status)));
      r.Set("headers", FromWide(env, outcome->res.raw_headers));
      r.Set("body", Napi::Buffer<char>::Copy(env, outcome->res.body.data(), outcome->res.body.size()));
      r.Set("signIn", Napi::String::New(env, outcome->res.sign_in));
      pending->deferred.Resolve(r);
    } else {
      pending->deferred.Reject(MakeError(env, outcome->err).Value());
    }
  } catch (const Napi::Error& e) {
    winx::NoThrow("http settle", [&] { pending->deferred.Reject(e.Value()); });
  } catch (...) {  // no memory for the answer: reject with what JS can still make
    winx::NoThrow("http settle", [&] {
      pending->deferred.Reject(Napi::Error::New(env, "native/http: internal error (out of memory?)").Value());
    });
  }
}

using Tsfn = Napi::TypedThreadSafeFunction<Pending, Outcome, Settle>;

bool IsTokenChar(wchar_t c) {
  if ((c >= L'0' && c <= L'9') || (c >= L'A' && c <= L'Z') || (c >= L'a' && c <= L'z')) return true;
  for (const wchar_t* p = L"!#$%&'*+-.^_`|~"; *p; ++p) {
    if (*p == c) return true;
  }
  return false;
}

std::wstring ParseUrl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "get: url must be a string");
  std::wstring url = ToWide(info[0]);
  if (url.empty() || url.size() > kMaxUrl) throw Napi::RangeError::New(env, "get: url must have 1.." + std::to_string(kMaxUrl) + " characters");
  for (wchar_t c : url) {
    if (c <= L' ' || c == 0x7f) throw Napi::TypeError::New(env, "get: url must not contain spaces or control characters");
  }
  auto starts = [&url](const wchar_t* prefix) { return _wcsnicmp(url.c_str(), prefix, wcslen(prefix)) == 0; };
  if (!starts(L"http://") && !starts(L"https://")) throw Napi::TypeError::New(env, "get: url must start with http:// or https://");
  return url;
}

std::vector<std::pair<std::wstring, std::wstring>> ParseHeaders(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[1].IsObject() || info[1].IsArray()) throw Napi::TypeError::New(env, "get: headers must be an object");
  Napi::Object obj = info[1].As<Napi::Object>();
  Napi::Array names = obj.GetPropertyNames();
  if (names.Length() > kMaxHeaders) throw Napi::RangeError::New(env, "get: more than " + std::to_string(kMaxHeaders) + " headers");
  std::vector<std::pair<std::wstring, std::wstring>> out;
  for (uint32_t i = 0; i < names.Length(); ++i) {
    Napi::Value key = names.Get(i);
    Napi::Value value = obj.Get(key);
    const std::wstring name = ToWide(key.ToString());
    if (name.empty() || name.size() > 256) throw Napi::TypeError::New(env, "get: header names must have 1..256 characters");
    for (wchar_t c : name) {
      if (!IsTokenChar(c)) throw Napi::TypeError::New(env, "get: invalid character in header name");
    }
    if (!value.IsString()) throw Napi::TypeError::New(env, "get: header values must be strings");
    std::wstring v = ToWide(value);
    if (v.size() > kMaxHeaderValue) throw Napi::RangeError::New(env, "get: header value longer than " + std::to_string(kMaxHeaderValue));
    for (wchar_t c : v) {
      if (c == L'\r' || c == L'\n' || c == L'\0') throw Napi::TypeError::New(env, "get: header values must not contain CR, LF or NUL");
    }
    out.emplace_back(name, std::move(v));
  }
  return out;
}

void ParseOptions(const Napi::CallbackInfo& info, GetRequest* req) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[2].IsObject()) throw Napi::TypeError::New(env, "get: options must be an object");
  Napi::Object o = info[2].As<Napi::Object>();
  Napi::Value timeout = o.Get("timeoutMs");
  if (!timeout.IsNumber()) throw Napi::TypeError::New(env, "get: options.timeoutMs must be a number");
  const double ms = timeout.As<Napi::Number>().DoubleValue();
  if (!(ms >= 1 && ms <= kMaxTimeoutMs)) throw Napi::RangeError::New(env, "get: options.timeoutMs must be 1..600000");
  req->timeout_ms = static_cast<DWORD>(ms);
  Napi::Value sso = o.Get("sso");
  if (!sso.IsBoolean()) throw Napi::TypeError::New(env, "get: options.sso must be a boolean");
  req->sso = sso.As<Napi::Boolean>().Value();
  Napi::Value max = o.Get("maxBodyBytes");
  if (!max.IsUndefined()) {
    if (!max.IsNumber()) throw Napi::TypeError::New(env, "get: options.maxBodyBytes must be a number");
    const double m = max.As<Napi::Number>().DoubleValue();
    if (!(m >= 1 && m <= kMaxBody)) throw Napi::RangeError::New(env, "get: options.maxBodyBytes must be 1..1 GiB");
    req->max_body = static_cast<size_t>(m);
  }
}

std::shared_ptr<Session> SharedSession(GetError* err) {
  std::lock_guard<std::mutex> lock(g_session_mutex);
  std::shared_ptr<Session>& slot = SharedSessionSlot();
  if (slot) return slot;
  std::string load_error;
  const WinHttpApi* api = GetWinHttpApi(&load_error);
  if (!api) {
    err->fn = "LoadLibrary";
    err->message = "WinHTTP is not available: " + load_error;
    return nullptr;
  }
  Internet handle;
  if (!OpenSession(api, &handle, err)) return nullptr;
  slot = std::make_shared<Session>(api, std::move(handle));
  return slot;
}

Napi::Value GetJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  GetRequest req;
  req.url = ParseUrl(info);
  req.headers = ParseHeaders(info);
  ParseOptions(info, &req);

  auto* pending = new Pending(env);
  Napi::Promise promise = pending->deferred.Promise();
  GetError setup;
  std::shared_ptr<Session> session = SharedSession(&setup);
  if (!session) {
    pending->deferred.Reject(MakeError(env, setup).Value());
    delete pending;
    return promise;
  }
  if (g_in_flight.fetch_add(1) >= kMaxInFlight) {
    g_in_flight.fetch_sub(1);
    setup.fn = "get";
    setup.message = "more than " + std::to_string(kMaxInFlight) + " requests in flight";
    pending->deferred.Reject(MakeError(env, setup).Value());
    delete pending;
    return promise;
  }
  // From here the ThreadSafeFunction owns `pending` (deleted by its finalizer on the JS thread).
  Tsfn tsfn;
  try {
    tsfn = Tsfn::New(env, "wildix-winhttp-get", 0, 1, pending, [](Napi::Env, void*, Pending* p) { delete p; });
  } catch (...) {
    g_in_flight.fetch_sub(1);
    setup.fn = "napi_create_threadsafe_function";
    setup.message = "cannot set up the request (out of memory?)";
    pending->deferred.Reject(MakeError(env, setup).Value());
    delete pending;
    return promise;
  }
  winx::Thread thread;  // runs on by itself; its handle is closed when `thread` goes
  DWORD start_error = 0;
  bool started = false;
  try {
    started = thread.Start(
        [tsfn, session = std::move(session), req = std::move(req)]() mutable {
          // Nothing thrown here leaves the thread; the promise is settled in every case.
          Outcome* outcome = nullptr;
          try {
            auto owned = std::make_unique<Outcome>();
            owned->ok = wildix::http::Get(*session, req, &owned->res, &owned->err);
            outcome = owned.release();
          } catch (...) {
            outcome = nullptr;  // Settle rejects with an internal error
          }
          session.reset();
          if (tsfn.BlockingCall(outcome) != napi_ok) delete outcome;
          tsfn.Release();
          g_in_flight.fetch_sub(1);
        },
        "http request thread", &start_error);
  } catch (...) {
    start_error = ERROR_NOT_ENOUGH_MEMORY;
  }
  if (!started) {
    g_in_flight.fetch_sub(1);
    setup.fn = "CreateThread";
    setup.code = start_error;
    setup.message = "cannot start the request thread (error " + std::to_string(start_error) + ")";
    pending->deferred.Reject(MakeError(env, setup).Value());
    tsfn.Release();
  }
  return promise;
}

Napi::Value InFlight(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), g_in_flight.load()); }

}  // namespace
}  // namespace wildix::http

Napi::Object InitHttp(Napi::Env env) {
  using namespace wildix::http;
  Napi::Object http = Napi::Object::New(env);
  http.Set("get", Napi::Function::New(env, GetJs, "get"));
  http.Set("inFlight", Napi::Function::New(env, InFlight, "inFlight"));
  env.AddCleanupHook([] {
    std::lock_guard<std::mutex> lock(g_session_mutex);
    SharedSessionSlot().reset();  // running requests keep their own reference; the last one closes it
  });
  return http;
}
