// The result of an operation of the COM bridge, as it crosses threads (and reaches JS as an error code).
#pragma once

#include <windows.h>

#include <cstdint>
#include <optional>
#include <string>

#include "com/com_ptr.h"

namespace datev {

struct Outcome {
  // "ok"; failures: "absent" (DATEV not running), "gone" (DATEV is another object than the call was
  // reported to), "com" (a COM call failed, DATEV refused), "timeout" (no answer within the bound;
  // the real result follows as a late result), "stalled" (not attempted: DATEV hangs), "shutdown"
  std::string code = "ok";
  HRESULT hr = S_OK;
  std::string message;
  bool flag = false;        // isPresent's / selfCheck's answer
  uint64_t generation = 0;  // of the DATEV object a notification went to
  uint64_t registered = 0;  // when that DATEV object was put into the ROT (0: not known): which DATEV,
                            // across processes (a program started again recognises the DATEV it had)
  // A notification DATEV took: the SyncID DATEV itself wrote into the call's data object (at any time
  // before), which the object keeps from then on (CallDataObject::SyncIdFromDatev).
  std::optional<std::wstring> syncId;
  // ...and how DATEV read the data object during it ("names 11, dispids 11, vtable 0"; "" when it did not).
  std::string datevRead;
};

inline Outcome Failure(const std::string& code, HRESULT hr, const std::string& what) {
  Outcome o;
  o.code = code;
  o.hr = hr;
  o.message = what + " (HRESULT " + comx::HexHr(hr) + ")";
  std::string sys = comx::HrMessage(hr);
  if (!sys.empty()) o.message += ": " + sys;
  return o;
}

}  // namespace datev
