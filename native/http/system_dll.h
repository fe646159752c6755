// Loads a DLL from System32 at run time and resolves its exports. The addon needs no import library
// for it (the build links only what CMakeLists.txt lists), and a missing DLL or export becomes a clear
// error instead of a failed addon load. Portable: MSVC and mingw-w64.
#pragma once

#include <windows.h>

#include <cstring>
#include <string>

#ifndef LOAD_LIBRARY_SEARCH_SYSTEM32
#define LOAD_LIBRARY_SEARCH_SYSTEM32 0x00000800  // older SDK headers guard it by _WIN32_WINNT
#endif

namespace wildix::sysdll {

class Library {
 public:
  Library() = default;
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
  ~Library() {
    if (module_) FreeLibrary(module_);
  }

  // Loads `name` (e.g. L"winhttp.dll") from System32 only. Returns 0 or the Win32 error.
  DWORD Load(const wchar_t* name) {
    module_ = LoadLibraryExW(name, nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32);
    if (!module_ && GetLastError() == ERROR_INVALID_PARAMETER) {
      // Windows 7 without KB2533623 does not know the flag: load by the full System32 path instead.
      wchar_t dir[MAX_PATH];
      const UINT n = GetSystemDirectoryW(dir, MAX_PATH);
      if (n > 0 && n < MAX_PATH) {
        const std::wstring path = std::wstring(dir, n) + L"\\" + name;
        module_ = LoadLibraryExW(path.c_str(), nullptr, LOAD_WITH_ALTERED_SEARCH_PATH);
      }
    }
    return module_ ? 0 : GetLastError();
  }

  // Resolves an export into a typed function pointer; false when it is missing.
  template <typename Fn>
  bool Resolve(const char* name, Fn* out) const {
    FARPROC proc = module_ ? GetProcAddress(module_, name) : nullptr;
    static_assert(sizeof(proc) == sizeof(*out), "function pointer size");
    std::memcpy(out, &proc, sizeof(*out));
    return proc != nullptr;
  }

  HMODULE Get() const { return module_; }

 private:
  HMODULE module_ = nullptr;
};

}  // namespace wildix::sysdll
