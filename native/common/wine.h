// Whether the process runs under Wine (its ntdll exports wine_get_version; Windows' does not). Only for
// working around Wine's own faults and for test doubles -- never for behaviour users see on Windows.
#pragma once

#include <windows.h>

namespace winecheck {

inline bool UnderWine() {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  return ntdll != nullptr && GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

}  // namespace winecheck
