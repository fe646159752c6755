#include <stdlib.h>

#include "com/call_id.h"

#include <windows.h>

#include <cwchar>
#include <cwctype>

namespace datev {

void CallIdMinter::SetPrefix(const std::wstring& prefix) {
  std::wstring clean;
  for (wchar_t c : prefix) {
    if ((c >= L'0' && c <= L'9') || (c >= L'A' && c <= L'Z') || (c >= L'a' && c <= L'z')) clean += c;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  prefix_ = clean.empty() ? L"CTI" : clean;
}

std::wstring CallIdMinter::Next() {
  SYSTEMTIME t;
  GetLocalTime(&t);
  unsigned int r = 0;
  if (rand_s(&r) != 0) r = static_cast<unsigned int>(GetTickCount64() * 2654435761u);
  wchar_t buf[64];
  std::lock_guard<std::mutex> lock(mutex_);
  swprintf(buf, 64, L"-%02u%02u%04u-%02u%02u-%07u", t.wDay, t.wMonth, t.wYear, t.wHour, t.wMinute, r % 10000000u);
  std::wstring base = prefix_ + buf;
  std::wstring id = base;
  for (int i = 2; used_.count(id) != 0; ++i) id = base + L"-" + std::to_wstring(i);
  if (used_.size() > 10000) used_.clear();
  used_.insert(id);
  return id;
}

}  // namespace datev
