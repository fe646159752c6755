// The baseline CTI's TAPI side: tapi32.dll loaded at run time (as the product does: $WILDIX_CTI_TAPI_DLL,
// else System32), one line opened as owner + monitor, one thread that waits on TAPI's event and drains
// lineGetMessage. On an incoming OFFERING it reads the caller id (lineGetCallInfoW, on this thread) and
// hands it on; a DISCONNECTED call is dropped, an IDLE one deallocated. lineMakeCallW may be called from any thread.
#pragma once

#include <windows.h>
#include <tapi.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace baseline {

class TapiLine {
 public:
  // Called on the TAPI thread with the caller's number of a new incoming call (OFFERING).
  using OnOffering = std::function<void(std::wstring number)>;

  TapiLine(std::wstring lineWanted, OnOffering onOffering);
  ~TapiLine();
  TapiLine(const TapiLine&) = delete;
  TapiLine& operator=(const TapiLine&) = delete;

  // Starts the thread: load, lineInitializeExW, open the line, then the message loop.
  void Start();
  // Ends the thread (lineClose, lineShutdown); waits for it.
  void Stop();
  // lineMakeCallW on the open line; false when there is none or TAPI refused.
  bool MakeCall(const std::wstring& number);

 private:
  void Run();
  bool Open();
  void Drain();
  void Offering(HCALL call);

  std::wstring lineWanted_;
  OnOffering onOffering_;
  std::thread thread_;
  HANDLE stop_ = nullptr;
  HMODULE dll_ = nullptr;
  HLINEAPP app_ = 0;
  HANDLE event_ = nullptr;
  std::atomic<HLINE> line_{0};
  // lineMakeCallW writes the call handle at LINE_REPLY time: a ring of slots that outlive the request
  static constexpr int kSlots = 64;
  HCALL slots_[kSlots] = {};
  std::atomic<unsigned> nextSlot_{0};

  LONG(WINAPI* lineInitializeExW_)(LPHLINEAPP, HINSTANCE, LINECALLBACK, LPCWSTR, LPDWORD, LPDWORD, LPLINEINITIALIZEEXPARAMS) = nullptr;
  LONG(WINAPI* lineShutdown_)(HLINEAPP) = nullptr;
  LONG(WINAPI* lineGetMessage_)(HLINEAPP, LPLINEMESSAGE, DWORD) = nullptr;
  LONG(WINAPI* lineNegotiateAPIVersion_)(HLINEAPP, DWORD, DWORD, DWORD, LPDWORD, LPLINEEXTENSIONID) = nullptr;
  LONG(WINAPI* lineGetDevCapsW_)(HLINEAPP, DWORD, DWORD, DWORD, LPLINEDEVCAPS) = nullptr;
  LONG(WINAPI* lineOpenW_)(HLINEAPP, DWORD, LPHLINE, DWORD, DWORD, DWORD_PTR, DWORD, DWORD, LPLINECALLPARAMS) = nullptr;
  LONG(WINAPI* lineClose_)(HLINE) = nullptr;
  LONG(WINAPI* lineMakeCallW_)(HLINE, LPHCALL, LPCWSTR, DWORD, LPLINECALLPARAMS) = nullptr;
  LONG(WINAPI* lineDrop_)(HCALL, LPCSTR, DWORD) = nullptr;
  LONG(WINAPI* lineDeallocateCall_)(HCALL) = nullptr;
  LONG(WINAPI* lineGetCallInfoW_)(HCALL, LPLINECALLINFO) = nullptr;
};

}  // namespace baseline
