#include "ui/window_kit.h"

#include <commctrl.h>

#include <cwctype>

#include "ui/dialog_state.h"  // kDialogIdProperty
#include "win/dpi.h"
#include "win/thread.h"

namespace wildix::ui {

void FontPair::Create(UINT dpi) {
  LOGFONTW base = {};
  if (winx::MessageFontForDpi(dpi, &base)) {
    LOGFONTW bold = base;
    bold.lfWeight = FW_BOLD;
    bold.lfHeight = MulDiv(bold.lfHeight, 5, 4);
    normal_.Reset(CreateFontIndirectW(&base));
    bold_.Reset(CreateFontIndirectW(&bold));
  } else {
    normal_.Reset(nullptr);
    bold_.Reset(nullptr);
  }
}

HFONT FontPair::normal() const {
  return normal_.get() ? normal_.get() : static_cast<HFONT>(GetStockObject(DEFAULT_GUI_FONT));
}

HFONT FontPair::bold() const { return bold_.get() ? bold_.get() : normal(); }

int TextWidth(HWND hwnd, HFONT font, const std::wstring& text) {
  HDC dc = GetDC(hwnd);
  if (!dc) return 0;
  HGDIOBJ old = SelectObject(dc, font);
  SIZE size = {};
  GetTextExtentPoint32W(dc, text.c_str(), static_cast<int>(text.size()), &size);
  SelectObject(dc, old);
  ReleaseDC(hwnd, dc);
  return size.cx;
}

int TextHeight(HWND hwnd, HFONT font, const std::wstring& text, int width) {
  if (text.empty()) return 0;
  HDC dc = GetDC(hwnd);
  if (!dc) return 0;
  HGDIOBJ old = SelectObject(dc, font);
  RECT rc = {0, 0, width, 0};
  DrawTextW(dc, text.c_str(), static_cast<int>(text.size()), &rc, DT_CALCRECT | DT_WORDBREAK | DT_NOPREFIX);
  SelectObject(dc, old);
  ReleaseDC(hwnd, dc);
  return rc.bottom - rc.top;
}

std::vector<std::wstring> WithMnemonics(const std::vector<std::wstring>& labels) {
  std::vector<std::wstring> out;
  out.reserve(labels.size());
  std::wstring used;  // lower-case letters taken
  for (const std::wstring& label : labels) {
    std::wstring escaped;
    bool marked = false;
    for (wchar_t c : label) {
      if (!marked && std::iswalpha(c)) {
        const wchar_t lower = static_cast<wchar_t>(std::towlower(c));
        if (used.find(lower) == std::wstring::npos) {
          used.push_back(lower);
          escaped.push_back(L'&');
          marked = true;
        }
      }
      if (c == L'&') escaped.push_back(L'&');
      escaped.push_back(c);
    }
    out.push_back(std::move(escaped));
  }
  return out;
}

std::wstring WithoutMnemonic(const std::wstring& label) {
  std::wstring out;
  for (size_t i = 0; i < label.size(); ++i) {
    if (label[i] == L'&' && i + 1 < label.size()) ++i;  // "&x" → "x", "&&" → "&"
    out.push_back(label[i]);
  }
  return out;
}

RECT WorkAreaAtCursor() {
  RECT work = {0, 0, 1024, 768};
  SystemParametersInfoW(SPI_GETWORKAREA, 0, &work, 0);
  POINT pt = {};
  if (GetCursorPos(&pt)) {
    MONITORINFO mi = {};
    mi.cbSize = sizeof(mi);
    if (GetMonitorInfoW(MonitorFromPoint(pt, MONITOR_DEFAULTTOPRIMARY), &mi)) work = mi.rcWork;
  }
  return work;
}

bool ToolWindow::CreateTop(const wchar_t* window_class, DWORD ex_style, DWORD style, const std::wstring& title,
                           const RECT& at, std::string* error) {
  WNDCLASSEXW wc = {};
  wc.cbSize = sizeof(wc);
  wc.lpfnWndProc = &ToolWindow::Proc;
  wc.hInstance = GetModuleHandleW(nullptr);
  wc.hCursor = LoadCursorW(nullptr, MAKEINTRESOURCEW(32512));  // IDC_ARROW
  wc.hIcon = LoadIconW(nullptr, MAKEINTRESOURCEW(32516));      // IDI_INFORMATION
  wc.hbrBackground = reinterpret_cast<HBRUSH>(static_cast<INT_PTR>(COLOR_BTNFACE + 1));
  wc.lpszClassName = window_class;
  if (!RegisterClassExW(&wc) && GetLastError() != ERROR_CLASS_ALREADY_EXISTS) {
    *error = "RegisterClassExW failed (error " + std::to_string(GetLastError()) + ")";
    return false;
  }
  HWND created = CreateWindowExW(ex_style, window_class, title.c_str(), style, at.left, at.top, at.right - at.left,
                                 at.bottom - at.top, nullptr, nullptr, GetModuleHandleW(nullptr), this);
  if (!created) {
    *error = "CreateWindowExW failed (error " + std::to_string(GetLastError()) + ")";
    return false;
  }
  dpi_ = winx::DpiForWindow(hwnd_);
  fonts_.Create(dpi_);
  return true;
}

HWND ToolWindow::AddControl(const wchar_t* control_class, const std::wstring& text, DWORD style, int id, DWORD ex_style) {
  HWND control = CreateWindowExW(ex_style, control_class, text.c_str(), WS_CHILD | WS_VISIBLE | style, 0, 0, 0, 0, hwnd_,
                                 reinterpret_cast<HMENU>(static_cast<INT_PTR>(id)), GetModuleHandleW(nullptr), nullptr);
  if (control) SetFont(control, fonts_.normal());
  return control;
}

void ToolWindow::ResizeClient(int width, int height, int* outer_width, int* outer_height) const {
  RECT rc = {0, 0, width, height};
  AdjustWindowRectEx(&rc, static_cast<DWORD>(GetWindowLongPtrW(hwnd_, GWL_STYLE)), FALSE,
                     static_cast<DWORD>(GetWindowLongPtrW(hwnd_, GWL_EXSTYLE)));
  *outer_width = rc.right - rc.left;
  *outer_height = rc.bottom - rc.top;
}

bool ToolWindow::AdoptDpi(WPARAM wparam) {
  const UINT dpi = HIWORD(wparam);
  if (dpi == 0 || dpi == dpi_) return false;
  dpi_ = dpi;
  fonts_.Create(dpi_);
  return true;
}

POINT ToolWindow::SuggestedTopLeft(LPARAM lparam) const {
  if (const RECT* suggested = reinterpret_cast<const RECT*>(lparam)) return POINT{suggested->left, suggested->top};
  RECT now = {};
  GetWindowRect(hwnd_, &now);
  return POINT{now.left, now.top};
}

void ToolWindow::EndOwnLoop() const {
  RemovePropW(hwnd_, kDialogIdProperty);
  PostQuitMessage(0);
}

LRESULT CALLBACK ToolWindow::Proc(HWND hwnd, UINT msg, WPARAM wparam, LPARAM lparam) {
  ToolWindow* self = nullptr;
  try {
    if (msg == WM_NCCREATE) {
      auto* create = reinterpret_cast<CREATESTRUCTW*>(lparam);
      self = static_cast<ToolWindow*>(create->lpCreateParams);
      self->hwnd_ = hwnd;
      SetWindowLongPtrW(hwnd, GWLP_USERDATA, reinterpret_cast<LONG_PTR>(self));
    }
    self = reinterpret_cast<ToolWindow*>(GetWindowLongPtrW(hwnd, GWLP_USERDATA));
    if (msg == WM_NCDESTROY) {
      SetWindowLongPtrW(hwnd, GWLP_USERDATA, 0);
      return DefWindowProcW(hwnd, msg, wparam, lparam);
    }
    if (!self || self->hwnd_ != hwnd) return DefWindowProcW(hwnd, msg, wparam, lparam);
    return self->Handle(msg, wparam, lparam);
  } catch (...) {
    winx::ReportUncaught(self && self->hwnd_ == hwnd ? self->kind_ : "window procedure", winx::CurrentExceptionWhat());
  }
  if (self && self->hwnd_ == hwnd) {
    self->OnUncaught(msg);
    if (msg == WM_COMMAND || msg == WM_NOTIFY || msg == WM_TIMER) return 0;
  }
  return DefWindowProcW(hwnd, msg, wparam, lparam);
}

void RunMessageLoop(HWND hwnd) {
  MSG msg;
  while (GetMessageW(&msg, nullptr, 0, 0) > 0) {
    if (IsWindow(hwnd) && IsDialogMessageW(hwnd, &msg)) continue;
    TranslateMessage(&msg);
    DispatchMessageW(&msg);
  }
}

bool InitListViewClasses() {
  // by name, as a manifest-bound program does: inside the activation context that asks for comctl32 v6,
  // side-by-side redirection picks v6 from WinSxS before any search path is consulted
  HMODULE comctl = LoadLibraryW(L"comctl32.dll");  // kept loaded: the list view class lives in it
  if (!comctl) return false;
  using InitFn = BOOL(WINAPI*)(const INITCOMMONCONTROLSEX*);
  auto init = reinterpret_cast<InitFn>(reinterpret_cast<void*>(GetProcAddress(comctl, "InitCommonControlsEx")));
  INITCOMMONCONTROLSEX icc = {sizeof(icc), ICC_LISTVIEW_CLASSES};
  return init != nullptr && init(&icc) != FALSE;
}

}  // namespace wildix::ui
