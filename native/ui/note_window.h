// „Wildix CTI – Notiz“: the note about a call that ended (heading, text, a multi-line Edit, „Speichern“,
// „Verwerfen“), run on the calling thread. Shown without taking the keyboard focus; a click into it
// activates it so the user can type.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "ui/dialog_state.h"

namespace wildix::ui {

// Window class of the note window (fakes/win-user reports it as kind "note").
constexpr wchar_t kNoteWindowClass[] = L"WildixCtiNote";

struct NoteSpec {
  std::wstring title;
  std::wstring heading;
  std::wstring text;
  std::wstring save_label;
  std::wstring discard_label;
  unsigned max_length = 2000;  // UTF-16 units the Edit takes (EM_LIMITTEXT)
  unsigned timeout_ms = 0;     // 0 = none
};

enum class NoteEnd { kSave, kDiscard, kClosed, kTimeout };
const char* NoteEndName(NoteEnd end);

struct NoteOutcome {
  NoteEnd reason = NoteEnd::kClosed;
  std::wstring text;  // as the Edit has it (CR LF line ends), for kSave
};

// Creates the window (the thread becomes per-monitor DPI aware while it runs), calls on_shown once it
// is visible, and runs the message loop until the window is gone. false with *error set when the
// window could not be created. The state (dialog_state.h) carries the id and the close request:
// once closeNote() was called the outcome is kClosed, even when a click was handled first.
bool RunNoteWindow(const std::shared_ptr<DialogState>& state, const NoteSpec& spec, const std::function<void()>& on_shown,
                   NoteOutcome* outcome, std::string* error);

}  // namespace wildix::ui
