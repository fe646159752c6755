#include "tapi/text.h"

#include <windows.h>

namespace tapi {

std::string WideToUtf8(const wchar_t *w, size_t chars) {
  if (chars == 0) return std::string();
  int n = WideCharToMultiByte(CP_UTF8, 0, w, static_cast<int>(chars), nullptr, 0, nullptr, nullptr);
  if (n <= 0) return std::string();
  std::string out(static_cast<size_t>(n), '\0');
  WideCharToMultiByte(CP_UTF8, 0, w, static_cast<int>(chars), &out[0], n, nullptr, nullptr);
  return out;
}

std::string WideToUtf8(const std::wstring &w) { return WideToUtf8(w.data(), w.size()); }

std::wstring Utf8ToWide(const std::string &s) {
  if (s.empty()) return std::wstring();
  int n = MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), nullptr, 0);
  if (n <= 0) return std::wstring();
  std::wstring out(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), &out[0], n);
  return out;
}

}  // namespace tapi
