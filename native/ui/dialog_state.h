// Shared state of one dialog: written by the JS thread (update/enable/close requests), read by the
// dialog thread that owns the window. All fields behind `mutex`.
#pragma once

#include <windows.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace wildix::ui {

// Window property holding the dialog id on every dialog and message box window. Test tools
// (fakes/win-user) and screen readers of our own use it to map windows to ids.
constexpr wchar_t kDialogIdProperty[] = L"WildixCtiDialogId";

struct ButtonSpec {
  std::string id;  // UTF-8, as given by JS
  std::wstring label;
  bool enabled = true;
};

struct DialogSpec {
  std::wstring title;
  std::wstring heading;
  std::wstring text;
  std::vector<ButtonSpec> buttons;
  unsigned timeout_ms = 0;  // 0 = none
  // false: shown without activation (WS_EX_NOACTIVATE, SW_SHOWNOACTIVATE, no SetForegroundWindow):
  // the keyboard focus stays in the program the user is typing in; clicks still work.
  bool take_focus = false;
};

enum class CloseReason { kButton, kDismissed, kClosed, kTimeout };

const char* CloseReasonName(CloseReason reason);

class DialogState {
 public:
  explicit DialogState(uint32_t id) : id_(id) {}
  uint32_t id() const { return id_; }

  // JS thread. Each returns false when the dialog is not open (any more).
  bool RequestUpdate(std::wstring heading, std::wstring text);
  bool RequestButtonEnabled(std::string button_id, bool enabled);
  // Once this was called, the dialog's result is kClosed even if a button click is handled before
  // the window goes (the click raced the close: the program no longer wants the answer).
  bool RequestClose();

  // Dialog thread.
  // Publishes the window; returns true when close() was requested before the window existed.
  bool Attach(HWND hwnd);
  // Takes the window away from requesters (no more requests accepted).
  void Detach();
  bool TakeUpdate(std::wstring* heading, std::wstring* text);
  std::vector<std::pair<std::string, bool>> TakeEnableChanges();
  bool CloseRequested();

 private:
  bool PostLocked(UINT message);

  const uint32_t id_;
  std::mutex mutex_;
  HWND hwnd_ = nullptr;
  bool finished_ = false;
  bool close_requested_ = false;
  bool has_update_ = false;
  std::wstring heading_;
  std::wstring text_;
  std::vector<std::pair<std::string, bool>> enable_changes_;
};

// Custom messages posted to the dialog window.
constexpr UINT kMsgApplyChanges = WM_APP + 1;
constexpr UINT kMsgCloseFromCode = WM_APP + 2;

// Process-wide id → dialog map (ids are never reused).
uint32_t NextDialogId();
void RegisterDialog(const std::shared_ptr<DialogState>& state);
void UnregisterDialog(uint32_t id);
std::shared_ptr<DialogState> FindDialog(uint32_t id);

}  // namespace wildix::ui
