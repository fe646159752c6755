// DATEV's notification object as one notification apartment sees it: looked up in the ROT for every
// notification (DATEV may have restarted since), the proxy and the method DISPIDs kept while it is the
// same object, and a "generation" that changes whenever DATEV is a different object than before (a
// restart, or DATEV came back after it was absent). The generation is shared by all apartments: the
// first one to find a new DATEV counts it, the others recognise it by its ROT entry's registration
// time. Apartment-bound: use on one thread only.
#pragma once

#include <windows.h>
#include <oleauto.h>

#include <cstdint>
#include <map>
#include <string>

#include "com/com_ptr.h"

namespace datev {

struct TargetLookup {
  HRESULT hr = S_OK;        // failure of the lookup (MK_E_UNAVAILABLE: DATEV not running)
  std::string what;         // which step failed
  uint64_t generation = 0;  // of the object found
  uint64_t registered = 0;  // when the object found was put into the ROT (FILETIME; 0: not known) — the
                            // same for every process that looks it up, unlike the generation
};

class DatevTarget {
 public:
  // GetActiveObject(DATEV Telefonie) → IDatevCtiNotification, else IDispatch. Keeps the proxy.
  TargetLookup Resolve();
  // Resolve() now, for the notification that is about to come (a new call appeared on the line).
  void LookUpAhead();
  // For a notification: the lookup made ahead, if it is at most `freshMs` old and nothing changed
  // since (no apartment found DATEV absent, gone or another object) — it serves this one notification;
  // otherwise Resolve(). `ahead` says which it was.
  TargetLookup Acquire(ULONGLONG freshMs, bool* ahead);
  // Calls `method` with one argument on the object of the last successful Resolve(). A
  // DISP_E_EXCEPTION becomes its scode; `description` gets its text.
  HRESULT Call(const std::wstring& method, const VARIANT& arg, std::wstring* description);
  // Drops the proxy (DATEV gone); the next Resolve() looks up again. The object's identity is kept
  // to tell whether the next object found is the same DATEV.
  void Forget();
  // The newest generation any apartment has seen.
  static uint64_t CurrentGeneration();
  // Some apartment found DATEV absent: the next object found (by any apartment) is a new generation.
  static void NoteAbsent();
  // A call on the DATEV of `generation` failed because it went away: if that is the newest generation,
  // the next object found is a new one (an older one was counted already).
  static void NoteGone(uint64_t generation);

 private:
  ULONGLONG aheadAt_ = 0;      // when LookUpAhead() found DATEV (0: no lookup ahead to use)
  uint64_t aheadChanges_ = 0;  // Changes() then
  comx::ComPtr<IUnknown> identity_;
  comx::ComPtr<IDispatch> target_;
  uint64_t generation_ = 0;
  uint64_t registered_ = 0;
  std::map<std::wstring, DISPID> dispids_;
};

// DATEV went away between lookup and call (a restart): worth one fresh lookup.
bool IsGone(HRESULT hr);

}  // namespace datev
