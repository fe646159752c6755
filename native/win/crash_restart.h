// A native crash — an access violation or any other structured exception no one handles, on any
// thread of the process — starts the program again, as an exception nobody caught in JavaScript does
// (src/crashRestart.ts): without it the CTI is gone for the rest of the user's day.
//
// The program hands over, while it is healthy, everything the new start needs (ArmCrashRestart): the
// exe, its command line and environment, the times of the recent restarts. At the crash the
// unhandled-exception filter only fills two variables into buffers prepared then — the restarts with
// the crash's time (WILDIX_CTI_CRASH_RESTARTS, the limit of src/crashRestart.ts applies to the new
// process as to any) and what crashed (WILDIX_CTI_NATIVE_CRASH: the exception code and address, the
// addon's offset when it is in the addon) —, starts the process from a thread of its own (the crashed
// thread may hold a lock CreateProcess needs: it waits for that thread at most kSpawnWaitMs) and ends
// the process at once, so that no Windows Error Reporting dialog keeps it (its ROT entry, its
// single-instance lock) alive. Not covered: abort() and fail-fast exits (V8's fatal errors), which
// bypass the filter.
#pragma once

#include <windows.h>

#include <string>
#include <vector>

namespace winx {

struct CrashRestartPlan {
  std::wstring application;               // the exe to start (lpApplicationName)
  std::wstring command_line;              // its whole command line, the exe first, quoted as Windows parses it
  std::vector<std::wstring> environment;  // "NAME=value" each, without the two variables set at the crash
  std::wstring restarts_variable;         // name of the variable with the restarts (epoch ms, comma-separated)
  std::wstring restarts_before;           // the recent restarts before this process's crash ("" for none)
  std::wstring crash_variable;            // name of the variable that says what crashed
};

// Prepares the start after a native crash and installs the filter (once per process; a later call
// replaces the plan). false when the plan is not usable (empty application or command line, a variable
// with "=" in its name or a NUL anywhere).
bool ArmCrashRestart(const CrashRestartPlan& plan);

// A crash from now on ends the process without a new start (the program was asked to stop).
void DisarmCrashRestart() noexcept;

// Test hook (Wine tests): raises an access violation nobody handles on a thread of its own.
void CrashOnThreadForTest() noexcept;

}  // namespace winx
