// Events of the journal windows for JS: built on a window thread, turned into a JS object on the JS
// thread by a ThreadSafeFunction call. Handing one over never blocks (the queues are unbounded).
#pragma once

#include <napi.h>

#include <string>
#include <vector>

namespace wildix::ui {

class JsEvent {
 public:
  explicit JsEvent(const char* type) { Utf8("type", type); }
  JsEvent& Text(const char* key, std::wstring value);  // UTF-16
  JsEvent& Utf8(const char* key, std::string value);
  JsEvent& Number(const char* key, double value);
  JsEvent& Null(const char* key);
  Napi::Object ToObject(Napi::Env env) const;

 private:
  enum class Kind { kText, kUtf8, kNumber, kNull };
  struct Field {
    std::string key;
    Kind kind = Kind::kNull;
    std::wstring text;
    std::string utf8;
    double number = 0;
  };
  std::vector<Field> fields_;
};

// Calls the JS callback with the event. An exception (no memory) is reported and the hand-over
// tried once more; false when it could not be handed over. Never throws.
bool Emit(Napi::ThreadSafeFunction& tsfn, const JsEvent& event) noexcept;
// Builds the event with `make` and emits it; false (reported) when building it failed.
template <typename Make>
bool EmitWith(Napi::ThreadSafeFunction& tsfn, Make&& make) noexcept {
  try {
    return Emit(tsfn, make());
  } catch (...) {
    return false;
  }
}

}  // namespace wildix::ui
