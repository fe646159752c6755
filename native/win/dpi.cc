#include "win/dpi.h"

namespace winx {

namespace {

// DPI_AWARENESS_CONTEXT values (windef.h of Windows 10 SDKs).
const HANDLE kPerMonitorAware = reinterpret_cast<HANDLE>(static_cast<INT_PTR>(-3));
const HANDLE kPerMonitorAwareV2 = reinterpret_cast<HANDLE>(static_cast<INT_PTR>(-4));

template <typename Fn>
Fn User32(const char* name) {
  HMODULE user32 = GetModuleHandleW(L"user32.dll");
  if (!user32) return nullptr;
  return reinterpret_cast<Fn>(reinterpret_cast<void*>(GetProcAddress(user32, name)));
}

using SetThreadDpiAwarenessContextFn = HANDLE(WINAPI*)(HANDLE);
using GetDpiForWindowFn = UINT(WINAPI*)(HWND);
using GetDpiForSystemFn = UINT(WINAPI*)();
using SystemParametersInfoForDpiFn = BOOL(WINAPI*)(UINT, UINT, PVOID, UINT, UINT);

UINT ScreenDpi() noexcept {
  UINT dpi = 0;
  if (auto for_system = User32<GetDpiForSystemFn>("GetDpiForSystem")) dpi = for_system();
  if (dpi == 0) {
    HDC screen = GetDC(nullptr);
    if (screen) {
      dpi = static_cast<UINT>(GetDeviceCaps(screen, LOGPIXELSX));
      ReleaseDC(nullptr, screen);
    }
  }
  return dpi != 0 ? dpi : 96;
}

}  // namespace

ScopedThreadDpiAwareness::ScopedThreadDpiAwareness() noexcept {
  auto set = User32<SetThreadDpiAwarenessContextFn>("SetThreadDpiAwarenessContext");
  if (!set) return;
  if (HANDLE previous = set(kPerMonitorAwareV2)) {
    previous_ = previous;
    mode_ = "per-monitor-v2";
  } else if (HANDLE previous1 = set(kPerMonitorAware)) {
    previous_ = previous1;
    mode_ = "per-monitor";
  }
}

ScopedThreadDpiAwareness::~ScopedThreadDpiAwareness() {
  if (!previous_) return;
  if (auto set = User32<SetThreadDpiAwarenessContextFn>("SetThreadDpiAwarenessContext")) set(static_cast<HANDLE>(previous_));
}

UINT DpiForWindow(HWND hwnd) noexcept {
  if (hwnd) {
    if (auto for_window = User32<GetDpiForWindowFn>("GetDpiForWindow")) {
      const UINT dpi = for_window(hwnd);
      if (dpi != 0) return dpi;
    }
    HDC dc = GetDC(hwnd);
    if (dc) {
      const int dpi = GetDeviceCaps(dc, LOGPIXELSX);
      ReleaseDC(hwnd, dc);
      if (dpi > 0) return static_cast<UINT>(dpi);
    }
  }
  return ScreenDpi();
}

bool MessageFontForDpi(UINT dpi, LOGFONTW* out) noexcept {
  NONCLIENTMETRICSW metrics = {};
  metrics.cbSize = sizeof(metrics);
  if (auto for_dpi = User32<SystemParametersInfoForDpiFn>("SystemParametersInfoForDpi")) {
    if (for_dpi(SPI_GETNONCLIENTMETRICS, sizeof(metrics), &metrics, 0, dpi)) {
      *out = metrics.lfMessageFont;
      return true;
    }
  }
  if (!SystemParametersInfoW(SPI_GETNONCLIENTMETRICS, sizeof(metrics), &metrics, 0)) return false;
  *out = metrics.lfMessageFont;
  out->lfHeight = MulDiv(out->lfHeight, static_cast<int>(dpi), static_cast<int>(ScreenDpi()));
  return true;
}

}  // namespace winx
