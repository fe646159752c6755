// „Wildix CTI – Anrufliste“: a report-style ListView of the last calls (full-row select) with
// „Notiz an DATEV senden“, „An DATEV senden“, „Kontakt zuordnen…“ (enabled per selected row) and
// „Schließen“, run on the calling thread. Opened by the user from the tray, so it takes the focus.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ui/journal_state.h"

namespace wildix::ui {

// Window class of the call list (fakes/win-user reports it as kind "calllist").
constexpr wchar_t kCallListWindowClass[] = L"WildixCtiCallList";

struct CallListSpec {
  std::wstring title;
  std::vector<std::wstring> columns;
  std::vector<ListRow> rows;
  std::wstring note_label;
  std::wstring send_label;
  std::wstring assign_label;
  std::wstring close_label;
};

enum class ListAction { kNote, kSend, kAssign };
const char* ListActionName(ListAction action);

struct CallListHooks {
  std::function<void()> on_shown;
  // The user's action on the selected row (only for an enabled action), called on the window thread.
  std::function<void(ListAction, const std::string& row_id)> on_action;
};

// Creates the window (per-monitor DPI aware), calls on_shown once it is visible and runs the message
// loop until the window is gone (closed by the user or by code). false with *error set when the
// window could not be created. New rows and "to the front" come through the state.
bool RunCallList(const std::shared_ptr<CallListState>& state, const CallListSpec& spec, const CallListHooks& hooks,
                 std::string* error);

}  // namespace wildix::ui
