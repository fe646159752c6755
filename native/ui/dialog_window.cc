#include "ui/dialog_window.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/activation_context.h"
#include "ui/window_kit.h"
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

class DialogWindow : public ToolWindow {
 public:
  DialogWindow(std::shared_ptr<DialogState> state, const DialogSpec& spec)
      : ToolWindow("dialog window procedure"), state_(std::move(state)), spec_(spec) {}

  bool Create(std::string* error);
  void Show();
  DialogOutcome TakeOutcome() noexcept { return std::move(outcome_); }
  void Finish(CloseReason reason, const std::string& choice = std::string()) noexcept;

 protected:
  LRESULT Handle(UINT msg, WPARAM wparam, LPARAM lparam) override;
  // A click that could not be handled closes the dialog as dismissed rather than leaving it stuck.
  void OnUncaught(UINT msg) noexcept override {
    if (msg == WM_COMMAND) Finish(CloseReason::kDismissed);
  }

 private:
  enum class Place { kAnchor, kKeepBottomRight, kAt };
  void CreateChildren();
  // Sizes and places everything for dpi_: kAnchor = bottom-right of the monitor's work area (first
  // show), kKeepBottomRight = grow/shrink upwards and leftwards (new text), kAt = top-left at `at`
  // (WM_DPICHANGED's suggested position).
  void Layout(Place place, POINT at = POINT{0, 0});
  void ApplyChanges();

  std::shared_ptr<DialogState> state_;
  DialogSpec spec_;
  HWND heading_ = nullptr;
  HWND text_ = nullptr;
  std::vector<HWND> buttons_;
  bool finished_ = false;
  DialogOutcome outcome_;
};

bool DialogWindow::Create(std::string* error) {
  const DWORD style = WS_POPUP | WS_CAPTION | WS_SYSMENU;
  DWORD ex_style = WS_EX_TOPMOST | WS_EX_CONTROLPARENT | WS_EX_APPWINDOW | WS_EX_DLGMODALFRAME;
  if (!spec_.take_focus) ex_style |= WS_EX_NOACTIVATE;
  // Created hidden at the bottom-right of the primary work area, so that its DPI is that monitor's.
  RECT work = {0, 0, 1024, 768};
  SystemParametersInfoW(SPI_GETWORKAREA, 0, &work, 0);
  const RECT at = {work.right - kClientWidth, work.bottom - 120, work.right, work.bottom};
  if (!CreateTop(kWindowClass, ex_style, style, spec_.title, at, error)) return false;
  SetPropW(hwnd_, kDialogIdProperty, reinterpret_cast<HANDLE>(static_cast<uintptr_t>(state_->id())));
  CreateChildren();
  Layout(Place::kAnchor);
  return true;
}

void DialogWindow::CreateChildren() {
  const DWORD static_style = SS_LEFT | SS_NOPREFIX;
  heading_ = AddControl(L"STATIC", spec_.heading, static_style, 0);
  text_ = AddControl(L"STATIC", spec_.text, static_style, 0);
  for (size_t i = 0; i < spec_.buttons.size(); ++i) {
    const ButtonSpec& b = spec_.buttons[i];
    HWND button = AddControl(L"BUTTON", b.label, WS_TABSTOP | BS_PUSHBUTTON, kFirstButtonControlId + static_cast<int>(i));
    EnableWindow(button, b.enabled ? TRUE : FALSE);
    buttons_.push_back(button);
  }
}

void DialogWindow::Layout(Place place, POINT at) {
  HFONT font = fonts_.normal();
  HFONT bold = fonts_.bold();
  SetFont(heading_, bold);
  SetFont(text_, font);
  for (HWND b : buttons_) SetFont(b, font);

  const int width = Scale(kClientWidth);
  const int inner = width - 2 * Scale(kMargin);
  int y = Scale(kMargin);
  const int heading_h = TextHeight(hwnd_, bold, spec_.heading, inner);
  MoveWindow(heading_, Scale(kMargin), y, inner, heading_h, TRUE);
  if (heading_h > 0) y += heading_h + Scale(kGap);
  const int text_h = TextHeight(hwnd_, font, spec_.text, inner);
  MoveWindow(text_, Scale(kMargin), y, inner, text_h, TRUE);
  if (text_h > 0) y += text_h + Scale(kGap);
  y += Scale(kGap);

  // Buttons right-aligned in one row, in the given order.
  std::vector<int> widths;
  int total = 0;
  for (size_t i = 0; i < buttons_.size(); ++i) {
    int w = std::max(Scale(kButtonMinWidth), TextWidth(hwnd_, font, spec_.buttons[i].label) + Scale(kButtonPadding));
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

  int win_w = 0, win_h = 0;
  ResizeClient(width, y, &win_w, &win_h);
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
      if (AdoptDpi(wparam)) Layout(Place::kAt, SuggestedTopLeft(lparam));
      return 0;
    case kMsgApplyChanges:
      ApplyChanges();
      return 0;
    case kMsgCloseFromCode:
      Finish(CloseReason::kClosed);
      return 0;
    case WM_DESTROY:
      EndOwnLoop();
      return 0;
    default:
      break;
  }
  return DefWindowProcW(hwnd_, msg, wparam, lparam);
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

  RunMessageLoop(window.hwnd());
  // The window never outlives `window` (its procedure points at it): the thread runs the next dialog
  // afterwards (win/window_threads.h), where it would otherwise get messages for a destroyed object.
  if (IsWindow(window.hwnd())) window.Finish(CloseReason::kDismissed);
  *outcome = window.TakeOutcome();
  return true;
}

}  // namespace wildix::ui
