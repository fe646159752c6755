#include "ui/dialog_state.h"

#include <atomic>
#include <map>

namespace wildix::ui {

const char* CloseReasonName(CloseReason reason) {
  switch (reason) {
    case CloseReason::kButton: return "button";
    case CloseReason::kDismissed: return "dismissed";
    case CloseReason::kClosed: return "closed";
    case CloseReason::kTimeout: return "timeout";
  }
  return "closed";
}

bool DialogState::PostLocked(UINT message) {
  if (finished_ || hwnd_ == nullptr) return false;
  return PostMessageW(hwnd_, message, 0, 0) != FALSE;
}

bool DialogState::RequestUpdate(std::wstring heading, std::wstring text) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_ || hwnd_ == nullptr) return false;
  heading_ = std::move(heading);
  text_ = std::move(text);
  has_update_ = true;
  return PostLocked(kMsgApplyChanges);
}

bool DialogState::RequestButtonEnabled(std::string button_id, bool enabled) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_ || hwnd_ == nullptr) return false;
  enable_changes_.emplace_back(std::move(button_id), enabled);
  return PostLocked(kMsgApplyChanges);
}

bool DialogState::RequestClose() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return false;
  close_requested_ = true;  // decides the result from now on, whatever the window handles first
  if (hwnd_ == nullptr) return true;  // the dialog thread closes the window as soon as it exists
  return PostLocked(kMsgCloseFromCode);
}

bool DialogState::CloseRequested() {
  std::lock_guard<std::mutex> lock(mutex_);
  return close_requested_;
}

bool DialogState::Attach(HWND hwnd) {
  std::lock_guard<std::mutex> lock(mutex_);
  hwnd_ = hwnd;
  return close_requested_;
}

void DialogState::Detach() {
  std::lock_guard<std::mutex> lock(mutex_);
  finished_ = true;
  hwnd_ = nullptr;
}

bool DialogState::TakeUpdate(std::wstring* heading, std::wstring* text) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!has_update_) return false;
  has_update_ = false;
  *heading = std::move(heading_);
  *text = std::move(text_);
  return true;
}

std::vector<std::pair<std::string, bool>> DialogState::TakeEnableChanges() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::pair<std::string, bool>> out;
  out.swap(enable_changes_);
  return out;
}

namespace {
std::mutex registry_mutex;
std::map<uint32_t, std::shared_ptr<DialogState>>& Registry() {
  static std::map<uint32_t, std::shared_ptr<DialogState>> registry;
  return registry;
}
std::atomic<uint32_t> next_id{1};
}  // namespace

uint32_t NextDialogId() { return next_id.fetch_add(1); }

void RegisterDialog(const std::shared_ptr<DialogState>& state) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  Registry()[state->id()] = state;
}

void UnregisterDialog(uint32_t id) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  Registry().erase(id);
}

std::shared_ptr<DialogState> FindDialog(uint32_t id) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  auto it = Registry().find(id);
  return it == Registry().end() ? nullptr : it->second;
}

}  // namespace wildix::ui
