// tapi32.dll loaded at run time: the function table the TAPI thread uses. A missing DLL or a missing
// required export is reported as an error text, never a crash (Wine's tapi32 lacks several W exports).
#pragma once

#include <windows.h>
#include <tapi.h>

#include <string>

#ifndef LOAD_LIBRARY_SEARCH_SYSTEM32
#define LOAD_LIBRARY_SEARCH_SYSTEM32 0x00000800  // older SDK headers guard it by _WIN32_WINNT
#endif

namespace tapi {

using PFN_lineInitializeExW = LONG(WINAPI *)(LPHLINEAPP, HINSTANCE, LINECALLBACK, LPCWSTR, LPDWORD, LPDWORD,
                                             LPLINEINITIALIZEEXPARAMS);
using PFN_lineShutdown = LONG(WINAPI *)(HLINEAPP);
using PFN_lineGetMessage = LONG(WINAPI *)(HLINEAPP, LPLINEMESSAGE, DWORD);
using PFN_lineNegotiateAPIVersion = LONG(WINAPI *)(HLINEAPP, DWORD, DWORD, DWORD, LPDWORD, LPLINEEXTENSIONID);
using PFN_lineGetDevCapsW = LONG(WINAPI *)(HLINEAPP, DWORD, DWORD, DWORD, LPLINEDEVCAPS);
using PFN_lineGetAddressCapsW = LONG(WINAPI *)(HLINEAPP, DWORD, DWORD, DWORD, DWORD, LPLINEADDRESSCAPS);
using PFN_lineOpenW = LONG(WINAPI *)(HLINEAPP, DWORD, LPHLINE, DWORD, DWORD, DWORD_PTR, DWORD, DWORD,
                                     LPLINECALLPARAMS);
using PFN_lineClose = LONG(WINAPI *)(HLINE);
using PFN_lineSetStatusMessages = LONG(WINAPI *)(HLINE, DWORD, DWORD);
using PFN_lineGetNewCalls = LONG(WINAPI *)(HLINE, DWORD, DWORD, LPLINECALLLIST);
using PFN_lineMakeCallW = LONG(WINAPI *)(HLINE, LPHCALL, LPCWSTR, DWORD, LPLINECALLPARAMS);
using PFN_lineAnswer = LONG(WINAPI *)(HCALL, LPCSTR, DWORD);
using PFN_lineDrop = LONG(WINAPI *)(HCALL, LPCSTR, DWORD);
using PFN_lineDeallocateCall = LONG(WINAPI *)(HCALL);
using PFN_lineGetCallInfoW = LONG(WINAPI *)(HCALL, LPLINECALLINFO);
using PFN_lineGetCallStatus = LONG(WINAPI *)(HCALL, LPLINECALLSTATUS);
using PFN_lineSetCallPrivilege = LONG(WINAPI *)(HCALL, DWORD);

// Where the tapi32.dll the process loaded came from: "" for Windows' own from System32 (or none loaded
// yet), else its path and why ("… (TAPI_DLL)", "… (beside the program, under Wine)"). Any thread.
std::string LoadedFrom();

// The resolved entry points of one loaded tapi32.dll.
//
// Module lifetime: tapi32.dll is never unloaded once loaded -- Load() pins it for the rest of the
// process and there is no FreeLibrary. After lineShutdown a tapi32 may still run code of its own
// (the real one talks to tapisrv on threads it owns; the test fake keeps a worker and a script-channel
// thread), and FreeLibrary would pull that code out from under those threads: the next thing they do
// is an execute fault at an address of the unloaded module. Loading it again for the next session
// only bumps the (pinned) reference count, so keeping it costs nothing.
class TapiApi {
 public:
  TapiApi() = default;
  ~TapiApi() = default;  // deliberately no FreeLibrary: see above
  TapiApi(const TapiApi &) = delete;
  TapiApi &operator=(const TapiApi &) = delete;

  // Windows' tapi32.dll from System32 (or a test double: TAPI_DLL, or under Wine one beside the addon or
  // exe; see the .cc). Returns false and fills failedFn/error on failure.
  bool Load(std::string *failedFn, std::string *error);

  // Required.
  PFN_lineInitializeExW lineInitializeExW = nullptr;
  PFN_lineShutdown lineShutdown = nullptr;
  PFN_lineGetMessage lineGetMessage = nullptr;
  PFN_lineNegotiateAPIVersion lineNegotiateAPIVersion = nullptr;
  PFN_lineGetDevCapsW lineGetDevCapsW = nullptr;
  PFN_lineOpenW lineOpenW = nullptr;
  PFN_lineClose lineClose = nullptr;
  PFN_lineMakeCallW lineMakeCallW = nullptr;
  PFN_lineAnswer lineAnswer = nullptr;
  PFN_lineDrop lineDrop = nullptr;
  PFN_lineDeallocateCall lineDeallocateCall = nullptr;
  PFN_lineGetCallInfoW lineGetCallInfoW = nullptr;
  // Optional (nullptr when not exported; Wine lacks lineGetAddressCapsW).
  PFN_lineGetAddressCapsW lineGetAddressCapsW = nullptr;
  PFN_lineSetStatusMessages lineSetStatusMessages = nullptr;
  PFN_lineGetNewCalls lineGetNewCalls = nullptr;
  PFN_lineGetCallStatus lineGetCallStatus = nullptr;
  PFN_lineSetCallPrivilege lineSetCallPrivilege = nullptr;

 private:
  HMODULE module_ = nullptr;
};

}  // namespace tapi
