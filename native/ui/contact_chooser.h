// „Wildix CTI – Kontakt zuordnen“: a heading, a search Edit with its label, a status line, a list of
// matching contacts, „Zuordnen“ and „Abbrechen“, run on the calling thread. As the user types, the
// text goes to JS (150 ms after the last change, with an increasing token); only the results of the
// latest token are shown. The user asked for it (from the call list), so it takes the focus.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "ui/journal_state.h"

namespace wildix::ui {

// Window class of the contact chooser (fakes/win-user reports it as kind "chooser").
constexpr wchar_t kChooserWindowClass[] = L"WildixCtiChooser";

struct ChooserSpec {
  std::wstring title;
  std::wstring heading;
  std::wstring search_label;
  std::wstring choose_label;
  std::wstring cancel_label;
  std::wstring searching_text;   // status while a search is on its way
  std::wstring no_results_text;  // status when the latest search found nothing
};

struct ChooserHooks {
  std::function<void()> on_shown;
  // The search text after the user stopped typing, with its token (1, 2, …); window thread.
  std::function<void(const std::wstring& text, uint32_t token)> on_search;
};

struct ChooserOutcome {
  bool chosen = false;
  std::string id;  // the chosen contact's id (UTF-8)
};

// Runs the window until it is gone: chosen (double-click, Enter, „Zuordnen“), or not (Esc, X,
// „Abbrechen“, closed by code). false with *error set when it could not be created.
bool RunChooser(const std::shared_ptr<ChooserState>& state, const ChooserSpec& spec, const ChooserHooks& hooks,
                ChooserOutcome* outcome, std::string* error);

}  // namespace wildix::ui
