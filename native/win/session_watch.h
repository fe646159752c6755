// Logoff and shutdown: a hidden top-level window on its own thread answers WM_QUERYENDSESSION and,
// on WM_ENDSESSION, tells JS and holds the session end (the process may be ended as soon as
// WM_ENDSESSION returns) until the process cleans up and exits, or a time limit passes.
// A console program that loads user32 gets no CTRL_LOGOFF_EVENT/CTRL_SHUTDOWN_EVENT, so this window
// is its only notice. A WM_CLOSE from outside (taskkill without /F, Task Manager's "End task") is a
// polite stop request as well.
#pragma once

#include <functional>

namespace winx {

enum class SessionEnd { kLogoff, kShutdown, kClose };

// Window class of the watcher window (found by RequestRunningInstanceStop).
inline constexpr wchar_t kSessionWatchClass[] = L"WildixCtiSessionWatch";

// Starts the watcher thread once; `on_end` runs on the watcher thread (it must only hand the event
// over, e.g. to a ThreadSafeFunction; an exception it throws is reported and dropped). false when the
// thread or window cannot be created (within 10 s).
bool StartSessionWatch(std::function<void(SessionEnd)> on_end, unsigned hold_ms);

// Releases a held WM_ENDSESSION and ends the watcher thread (waits at most 5 s, then abandons it).
// Safe to call more than once; no on_end call comes after it returned.
void StopSessionWatch();

}  // namespace winx
