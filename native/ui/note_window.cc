#include "ui/note_window.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/activation_context.h"
#include "ui/window_kit.h"
#include "win/dpi.h"
#include "win/thread.h"

namespace wildix::ui {

const char* NoteEndName(NoteEnd end) {
  switch (end) {
    case NoteEnd::kSave: return "save";
    case NoteEnd::kDiscard: return "discard";
    case NoteEnd::kClosed: return "closed";
    case NoteEnd::kTimeout: return "timeout";
  }
  return "closed";
}

namespace {

constexpr int kEditId = 100;
constexpr int kSaveId = 1000;
constexpr int kDiscardId = 1001;
constexpr UINT_PTR kTimeoutTimerId = 1;

// Layout in 96-dpi pixels, scaled to the window's DPI.
constexpr int kClientWidth = 400;
constexpr int kMargin = 14;
constexpr int kGap = 8;
constexpr int kEditHeight = 120;
constexpr int kButtonHeight = 26;
constexpr int kButtonMinWidth = 92;
constexpr int kButtonPadding = 24;
constexpr int kScreenEdge = 16;
constexpr int kCascadeStep = 28;

class NoteWindow : public ToolWindow {
 public:
  NoteWindow(std::shared_ptr<DialogState> state, const NoteSpec& spec)
      : ToolWindow("note window procedure"), state_(std::move(state)), spec_(spec) {}

  bool Create(std::string* error);
  void Show();
  void Finish(NoteEnd reason) noexcept;
  NoteOutcome TakeOutcome() noexcept { return std::move(outcome_); }

 protected:
  LRESULT Handle(UINT msg, WPARAM wparam, LPARAM lparam) override;
  void OnUncaught(UINT msg) noexcept override {
    if (msg == WM_COMMAND) Finish(NoteEnd::kDiscard);  // a click that could not be handled: nothing is sent
  }

 private:
  enum class Place { kAnchor, kAt };
  void Layout(Place place, POINT at = POINT{0, 0});
  void OnTextChanged();
  void Activated();

  std::shared_ptr<DialogState> state_;
  NoteSpec spec_;
  std::vector<std::wstring> labels_;  // with mnemonics
  HWND heading_ = nullptr;
  HWND text_ = nullptr;
  HWND edit_ = nullptr;
  HWND save_ = nullptr;
  HWND discard_ = nullptr;
  bool no_activate_ = true;  // until the user clicks into the window
  bool timer_running_ = false;
  bool finished_ = false;
  NoteOutcome outcome_;
};

bool NoteWindow::Create(std::string* error) {
  RECT work = {0, 0, 1024, 768};
  SystemParametersInfoW(SPI_GETWORKAREA, 0, &work, 0);
  // Hidden at the bottom-right of the primary work area first, so that its DPI is that monitor's.
  const RECT at = {work.right - kClientWidth, work.bottom - 200, work.right, work.bottom};
  if (!CreateTop(kNoteWindowClass, WS_EX_TOPMOST | WS_EX_CONTROLPARENT | WS_EX_APPWINDOW | WS_EX_DLGMODALFRAME | WS_EX_NOACTIVATE,
                 WS_POPUP | WS_CAPTION | WS_SYSMENU, spec_.title, at, error)) {
    return false;
  }
  SetPropW(hwnd_, kDialogIdProperty, reinterpret_cast<HANDLE>(static_cast<uintptr_t>(state_->id())));
  labels_ = WithMnemonics({spec_.save_label, spec_.discard_label});
  const DWORD static_style = SS_LEFT | SS_NOPREFIX;
  heading_ = AddControl(L"STATIC", spec_.heading, static_style, -1);
  text_ = AddControl(L"STATIC", spec_.text, static_style, -1);
  edit_ = AddControl(L"EDIT", L"", WS_TABSTOP | WS_VSCROLL | ES_MULTILINE | ES_WANTRETURN | ES_AUTOVSCROLL, kEditId,
                     WS_EX_CLIENTEDGE);
  save_ = AddControl(L"BUTTON", labels_[0], WS_TABSTOP | BS_PUSHBUTTON, kSaveId);
  discard_ = AddControl(L"BUTTON", labels_[1], WS_TABSTOP | BS_PUSHBUTTON, kDiscardId);
  if (!heading_ || !text_ || !edit_ || !save_ || !discard_) {
    *error = "creating the note window's controls failed (error " + std::to_string(GetLastError()) + ")";
    return false;
  }
  SendMessageW(edit_, EM_LIMITTEXT, spec_.max_length, 0);
  Layout(Place::kAnchor);
  return true;
}

void NoteWindow::Layout(Place place, POINT at) {
  SetFont(heading_, fonts_.bold());
  for (HWND c : {text_, edit_, save_, discard_}) SetFont(c, fonts_.normal());
  const int width = Scale(kClientWidth);
  const int inner = width - 2 * Scale(kMargin);
  int y = Scale(kMargin);
  const int heading_h = TextHeight(hwnd_, fonts_.bold(), spec_.heading, inner);
  MoveWindow(heading_, Scale(kMargin), y, inner, heading_h, TRUE);
  if (heading_h > 0) y += heading_h + Scale(kGap);
  const int text_h = TextHeight(hwnd_, fonts_.normal(), spec_.text, inner);
  MoveWindow(text_, Scale(kMargin), y, inner, text_h, TRUE);
  if (text_h > 0) y += text_h + Scale(kGap);
  MoveWindow(edit_, Scale(kMargin), y, inner, Scale(kEditHeight), TRUE);
  y += Scale(kEditHeight) + Scale(kGap) + Scale(kGap);
  // „Speichern“ „Verwerfen“ right-aligned in one row
  int widths[2];
  for (int i = 0; i < 2; ++i) {
    widths[i] = std::max(Scale(kButtonMinWidth), TextWidth(hwnd_, fonts_.normal(), labels_[i]) + Scale(kButtonPadding));
  }
  int x = width - Scale(kMargin) - widths[0] - Scale(kGap) - widths[1];
  MoveWindow(save_, x, y, widths[0], Scale(kButtonHeight), TRUE);
  MoveWindow(discard_, x + widths[0] + Scale(kGap), y, widths[1], Scale(kButtonHeight), TRUE);
  y += Scale(kButtonHeight) + Scale(kMargin);

  int win_w = 0, win_h = 0;
  ResizeClient(width, y, &win_w, &win_h);
  int left = at.x, top = at.y;
  if (place == Place::kAnchor) {
    // Bottom-right of the work area (where call pop-ups are expected); later ones cascade upwards.
    RECT work = {0, 0, 1024, 768};
    MONITORINFO mi = {};
    mi.cbSize = sizeof(mi);
    if (GetMonitorInfoW(MonitorFromWindow(hwnd_, MONITOR_DEFAULTTOPRIMARY), &mi)) work = mi.rcWork;
    const int cascade = static_cast<int>(state_->id() % 6) * Scale(kCascadeStep);
    left = work.right - win_w - Scale(kScreenEdge) - cascade;
    top = std::max(static_cast<int>(work.top), static_cast<int>(work.bottom) - win_h - Scale(kScreenEdge) - cascade);
  }
  SetWindowPos(hwnd_, nullptr, left, top, win_w, win_h, SWP_NOZORDER | SWP_NOACTIVATE);
}

void NoteWindow::Show() {
  // Topmost and visible, but the program the user is typing in keeps the keyboard focus.
  ShowWindow(hwnd_, SW_SHOWNOACTIVATE);
  SetWindowPos(hwnd_, HWND_TOPMOST, 0, 0, 0, 0, SWP_NOMOVE | SWP_NOSIZE | SWP_SHOWWINDOW | SWP_NOACTIVATE);
  UpdateWindow(hwnd_);
  if (spec_.timeout_ms > 0) timer_running_ = SetTimer(hwnd_, kTimeoutTimerId, spec_.timeout_ms, nullptr) != 0;
}

// The user is writing: the note no longer closes by itself (it would lose the text). An emptied
// Edit starts the timeout again.
void NoteWindow::OnTextChanged() {
  if (spec_.timeout_ms == 0) return;
  const bool empty = GetWindowTextLengthW(edit_) == 0;
  if (!empty && timer_running_) {
    KillTimer(hwnd_, kTimeoutTimerId);
    timer_running_ = false;
  } else if (empty && !timer_running_) {
    timer_running_ = SetTimer(hwnd_, kTimeoutTimerId, spec_.timeout_ms, nullptr) != 0;
  }
}

// The user clicked into the window: from now on it behaves like any window (it may be activated,
// the Edit gets the keyboard focus).
void NoteWindow::Activated() {
  HWND focus = GetFocus();
  if (focus != edit_ && focus != save_ && focus != discard_) SetFocus(edit_);
}

void NoteWindow::Finish(NoteEnd reason) noexcept {
  if (finished_) return;
  finished_ = true;
  // close() from code decides the result even when a click or the timeout was handled first.
  if (reason != NoteEnd::kClosed && state_->CloseRequested()) reason = NoteEnd::kClosed;
  outcome_.reason = reason;
  if (reason == NoteEnd::kSave) {
    try {
      const int length = GetWindowTextLengthW(edit_);
      std::wstring text(static_cast<size_t>(length) + 1, L'\0');
      const int got = GetWindowTextW(edit_, &text[0], length + 1);
      text.resize(static_cast<size_t>(std::max(0, got)));
      // the Edit takes no more than max_length when typed; text put in from outside is cut here
      if (text.size() > spec_.max_length) text.resize(spec_.max_length);
      outcome_.text = std::move(text);
    } catch (...) {  // no memory for the text: nothing is sent, never a wrong text
      outcome_.reason = NoteEnd::kDiscard;
    }
  }
  state_->Detach();
  KillTimer(hwnd_, kTimeoutTimerId);
  DestroyWindow(hwnd_);
}

LRESULT NoteWindow::Handle(UINT msg, WPARAM wparam, LPARAM lparam) {
  switch (msg) {
    case WM_COMMAND: {
      const int control = LOWORD(wparam);
      const int code = HIWORD(wparam);
      if (control == IDCANCEL) {  // Esc
        Finish(NoteEnd::kDiscard);
        return 0;
      }
      if (control == IDOK) {  // Enter outside the Edit: the button with the focus, else „Speichern“
        Finish(GetFocus() == discard_ ? NoteEnd::kDiscard : NoteEnd::kSave);
        return 0;
      }
      if (control == kSaveId && code == BN_CLICKED) {
        Finish(NoteEnd::kSave);
        return 0;
      }
      if (control == kDiscardId && code == BN_CLICKED) {
        Finish(NoteEnd::kDiscard);
        return 0;
      }
      if (control == kEditId && code == EN_CHANGE) {
        OnTextChanged();
        return 0;
      }
      break;
    }
    case WM_MOUSEACTIVATE:
      if (no_activate_) {
        // The first click into the note: it may take the focus now (the user wants to type).
        no_activate_ = false;
        SetWindowLongPtrW(hwnd_, GWL_EXSTYLE, GetWindowLongPtrW(hwnd_, GWL_EXSTYLE) & ~static_cast<LONG_PTR>(WS_EX_NOACTIVATE));
        SetForegroundWindow(hwnd_);
      }
      return MA_ACTIVATE;
    case WM_ACTIVATE:
      if (LOWORD(wparam) != WA_INACTIVE) {
        Activated();
        return 0;
      }
      break;
    case WM_CLOSE:  // X button, Alt+F4
      Finish(NoteEnd::kDiscard);
      return 0;
    case WM_TIMER:
      if (wparam == kTimeoutTimerId) {
        Finish(NoteEnd::kTimeout);
        return 0;
      }
      break;
    case winx::kWmDpiChanged:
      if (AdoptDpi(wparam)) Layout(Place::kAt, SuggestedTopLeft(lparam));
      return 0;
    case kMsgCloseFromCode:
      Finish(NoteEnd::kClosed);
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

bool RunNoteWindow(const std::shared_ptr<DialogState>& state, const NoteSpec& spec, const std::function<void()>& on_shown,
                   NoteOutcome* outcome, std::string* error) {
  winx::ScopedThreadDpiAwareness per_monitor_dpi;  // before any window of this thread exists
  ScopedActivationContext themed_controls;
  NoteWindow window(state, spec);
  try {
    if (!window.Create(error)) {
      state->Detach();
      if (window.hwnd() && IsWindow(window.hwnd())) DestroyWindow(window.hwnd());
      return false;
    }
    const bool close_early = state->Attach(window.hwnd());
    window.Show();
    on_shown();
    if (close_early) window.Finish(NoteEnd::kClosed);
  } catch (...) {
    // Never leave a window behind whose procedure points at a destroyed object.
    if (window.hwnd() && IsWindow(window.hwnd())) window.Finish(NoteEnd::kDiscard);
    state->Detach();
    throw;
  }
  RunMessageLoop(window.hwnd());
  *outcome = window.TakeOutcome();
  return true;
}

}  // namespace wildix::ui
