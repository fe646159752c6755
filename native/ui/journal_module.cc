// N-API surface of the journal's windows (typed in src/native/journalWindows.ts as NativeJournalUi,
// described in native/ui/README.md). Each window runs on its own thread; events reach JS through a
// ThreadSafeFunction per window, so nothing here blocks the JS thread:
//   showNote(spec, onEvent) → id            shown | failed{message} | closed{reason, text}
//   closeNote(id) → bool
//   showCallList(spec, onEvent) → bool      shown | failed{message} | action{action, rowId} | closed
//   updateCallList(rows) → bool
//   closeCallList() → bool                  (also closes open contact choosers)
//   showChooser(spec, onEvent) → id         shown | failed{message} | search{text, token} | closed{chosen}
//   setChooserResults(id, token, choices) → bool
#include "ui/journal_module.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/wide_string.h"
#include "ui/call_list_window.h"
#include "ui/contact_chooser.h"
#include "ui/dialog_state.h"
#include "ui/js_events.h"
#include "ui/journal_state.h"
#include "ui/note_window.h"
#include "win/thread.h"

namespace wildix::ui {
namespace {

// ------------------------------------------------------------------------------------ argument parsing

Napi::Object RequireObject(const Napi::Value& value, const std::string& what) {
  if (!value.IsObject() || value.IsArray()) throw Napi::TypeError::New(value.Env(), what + " must be an object");
  return value.As<Napi::Object>();
}

std::wstring RequireText(const Napi::Object& obj, const char* key, const char* what) {
  Napi::Value v = obj.Get(key);
  if (!v.IsString()) throw Napi::TypeError::New(obj.Env(), std::string(what) + ": '" + key + "' must be a string");
  return ToWide(v);
}

std::string RequireUtf8(const Napi::Object& obj, const char* key, const char* what) {
  Napi::Value v = obj.Get(key);
  if (!v.IsString()) throw Napi::TypeError::New(obj.Env(), std::string(what) + ": '" + key + "' must be a string");
  return v.As<Napi::String>().Utf8Value();
}

bool RequireBool(const Napi::Object& obj, const char* key, const char* what) {
  Napi::Value v = obj.Get(key);
  if (!v.IsBoolean()) throw Napi::TypeError::New(obj.Env(), std::string(what) + ": '" + key + "' must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

unsigned RequireCount(const Napi::Object& obj, const char* key, const char* what, double min, double max) {
  Napi::Value v = obj.Get(key);
  if (!v.IsNumber()) throw Napi::TypeError::New(obj.Env(), std::string(what) + ": '" + key + "' must be a number");
  const double n = v.As<Napi::Number>().DoubleValue();
  if (!(n >= min && n <= max) || n != static_cast<double>(static_cast<unsigned>(n))) {
    throw Napi::RangeError::New(obj.Env(), std::string(what) + ": '" + key + "' out of range");
  }
  return static_cast<unsigned>(n);
}

Napi::Array RequireArray(const Napi::Value& value, const std::string& what) {
  if (!value.IsArray()) throw Napi::TypeError::New(value.Env(), what + " must be an array");
  return value.As<Napi::Array>();
}

std::vector<ListRow> ParseRows(const Napi::Value& value) {
  Napi::Array list = RequireArray(value, "call list: 'rows'");
  std::vector<ListRow> rows;
  rows.reserve(list.Length());
  for (uint32_t i = 0; i < list.Length(); ++i) {
    Napi::Object r = RequireObject(list.Get(i), "call list: every row");
    ListRow row;
    row.id = RequireUtf8(r, "id", "call list row");
    Napi::Array cells = RequireArray(r.Get("cells"), "call list row: 'cells'");
    for (uint32_t c = 0; c < cells.Length(); ++c) {
      Napi::Value cell = cells.Get(c);
      if (!cell.IsString()) throw Napi::TypeError::New(value.Env(), "call list row: every cell must be a string");
      row.cells.push_back(ToWide(cell));
    }
    row.can_note = RequireBool(r, "canNote", "call list row");
    row.can_send = RequireBool(r, "canSend", "call list row");
    row.can_assign = RequireBool(r, "canAssign", "call list row");
    rows.push_back(std::move(row));
  }
  return rows;
}

NoteSpec ParseNoteSpec(const Napi::Value& value) {
  Napi::Object o = RequireObject(value, "note spec");
  NoteSpec spec;
  spec.title = RequireText(o, "title", "note spec");
  spec.heading = RequireText(o, "heading", "note spec");
  spec.text = RequireText(o, "text", "note spec");
  spec.save_label = RequireText(o, "saveLabel", "note spec");
  spec.discard_label = RequireText(o, "discardLabel", "note spec");
  spec.max_length = RequireCount(o, "maxLength", "note spec", 1, 1000000);
  spec.timeout_ms = RequireCount(o, "timeoutMs", "note spec", 0, 0x7fffffff);
  return spec;
}

CallListSpec ParseCallListSpec(const Napi::Value& value) {
  Napi::Object o = RequireObject(value, "call list spec");
  CallListSpec spec;
  spec.title = RequireText(o, "title", "call list spec");
  Napi::Array columns = RequireArray(o.Get("columns"), "call list spec: 'columns'");
  for (uint32_t i = 0; i < columns.Length(); ++i) {
    Napi::Value c = columns.Get(i);
    if (!c.IsString()) throw Napi::TypeError::New(value.Env(), "call list spec: every column must be a string");
    spec.columns.push_back(ToWide(c));
  }
  spec.rows = ParseRows(o.Get("rows"));
  spec.note_label = RequireText(o, "noteLabel", "call list spec");
  spec.send_label = RequireText(o, "sendLabel", "call list spec");
  spec.assign_label = RequireText(o, "assignLabel", "call list spec");
  spec.close_label = RequireText(o, "closeLabel", "call list spec");
  return spec;
}

ChooserSpec ParseChooserSpec(const Napi::Value& value) {
  Napi::Object o = RequireObject(value, "chooser spec");
  ChooserSpec spec;
  spec.title = RequireText(o, "title", "chooser spec");
  spec.heading = RequireText(o, "heading", "chooser spec");
  spec.search_label = RequireText(o, "searchLabel", "chooser spec");
  spec.choose_label = RequireText(o, "chooseLabel", "chooser spec");
  spec.cancel_label = RequireText(o, "cancelLabel", "chooser spec");
  spec.searching_text = RequireText(o, "searchingText", "chooser spec");
  spec.no_results_text = RequireText(o, "noResultsText", "chooser spec");
  return spec;
}

std::vector<Choice> ParseChoices(const Napi::Value& value) {
  Napi::Array list = RequireArray(value, "setChooserResults: choices");
  std::vector<Choice> choices;
  choices.reserve(list.Length());
  for (uint32_t i = 0; i < list.Length(); ++i) {
    Napi::Object c = RequireObject(list.Get(i), "setChooserResults: every choice");
    choices.push_back(Choice{RequireUtf8(c, "id", "choice"), RequireText(c, "label", "choice")});
  }
  return choices;
}

uint32_t RequireId(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (info.Length() <= index || !info[index].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a number");
  const double id = info[index].As<Napi::Number>().DoubleValue();
  if (!(id >= 0 && id <= 0xffffffffu)) return 0;
  return static_cast<uint32_t>(id);
}

Napi::Function RequireCallback(const Napi::CallbackInfo& info, size_t index, const char* fn) {
  if (info.Length() <= index || !info[index].IsFunction()) throw Napi::TypeError::New(info.Env(), std::string(fn) + ": onEvent must be a function");
  return info[index].As<Napi::Function>();
}

// Starts `body` on a new winx::Thread; on failure releases the ThreadSafeFunction and throws a JS error.
template <typename Body>
void StartWindowThread(Napi::Env env, Napi::ThreadSafeFunction& tsfn, Body&& body, const char* name) {
  winx::Thread thread;  // runs on by itself; the handle is closed when `thread` goes
  DWORD error = 0;
  bool started = false;
  try {
    started = thread.Start(std::forward<Body>(body), name, &error);
  } catch (...) {
    error = ERROR_NOT_ENOUGH_MEMORY;
  }
  if (!started) {
    tsfn.Release();
    throw Napi::Error::New(env, std::string("cannot start the ") + name + " (error " + std::to_string(error) + ")");
  }
}

// Ends a window thread's events: closed (made by `closed`) when the window was shown, else failed.
template <typename Closed>
void EmitEnd(Napi::ThreadSafeFunction& tsfn, bool ok, const std::string& error, const char* failure, Closed&& closed) noexcept {
  if (ok) {
    EmitWith(tsfn, closed);
  } else {
    EmitWith(tsfn, [&] { return JsEvent("failed").Utf8("message", error.empty() ? failure : error); });
  }
}

// ---------------------------------------------------------------------------------------- note window

void NoteThread(const std::shared_ptr<DialogState>& state, const NoteSpec& spec, Napi::ThreadSafeFunction& tsfn) noexcept {
  bool shown = false;
  bool ok = false;
  NoteOutcome outcome;
  std::string error;
  char failure[256] = "the note window could not be shown";
  try {
    ok = RunNoteWindow(
        state, spec,
        [&] {
          Emit(tsfn, JsEvent("shown"));
          shown = true;
        },
        &outcome, &error);
  } catch (...) {
    winx::ReportUncaught("note window thread", winx::CurrentExceptionWhat());
    lstrcpynA(failure, winx::CurrentExceptionWhat(), sizeof failure);
    ok = shown;
    outcome.reason = NoteEnd::kDiscard;
    outcome.text.clear();
  }
  UnregisterDialog(state->id());
  EmitEnd(tsfn, ok, error, failure, [&] {
    return JsEvent("closed").Utf8("reason", NoteEndName(outcome.reason)).Text("text", outcome.reason == NoteEnd::kSave ? outcome.text : L"");
  });
  tsfn.Release();
}

Napi::Value ShowNote(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NoteSpec spec = ParseNoteSpec(info[0]);
  Napi::Function on_event = RequireCallback(info, 1, "showNote");
  auto state = std::make_shared<DialogState>(NextDialogId());
  RegisterDialog(state);
  auto tsfn = Napi::ThreadSafeFunction::New(env, on_event, "wildix-note", 0, 1);
  try {
    StartWindowThread(env, tsfn, [state, spec = std::move(spec), tsfn]() mutable { NoteThread(state, spec, tsfn); },
                      "note window thread");
  } catch (...) {
    UnregisterDialog(state->id());
    throw;
  }
  return Napi::Number::New(env, state->id());
}

Napi::Value CloseNote(const Napi::CallbackInfo& info) {
  auto state = FindDialog(RequireId(info, 0, "note id"));
  return Napi::Boolean::New(info.Env(), state && state->RequestClose());
}

// ------------------------------------------------------------------------------------------ call list

void CallListThread(const std::shared_ptr<CallListState>& state, const CallListSpec& spec, Napi::ThreadSafeFunction& tsfn) noexcept {
  bool shown = false;
  bool ok = false;
  std::string error;
  char failure[256] = "the call list could not be shown";
  CallListHooks hooks;
  hooks.on_shown = [&] {
    Emit(tsfn, JsEvent("shown"));
    shown = true;
  };
  hooks.on_action = [&](ListAction action, const std::string& row_id) {
    Emit(tsfn, JsEvent("action").Utf8("action", ListActionName(action)).Utf8("rowId", row_id));
  };
  try {
    ok = RunCallList(state, spec, hooks, &error);
  } catch (...) {
    winx::ReportUncaught("call list thread", winx::CurrentExceptionWhat());
    lstrcpynA(failure, winx::CurrentExceptionWhat(), sizeof failure);
    ok = shown;
  }
  state->Detach();
  RemoveCallList(state);
  EmitEnd(tsfn, ok, error, failure, [] { return JsEvent("closed"); });
  tsfn.Release();
}

Napi::Value ShowCallList(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CallListSpec spec = ParseCallListSpec(info[0]);
  Napi::Function on_event = RequireCallback(info, 1, "showCallList");
  // Open already: the same window shows the new rows and comes to the front.
  if (auto open = CurrentCallList(); open && open->Replace(spec.rows, true)) return Napi::Boolean::New(env, false);
  auto state = std::make_shared<CallListState>(NextDialogId());
  auto installed = InstallCallList(state);
  if (installed != state) {
    installed->Replace(std::move(spec.rows), true);
    return Napi::Boolean::New(env, false);
  }
  auto tsfn = Napi::ThreadSafeFunction::New(env, on_event, "wildix-call-list", 0, 1);
  try {
    StartWindowThread(env, tsfn, [state, spec = std::move(spec), tsfn]() mutable { CallListThread(state, spec, tsfn); },
                      "call list thread");
  } catch (...) {
    state->Detach();
    RemoveCallList(state);
    throw;
  }
  return Napi::Boolean::New(env, true);
}

Napi::Value UpdateCallList(const Napi::CallbackInfo& info) {
  if (info.Length() < 1) throw Napi::TypeError::New(info.Env(), "updateCallList(rows)");
  std::vector<ListRow> rows = ParseRows(info[0]);
  auto open = CurrentCallList();
  return Napi::Boolean::New(info.Env(), open && open->Replace(std::move(rows), false));
}

Napi::Value CloseCallList(const Napi::CallbackInfo& info) {
  for (const auto& chooser : AllChoosers()) chooser->RequestClose();  // they belong to the list
  auto open = CurrentCallList();
  return Napi::Boolean::New(info.Env(), open && open->RequestClose());
}

// ---------------------------------------------------------------------------------- contact chooser

void ChooserThread(const std::shared_ptr<ChooserState>& state, const ChooserSpec& spec, Napi::ThreadSafeFunction& tsfn) noexcept {
  bool shown = false;
  bool ok = false;
  std::string error;
  char failure[256] = "the contact chooser could not be shown";
  ChooserOutcome outcome;
  ChooserHooks hooks;
  hooks.on_shown = [&] {
    Emit(tsfn, JsEvent("shown"));
    shown = true;
  };
  hooks.on_search = [&](const std::wstring& text, uint32_t token) {
    Emit(tsfn, JsEvent("search").Text("text", text).Number("token", token));
  };
  try {
    ok = RunChooser(state, spec, hooks, &outcome, &error);
  } catch (...) {
    winx::ReportUncaught("contact chooser thread", winx::CurrentExceptionWhat());
    lstrcpynA(failure, winx::CurrentExceptionWhat(), sizeof failure);
    ok = shown;
    outcome = ChooserOutcome();
  }
  state->Detach();
  UnregisterChooser(state->id());
  EmitEnd(tsfn, ok, error, failure, [&] {
    JsEvent closed("closed");
    if (outcome.chosen) closed.Utf8("chosen", outcome.id);
    else closed.Null("chosen");
    return closed;
  });
  tsfn.Release();
}

Napi::Value ShowChooser(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ChooserSpec spec = ParseChooserSpec(info[0]);
  Napi::Function on_event = RequireCallback(info, 1, "showChooser");
  auto state = std::make_shared<ChooserState>(NextDialogId());
  RegisterChooser(state);
  auto tsfn = Napi::ThreadSafeFunction::New(env, on_event, "wildix-chooser", 0, 1);
  try {
    StartWindowThread(env, tsfn, [state, spec = std::move(spec), tsfn]() mutable { ChooserThread(state, spec, tsfn); },
                      "contact chooser thread");
  } catch (...) {
    UnregisterChooser(state->id());
    throw;
  }
  return Napi::Number::New(env, state->id());
}

Napi::Value SetChooserResults(const Napi::CallbackInfo& info) {
  const uint32_t id = RequireId(info, 0, "chooser id");
  const uint32_t token = RequireId(info, 1, "search token");
  if (info.Length() < 3) throw Napi::TypeError::New(info.Env(), "setChooserResults(id, token, choices)");
  std::vector<Choice> choices = ParseChoices(info[2]);
  auto state = FindChooser(id);
  return Napi::Boolean::New(info.Env(), state && state->SetResults(token, std::move(choices)));
}

}  // namespace

void AddJournalWindows(Napi::Env env, Napi::Object ui) {
  ui.Set("showNote", Napi::Function::New(env, ShowNote, "showNote"));
  ui.Set("closeNote", Napi::Function::New(env, CloseNote, "closeNote"));
  ui.Set("showCallList", Napi::Function::New(env, ShowCallList, "showCallList"));
  ui.Set("updateCallList", Napi::Function::New(env, UpdateCallList, "updateCallList"));
  ui.Set("closeCallList", Napi::Function::New(env, CloseCallList, "closeCallList"));
  ui.Set("showChooser", Napi::Function::New(env, ShowChooser, "showChooser"));
  ui.Set("setChooserResults", Napi::Function::New(env, SetChooserResults, "setChooserResults"));
}

}  // namespace wildix::ui
