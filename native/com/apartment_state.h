// What one notification apartment keeps between jobs: its view of DATEV (proxy, DISPIDs, generation)
// and one call-data object per call, re-sent (mutated in place) for every notification of that call
// and released a grace period after the call's last notification. Used on that apartment's thread only.
#pragma once

#include <windows.h>

#include <cstdint>
#include <map>
#include <string>

#include "com/call_data_object.h"
#include "com/datev_target.h"

namespace datev {

class ApartmentState {
 public:
  // The state of the calling apartment thread (made at first use); ReleaseCurrent() on the thread's way out.
  static ApartmentState& Current();
  static void ReleaseCurrent();

  ApartmentState() = default;
  ~ApartmentState();  // releases every call-data object (on the apartment's thread)
  ApartmentState(const ApartmentState&) = delete;
  ApartmentState& operator=(const ApartmentState&) = delete;

  DatevTarget& target() { return target_; }
  // The call's object holding `values` (created, or the call's existing one updated). `callId` ''
  // gives a fresh object that is not kept. The caller gets its own reference.
  HRESULT ObjectFor(const std::wstring& callId, const CallValues& values, CallDataObject** out);
  // The call had its last notification: release its object `graceMs` from now.
  void Finish(const std::wstring& callId, DWORD graceMs);
  // Releases objects whose grace period is over, and the oldest finished ones above the limit.
  void Sweep();
  size_t Objects() const { return objects_.size(); }

  static constexpr size_t kMaxObjects = 256;

 private:
  struct Entry {
    CallDataObject* object = nullptr;
    ULONGLONG releaseAt = 0;  // 0: the call goes on
    uint64_t order = 0;       // creation order
  };
  void Release(std::map<std::wstring, Entry>::iterator it);

  DatevTarget target_;
  std::map<std::wstring, Entry> objects_;
  uint64_t nextOrder_ = 1;
};

}  // namespace datev
