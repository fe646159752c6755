#include "ui/js_events.h"

#include <stdexcept>

#include "common/wide_string.h"
#include "win/thread.h"

namespace wildix::ui {

JsEvent& JsEvent::Text(const char* key, std::wstring value) {
  Field f;
  f.key = key;
  f.kind = Kind::kText;
  f.text = std::move(value);
  fields_.push_back(std::move(f));
  return *this;
}

JsEvent& JsEvent::Utf8(const char* key, std::string value) {
  Field f;
  f.key = key;
  f.kind = Kind::kUtf8;
  f.utf8 = std::move(value);
  fields_.push_back(std::move(f));
  return *this;
}

JsEvent& JsEvent::Number(const char* key, double value) {
  Field f;
  f.key = key;
  f.kind = Kind::kNumber;
  f.number = value;
  fields_.push_back(std::move(f));
  return *this;
}

JsEvent& JsEvent::Null(const char* key) {
  Field f;
  f.key = key;
  f.kind = Kind::kNull;
  fields_.push_back(std::move(f));
  return *this;
}

Napi::Object JsEvent::ToObject(Napi::Env env) const {
  Napi::Object obj = Napi::Object::New(env);
  for (const Field& f : fields_) {
    switch (f.kind) {
      case Kind::kText: obj.Set(f.key, FromWide(env, f.text)); break;
      case Kind::kUtf8: obj.Set(f.key, Napi::String::New(env, f.utf8)); break;
      case Kind::kNumber: obj.Set(f.key, Napi::Number::New(env, f.number)); break;
      case Kind::kNull: obj.Set(f.key, env.Null()); break;
    }
  }
  return obj;
}

bool Emit(Napi::ThreadSafeFunction& tsfn, const JsEvent& event) noexcept {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool handed = winx::NoThrow("journal window event", [&] {
      napi_status status = tsfn.BlockingCall([event](Napi::Env env, Napi::Function callback) {
        callback.Call({event.ToObject(env)});
      });
      if (status != napi_ok && status != napi_closing) throw std::runtime_error("ThreadSafeFunction call failed");
    });
    if (handed) return true;
    Sleep(50);
  }
  return false;
}

}  // namespace wildix::ui
