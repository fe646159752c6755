// One instance per Windows session: a named mutex held until the process ends (or Release()).
#pragma once

#include <windows.h>

#include <string>

namespace winx {

enum class InstanceState { kAcquired, kRunning, kFailed };

struct InstanceResult {
  InstanceState state = InstanceState::kFailed;
  DWORD error = 0;  // GetLastError() when kFailed
};

// Creates (or opens) the mutex `name`, e.g. L"Local\\WildixDatevCti". kAcquired: this process is the
// first and keeps the handle; kRunning: another process holds it (the handle is closed again). A
// second call in the same process after kAcquired returns kAcquired without a new handle.
InstanceResult AcquireInstanceMutex(const std::wstring& name);

// Closes the held mutex handle; false when none was held.
bool ReleaseInstanceMutex();

}  // namespace winx
