#include "win/single_instance.h"

#include <mutex>

#include "win/win_handles.h"

namespace winx {
namespace {

std::mutex g_lock;
UniqueHandle g_held;  // closed at process exit by the OS at the latest

}  // namespace

InstanceResult AcquireInstanceMutex(const std::wstring& name) {
  std::lock_guard<std::mutex> guard(g_lock);
  if (g_held) return {InstanceState::kAcquired, 0};
  // No initial ownership: existence of the object is the signal, so it does not matter which
  // thread created it, and it goes away with the last handle (the process's end).
  UniqueHandle h(CreateMutexW(nullptr, FALSE, name.c_str()));
  const DWORD error = GetLastError();
  if (!h) {
    // The mutex exists but belongs to another security context (another user's elevated process in
    // the same session): it is running all the same.
    if (error == ERROR_ACCESS_DENIED) return {InstanceState::kRunning, error};
    return {InstanceState::kFailed, error};
  }
  if (error == ERROR_ALREADY_EXISTS) return {InstanceState::kRunning, error};
  g_held = std::move(h);
  return {InstanceState::kAcquired, 0};
}

bool ReleaseInstanceMutex() {
  std::lock_guard<std::mutex> guard(g_lock);
  if (!g_held) return false;
  g_held.Reset();
  return true;
}

}  // namespace winx
