// Absolute wall-clock time in microseconds since 1970, the same clock in every process of the machine
// (GetSystemTimePreciseAsFileTime where it exists: Windows 8+ and Wine), so benchmarks can time across
// processes (the fake tapi32.dll stamps its log lines the same way).
#pragma once

#include <windows.h>

namespace fake {

inline unsigned long long NowUs() {
  using Fn = VOID(WINAPI*)(LPFILETIME);
  static Fn fn = [] {
    HMODULE k = GetModuleHandleW(L"kernel32.dll");
    FARPROC p = k ? GetProcAddress(k, "GetSystemTimePreciseAsFileTime") : nullptr;
    return p ? reinterpret_cast<Fn>(reinterpret_cast<void (*)()>(p)) : &GetSystemTimeAsFileTime;
  }();
  FILETIME ft;
  fn(&ft);
  unsigned long long t = (static_cast<unsigned long long>(ft.dwHighDateTime) << 32) | ft.dwLowDateTime;
  return (t - 116444736000000000ULL) / 10ULL;
}

}  // namespace fake
