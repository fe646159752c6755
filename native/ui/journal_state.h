// Shared state of the call list and the contact chooser windows: written by the JS thread (new rows,
// search results, close requests), read by the window's own thread. Every field behind `mutex_`.
// (The note window uses DialogState, dialog_state.h: same id space, same close-wins rule.)
#pragma once

#include <windows.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace wildix::ui {

// One line of „Anrufliste“ as given by JS.
struct ListRow {
  std::string id;  // UTF-8
  std::vector<std::wstring> cells;
  bool can_note = false;
  bool can_send = false;
  bool can_assign = false;
};

// One choice of the contact chooser.
struct Choice {
  std::string id;  // UTF-8
  std::wstring label;
};

// The window-side half every journal window state shares: the window handle while it is open, the
// close request, and posting to the window.
class WindowState {
 public:
  WindowState() = default;
  WindowState(const WindowState&) = delete;
  WindowState& operator=(const WindowState&) = delete;

  // JS thread: from now on the window ends as "closed by code". false when it is not open (any more).
  bool RequestClose();
  // Window thread: publishes the window; true when close() was requested before it existed.
  bool Attach(HWND hwnd);
  // Window thread: the window is going; no more requests are accepted.
  void Detach();
  bool CloseRequested();
  // Neither closed nor asked to close.
  bool Alive();

 protected:
  // With mutex_ held: posts `message` to the window when it exists (true also before it exists:
  // the window thread applies what is pending once it has attached).
  bool PostLocked(UINT message);

  std::mutex mutex_;
  HWND hwnd_ = nullptr;
  bool finished_ = false;
  bool close_requested_ = false;
};

// „Anrufliste“: at most one per process.
class CallListState : public WindowState {
 public:
  // `id`: from NextDialogId(), stored in the window like a dialog's (fakes/win-user addresses it so).
  explicit CallListState(uint32_t id) : id_(id) {}
  uint32_t id() const { return id_; }
  // JS thread: new rows for the open window (and, with `to_front`, bring it to the front).
  // false when the window is closing or closed.
  bool Replace(std::vector<ListRow> rows, bool to_front);
  // Window thread: what was asked since the last call.
  bool TakeRows(std::vector<ListRow>* rows, bool* to_front);

 private:
  const uint32_t id_;
  bool has_rows_ = false;
  bool to_front_ = false;
  std::vector<ListRow> rows_;
};

// „Kontakt zuordnen…“: one per chooser window, addressed by id.
class ChooserState : public WindowState {
 public:
  explicit ChooserState(uint32_t id) : id_(id) {}
  uint32_t id() const { return id_; }
  // JS thread: the results of search `token`. false when the window is not open.
  bool SetResults(uint32_t token, std::vector<Choice> choices);
  // Window thread: the latest results handed over (token 0: none).
  bool TakeResults(uint32_t* token, std::vector<Choice>* choices);

 private:
  const uint32_t id_;
  bool has_results_ = false;
  uint32_t token_ = 0;
  std::vector<Choice> choices_;
};

// The one call list (nullptr when none runs) and the open choosers, by id.
std::shared_ptr<CallListState> CurrentCallList();
// Makes `state` the current call list unless one is open; returns the open one otherwise.
std::shared_ptr<CallListState> InstallCallList(const std::shared_ptr<CallListState>& state);
void RemoveCallList(const std::shared_ptr<CallListState>& state);

void RegisterChooser(const std::shared_ptr<ChooserState>& state);
void UnregisterChooser(uint32_t id);
std::shared_ptr<ChooserState> FindChooser(uint32_t id);
std::vector<std::shared_ptr<ChooserState>> AllChoosers();

}  // namespace wildix::ui
