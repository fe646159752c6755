// N-API surface of native/ui (typed in src/native/addon.ts as NativeUi). Every dialog runs its window
// loop on a thread of its own while it is open — a long-lived one of a small set, reused by the next
// dialog (win/window_threads.h) — and every message box on a new thread; results reach JS through a
// ThreadSafeFunction, so nothing here blocks the JS thread.
#include <exception>
#include <memory>
#include <string>

#include "common/modules.h"
#include "common/wide_string.h"
#include "ui/dialog_state.h"
#include "ui/dialog_window.h"
#include "ui/journal_module.h"
#include "ui/message_box.h"
#include "win/thread.h"
#include "win/window_threads.h"

namespace wildix::ui {
namespace {

struct DialogEvent {
  std::string type;  // shown | failed | closed
  std::string reason;
  std::string choice;
  std::string message;
};

void Emit(Napi::ThreadSafeFunction& tsfn, DialogEvent event) {
  tsfn.BlockingCall([event = std::move(event)](Napi::Env env, Napi::Function callback) {
    Napi::Object obj = Napi::Object::New(env);
    obj.Set("type", event.type);
    if (event.type == "failed") obj.Set("message", event.message);
    if (event.type == "closed") {
      obj.Set("reason", event.reason);
      obj.Set("choice", event.choice);
    }
    callback.Call({obj});
  });
}

// Emit from a dialog thread: an exception (no memory for the event) is reported and, once, retried.
bool EmitFromThread(Napi::ThreadSafeFunction& tsfn, const char* type, const char* reason, const std::string& choice,
                    const char* message) noexcept {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (winx::NoThrow("dialog event", [&] { Emit(tsfn, DialogEvent{type, reason, choice, message}); })) return true;
    Sleep(50);
  }
  return false;
}

// The body of a dialog thread. Nothing thrown in it leaves it: before "shown" a failure is reported
// as "failed", after it the dialog ends as "dismissed" (the window is gone by then).
void DialogThread(const std::shared_ptr<DialogState>& state, const DialogSpec& spec, Napi::ThreadSafeFunction& tsfn) noexcept {
  bool shown = false;
  bool ok = false;
  DialogOutcome outcome;
  std::string error;
  char failure[256] = "the dialog could not be shown";
  try {
    ok = RunDialog(
        state, spec,
        [&tsfn, &shown] {
          Emit(tsfn, DialogEvent{"shown", "", "", ""});
          shown = true;
        },
        &outcome, &error);
  } catch (...) {
    winx::ReportUncaught("dialog thread", winx::CurrentExceptionWhat());
    lstrcpynA(failure, winx::CurrentExceptionWhat(), sizeof failure);
    ok = shown;
    outcome.reason = CloseReason::kDismissed;
    outcome.choice.clear();
  }
  UnregisterDialog(state->id());
  if (ok) {
    EmitFromThread(tsfn, "closed", CloseReasonName(outcome.reason), outcome.choice, "");
  } else {
    EmitFromThread(tsfn, "failed", "", std::string(), error.empty() ? failure : error.c_str());
  }
  tsfn.Release();
}

std::wstring RequireString(const Napi::Object& obj, const char* key) {
  Napi::Value v = obj.Get(key);
  if (!v.IsString()) throw Napi::TypeError::New(obj.Env(), std::string("dialog spec: '") + key + "' must be a string");
  return ToWide(v);
}

DialogSpec ParseSpec(const Napi::Value& value) {
  Napi::Env env = value.Env();
  if (!value.IsObject()) throw Napi::TypeError::New(env, "dialog spec must be an object");
  Napi::Object obj = value.As<Napi::Object>();
  DialogSpec spec;
  spec.title = RequireString(obj, "title");
  spec.heading = RequireString(obj, "heading");
  spec.text = RequireString(obj, "text");
  Napi::Value take_focus = obj.Get("takeFocus");
  if (!take_focus.IsUndefined() && !take_focus.IsBoolean()) {
    throw Napi::TypeError::New(env, "dialog spec: 'takeFocus' must be a boolean");
  }
  spec.take_focus = take_focus.IsBoolean() && take_focus.As<Napi::Boolean>().Value();
  Napi::Value timeout = obj.Get("timeoutMs");
  if (timeout.IsNumber()) {
    double ms = timeout.As<Napi::Number>().DoubleValue();
    if (!(ms >= 0 && ms <= 0x7fffffff)) throw Napi::RangeError::New(env, "dialog spec: timeoutMs out of range");
    spec.timeout_ms = static_cast<unsigned>(ms);
  }
  Napi::Value buttons = obj.Get("buttons");
  if (!buttons.IsArray()) throw Napi::TypeError::New(env, "dialog spec: 'buttons' must be an array");
  Napi::Array list = buttons.As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); ++i) {
    Napi::Value b = list.Get(i);
    if (!b.IsObject()) throw Napi::TypeError::New(env, "dialog spec: every button must be an object");
    Napi::Object bo = b.As<Napi::Object>();
    ButtonSpec button;
    Napi::Value id = bo.Get("id");
    if (!id.IsString()) throw Napi::TypeError::New(env, "dialog spec: button 'id' must be a string");
    button.id = id.As<Napi::String>().Utf8Value();
    button.label = RequireString(bo, "label");
    button.enabled = bo.Get("enabled").ToBoolean().Value();
    spec.buttons.push_back(std::move(button));
  }
  return spec;
}

// The threads of the call windows: one is kept for the next call, more are made while several dialogs
// are open at once and end after a minute without one. (Never destroyed: a thread may outlive the
// module's teardown at process exit.)
winx::WindowThreads& DialogThreads() {
  static winx::WindowThreads* threads = new winx::WindowThreads("dialog thread", 1, 60000);
  return *threads;
}

uint32_t RequireId(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "dialog id must be a number");
  double id = info[0].As<Napi::Number>().DoubleValue();
  if (!(id >= 0 && id <= 0xffffffffu)) return 0;
  return static_cast<uint32_t>(id);
}

// showDialog(spec, onEvent) → id
Napi::Value ShowDialog(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DialogSpec spec = ParseSpec(info[0]);
  if (!info[1].IsFunction()) throw Napi::TypeError::New(env, "showDialog: onEvent must be a function");
  auto state = std::make_shared<DialogState>(NextDialogId());
  RegisterDialog(state);
  auto tsfn = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "wildix-dialog", 0, 1);
  DWORD error = 0;
  bool started = false;
  try {
    started = DialogThreads().Run([state, spec = std::move(spec), tsfn]() mutable { DialogThread(state, spec, tsfn); },
                                  &error);
  } catch (...) {
    error = ERROR_NOT_ENOUGH_MEMORY;
  }
  if (!started) {  // no thread (resources exhausted)
    UnregisterDialog(state->id());
    tsfn.Release();
    throw Napi::Error::New(env, "cannot start dialog thread (error " + std::to_string(error) + ")");
  }
  return Napi::Number::New(env, state->id());
}

Napi::Value UpdateDialog(const Napi::CallbackInfo& info) {
  uint32_t id = RequireId(info);
  if (!info[1].IsString() || !info[2].IsString()) throw Napi::TypeError::New(info.Env(), "updateDialog: heading and text must be strings");
  auto state = FindDialog(id);
  bool ok = state && state->RequestUpdate(ToWide(info[1]), ToWide(info[2]));
  return Napi::Boolean::New(info.Env(), ok);
}

Napi::Value SetButtonEnabled(const Napi::CallbackInfo& info) {
  uint32_t id = RequireId(info);
  if (!info[1].IsString()) throw Napi::TypeError::New(info.Env(), "setButtonEnabled: button id must be a string");
  auto state = FindDialog(id);
  bool ok = state && state->RequestButtonEnabled(info[1].As<Napi::String>().Utf8Value(), info[2].ToBoolean().Value());
  return Napi::Boolean::New(info.Env(), ok);
}

Napi::Value CloseDialog(const Napi::CallbackInfo& info) {
  auto state = FindDialog(RequireId(info));
  return Napi::Boolean::New(info.Env(), state && state->RequestClose());
}

// messageBox(title, text, kind, timeoutMs, done) → id
Napi::Value ShowMessageBox(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString() || !info[1].IsString() || !info[2].IsString() || !info[4].IsFunction()) {
    throw Napi::TypeError::New(env, "messageBox(title, text, kind, timeoutMs, done)");
  }
  std::wstring title = ToWide(info[0]);
  std::wstring text = ToWide(info[1]);
  std::string kind = info[2].As<Napi::String>().Utf8Value();
  if (kind != "info" && kind != "error") throw Napi::TypeError::New(env, "messageBox: kind must be 'info' or 'error'");
  unsigned timeout_ms = 0;
  if (info[3].IsNumber()) {
    double ms = info[3].As<Napi::Number>().DoubleValue();
    if (!(ms >= 0 && ms <= 0x7fffffff)) throw Napi::RangeError::New(env, "messageBox: timeoutMs out of range");
    timeout_ms = static_cast<unsigned>(ms);
  }
  const uint32_t id = NextDialogId();
  auto tsfn = Napi::ThreadSafeFunction::New(env, info[4].As<Napi::Function>(), "wildix-messagebox", 0, 1);
  winx::Thread thread;
  DWORD start_error = 0;
  bool started = false;
  try {
    started = thread.Start(
        [id, title = std::move(title), text = std::move(text), error = kind == "error", timeout_ms, tsfn]() mutable {
          int result = -1;  // failed
          winx::NoThrow("message box thread", [&] { result = RunMessageBox(id, title, text, error, timeout_ms); });
          for (int attempt = 0; attempt < 2; ++attempt) {
            if (winx::NoThrow("message box result", [&] {
                  tsfn.BlockingCall([result](Napi::Env env, Napi::Function done) { done.Call({Napi::Number::New(env, result)}); });
                })) {
              break;
            }
            Sleep(50);
          }
          tsfn.Release();
        },
        "message box thread", &start_error);
  } catch (...) {
    start_error = ERROR_NOT_ENOUGH_MEMORY;
  }
  if (!started) {
    tsfn.Release();
    throw Napi::Error::New(env, "cannot start message box thread (error " + std::to_string(start_error) + ")");
  }
  return Napi::Number::New(env, id);
}

}  // namespace
}  // namespace wildix::ui

Napi::Object InitUi(Napi::Env env) {
  using namespace wildix::ui;
  Napi::Object ui = Napi::Object::New(env);
  ui.Set("showDialog", Napi::Function::New(env, ShowDialog, "showDialog"));
  ui.Set("updateDialog", Napi::Function::New(env, UpdateDialog, "updateDialog"));
  ui.Set("setButtonEnabled", Napi::Function::New(env, SetButtonEnabled, "setButtonEnabled"));
  ui.Set("closeDialog", Napi::Function::New(env, CloseDialog, "closeDialog"));
  ui.Set("messageBox", Napi::Function::New(env, ShowMessageBox, "messageBox"));
  AddJournalWindows(env, ui);  // showNote, showCallList, showChooser, … (journal_module.cc)
  return ui;
}
