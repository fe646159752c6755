#include "tapi/tapi_api.h"

#include <cstring>
#include <mutex>
#include <string>

#include "common/this_module.h"
#include "common/wine.h"
#include "tapi/text.h"

namespace tapi {

namespace {

template <typename Fn>
void Resolve(HMODULE module, const char *name, Fn *out) {
  FARPROC proc = GetProcAddress(module, name);
  static_assert(sizeof(proc) == sizeof(*out), "function pointer size");
  std::memcpy(out, &proc, sizeof(*out));
}

// Pins the module: FreeLibrary by anyone (or a forgotten reference) can no longer unload it. If
// pinning fails the LoadLibraryExW reference is simply kept, which keeps the module loaded too.
void Pin(HMODULE module) {
  HMODULE pinned = nullptr;
  GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_PIN | GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS,
                     reinterpret_cast<LPCWSTR>(module), &pinned);
}

// The library the process loaded (see LoadedFrom); written at each successful load.
std::mutex g_loadedMutex;
std::string g_loadedFrom;

// A tapi32.dll beside `module` (the addon or the exe), or nullptr.
HMODULE LoadBeside(HMODULE module, std::wstring *path) {
  std::wstring file(MAX_PATH, L'\0');
  for (;;) {
    DWORD n = GetModuleFileNameW(module, file.data(), static_cast<DWORD>(file.size()));
    if (n == 0) return nullptr;
    if (n < file.size()) {
      file.resize(n);
      break;
    }
    if (file.size() >= 32768) return nullptr;
    file.resize(file.size() * 2);
  }
  size_t slash = file.find_last_of(L"\\/");
  if (slash == std::wstring::npos) return nullptr;
  *path = file.substr(0, slash + 1) + L"tapi32.dll";
  if (GetFileAttributesW(path->c_str()) == INVALID_FILE_ATTRIBUTES) return nullptr;
  return LoadLibraryExW(path->c_str(), nullptr, LOAD_WITH_ALTERED_SEARCH_PATH);
}

}  // namespace

std::string LoadedFrom() {
  std::lock_guard<std::mutex> lock(g_loadedMutex);
  return g_loadedFrom;
}

bool TapiApi::Load(std::string *failedFn, std::string *error) {
  // Windows' own tapi32.dll from System32 (LOAD_LIBRARY_SEARCH_SYSTEM32: no search order or current
  // directory can put another one in its place). Two ways for a test double, as tapi.md §3.2 and
  // feasibility-tapi.md have them:
  //   - TAPI_DLL, a full path (a fake under its own file name needs no Wine DLL override), and
  //   - under Wine only (whose System32 tapi32 is a stub), a tapi32.dll beside this addon, then beside the
  //     exe, where a test puts its fake (loaded with WINEDLLOVERRIDES=tapi32=n).
  // Which one was loaded is in LoadedFrom() (the program logs it when it is not System32's).
  std::string shown = "tapi32.dll (System32)";
  std::wstring from;
  wchar_t configured[MAX_PATH + 1] = {};
  DWORD n = GetEnvironmentVariableW(L"TAPI_DLL", configured, MAX_PATH + 1);
  if (n > 0 && n <= MAX_PATH) {
    from = configured;
    shown = WideToUtf8(from) + " (TAPI_DLL)";
    module_ = LoadLibraryExW(configured, nullptr, LOAD_WITH_ALTERED_SEARCH_PATH);
    if (module_ == nullptr) {
      *failedFn = "LoadLibraryExW";
      *error = "TAPI is not available: " + shown + " could not be loaded (Windows error " +
               std::to_string(GetLastError()) + "); remove TAPI_DLL to use Windows' own tapi32.dll";
      return false;
    }
    from += L" (TAPI_DLL)";
  } else {
    if (winecheck::UnderWine()) {
      std::wstring beside;
      if (HMODULE self = wildix::ThisModule()) module_ = LoadBeside(self, &beside);
      if (module_ == nullptr) module_ = LoadBeside(GetModuleHandleW(nullptr), &beside);
      if (module_ != nullptr) {
        from = beside + L" (beside the program, under Wine)";
        shown = WideToUtf8(beside);
      }
    }
    if (module_ == nullptr) module_ = LoadLibraryExW(L"tapi32.dll", nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32);
    if (module_ == nullptr) {
      *failedFn = "LoadLibraryExW";
      *error = "TAPI is not available: " + shown + " could not be loaded (Windows error " +
               std::to_string(GetLastError()) + ")";
      return false;
    }
  }
  {
    std::lock_guard<std::mutex> lock(g_loadedMutex);
    g_loadedFrom = WideToUtf8(from);  // "" for System32's
  }
  Pin(module_);  // before anything can fail: a loaded tapi32 stays loaded (see tapi_api.h)
  struct Required {
    const char *name;
    bool present;
  };
  Resolve(module_, "lineInitializeExW", &lineInitializeExW);
  Resolve(module_, "lineShutdown", &lineShutdown);
  Resolve(module_, "lineGetMessage", &lineGetMessage);
  Resolve(module_, "lineNegotiateAPIVersion", &lineNegotiateAPIVersion);
  Resolve(module_, "lineGetDevCapsW", &lineGetDevCapsW);
  Resolve(module_, "lineOpenW", &lineOpenW);
  Resolve(module_, "lineClose", &lineClose);
  Resolve(module_, "lineMakeCallW", &lineMakeCallW);
  Resolve(module_, "lineAnswer", &lineAnswer);
  Resolve(module_, "lineDrop", &lineDrop);
  Resolve(module_, "lineDeallocateCall", &lineDeallocateCall);
  Resolve(module_, "lineGetCallInfoW", &lineGetCallInfoW);
  Resolve(module_, "lineGetAddressCapsW", &lineGetAddressCapsW);
  Resolve(module_, "lineSetStatusMessages", &lineSetStatusMessages);
  Resolve(module_, "lineGetNewCalls", &lineGetNewCalls);
  Resolve(module_, "lineGetCallStatus", &lineGetCallStatus);
  Resolve(module_, "lineSetCallPrivilege", &lineSetCallPrivilege);
  const Required required[] = {
      {"lineInitializeExW", lineInitializeExW != nullptr},
      {"lineShutdown", lineShutdown != nullptr},
      {"lineGetMessage", lineGetMessage != nullptr},
      {"lineNegotiateAPIVersion", lineNegotiateAPIVersion != nullptr},
      {"lineGetDevCapsW", lineGetDevCapsW != nullptr},
      {"lineOpenW", lineOpenW != nullptr},
      {"lineClose", lineClose != nullptr},
      {"lineMakeCallW", lineMakeCallW != nullptr},
      {"lineAnswer", lineAnswer != nullptr},
      {"lineDrop", lineDrop != nullptr},
      {"lineDeallocateCall", lineDeallocateCall != nullptr},
      {"lineGetCallInfoW", lineGetCallInfoW != nullptr},
  };
  for (const Required &r : required) {
    if (!r.present) {
      *failedFn = r.name;
      *error = "TAPI is not usable: " + shown + " does not export " + r.name;
      return false;
    }
  }
  return true;
}

}  // namespace tapi
