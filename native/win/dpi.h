// Per-monitor DPI for the addon's windows (dialogs, tray), with clean fallbacks: every newer API is
// looked up with GetProcAddress, so the addon still loads and works where it is missing.
//   Windows 10 1703+: per-monitor v2 (non-client area and child windows scale with the monitor);
//   Windows 10 1607: per-monitor (v1); older: whatever the process is (node.exe's manifest) and the
//   system DPI from the screen's device context.
#pragma once

#include <windows.h>

namespace winx {

// Makes the calling thread per-monitor DPI aware (v2 where available, else v1) while in scope, so
// windows it creates get the DPI of their monitor whatever the host exe's manifest says; restores
// the previous context. Never throws.
class ScopedThreadDpiAwareness {
 public:
  ScopedThreadDpiAwareness() noexcept;
  ~ScopedThreadDpiAwareness();
  ScopedThreadDpiAwareness(const ScopedThreadDpiAwareness&) = delete;
  ScopedThreadDpiAwareness& operator=(const ScopedThreadDpiAwareness&) = delete;
  // "per-monitor-v2", "per-monitor", or "unchanged" (API missing or refused).
  const char* mode() const noexcept { return mode_; }

 private:
  void* previous_ = nullptr;  // DPI_AWARENESS_CONTEXT
  const char* mode_ = "unchanged";
};

// DPI of the window (GetDpiForWindow), else of the screen (GetDeviceCaps(LOGPIXELSX)), else 96.
UINT DpiForWindow(HWND hwnd) noexcept;

// The system's message font (NONCLIENTMETRICS.lfMessageFont) for `dpi`: SystemParametersInfoForDpi,
// else the system metrics scaled from the system DPI. false (out untouched) when neither works.
bool MessageFontForDpi(UINT dpi, LOGFONTW* out) noexcept;

// WM_DPICHANGED (winuser.h of older SDKs lacks it).
constexpr UINT kWmDpiChanged = 0x02E0;

}  // namespace winx
