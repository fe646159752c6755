// RAII activation of the addon's own manifest (resource ID 2, comctl32 v6) on the current thread.
// node.exe's manifest does not ask for comctl32 v6; without it Windows gives a thread the old
// unthemed controls and no TaskDialog. Failure is harmless (classic controls), so it never throws.
#pragma once

#include <windows.h>

namespace wildix {

class ScopedActivationContext {
 public:
  ScopedActivationContext();
  ~ScopedActivationContext();
  ScopedActivationContext(const ScopedActivationContext&) = delete;
  ScopedActivationContext& operator=(const ScopedActivationContext&) = delete;

 private:
  HANDLE context_ = INVALID_HANDLE_VALUE;
  ULONG_PTR cookie_ = 0;
  bool active_ = false;
};

}  // namespace wildix
