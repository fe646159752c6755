// Binds the addon's N-API imports to the host process (mingw-w64 builds only).
//
// The addon links against a delay-load import library for "node.exe" (built by dlltool in
// CMakeLists.txt). At run time the host may be a renamed node.exe (cti.exe, a pkg SEA exe) or
// node.dll, so the notify hook maps "node.exe" to the module that really exports N-API, as node-gyp's
// win_delay_load_hook does for MSVC builds (cmake-js adds that one on Windows).
//
// binutils 2.40 pitfalls (feasibility-com.md §1): the x64 delay-load thunk does not preserve XMM
// registers, and GNU ld leaves the delay-import data directory empty. So a static constructor binds
// every import eagerly when the DLL is loaded, before any N-API call can go through the thunk.
#if defined(__MINGW32__)

#include <windows.h>
#include <delayimp.h>
#include <string.h>

extern "C" {
// Produced by dlltool from the bare file name "libnode_api_delay.a".
extern const ImgDelayDescr __DELAY_IMPORT_DESCRIPTOR_libnode_api_delay_a;
FARPROC WINAPI __delayLoadHelper2(PCImgDelayDescr pidd, FARPROC* ppfnIATEntry);
extern IMAGE_DOS_HEADER __ImageBase;
}

namespace {

constexpr DWORD kMissingNodeApiException = 0xE0FEA500;

FARPROC WINAPI NotifyHook(unsigned event, PDelayLoadInfo info) {
  if (event != dliNotePreLoadLibrary || info == nullptr || _stricmp(info->szDll, "node.exe") != 0) {
    return nullptr;
  }
  HMODULE module = GetModuleHandleW(L"node.dll");
  if (module == nullptr) module = GetModuleHandleW(nullptr);
  return reinterpret_cast<FARPROC>(module);
}

// Reached only if the host lacks an N-API function the addon calls (older Node): fail that call
// loudly instead of refusing to load the whole addon.
void MissingNodeApi() { RaiseException(kMissingNodeApiException, EXCEPTION_NONCONTINUABLE, 0, nullptr); }

FARPROC WINAPI FailureHook(unsigned event, PDelayLoadInfo /*info*/) {
  if (event == dliFailGetProc) return reinterpret_cast<FARPROC>(&MissingNodeApi);
  return nullptr;
}

struct EagerBinder {
  EagerBinder() {
    const ImgDelayDescr* descr = &__DELAY_IMPORT_DESCRIPTOR_libnode_api_delay_a;
    auto* base = reinterpret_cast<BYTE*>(&__ImageBase);
    auto* iat = reinterpret_cast<FARPROC*>(base + descr->rvaIAT);
    auto* names = reinterpret_cast<const ULONG_PTR*>(base + descr->rvaINT);
    for (size_t i = 0; names[i] != 0; ++i) {
      __delayLoadHelper2(descr, &iat[i]);
    }
  }
};

}  // namespace

extern "C" {
PfnDliHook __pfnDliNotifyHook2 = NotifyHook;
PfnDliHook __pfnDliFailureHook2 = FailureHook;
}

static EagerBinder eager_binder;

#endif  // __MINGW32__
