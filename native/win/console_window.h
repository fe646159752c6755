// The program's own console window and the running instance's stop request.
#pragma once

namespace winx {

// Hides this process's console window (a logon start needs no window). false when there is none.
bool HideConsoleWindow();

// Asks the instance running in this session to stop: posts WM_CLOSE to its session-watch window
// (the same polite request as taskkill without /F). false when no instance runs.
bool RequestRunningInstanceStop();

}  // namespace winx
