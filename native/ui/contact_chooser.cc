#include "ui/contact_chooser.h"

#include <commctrl.h>

#include <algorithm>
#include <vector>

#include "common/activation_context.h"
#include "ui/dialog_state.h"
#include "ui/window_kit.h"
#include "win/dpi.h"
#include "win/thread.h"

namespace wildix::ui {

namespace {

constexpr int kEditId = 100;
constexpr int kStatusId = 101;
constexpr int kListId = 102;
constexpr int kChooseId = 1000;
constexpr int kCancelId = 1001;
constexpr UINT_PTR kSearchTimerId = 1;
constexpr UINT kSearchDelayMs = 150;  // after the last keystroke

// Layout in 96-dpi pixels, scaled to the window's DPI.
constexpr int kClientWidth = 420;
constexpr int kMargin = 14;
constexpr int kGap = 8;
constexpr int kEditHeight = 24;
constexpr int kListHeight = 200;
constexpr int kButtonHeight = 26;
constexpr int kButtonMinWidth = 92;
constexpr int kButtonPadding = 24;

class ChooserWindow : public ToolWindow {
 public:
  ChooserWindow(std::shared_ptr<ChooserState> state, const ChooserSpec& spec, const ChooserHooks& hooks)
      : ToolWindow("contact chooser window procedure"), state_(std::move(state)), spec_(spec), hooks_(hooks) {}

  bool Create(std::string* error);
  void Show();
  void Finish(bool choose) noexcept;
  ChooserOutcome TakeOutcome() noexcept { return std::move(outcome_); }

 protected:
  LRESULT Handle(UINT msg, WPARAM wparam, LPARAM lparam) override;
  void OnUncaught(UINT msg) noexcept override {
    if (msg == WM_COMMAND || msg == WM_NOTIFY) Finish(false);  // never a wrong contact
  }

 private:
  enum class Place { kCentre, kAt };
  void Layout(Place place, POINT at = POINT{0, 0});
  void TextChanged();
  void Search();
  void ApplyResults();
  void Fill(std::vector<Choice> choices);
  int Selected() const;
  void UpdateButtons();

  std::shared_ptr<ChooserState> state_;
  ChooserSpec spec_;
  ChooserHooks hooks_;
  std::vector<std::wstring> labels_;  // with mnemonics: search label, choose, cancel
  HWND heading_ = nullptr;
  HWND label_ = nullptr;
  HWND edit_ = nullptr;
  HWND status_ = nullptr;
  HWND list_ = nullptr;
  HWND choose_ = nullptr;
  HWND cancel_ = nullptr;
  std::vector<Choice> choices_;
  uint32_t token_ = 0;        // of the latest search handed to JS
  bool search_waiting_ = false;  // the timer runs: the text changed after the latest search
  bool finished_ = false;
  ChooserOutcome outcome_;
};

bool ChooserWindow::Create(std::string* error) {
  InitListViewClasses();  // without it the list is missing; Create() below then fails and says so
  const RECT work = WorkAreaAtCursor();
  const RECT at = {work.left + 60, work.top + 60, work.left + 60 + kClientWidth, work.top + 60 + 400};
  if (!CreateTop(kChooserWindowClass, WS_EX_CONTROLPARENT | WS_EX_APPWINDOW | WS_EX_DLGMODALFRAME,
                 WS_POPUP | WS_CAPTION | WS_SYSMENU, spec_.title, at, error)) {
    return false;
  }
  SetPropW(hwnd_, kDialogIdProperty, reinterpret_cast<HANDLE>(static_cast<uintptr_t>(state_->id())));
  labels_ = WithMnemonics({spec_.search_label, spec_.choose_label, spec_.cancel_label});
  heading_ = AddControl(L"STATIC", spec_.heading, SS_LEFT | SS_NOPREFIX, -1);
  label_ = AddControl(L"STATIC", labels_[0], SS_LEFT, -1);  // its mnemonic focuses the Edit after it
  edit_ = AddControl(L"EDIT", L"", WS_TABSTOP | ES_AUTOHSCROLL, kEditId, WS_EX_CLIENTEDGE);
  status_ = AddControl(L"STATIC", L"", SS_LEFT | SS_NOPREFIX, kStatusId);
  list_ = AddControl(WC_LISTVIEWW, L"", WS_TABSTOP | LVS_REPORT | LVS_NOCOLUMNHEADER | LVS_SINGLESEL | LVS_SHOWSELALWAYS,
                     kListId, WS_EX_CLIENTEDGE);
  choose_ = AddControl(L"BUTTON", labels_[1], WS_TABSTOP | BS_DEFPUSHBUTTON, kChooseId);
  cancel_ = AddControl(L"BUTTON", labels_[2], WS_TABSTOP | BS_PUSHBUTTON, kCancelId);
  if (!heading_ || !label_ || !edit_ || !status_ || !list_ || !choose_ || !cancel_) {
    *error = "creating the contact chooser's controls failed (error " + std::to_string(GetLastError()) + ")";
    return false;
  }
  SendMessageW(list_, LVM_SETEXTENDEDLISTVIEWSTYLE, LVS_EX_FULLROWSELECT, LVS_EX_FULLROWSELECT);
  LVCOLUMNW column = {};
  column.mask = LVCF_WIDTH;
  column.cx = Scale(kClientWidth - 2 * kMargin - 24);
  SendMessageW(list_, LVM_INSERTCOLUMNW, 0, reinterpret_cast<LPARAM>(&column));
  EnableWindow(choose_, FALSE);
  Layout(Place::kCentre);
  return true;
}

void ChooserWindow::Layout(Place place, POINT at) {
  SetFont(heading_, fonts_.bold());
  for (HWND c : {label_, edit_, status_, list_, choose_, cancel_}) SetFont(c, fonts_.normal());
  const int width = Scale(kClientWidth);
  const int margin = Scale(kMargin);
  const int inner = width - 2 * margin;
  int y = margin;
  const int heading_h = TextHeight(hwnd_, fonts_.bold(), spec_.heading, inner);
  MoveWindow(heading_, margin, y, inner, heading_h, TRUE);
  if (heading_h > 0) y += heading_h + Scale(kGap);
  // "Name:" [ search text          ]
  const int label_w = TextWidth(hwnd_, fonts_.normal(), WithoutMnemonic(labels_[0])) + Scale(kGap);
  const int edit_h = Scale(kEditHeight);
  const int label_h = TextHeight(hwnd_, fonts_.normal(), L"Ag", inner);
  MoveWindow(label_, margin, y + (edit_h - label_h) / 2, label_w, label_h, TRUE);
  MoveWindow(edit_, margin + label_w, y, inner - label_w, edit_h, TRUE);
  y += edit_h + Scale(kGap);
  MoveWindow(status_, margin, y, inner, label_h, TRUE);
  y += label_h + Scale(kGap) / 2;
  MoveWindow(list_, margin, y, inner, Scale(kListHeight), TRUE);
  SendMessageW(list_, LVM_SETCOLUMNWIDTH, 0, inner - GetSystemMetrics(SM_CXVSCROLL) - Scale(4));
  y += Scale(kListHeight) + Scale(kGap) + Scale(kGap);
  int widths[2];
  for (int i = 0; i < 2; ++i) {
    widths[i] = std::max(Scale(kButtonMinWidth), TextWidth(hwnd_, fonts_.normal(), labels_[i + 1]) + Scale(kButtonPadding));
  }
  const int x = width - margin - widths[0] - Scale(kGap) - widths[1];
  MoveWindow(choose_, x, y, widths[0], Scale(kButtonHeight), TRUE);
  MoveWindow(cancel_, x + widths[0] + Scale(kGap), y, widths[1], Scale(kButtonHeight), TRUE);
  y += Scale(kButtonHeight) + margin;

  int win_w = 0, win_h = 0;
  ResizeClient(width, y, &win_w, &win_h);
  int left = at.x, top = at.y;
  if (place == Place::kCentre) {
    RECT work = WorkAreaAtCursor();
    MONITORINFO mi = {};
    mi.cbSize = sizeof(mi);
    if (GetMonitorInfoW(MonitorFromWindow(hwnd_, MONITOR_DEFAULTTOPRIMARY), &mi)) work = mi.rcWork;
    left = work.left + (work.right - work.left - win_w) / 2;
    top = std::max(static_cast<int>(work.top), static_cast<int>(work.top + (work.bottom - work.top - win_h) / 2));
  }
  SetWindowPos(hwnd_, nullptr, left, top, win_w, win_h, SWP_NOZORDER | SWP_NOACTIVATE);
}

void ChooserWindow::Show() {
  ShowWindow(hwnd_, SW_SHOWNORMAL);
  UpdateWindow(hwnd_);
  if (!SetForegroundWindow(hwnd_)) {
    FLASHWINFO flash = {sizeof(flash), hwnd_, FLASHW_ALL | FLASHW_TIMERNOFG, 0, 0};
    FlashWindowEx(&flash);
  }
  SetFocus(edit_);
}

// Each change restarts the short wait; the status says a search is on its way from the first
// keystroke, so nobody takes the old list for the answer to the new text.
void ChooserWindow::TextChanged() {
  search_waiting_ = SetTimer(hwnd_, kSearchTimerId, kSearchDelayMs, nullptr) != 0;
  SetWindowTextW(status_, spec_.searching_text.c_str());
  if (!search_waiting_) Search();  // no timer left: search at once
}

void ChooserWindow::Search() {
  KillTimer(hwnd_, kSearchTimerId);
  search_waiting_ = false;
  const int length = GetWindowTextLengthW(edit_);
  std::wstring text(static_cast<size_t>(length) + 1, L'\0');
  const int got = GetWindowTextW(edit_, &text[0], length + 1);
  text.resize(static_cast<size_t>(std::max(0, got)));
  ++token_;
  if (hooks_.on_search) hooks_.on_search(text, token_);
}

void ChooserWindow::ApplyResults() {
  uint32_t token = 0;
  std::vector<Choice> choices;
  if (!state_->TakeResults(&token, &choices)) return;
  // only the answer to the latest text counts; one to an older text (or while typing) is dropped
  if (token != token_ || search_waiting_) return;
  const bool empty_text = GetWindowTextLengthW(edit_) == 0;
  SetWindowTextW(status_, choices.empty() && !empty_text ? spec_.no_results_text.c_str() : L"");
  Fill(std::move(choices));
}

void ChooserWindow::Fill(std::vector<Choice> choices) {
  choices_ = std::move(choices);
  SendMessageW(list_, LVM_DELETEALLITEMS, 0, 0);
  for (size_t i = 0; i < choices_.size(); ++i) {
    LVITEMW item = {};
    item.mask = LVIF_TEXT | LVIF_PARAM;
    item.iItem = static_cast<int>(i);
    item.pszText = const_cast<wchar_t*>(choices_[i].label.c_str());
    item.lParam = static_cast<LPARAM>(i);
    SendMessageW(list_, LVM_INSERTITEMW, 0, reinterpret_cast<LPARAM>(&item));
  }
  if (!choices_.empty()) {  // the best match is selected: Enter takes it
    LVITEMW state = {};
    state.stateMask = LVIS_SELECTED | LVIS_FOCUSED;
    state.state = LVIS_SELECTED | LVIS_FOCUSED;
    SendMessageW(list_, LVM_SETITEMSTATE, 0, reinterpret_cast<LPARAM>(&state));
  }
  UpdateButtons();
}

int ChooserWindow::Selected() const {
  return static_cast<int>(SendMessageW(list_, LVM_GETNEXTITEM, static_cast<WPARAM>(-1), LVNI_SELECTED));
}

void ChooserWindow::UpdateButtons() {
  const int i = Selected();
  const bool enabled = i >= 0 && static_cast<size_t>(i) < choices_.size();
  if (!enabled && GetFocus() == choose_) SetFocus(edit_);
  EnableWindow(choose_, enabled ? TRUE : FALSE);
}

void ChooserWindow::Finish(bool choose) noexcept {
  if (finished_) return;
  const int i = Selected();
  if (choose && (i < 0 || static_cast<size_t>(i) >= choices_.size() || !IsWindowEnabled(choose_))) return;  // nothing to take
  finished_ = true;
  if (choose && !state_->CloseRequested()) {
    try {
      outcome_.id = choices_[i].id;
      outcome_.chosen = true;
    } catch (...) {  // no memory for the id: nothing is chosen, never a wrong contact
      outcome_.chosen = false;
    }
  }
  state_->Detach();
  KillTimer(hwnd_, kSearchTimerId);
  DestroyWindow(hwnd_);
}

LRESULT ChooserWindow::Handle(UINT msg, WPARAM wparam, LPARAM lparam) {
  switch (msg) {
    case WM_COMMAND: {
      const int control = LOWORD(wparam);
      const int code = HIWORD(wparam);
      if (control == IDCANCEL || (control == kCancelId && code == BN_CLICKED)) {  // Esc, „Abbrechen“
        Finish(false);
        return 0;
      }
      if (control == IDOK || (control == kChooseId && code == BN_CLICKED)) {  // Enter, „Zuordnen“
        if (GetFocus() == cancel_ && control == IDOK) Finish(false);
        else Finish(true);
        return 0;
      }
      if (control == kEditId && code == EN_CHANGE) {
        TextChanged();
        return 0;
      }
      break;
    }
    case WM_NOTIFY: {
      const NMHDR* header = reinterpret_cast<const NMHDR*>(lparam);
      if (header && header->hwndFrom == list_) {
        if (header->code == LVN_ITEMCHANGED) UpdateButtons();
        else if (header->code == NM_DBLCLK) Finish(true);
      }
      break;
    }
    case WM_TIMER:
      if (wparam == kSearchTimerId) {
        Search();
        return 0;
      }
      break;
    case WM_CLOSE:  // X button, Alt+F4
      Finish(false);
      return 0;
    case winx::kWmDpiChanged:
      if (AdoptDpi(wparam)) Layout(Place::kAt, SuggestedTopLeft(lparam));
      return 0;
    case kMsgApplyChanges:
      ApplyResults();
      return 0;
    case kMsgCloseFromCode:
      Finish(false);
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

bool RunChooser(const std::shared_ptr<ChooserState>& state, const ChooserSpec& spec, const ChooserHooks& hooks,
                ChooserOutcome* outcome, std::string* error) {
  winx::ScopedThreadDpiAwareness per_monitor_dpi;  // before any window of this thread exists
  ScopedActivationContext themed_controls;
  ChooserWindow window(state, spec, hooks);
  try {
    if (!window.Create(error)) {
      state->Detach();
      if (window.hwnd() && IsWindow(window.hwnd())) DestroyWindow(window.hwnd());
      return false;
    }
    const bool close_early = state->Attach(window.hwnd());
    window.Show();
    if (hooks.on_shown) hooks.on_shown();
    if (close_early) window.Finish(false);
  } catch (...) {
    if (window.hwnd() && IsWindow(window.hwnd())) window.Finish(false);
    state->Detach();
    throw;
  }
  RunMessageLoop(window.hwnd());
  *outcome = window.TakeOutcome();
  return true;
}

}  // namespace wildix::ui
