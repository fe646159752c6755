// N-API surface of native/tray (typed in src/native/addon.ts as NativeTray, wrapped by
// src/native/tray.ts): one notification-area icon per process, see tray_window.h.
//   create(tooltip, problem, onEvent: (event: "status" | "calls" | "support" | "quit" | "shown" | "no-shell") => void)
//     → "started" (the window runs; "shown" / "no-shell" follow once, when the shell took the icon or not)
//   setStatus(tooltip, problem) → boolean (false when no tray runs)
//   close() → boolean (false when no tray ran)
// Bad arguments throw TypeError/RangeError; a second create or a failed window throws an Error with
// code "tray-running" / "win32" (win32Error).
#include <memory>
#include <string>
#include <utility>

#include "common/modules.h"
#include "common/wide_string.h"
#include "tray/tray_window.h"

namespace wildix::tray_module {
namespace {

// The JS callback of create(); released by close() or when the environment is torn down. A plain
// pointer so that no static destructor touches it after process.exit().
Napi::ThreadSafeFunction* g_tsfn = nullptr;
bool g_cleanup_hook = false;

std::wstring RequireTooltip(const Napi::CallbackInfo& info, size_t index) {
  Napi::Env env = info.Env();
  if (info.Length() <= index || !info[index].IsString()) throw Napi::TypeError::New(env, "tooltip must be a string");
  std::wstring s = ToWide(info[index]);
  if (s.empty()) throw Napi::TypeError::New(env, "tooltip must not be empty");
  if (s.size() > tray::kMaxTooltip) throw Napi::RangeError::New(env, "tooltip is longer than 127 characters");
  if (s.find(L'\0') != std::wstring::npos) throw Napi::TypeError::New(env, "tooltip must not contain NUL");
  return s;
}

bool RequireBool(const Napi::CallbackInfo& info, size_t index) {
  if (info.Length() <= index || !info[index].IsBoolean()) throw Napi::TypeError::New(info.Env(), "problem must be a boolean");
  return info[index].As<Napi::Boolean>().Value();
}

void StopAndRelease() {
  tray::StopTray();  // joins the tray thread: no call can come after this
  if (g_tsfn) {
    g_tsfn->Release();
    delete std::exchange(g_tsfn, nullptr);
  }
}

Napi::Value Create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::wstring tooltip = RequireTooltip(info, 0);
  const bool problem = RequireBool(info, 1);
  if (info.Length() < 3 || !info[2].IsFunction()) throw Napi::TypeError::New(env, "onCommand must be a function");
  if (g_tsfn) {
    Napi::Error e = Napi::Error::New(env, "a tray icon exists already in this process");
    e.Set("code", Napi::String::New(env, "tray-running"));
    throw e;
  }
  auto tsfn = std::make_unique<Napi::ThreadSafeFunction>(
      Napi::ThreadSafeFunction::New(env, info[2].As<Napi::Function>(), "wildix-tray", 0, 1));
  tsfn->Unref(env);  // the icon alone does not keep the program running
  Napi::ThreadSafeFunction* call = tsfn.get();
  unsigned long error = 0;
  const tray::TrayStart r = tray::StartTray(
      [call](tray::TrayCommand c) {
        const char* name = c == tray::TrayCommand::kQuit      ? "quit"
                           : c == tray::TrayCommand::kCalls   ? "calls"
                           : c == tray::TrayCommand::kSupport ? "support"
                                                              : "status";
        call->NonBlockingCall([name](Napi::Env e, Napi::Function cb) { cb.Call({Napi::String::New(e, name)}); });
      },
      [call](bool shown) {
        call->NonBlockingCall([shown](Napi::Env e, Napi::Function cb) { cb.Call({Napi::String::New(e, shown ? "shown" : "no-shell")}); });
      },
      tooltip, problem, &error);
  if (r == tray::TrayStart::kFailed || r == tray::TrayStart::kRunning) {
    tsfn->Release();
    Napi::Error e = Napi::Error::New(env, r == tray::TrayStart::kRunning
                                              ? std::string("a tray icon exists already in this process")
                                              : "creating the tray window failed: Win32 error " + std::to_string(error));
    e.Set("code", Napi::String::New(env, r == tray::TrayStart::kRunning ? "tray-running" : "win32"));
    if (r == tray::TrayStart::kFailed) e.Set("win32Error", Napi::Number::New(env, static_cast<double>(error)));
    throw e;
  }
  g_tsfn = tsfn.release();
  if (!g_cleanup_hook) {
    g_cleanup_hook = true;
    env.AddCleanupHook([] { StopAndRelease(); });
  }
  return Napi::String::New(env, "started");
}

Napi::Value SetStatus(const Napi::CallbackInfo& info) {
  const std::wstring tooltip = RequireTooltip(info, 0);
  const bool problem = RequireBool(info, 1);
  return Napi::Boolean::New(info.Env(), tray::SetTrayStatus(tooltip, problem));
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  const bool ran = g_tsfn != nullptr;
  StopAndRelease();
  return Napi::Boolean::New(info.Env(), ran);
}

}  // namespace
}  // namespace wildix::tray_module

Napi::Object InitTray(Napi::Env env) {
  using namespace wildix::tray_module;
  Napi::Object tray = Napi::Object::New(env);
  tray.Set("create", Napi::Function::New(env, Create, "create"));
  tray.Set("setStatus", Napi::Function::New(env, SetStatus, "setStatus"));
  tray.Set("close", Napi::Function::New(env, Close, "close"));
  tray.Set("commandStatus", Napi::Number::New(env, tray::kCommandStatus));
  tray.Set("commandCalls", Napi::Number::New(env, tray::kCommandCalls));
  tray.Set("commandSupport", Napi::Number::New(env, tray::kCommandSupport));
  tray.Set("commandQuit", Napi::Number::New(env, tray::kCommandQuit));
  return tray;
}
