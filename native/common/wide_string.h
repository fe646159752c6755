// UTF-16 (Windows wide strings) <-> JS strings. Header-only.
#pragma once

#include <napi.h>
#include <string>

namespace wildix {

inline std::wstring ToWide(const Napi::Value& value) {
  std::u16string s = value.As<Napi::String>().Utf16Value();
  return std::wstring(s.begin(), s.end());
}

inline Napi::String FromWide(Napi::Env env, const std::wstring& s) {
  return Napi::String::New(env, std::u16string(s.begin(), s.end()));
}

}  // namespace wildix
