#include "ui/dialog_window.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/activation_context.h"
#include "ui/window_kit.h"  // Font
#include "win/dpi.h"
#include "win/thread.h"

namespace wildix::ui {

namespace {

constexpr wchar_t kWindowClass[] = L"WildixCtiDialog";
constexpr int kFirstButtonControlId = 1000;
constexpr UINT_PTR kTimeoutTimerId = 1;

// Layout in 96-dpi pixels, scaled to the window's DPI.
constexpr int kClientWidth = 380;
constexpr int kMargin = 14;
constexpr int kGap = 8;
constexpr int kButtonHeight = 26;
constexpr int kButtonMinWidth = 92;
constexpr int kButtonPadding = 24;
constexpr int kScreenEdge = 16;
constexpr int kCascadeStep = 28;

class DialogWindow {
 public:
  DialogWindow(std::shared_ptr<DialogState> state, const DialogSpec& spec) : state_(std::move(state)), spec_(spec) {}
  DialogWindow(const DialogWindow&) = delete;
  DialogWindow& operator=(const DialogWindow&) = delete;

  bool Create(std::string* error);
  void Show();
  DialogOutcome TakeOutcome() noexcept { return std::move(outcome_); }
  HWND hwnd() const { return hwnd_; }
  void Finish(CloseReason reason, const std::string& choice = std::string()) noexcept;

  static LRESULT CALLBACK WndProc(HWND hwnd, UINT msg, WPARAM wparam, LPARAM lparam);

 private:
  enum class Place { kAnchor, kKeepBottomRight, kAt };
  LRESULT Handle(UINT msg, WPARAM wparam, LPARAM lparam);
  void CreateChildren();
  void CreateFonts();
  // Sizes and places everything for dpi_: kAnchor = bottom-right of the monitor's work area (first
  // show), kKeepBottomRight = grow/shrink upwards and leftwards (new text), kAt = top-left at `at`
  // (WM_DPICHANGED's suggested position).
  void Layout(Place place, POINT at = POINT{0, 0});
  void ApplyChanges();
  void OnDpiChanged(UINT dpi, const RECT* suggested);
  int Scale(int px) const { return MulDiv(px, static_cast<int>(dpi_), 96); }
  int TextHeight(HFONT font, const std::wstring& text, int width) const;
  int TextWidth(HFONT font, const std::wstring& text) const;

  std::shared_ptr<DialogState> state_;
  DialogSpec spec_;
  HWND hwnd_ = nullptr;
  HWND heading_ = nullptr;
  HWND text_ = nullptr;
  std::vector<HWND> buttons_;
  Font font_;
  Font bold_font_;
  UINT dpi_ = 96;
  bool finished_ = false;
  DialogOutcome outcome_;
};

ATOM RegisterWindowClass() {
  static ATOM atom = [] {
    WNDCLASSEXW wc = {};
    wc.cbSize = sizeof(wc);
    wc.lpfnWndProc = &DialogWindow::WndProc;
    wc.hInstance = GetModuleHandleW(nullptr);
    wc.hCursor = LoadCursorW(nullptr, MAKEINTRESOURCEW(32512));  // IDC_ARROW
    wc.hIcon = LoadIconW(nullptr, MAKEINTRESOURCEW(32516));      // IDI_INFORMATION
    wc.hbrBackground = reinterpret_cast<HBRUSH>(static_cast<INT_PTR>(COLOR_BTNFACE + 1));
    wc.lpszClassName = kWindowClass;
    return RegisterClassExW(&wc);
  }();
  return atom;
}

bool DialogWindow::Create(std::string* error) {
  if (RegisterWindowClass() == 0) {
    *error = "RegisterClassExW failed (error " + std::to_string(GetLastError()) + ")";
    return false;
  }
  const DWORD style = WS_POPUP | WS_CAPTION | WS_SYSMENU;
  DWORD ex_style = WS_EX_TOPMOST | WS_EX_CONTROLPARENT | WS_EX_APPWINDOW | WS_EX_DLGMODALFRAME;
  if (!spec_.take_focus) ex_style |= WS_EX_NOACTIVATE;
  // Created hidden at the bottom-right of the primary work area, so that its DPI is that monitor's.
  RECT work = {0, 0, 1024, 768};
  SystemParametersInfoW(SPI_GETWORKAREA, 0, &work, 0);
  hwnd_ = CreateWindowExW(ex_style, kWindowClass, spec_.title.c_str(), style, work.right - kClientWidth,
                          work.bottom - 120, kClientWidth, 120, nullptr, nullptr, GetModuleHandleW(nullptr), this);
  if (!hwnd_) {
    *error = "CreateWindowExW failed (error " + std::to_string(GetLastError()) + ")";
    return false;
  }
  SetPropW(hwnd_, kDialogIdProperty, reinterpret_cast<HANDLE>(static_cast<uintptr_t>(state_->id())));
  dpi_ = winx::DpiForWindow(hwnd_);
  CreateFonts();
  CreateChildren();
  Layout(Place::kAnchor);
  return true;
}

void DialogWindow::CreateFonts() {
  LOGFONTW base = {};
  if (winx::MessageFontForDpi(dpi_, &base)) {
    LOGFONTW bold = base;
    bold.lfWeight = FW_BOLD;
    bold.lfHeight = MulDiv(bold.lfHeight, 5, 4);
    font_.Reset(CreateFontIndirectW(&base));
    bold_font_.Reset(CreateFontIndirectW(&bold));
  } else {
    font_.Reset(nullptr);
    bold_font_.Reset(nullptr);
  }
}

void DialogWindow::CreateChildren() {
  HINSTANCE instance = GetModuleHandleW(nullptr);
  const DWORD static_style = WS_CHILD | WS_VISIBLE | SS_LEFT | SS_NOPREFIX;
  heading_ = CreateWindowExW(0, L"STATIC", spec_.heading.c_str(), static_style, 0, 0, 0, 0, hwnd_, nullptr,
                             instance, nullptr);
  text_ = CreateWindowExW(0, L"STATIC", spec_.text.c_str(), static_style, 0, 0, 0, 0, hwnd_, nullptr, instance,
                          nullptr);
  for (size_t i = 0; i < spec_.buttons.size(); ++i) {
    const ButtonSpec& b = spec_.buttons[i];
    HWND button = CreateWindowExW(0, L"BUTTON", b.label.c_str(), WS_CHILD | WS_VISIBLE | WS_TABSTOP | BS_PUSHBUTTON,
                                  0, 0, 0, 0, hwnd_,
                                  reinterpret_cast<HMENU>(static_cast<INT_PTR>(kFirstButtonControlId + i)), instance,
                                  nullptr);
    EnableWindow(button, b.enabled ? TRUE : FALSE);
    buttons_.push_back(button);
  }
}

int DialogWindow::TextHeight(HFONT font, const std::wstring& text, int width) const {
  if (text.empty()) return 0;
  HDC dc = GetDC(hwnd_);
  if (!dc) return 0;
  HGDIOBJ old = SelectObject(dc, font);
  RECT rc = {0, 0, width, 0};
  DrawTextW(dc, text.c_str(), static_cast<int>(text.size()), &rc, DT_CALCRECT | DT_WORDBREAK | DT_NOPREFIX);
  SelectObject(dc, old);
  ReleaseDC(hwnd_, dc);
  return rc.bottom - rc.top;
}

int DialogWindow::TextWidth(HFONT font, const std::wstring& text) const {
  HDC dc = GetDC(hwnd_);
  if (!dc) return 0;
  HGDIOBJ old = SelectObject(dc, font);
  SIZE size = {};
  GetTextExtentPoint32W(dc, text.c_str(), static_cast<int>(text.size()), &size);
  SelectObject(dc, old);
  ReleaseDC(hwnd_, dc);
  return size.cx;
}

void DialogWindow::Layout(Place place, POINT at) {
  HFONT font = font_.get() ? font_.get() : static_cast<HFONT>(GetStockObject(DEFAULT_GUI_FONT));
  HFONT bold = bold_font_.get() ? bold_font_.get() : font;
  SendMessageW(heading_, WM_SETFONT, reinterpret_cast<WPARAM>(bold), FALSE);
  SendMessageW(text_, WM_SETFONT, reinterpret_cast<WPARAM>(font), FALSE);
  for (HWND b : buttons_) SendMessageW(b, WM_SETFONT, reinterpret_cast<WPARAM>(font), FALSE);

  const int width = Scale(kClientWidth);
  const int inner = width - 2 * Scale(kMargin);
  int y = Scale(kMargin);
  const int heading_h = TextHeight(bold, spec_.heading, inner);
  MoveWindow(heading_, Scale(kMargin), y, inner, heading_h, TRUE);
  if (heading_h > 0) y += heading_h + Scale(kGap);
  const int text_h = TextHeight(font, spec_.text, inner);
  MoveWindow(text_, Scale(kMargin), y, inner, text_h, TRUE);
  if (text_h > 0) y += text_h + Scale(kGap);
  y += Scale(kGap);

  // Buttons right-aligned in one row, in the given order.
  std::vector<int> widths;
  int total = 0;
  for (size_t i = 0; i < buttons_.size(); ++i) {
    int w = std::max(Scale(kButtonMinWidth), TextWidth(font, spec_.buttons[i].label) + Scale(kButtonPadding));
    widths.push_back(w);
    total += w + (i > 0 ? Scale(kGap) : 0);
  }
  int x = width - Scale(kMargin) - total;
  for (size_t i = 0; i < buttons_.size(); ++i) {
    MoveWindow(buttons_[i], x, y, widths[i], Scale(kButtonHeight), TRUE);
    x += widths[i] + Scale(kGap);
  }
  if (!buttons_.empty()) y += Scale(kButtonHeight);
  y += Scale(kMargin);

  RECT rc = {0, 0, width, y};
  AdjustWindowRectEx(&rc, static_cast<DWORD>(GetWindowLongPtrW(hwnd_, GWL_STYLE)), FALSE,
                     static_cast<DWORD>(GetWindowLongPtrW(hwnd_, GWL_EXSTYLE)));
  const int win_w = rc.right - rc.left;
  const int win_h = rc.bottom - rc.top;
  int left = at.x, top = at.y;
  if (place == Place::kAnchor) {
    // Bottom-right of the work area of the window's monitor (next to the tray, where call pop-ups are
    // expected); later dialogs cascade upwards so they do not hide each other.
    RECT work = {0, 0, 1024, 768};
    MONITORINFO mi = {};
    mi.cbSize = sizeof(mi);
    if (GetMonitorInfoW(MonitorFromWindow(hwnd_, MONITOR_DEFAULTTOPRIMARY), &mi)) work = mi.rcWork;
    const int cascade = static_cast<int>(state_->id() % 6) * Scale(kCascadeStep);
    left = work.right - win_w - Scale(kScreenEdge);
    top = std::max(static_cast<int>(work.top), static_cast<int>(work.bottom) - win_h - Scale(kScreenEdge) - cascade);
  } else if (place == Place::kKeepBottomRight) {
    RECT now = {};
    GetWindowRect(hwnd_, &now);
    left = now.right - win_w;
    top = now.bottom - win_h;
  }
  SetWindowPos(hwnd_, nullptr, left, top, win_w, win_h, SWP_NOZORDER | SWP_NOACTIVATE);
}

void DialogWindow::OnDpiChanged(UINT dpi, const RECT* suggested) {
  if (dpi == 0 || dpi == dpi_) return;
  dpi_ = dpi;
  CreateFonts();
  POINT at = {0, 0};
  if (suggested) {
    at.x = suggested->left;
    at.y = suggested->top;
  } else {
    RECT now = {};
    GetWindowRect(hwnd_, &now);
    at.x = now.left;
    at.y = now.top;
  }
  Layout(Place::kAt, at);
}

void DialogWindow::Show() {
  if (spec_.take_focus) {
    ShowWindow(hwnd_, SW_SHOWNORMAL);
    SetWindowPos(hwnd_, HWND_TOPMOST, 0, 0, 0, 0, SWP_NOMOVE | SWP_NOSIZE | SWP_SHOWWINDOW);
    if (!SetForegroundWindow(hwnd_)) {
      FLASHWINFO flash = {sizeof(flash), hwnd_, FLASHW_ALL | FLASHW_TIMERNOFG, 0, 0};
      FlashWindowEx(&flash);
    }
  } else {
    // Topmost and visible, but the program the user is typing in keeps the keyboard focus.
    ShowWindow(hwnd_, SW_SHOWNOACTIVATE);
    SetWindowPos(hwnd_, HWND_TOPMOST, 0, 0, 0, 0, SWP_NOMOVE | SWP_NOSIZE | SWP_SHOWWINDOW | SWP_NOACTIVATE);
  }
  UpdateWindow(hwnd_);
  if (spec_.timeout_ms > 0) SetTimer(hwnd_, kTimeoutTimerId, spec_.timeout_ms, nullptr);
}

void DialogWindow::ApplyChanges() {
  std::wstring heading, text;
  bool relayout = false;
  if (state_->TakeUpdate(&heading, &text)) {
    spec_.heading = std::move(heading);
    spec_.text = std::move(text);
    SetWindowTextW(heading_, spec_.heading.c_str());
    SetWindowTextW(text_, spec_.text.c_str());
    relayout = true;
  }
  for (const auto& change : state_->TakeEnableChanges()) {
    for (size_t i = 0; i < spec_.buttons.size(); ++i) {
      if (spec_.buttons[i].id == change.first) {
        spec_.buttons[i].enabled = change.second;
        EnableWindow(buttons_[i], change.second ? TRUE : FALSE);
      }
    }
  }
  if (relayout) Layout(Place::kKeepBottomRight);
}

// Ends the dialog once. A close() requested from code decides the result even when a click or the
// timeout was handled first: the program no longer wants the answer (the call has ended).
void DialogWindow::Finish(CloseReason reason, const std::string& choice) noexcept {
  if (finished_) return;
  finished_ = true;
  if (reason != CloseReason::kClosed && state_->CloseRequested()) reason = CloseReason::kClosed;
  outcome_.reason = reason;
  if (reason == CloseReason::kButton) {
    try {
      outcome_.choice = choice;
    } catch (...) {  // no memory for the button id: report the dialog as dismissed, never a wrong choice
      outcome_.reason = CloseReason::kDismissed;
    }
  }
  state_->Detach();
  KillTimer(hwnd_, kTimeoutTimerId);
  DestroyWindow(hwnd_);
}

LRESULT DialogWindow::Handle(UINT msg, WPARAM wparam, LPARAM lparam) {
  switch (msg) {
    case WM_COMMAND: {
      const int control = LOWORD(wparam);
      if (control == IDCANCEL) {  // Esc (IsDialogMessage)
        Finish(CloseReason::kDismissed);
        return 0;
      }
      const int index = control - kFirstButtonControlId;
      if (HIWORD(wparam) == BN_CLICKED && index >= 0 && static_cast<size_t>(index) < buttons_.size()) {
        // A disabled button cannot be pressed, even by a message sent from outside.
        if (IsWindowEnabled(buttons_[index])) Finish(CloseReason::kButton, spec_.buttons[index].id);
        return 0;
      }
      break;
    }
    case WM_MOUSEACTIVATE:
      // A click on a dialog that must not take the focus does not activate it (the click itself works).
      if (!spec_.take_focus) return MA_NOACTIVATE;
      break;
    case WM_CLOSE:  // X button, Alt+F4
      Finish(CloseReason::kDismissed);
      return 0;
    case WM_TIMER:
      if (wparam == kTimeoutTimerId) {
        Finish(CloseReason::kTimeout);
        return 0;
      }
      break;
    case winx::kWmDpiChanged:
      OnDpiChanged(HIWORD(wparam), reinterpret_cast<const RECT*>(lparam));
      return 0;
    case kMsgApplyChanges:
      ApplyChanges();
      return 0;
    case kMsgCloseFromCode:
      Finish(CloseReason::kClosed);
      return 0;
    case WM_DESTROY:
      RemovePropW(hwnd_, kDialogIdProperty);
      PostQuitMessage(0);
      return 0;
    default:
      break;
  }
  return DefWindowProcW(hwnd_, msg, wparam, lparam);
}

// No C++ exception leaves the window procedure (it would unwind through user32): one thrown while
// handling a message (out of memory) is reported, the message gets its default handling, and a
// button click that could not be handled closes the dialog as dismissed rather than leaving it stuck.
LRESULT CALLBACK DialogWindow::WndProc(HWND hwnd, UINT msg, WPARAM wparam, LPARAM lparam) {
  DialogWindow* self = nullptr;
  try {
    if (msg == WM_NCCREATE) {
      auto* create = reinterpret_cast<CREATESTRUCTW*>(lparam);
      self = static_cast<DialogWindow*>(create->lpCreateParams);
      self->hwnd_ = hwnd;
      SetWindowLongPtrW(hwnd, GWLP_USERDATA, reinterpret_cast<LONG_PTR>(self));
    }
    self = reinterpret_cast<DialogWindow*>(GetWindowLongPtrW(hwnd, GWLP_USERDATA));
    if (msg == WM_NCDESTROY) {
      SetWindowLongPtrW(hwnd, GWLP_USERDATA, 0);
      return DefWindowProcW(hwnd, msg, wparam, lparam);
    }
    if (!self || self->hwnd_ != hwnd) return DefWindowProcW(hwnd, msg, wparam, lparam);
    return self->Handle(msg, wparam, lparam);
  } catch (...) {
    winx::ReportUncaught("dialog window procedure", winx::CurrentExceptionWhat());
  }
  if (self && self->hwnd_ == hwnd && msg == WM_COMMAND) {
    self->Finish(CloseReason::kDismissed);
    return 0;
  }
  return DefWindowProcW(hwnd, msg, wparam, lparam);
}

}  // namespace

bool RunDialog(const std::shared_ptr<DialogState>& state, const DialogSpec& spec,
               const std::function<void()>& on_shown, DialogOutcome* outcome, std::string* error) {
  winx::ScopedThreadDpiAwareness per_monitor_dpi;  // before any window of this thread exists
  ScopedActivationContext themed_controls;
  DialogWindow window(state, spec);
  try {
    if (!window.Create(error)) {
      state->Detach();
      if (window.hwnd()) DestroyWindow(window.hwnd());  // its WM_QUIT is drained before the thread's next job
      return false;
    }
    const bool close_early = state->Attach(window.hwnd());
    window.Show();
    on_shown();
    if (close_early) window.Finish(CloseReason::kClosed);
  } catch (...) {
    // Never leave a window behind whose procedure points at a destroyed object.
    if (window.hwnd() && IsWindow(window.hwnd())) window.Finish(CloseReason::kDismissed);
    state->Detach();
    throw;
  }

  MSG msg;
  while (GetMessageW(&msg, nullptr, 0, 0) > 0) {
    HWND hwnd = window.hwnd();
    if (IsWindow(hwnd) && IsDialogMessageW(hwnd, &msg)) continue;
    TranslateMessage(&msg);
    DispatchMessageW(&msg);
  }
  // The window never outlives `window` (its procedure points at it): the thread runs the next dialog
  // afterwards (win/window_threads.h), where it would otherwise get messages for a destroyed object.
  if (IsWindow(window.hwnd())) window.Finish(CloseReason::kDismissed);
  *outcome = window.TakeOutcome();
  return true;
}

}  // namespace wildix::ui
