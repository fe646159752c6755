#include "ui/call_list_window.h"

#include <commctrl.h>

#include <algorithm>
#include <cstdint>

#include "common/activation_context.h"
#include "ui/dialog_state.h"
#include "ui/window_kit.h"
#include "win/dpi.h"
#include "win/thread.h"

namespace wildix::ui {

const char* ListActionName(ListAction action) {
  switch (action) {
    case ListAction::kNote: return "note";
    case ListAction::kSend: return "send";
    case ListAction::kAssign: return "assign";
  }
  return "note";
}

namespace {

constexpr int kListId = 100;
constexpr int kNoteId = 1000;
constexpr int kSendId = 1001;
constexpr int kAssignId = 1002;
constexpr int kCloseId = 1003;

// Layout in 96-dpi pixels, scaled to the window's DPI.
constexpr int kClientWidth = 860;
constexpr int kClientHeight = 440;
constexpr int kMinClientWidth = 560;
constexpr int kMinClientHeight = 220;
constexpr int kMargin = 10;
constexpr int kGap = 8;
constexpr int kButtonHeight = 26;
constexpr int kButtonMinWidth = 92;
constexpr int kButtonPadding = 24;
constexpr int kColumnMinWidth = 60;

class CallListWindow : public ToolWindow {
 public:
  CallListWindow(std::shared_ptr<CallListState> state, const CallListSpec& spec, const CallListHooks& hooks)
      : ToolWindow("call list window procedure"), state_(std::move(state)), spec_(spec), hooks_(hooks) {}

  bool Create(std::string* error);
  void Show();
  void ApplyPending();
  void Finish() noexcept;

 protected:
  LRESULT Handle(UINT msg, WPARAM wparam, LPARAM lparam) override;
  void OnUncaught(UINT msg) noexcept override {
    if (msg == kMsgApplyChanges) Finish();  // rows that cannot be shown: the list closes rather than lie
  }

 private:
  void Layout();
  void Fill(std::vector<ListRow> rows, bool first);
  // grow_only: columns only get wider (new rows), so widths the user chose stay.
  void FitColumns(bool grow_only = false);
  int Selected() const;
  void Select(int index);
  void UpdateButtons();
  void Act(ListAction action);
  void ToFront();
  HWND ButtonOf(ListAction action) const;

  std::shared_ptr<CallListState> state_;
  CallListSpec spec_;
  CallListHooks hooks_;
  std::vector<std::wstring> labels_;  // with mnemonics: note, send, assign, close
  HWND list_ = nullptr;
  HWND buttons_[4] = {nullptr, nullptr, nullptr, nullptr};
  std::vector<ListRow> rows_;
  bool filling_ = false;
  bool finished_ = false;
};

bool CallListWindow::Create(std::string* error) {
  InitListViewClasses();  // without it the list is missing; Create() below then fails and says so
  const RECT work = WorkAreaAtCursor();
  const RECT at = {work.left + 40, work.top + 40, work.left + 40 + kClientWidth, work.top + 40 + kClientHeight};
  if (!CreateTop(kCallListWindowClass, WS_EX_CONTROLPARENT | WS_EX_APPWINDOW, WS_OVERLAPPEDWINDOW | WS_CLIPCHILDREN,
                 spec_.title, at, error)) {
    return false;
  }
  SetPropW(hwnd_, kDialogIdProperty, reinterpret_cast<HANDLE>(static_cast<uintptr_t>(state_->id())));
  list_ = AddControl(WC_LISTVIEWW, L"", WS_TABSTOP | LVS_REPORT | LVS_SINGLESEL | LVS_SHOWSELALWAYS, kListId,
                     WS_EX_CLIENTEDGE);
  labels_ = WithMnemonics({spec_.note_label, spec_.send_label, spec_.assign_label, spec_.close_label});
  const int ids[4] = {kNoteId, kSendId, kAssignId, kCloseId};
  for (int i = 0; i < 4; ++i) buttons_[i] = AddControl(L"BUTTON", labels_[i], WS_TABSTOP | BS_PUSHBUTTON, ids[i]);
  if (!list_ || !buttons_[0] || !buttons_[1] || !buttons_[2] || !buttons_[3]) {
    *error = "creating the call list's controls failed (error " + std::to_string(GetLastError()) + ")";
    return false;
  }
  SendMessageW(list_, LVM_SETEXTENDEDLISTVIEWSTYLE, LVS_EX_FULLROWSELECT | LVS_EX_LABELTIP,
               LVS_EX_FULLROWSELECT | LVS_EX_LABELTIP);
  for (size_t i = 0; i < spec_.columns.size(); ++i) {
    LVCOLUMNW column = {};
    column.mask = LVCF_TEXT | LVCF_WIDTH | LVCF_SUBITEM;
    column.pszText = const_cast<wchar_t*>(spec_.columns[i].c_str());
    column.cx = Scale(kColumnMinWidth);
    column.iSubItem = static_cast<int>(i);
    SendMessageW(list_, LVM_INSERTCOLUMNW, i, reinterpret_cast<LPARAM>(&column));
  }
  Fill(std::move(spec_.rows), true);
  spec_.rows.clear();
  // Centred on the monitor the user clicked the tray on.
  int win_w = 0, win_h = 0;
  ResizeClient(Scale(kClientWidth), Scale(kClientHeight), &win_w, &win_h);
  RECT monitor = work;
  MONITORINFO mi = {};
  mi.cbSize = sizeof(mi);
  if (GetMonitorInfoW(MonitorFromWindow(hwnd_, MONITOR_DEFAULTTOPRIMARY), &mi)) monitor = mi.rcWork;
  win_w = std::min(win_w, static_cast<int>(monitor.right - monitor.left));
  win_h = std::min(win_h, static_cast<int>(monitor.bottom - monitor.top));
  SetWindowPos(hwnd_, nullptr, monitor.left + (monitor.right - monitor.left - win_w) / 2,
               monitor.top + (monitor.bottom - monitor.top - win_h) / 2, win_w, win_h, SWP_NOZORDER | SWP_NOACTIVATE);
  Layout();
  FitColumns();
  return true;
}

void CallListWindow::Layout() {
  RECT rc = {};
  GetClientRect(hwnd_, &rc);
  const int margin = Scale(kMargin);
  const int gap = Scale(kGap);
  const int button_h = Scale(kButtonHeight);
  const int buttons_y = rc.bottom - margin - button_h;
  MoveWindow(list_, margin, margin, std::max(0, static_cast<int>(rc.right) - 2 * margin),
             std::max(0, buttons_y - gap - margin), TRUE);
  // the three actions left-aligned, „Schließen“ on the right
  int x = margin;
  for (int i = 0; i < 4; ++i) {
    const int w = std::max(Scale(kButtonMinWidth), TextWidth(hwnd_, fonts_.normal(), labels_[i]) + Scale(kButtonPadding));
    if (i == 3) x = std::max(x, static_cast<int>(rc.right) - margin - w);
    MoveWindow(buttons_[i], x, buttons_y, w, button_h, TRUE);
    x += w + gap;
  }
}

// Each column as wide as its widest cell or header (measured in the list's font), the last one
// filling the rest of the list's width (so no horizontal scrolling while everything fits).
void CallListWindow::FitColumns(bool grow_only) {
  const int count = static_cast<int>(spec_.columns.size());
  const int padding = Scale(16);
  RECT rc = {};
  GetClientRect(list_, &rc);
  int used = 0;
  for (int i = 0; i < count; ++i) {
    int width = TextWidth(list_, fonts_.normal(), spec_.columns[i]);
    for (const ListRow& row : rows_) {
      if (static_cast<size_t>(i) < row.cells.size()) width = std::max(width, TextWidth(list_, fonts_.normal(), row.cells[i]));
    }
    width = std::max(width + padding, Scale(kColumnMinWidth) / 2);
    if (i == count - 1) width = std::max(width, static_cast<int>(rc.right) - used);  // the last one fills the rest
    else if (grow_only) width = std::max(width, static_cast<int>(SendMessageW(list_, LVM_GETCOLUMNWIDTH, i, 0)));
    SendMessageW(list_, LVM_SETCOLUMNWIDTH, i, MAKELPARAM(width, 0));
    used += width;
  }
}

void CallListWindow::Fill(std::vector<ListRow> rows, bool first) {
  std::string selected_id;
  const int selected = Selected();
  if (selected >= 0 && static_cast<size_t>(selected) < rows_.size()) selected_id = rows_[selected].id;
  rows_ = std::move(rows);
  filling_ = true;
  SendMessageW(list_, WM_SETREDRAW, FALSE, 0);
  SendMessageW(list_, LVM_DELETEALLITEMS, 0, 0);
  for (size_t r = 0; r < rows_.size(); ++r) {
    const ListRow& row = rows_[r];
    LVITEMW item = {};
    item.mask = LVIF_TEXT | LVIF_PARAM;
    item.iItem = static_cast<int>(r);
    item.pszText = const_cast<wchar_t*>(row.cells.empty() ? L"" : row.cells[0].c_str());
    item.lParam = static_cast<LPARAM>(r);
    const int index = static_cast<int>(SendMessageW(list_, LVM_INSERTITEMW, 0, reinterpret_cast<LPARAM>(&item)));
    for (size_t c = 1; c < row.cells.size() && c < spec_.columns.size(); ++c) {
      LVITEMW sub = {};
      sub.iSubItem = static_cast<int>(c);
      sub.pszText = const_cast<wchar_t*>(row.cells[c].c_str());
      SendMessageW(list_, LVM_SETITEMTEXTW, index, reinterpret_cast<LPARAM>(&sub));
    }
  }
  // the selection stays on the same call; the first call is selected when the list opens
  int keep = -1;
  for (size_t r = 0; r < rows_.size() && !selected_id.empty(); ++r) {
    if (rows_[r].id == selected_id) keep = static_cast<int>(r);
  }
  if (keep < 0 && first && !rows_.empty()) keep = 0;
  if (keep >= 0) Select(keep);
  SendMessageW(list_, WM_SETREDRAW, TRUE, 0);
  InvalidateRect(list_, nullptr, TRUE);
  filling_ = false;
  UpdateButtons();
}

int CallListWindow::Selected() const {
  return static_cast<int>(SendMessageW(list_, LVM_GETNEXTITEM, static_cast<WPARAM>(-1), LVNI_SELECTED));
}

void CallListWindow::Select(int index) {
  LVITEMW state = {};
  state.stateMask = LVIS_SELECTED | LVIS_FOCUSED;
  state.state = LVIS_SELECTED | LVIS_FOCUSED;
  SendMessageW(list_, LVM_SETITEMSTATE, index, reinterpret_cast<LPARAM>(&state));
  SendMessageW(list_, LVM_ENSUREVISIBLE, index, FALSE);
}

HWND CallListWindow::ButtonOf(ListAction action) const {
  return action == ListAction::kNote ? buttons_[0] : action == ListAction::kSend ? buttons_[1] : buttons_[2];
}

void CallListWindow::UpdateButtons() {
  const int i = Selected();
  const ListRow* row = i >= 0 && static_cast<size_t>(i) < rows_.size() ? &rows_[i] : nullptr;
  HWND focus = GetFocus();
  const bool enabled[3] = {row && row->can_note, row && row->can_send, row && row->can_assign};
  for (int b = 0; b < 3; ++b) {
    EnableWindow(buttons_[b], enabled[b] ? TRUE : FALSE);
    // a disabled button cannot keep the keyboard focus: it goes back to the list
    if (!enabled[b] && focus == buttons_[b]) SetFocus(list_);
  }
}

void CallListWindow::Act(ListAction action) {
  const int i = Selected();
  if (i < 0 || static_cast<size_t>(i) >= rows_.size()) return;
  // A disabled action cannot be taken, even by a message sent from outside.
  if (!IsWindowEnabled(ButtonOf(action))) return;
  const ListRow& row = rows_[i];
  const bool allowed = action == ListAction::kNote ? row.can_note : action == ListAction::kSend ? row.can_send : row.can_assign;
  if (allowed && hooks_.on_action) hooks_.on_action(action, row.id);
}

void CallListWindow::Show() {
  ShowWindow(hwnd_, SW_SHOWNORMAL);
  UpdateWindow(hwnd_);
  ToFront();
  SetFocus(list_);
}

void CallListWindow::ToFront() {
  if (IsIconic(hwnd_)) ShowWindow(hwnd_, SW_RESTORE);
  SetWindowPos(hwnd_, HWND_TOP, 0, 0, 0, 0, SWP_NOMOVE | SWP_NOSIZE | SWP_SHOWWINDOW);
  if (!SetForegroundWindow(hwnd_)) {
    FLASHWINFO flash = {sizeof(flash), hwnd_, FLASHW_ALL | FLASHW_TIMERNOFG, 0, 0};
    FlashWindowEx(&flash);
  }
}

void CallListWindow::ApplyPending() {
  std::vector<ListRow> rows;
  bool to_front = false;
  if (state_->TakeRows(&rows, &to_front)) {
    Fill(std::move(rows), false);
    FitColumns(true);
  }
  if (to_front) ToFront();
}

void CallListWindow::Finish() noexcept {
  if (finished_) return;
  finished_ = true;
  state_->Detach();
  DestroyWindow(hwnd_);
}

LRESULT CallListWindow::Handle(UINT msg, WPARAM wparam, LPARAM lparam) {
  switch (msg) {
    case WM_COMMAND: {
      const int control = LOWORD(wparam);
      if (control == IDCANCEL || (control == kCloseId && HIWORD(wparam) == BN_CLICKED)) {  // Esc, „Schließen“
        Finish();
        return 0;
      }
      if (control == IDOK) {  // Enter: the button with the focus, else (in the list) „Notiz an DATEV senden“
        HWND focus = GetFocus();
        if (focus == buttons_[3]) Finish();
        else Act(focus == buttons_[1] ? ListAction::kSend : focus == buttons_[2] ? ListAction::kAssign : ListAction::kNote);
        return 0;
      }
      if (HIWORD(wparam) == BN_CLICKED) {
        if (control == kNoteId) Act(ListAction::kNote);
        else if (control == kSendId) Act(ListAction::kSend);
        else if (control == kAssignId) Act(ListAction::kAssign);
        return 0;
      }
      break;
    }
    case WM_NOTIFY: {
      const NMHDR* header = reinterpret_cast<const NMHDR*>(lparam);
      if (header && header->hwndFrom == list_) {
        if (header->code == LVN_ITEMCHANGED) {
          const NMLISTVIEW* change = reinterpret_cast<const NMLISTVIEW*>(lparam);
          if (!filling_ && (change->uChanged & LVIF_STATE)) UpdateButtons();
        } else if (header->code == NM_DBLCLK) {
          Act(ListAction::kNote);  // a double-click on a call: its note
        }
      }
      break;
    }
    case WM_SIZE:
      if (list_) {
        Layout();
        FitColumns(true);  // the last column follows the window's width
      }
      return 0;
    case WM_GETMINMAXINFO: {
      auto* info = reinterpret_cast<MINMAXINFO*>(lparam);
      int w = 0, h = 0;
      ResizeClient(Scale(kMinClientWidth), Scale(kMinClientHeight), &w, &h);
      info->ptMinTrackSize.x = w;
      info->ptMinTrackSize.y = h;
      return 0;
    }
    case WM_CLOSE:  // X button, Alt+F4
      Finish();
      return 0;
    case winx::kWmDpiChanged: {
      if (!AdoptDpi(wparam)) return 0;
      SetFont(list_, fonts_.normal());
      for (HWND b : buttons_) SetFont(b, fonts_.normal());
      if (const RECT* suggested = reinterpret_cast<const RECT*>(lparam)) {
        SetWindowPos(hwnd_, nullptr, suggested->left, suggested->top, suggested->right - suggested->left,
                     suggested->bottom - suggested->top, SWP_NOZORDER | SWP_NOACTIVATE);
      }
      Layout();
      FitColumns();
      return 0;
    }
    case kMsgApplyChanges:
      ApplyPending();
      return 0;
    case kMsgCloseFromCode:
      Finish();
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

bool RunCallList(const std::shared_ptr<CallListState>& state, const CallListSpec& spec, const CallListHooks& hooks,
                 std::string* error) {
  winx::ScopedThreadDpiAwareness per_monitor_dpi;  // before any window of this thread exists
  ScopedActivationContext themed_controls;
  CallListWindow window(state, spec, hooks);
  try {
    if (!window.Create(error)) {
      state->Detach();
      if (window.hwnd() && IsWindow(window.hwnd())) DestroyWindow(window.hwnd());
      return false;
    }
    const bool close_early = state->Attach(window.hwnd());
    window.ApplyPending();  // rows given while the window was being made
    window.Show();
    if (hooks.on_shown) hooks.on_shown();
    if (close_early) window.Finish();
  } catch (...) {
    if (window.hwnd() && IsWindow(window.hwnd())) window.Finish();
    state->Detach();
    throw;
  }
  RunMessageLoop(window.hwnd());
  return true;
}

}  // namespace wildix::ui
