#include "tapi/tapi_api.h"

#include <cstring>

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

}  // namespace

bool TapiApi::Load(std::string *failedFn, std::string *error) {
  // Only Windows' own tapi32.dll: no environment variable, path or search order can make the program
  // load another one (tests put their fake where Windows looks for it, see fakes/tapi32/README.md).
  module_ = LoadLibraryExW(L"tapi32.dll", nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32);
  const std::string shown = "tapi32.dll (System32)";
  if (module_ == nullptr) {
    *failedFn = "LoadLibraryExW";
    *error = "TAPI is not available: " + shown + " could not be loaded (Windows error " +
             std::to_string(GetLastError()) + ")";
    return false;
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
