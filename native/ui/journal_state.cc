#include "ui/journal_state.h"

#include <map>

#include "ui/dialog_state.h"  // kMsgApplyChanges, kMsgCloseFromCode

namespace wildix::ui {

bool WindowState::PostLocked(UINT message) {
  if (finished_) return false;
  if (hwnd_ == nullptr) return true;  // applied by the window thread right after it attached
  return PostMessageW(hwnd_, message, 0, 0) != FALSE;
}

bool WindowState::RequestClose() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return false;
  close_requested_ = true;  // decides the result from now on, whatever the window handles first
  return PostLocked(kMsgCloseFromCode);
}

bool WindowState::Attach(HWND hwnd) {
  std::lock_guard<std::mutex> lock(mutex_);
  hwnd_ = hwnd;
  return close_requested_;
}

void WindowState::Detach() {
  std::lock_guard<std::mutex> lock(mutex_);
  finished_ = true;
  hwnd_ = nullptr;
}

bool WindowState::CloseRequested() {
  std::lock_guard<std::mutex> lock(mutex_);
  return close_requested_;
}

bool WindowState::Alive() {
  std::lock_guard<std::mutex> lock(mutex_);
  return !finished_ && !close_requested_;
}

bool CallListState::Replace(std::vector<ListRow> rows, bool to_front) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_ || close_requested_) return false;
  rows_ = std::move(rows);
  has_rows_ = true;
  to_front_ = to_front_ || to_front;
  return PostLocked(kMsgApplyChanges);
}

bool CallListState::TakeRows(std::vector<ListRow>* rows, bool* to_front) {
  std::lock_guard<std::mutex> lock(mutex_);
  *to_front = to_front_;
  to_front_ = false;
  if (!has_rows_) return false;
  has_rows_ = false;
  *rows = std::move(rows_);
  rows_.clear();
  return true;
}

bool ChooserState::SetResults(uint32_t token, std::vector<Choice> choices) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return false;
  token_ = token;
  choices_ = std::move(choices);
  has_results_ = true;
  return PostLocked(kMsgApplyChanges);
}

bool ChooserState::TakeResults(uint32_t* token, std::vector<Choice>* choices) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!has_results_) return false;
  has_results_ = false;
  *token = token_;
  *choices = std::move(choices_);
  choices_.clear();
  return true;
}

namespace {
std::mutex registry_mutex;
// Plain pointers on purpose (as in tray/win): no static destructor runs after process.exit().
std::shared_ptr<CallListState>* g_call_list = nullptr;
std::map<uint32_t, std::shared_ptr<ChooserState>>* g_choosers = nullptr;

std::map<uint32_t, std::shared_ptr<ChooserState>>& Choosers() {
  if (!g_choosers) g_choosers = new std::map<uint32_t, std::shared_ptr<ChooserState>>();
  return *g_choosers;
}
}  // namespace

std::shared_ptr<CallListState> CurrentCallList() {
  std::lock_guard<std::mutex> lock(registry_mutex);
  return g_call_list ? *g_call_list : nullptr;
}

std::shared_ptr<CallListState> InstallCallList(const std::shared_ptr<CallListState>& state) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  if (g_call_list && *g_call_list && (*g_call_list)->Alive()) return *g_call_list;
  if (!g_call_list) g_call_list = new std::shared_ptr<CallListState>();
  *g_call_list = state;
  return state;
}

void RemoveCallList(const std::shared_ptr<CallListState>& state) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  if (g_call_list && *g_call_list == state) g_call_list->reset();
}

void RegisterChooser(const std::shared_ptr<ChooserState>& state) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  Choosers()[state->id()] = state;
}

void UnregisterChooser(uint32_t id) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  Choosers().erase(id);
}

std::shared_ptr<ChooserState> FindChooser(uint32_t id) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  auto it = Choosers().find(id);
  return it == Choosers().end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<ChooserState>> AllChoosers() {
  std::lock_guard<std::mutex> lock(registry_mutex);
  std::vector<std::shared_ptr<ChooserState>> out;
  for (const auto& entry : Choosers()) out.push_back(entry.second);
  return out;
}

}  // namespace wildix::ui
