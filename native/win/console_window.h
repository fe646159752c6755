// The program's own console window and the running instance's stop request.
#pragma once

namespace winx {

// Leaves this process's console (a logon start needs no window): hidden when it is the program's own,
// then detached, so that a Windows Terminal window hosting it closes too. false when there is none or
// it could not be left. The standard handles of the console are dead afterwards.
bool HideConsoleWindow();

// Asks the instance running in this session to stop: posts WM_CLOSE to its session-watch window
// (the same polite request as taskkill without /F). false when no instance runs.
bool RequestRunningInstanceStop();

}  // namespace winx
