// N-API surface of native/dpapi (typed in src/native/dpapi.ts as NativeDpapi):
//   protect(data: Uint8Array, entropy: string) → Promise<Buffer>
//   unprotect(data: Uint8Array, entropy: string) → Promise<Buffer>
// Runs on a libuv worker thread (Napi::AsyncWorker); failures reject with an Error whose code is
// "dpapi" and whose win32Error is the Windows error.
#include <string>
#include <utility>
#include <vector>

#include "common/modules.h"
#include "dpapi/dpapi.h"

namespace wildix::dpapi {
namespace {

constexpr size_t kMaxEntropy = 256;

class DpapiWorker : public Napi::AsyncWorker {
 public:
  DpapiWorker(Napi::Env env, bool protect, std::vector<unsigned char> input, std::string entropy)
      : Napi::AsyncWorker(env, protect ? "wildix-dpapi-protect" : "wildix-dpapi-unprotect"),
        deferred_(Napi::Promise::Deferred::New(env)),
        protect_(protect),
        input_(std::move(input)),
        entropy_(std::move(entropy)) {}

  ~DpapiWorker() override {
    if (!output_.empty()) SecureZeroMemory(output_.data(), output_.size());
    if (!input_.empty()) SecureZeroMemory(input_.data(), input_.size());
  }

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override { ok_ = protect_ ? Protect(input_, entropy_, &output_, &failure_) : Unprotect(input_, entropy_, &output_, &failure_); }

  void OnOK() override {
    Napi::Env env = Env();
    if (ok_) {
      deferred_.Resolve(Napi::Buffer<unsigned char>::Copy(env, output_.data(), output_.size()));
      return;
    }
    Napi::Error error = Napi::Error::New(env, failure_.message.empty() ? std::string("DPAPI: internal error") : failure_.message);
    error.Set("code", Napi::String::New(env, "dpapi"));
    error.Set("fn", Napi::String::New(env, failure_.fn.empty() ? std::string("internal") : failure_.fn));
    error.Set("win32Error", Napi::Number::New(env, static_cast<double>(failure_.code)));
    deferred_.Reject(error.Value());
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  bool protect_;
  std::vector<unsigned char> input_;
  std::string entropy_;
  std::vector<unsigned char> output_;
  Failure failure_;
  bool ok_ = false;
};

Napi::Value Start(const Napi::CallbackInfo& info, bool protect) {
  Napi::Env env = info.Env();
  const char* name = protect ? "protect" : "unprotect";
  if (info.Length() < 2 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(env, std::string(name) + ": data must be a Buffer or Uint8Array");
  }
  if (!info[1].IsString()) throw Napi::TypeError::New(env, std::string(name) + ": entropy must be a string");
  const std::string entropy = info[1].As<Napi::String>().Utf8Value();
  if (entropy.empty() || entropy.size() > kMaxEntropy) throw Napi::RangeError::New(env, std::string(name) + ": entropy must have 1..256 bytes");
  Napi::Uint8Array data = info[0].As<Napi::Uint8Array>();
  std::vector<unsigned char> input(data.Data(), data.Data() + data.ByteLength());
  auto* worker = new DpapiWorker(env, protect, std::move(input), entropy);  // deletes itself after OnOK/OnError
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value ProtectJs(const Napi::CallbackInfo& info) { return Start(info, true); }
Napi::Value UnprotectJs(const Napi::CallbackInfo& info) { return Start(info, false); }

}  // namespace
}  // namespace wildix::dpapi

Napi::Object InitDpapi(Napi::Env env) {
  using namespace wildix::dpapi;
  Napi::Object dpapi = Napi::Object::New(env);
  dpapi.Set("protect", Napi::Function::New(env, ProtectJs, "protect"));
  dpapi.Set("unprotect", Napi::Function::New(env, UnprotectJs, "unprotect"));
  return dpapi;
}
