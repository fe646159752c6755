// The notification-area (tray) icon: a hidden top-level window on its own thread owns a
// Shell_NotifyIconW icon with a tooltip, a context menu ("Status anzeigen", "Anrufliste", "Beenden") and a left
// double-click (= "Status anzeigen"). The user's choices reach the caller through `on_command`,
// called on the tray thread (it must only hand them over, e.g. to a ThreadSafeFunction).
//
// For tests and tools: the window has the class kTrayWindowClass and handles WM_COMMAND with the menu
// ids below exactly as a menu click does (PostMessage(FindWindow(kTrayWindowClass), WM_COMMAND, id, 0)).
#pragma once

#include <functional>
#include <string>

namespace tray {

inline constexpr wchar_t kTrayWindowClass[] = L"WildixCtiTray";
inline constexpr unsigned kCommandStatus = 1001;  // "Status anzeigen" (also left double-click)
inline constexpr unsigned kCommandQuit = 1002;    // "Beenden"
inline constexpr unsigned kCommandCalls = 1003;   // "Anrufliste" (the call list)
inline constexpr unsigned kCommandSupport = 1004; // "Support-Paket erstellen" (the support bundle)

// The tooltip holds at most 127 UTF-16 units (NOTIFYICONDATAW::szTip has 128 with the NUL).
inline constexpr size_t kMaxTooltip = 127;

enum class TrayCommand { kStatus, kCalls, kSupport, kQuit };

enum class TrayStart {
  kStarted,  // the window runs; whether the shell took the icon comes later, through `on_icon`
  kFailed,   // no thread or no window (GetLastError-style code in `error`)
  kRunning,  // a tray runs already in this process
};

// Starts the tray thread (per-monitor DPI aware); returns once its window exists, or failed (at most
// 10 s). The icon is added after that, on the tray thread (the shell may be slow, at logon): `on_icon`
// (may be empty) is called there once with whether the shell took it — false when there is no taskbar
// yet; the icon is added when one starts. `tooltip` must be <= kMaxTooltip. Nothing thrown on the tray
// thread leaves it.
TrayStart StartTray(std::function<void(TrayCommand)> on_command, std::function<void(bool)> on_icon, const std::wstring& tooltip,
                    bool problem, unsigned long* error);

// Changes tooltip and icon (problem: warning icon, else information icon). false when no tray runs.
bool SetTrayStatus(const std::wstring& tooltip, bool problem);

// Removes the icon (NIM_DELETE), closes the window and waits (at most 5 s; a thread that does not end
// is abandoned) for the thread. Safe to call more than once; no on_command call comes after it returns.
bool StopTray();

}  // namespace tray
