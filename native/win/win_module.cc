// N-API surface of native/win (typed in src/native/addon.ts as NativeWin, wrapped by
// src/native/lifecycle.ts): the single-instance mutex, the per-user autostart value (short synchronous
// calls) and the logoff/shutdown watcher (its own thread with a hidden window, see session_watch.h).
#include <memory>
#include <string>
#include <utility>

#include <shlobj.h>

#include "common/modules.h"
#include "common/wide_string.h"
#include "win/console_window.h"
#include "win/crash_restart.h"
#include "win/run_key.h"
#include "win/session_watch.h"
#include "win/single_instance.h"

namespace wildix::win {
namespace {

// "Zugriff verweigert" style system text for a Win32 error code (may be empty).
std::string SystemText(DWORD code) {
  wchar_t* text = nullptr;
  const DWORD n = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                                 nullptr, code, 0, reinterpret_cast<wchar_t*>(&text), 0, nullptr);
  std::wstring w = n && text ? std::wstring(text, n) : std::wstring();
  if (text) LocalFree(text);
  while (!w.empty() && (w.back() == L'\n' || w.back() == L'\r' || w.back() == L' ' || w.back() == L'.')) w.pop_back();
  std::string out;
  const int len = WideCharToMultiByte(CP_UTF8, 0, w.data(), static_cast<int>(w.size()), nullptr, 0, nullptr, nullptr);
  if (len > 0) {
    out.resize(static_cast<size_t>(len));
    WideCharToMultiByte(CP_UTF8, 0, w.data(), static_cast<int>(w.size()), &out[0], len, nullptr, nullptr);
  }
  return out;
}

// Error with .code = "win32" and .win32Error = the code, so TS can tell it from a TypeError.
Napi::Error Win32Error(Napi::Env env, const std::string& what, DWORD code) {
  std::string message = what + " failed: Win32 error " + std::to_string(code);
  const std::string text = SystemText(code);
  if (!text.empty()) message += " (" + text + ")";
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, "win32"));
  error.Set("win32Error", Napi::Number::New(env, static_cast<double>(code)));
  return error;
}

// A non-empty string of at most `max` UTF-16 units without NUL characters.
std::wstring RequireText(const Napi::CallbackInfo& info, size_t index, const char* what, size_t max) {
  Napi::Env env = info.Env();
  if (info.Length() <= index || !info[index].IsString()) throw Napi::TypeError::New(env, std::string(what) + " must be a string");
  std::wstring s = ToWide(info[index]);
  if (s.empty()) throw Napi::TypeError::New(env, std::string(what) + " must not be empty");
  if (s.size() > max) throw Napi::RangeError::New(env, std::string(what) + " is longer than " + std::to_string(max) + " characters");
  if (s.find(L'\0') != std::wstring::npos) throw Napi::TypeError::New(env, std::string(what) + " must not contain NUL");
  return s;
}

constexpr size_t kMaxObjectName = MAX_PATH;
constexpr size_t kMaxValueName = 255;   // registry value name limit (16383 in theory; 255 is plenty)
constexpr size_t kMaxCommand = 4096;    // Run commands longer than this are no longer started reliably

// acquireSingleInstance(name) → "acquired" | "running"
Napi::Value AcquireSingleInstance(const Napi::CallbackInfo& info) {
  const std::wstring name = RequireText(info, 0, "mutex name", kMaxObjectName);
  const winx::InstanceResult r = winx::AcquireInstanceMutex(name);
  if (r.state == winx::InstanceState::kFailed) throw Win32Error(info.Env(), "CreateMutexW", r.error);
  return Napi::String::New(info.Env(), r.state == winx::InstanceState::kAcquired ? "acquired" : "running");
}

// releaseSingleInstance() → boolean (false when nothing was held)
Napi::Value ReleaseSingleInstance(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), winx::ReleaseInstanceMutex());
}

// A Run value of `root` (HKCU: the user's autostart; HKLM: the all-users MSI's logon start) → string | null.
Napi::Value ReadRunValue(const Napi::CallbackInfo& info, HKEY root, const char* where) {
  const std::wstring name = RequireText(info, 0, "value name", kMaxValueName);
  std::wstring value;
  const LONG rc = winx::GetRunValueOf(root, name, &value);
  if (rc == ERROR_FILE_NOT_FOUND) return info.Env().Null();
  if (rc != ERROR_SUCCESS) throw Win32Error(info.Env(), where, static_cast<DWORD>(rc));
  return FromWide(info.Env(), value);
}

// getAutostart(valueName) → string | null
Napi::Value GetAutostart(const Napi::CallbackInfo& info) {
  return ReadRunValue(info, HKEY_CURRENT_USER, "reading HKCU\\...\\Run");
}

// getMachineAutostart(valueName) → string | null: HKLM\...\Run (the all-users MSI's logon start)
Napi::Value GetMachineAutostart(const Napi::CallbackInfo& info) {
  return ReadRunValue(info, HKEY_LOCAL_MACHINE, "reading HKLM\\...\\Run");
}

// setAutostart(valueName, command) → undefined
Napi::Value SetAutostart(const Napi::CallbackInfo& info) {
  const std::wstring name = RequireText(info, 0, "value name", kMaxValueName);
  const std::wstring command = RequireText(info, 1, "command", kMaxCommand);
  const LONG rc = winx::SetRunValue(name, command);
  if (rc != ERROR_SUCCESS) throw Win32Error(info.Env(), "writing HKCU\\...\\Run", static_cast<DWORD>(rc));
  return info.Env().Undefined();
}

// removeAutostart(valueName) → boolean (false when it was not there)
Napi::Value RemoveAutostart(const Napi::CallbackInfo& info) {
  const std::wstring name = RequireText(info, 0, "value name", kMaxValueName);
  const LONG rc = winx::DeleteRunValue(name);
  if (rc == ERROR_FILE_NOT_FOUND) return Napi::Boolean::New(info.Env(), false);
  if (rc != ERROR_SUCCESS) throw Win32Error(info.Env(), "deleting from HKCU\\...\\Run", static_cast<DWORD>(rc));
  return Napi::Boolean::New(info.Env(), true);
}

// The JS callback of watchSessionEnd; released when the environment is torn down. A plain pointer so
// that no static destructor touches it after process.exit().
Napi::ThreadSafeFunction* g_session_tsfn = nullptr;

constexpr double kMaxHoldMs = 60000;

// watchSessionEnd(onEnd: (reason: "logoff" | "shutdown" | "close") => void, holdMs) → boolean. Once per process;
// later calls return whether the watcher runs. The callback does not keep the event loop alive.
Napi::Value WatchSessionEnd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsFunction()) throw Napi::TypeError::New(env, "watchSessionEnd: onEnd must be a function");
  if (!info[1].IsNumber()) throw Napi::TypeError::New(env, "watchSessionEnd: holdMs must be a number");
  const double hold = info[1].As<Napi::Number>().DoubleValue();
  if (!(hold >= 0 && hold <= kMaxHoldMs)) throw Napi::RangeError::New(env, "watchSessionEnd: holdMs must be 0..60000");
  if (g_session_tsfn) return Napi::Boolean::New(env, true);
  auto tsfn = std::make_unique<Napi::ThreadSafeFunction>(
      Napi::ThreadSafeFunction::New(env, info[0].As<Napi::Function>(), "wildix-session-end", 0, 1));
  tsfn->Unref(env);
  Napi::ThreadSafeFunction* call = tsfn.get();
  const bool ok = winx::StartSessionWatch(
      [call](winx::SessionEnd end) {
        const char* reason = end == winx::SessionEnd::kLogoff ? "logoff" : end == winx::SessionEnd::kShutdown ? "shutdown" : "close";
        call->NonBlockingCall([reason](Napi::Env e, Napi::Function cb) { cb.Call({Napi::String::New(e, reason)}); });
      },
      static_cast<unsigned>(hold));
  if (!ok) {
    tsfn->Release();
    throw Win32Error(env, "starting the logoff/shutdown watcher", GetLastError());
  }
  g_session_tsfn = tsfn.release();
  env.AddCleanupHook([] {
    winx::StopSessionWatch();  // joins the watcher thread: no call can come after this
    if (g_session_tsfn) {
      g_session_tsfn->Release();
      delete std::exchange(g_session_tsfn, nullptr);
    }
  });
  return Napi::Boolean::New(env, true);
}

// desktopFolder() → string | null: the user's desktop as Explorer shows it (SHGetKnownFolderPath
// FOLDERID_Desktop: also when it is redirected, e.g. to OneDrive or a share); null when Windows has none.
Napi::Value DesktopFolder(const Napi::CallbackInfo& info) {
  PWSTR path = nullptr;
  const HRESULT hr = SHGetKnownFolderPath(FOLDERID_Desktop, KF_FLAG_DEFAULT, nullptr, &path);
  std::unique_ptr<wchar_t, decltype(&CoTaskMemFree)> owned(path, &CoTaskMemFree);  // (freed on every path)
  if (FAILED(hr) || !path || !*path) return info.Env().Null();
  return FromWide(info.Env(), std::wstring(path));
}

// hideConsole() → boolean: hides and leaves this process's console (false when it has none).
Napi::Value HideConsole(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), winx::HideConsoleWindow());
}

// stopRunningInstance() → boolean: asks the instance of this session to stop (false when none runs).
Napi::Value StopRunningInstance(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), winx::RequestRunningInstanceStop());
}

// armCrashRestart({application, commandLine, environment: string[], restartsVariable, restartsBefore,
// crashVariable}) → undefined: the start after a native crash (crash_restart.h); TypeError on a plan
// that cannot be used.
Napi::Value ArmCrashRestart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "armCrashRestart: plan must be an object");
  const Napi::Object o = info[0].As<Napi::Object>();
  const auto text = [&](const char* key, bool may_be_empty) {
    const Napi::Value v = o.Get(key);
    if (!v.IsString()) throw Napi::TypeError::New(env, std::string("armCrashRestart: ") + key + " must be a string");
    std::wstring w = ToWide(v);
    if (!may_be_empty && w.empty()) throw Napi::TypeError::New(env, std::string("armCrashRestart: ") + key + " must not be empty");
    return w;
  };
  winx::CrashRestartPlan plan;
  plan.application = text("application", false);
  plan.command_line = text("commandLine", false);
  plan.restarts_variable = text("restartsVariable", false);
  plan.restarts_before = text("restartsBefore", true);
  plan.crash_variable = text("crashVariable", false);
  const Napi::Value list = o.Get("environment");
  if (!list.IsArray()) throw Napi::TypeError::New(env, "armCrashRestart: environment must be an array of strings");
  const Napi::Array entries = list.As<Napi::Array>();
  for (uint32_t i = 0; i < entries.Length(); ++i) {
    const Napi::Value e = entries.Get(i);
    if (!e.IsString()) throw Napi::TypeError::New(env, "armCrashRestart: environment must be an array of strings");
    plan.environment.push_back(ToWide(e));
  }
  if (!winx::ArmCrashRestart(plan)) throw Napi::TypeError::New(env, "armCrashRestart: the plan cannot be used (NUL characters, an entry without NAME=, or a variable name with =)");
  return env.Undefined();
}

// disarmCrashRestart() → undefined: a native crash from now on ends the program without a new start.
Napi::Value DisarmCrashRestart(const Napi::CallbackInfo& info) {
  winx::DisarmCrashRestart();
  return info.Env().Undefined();
}

// crashForTest() → undefined: an access violation on a thread of its own (Wine tests only).
Napi::Value CrashForTest(const Napi::CallbackInfo& info) {
  winx::CrashOnThreadForTest();
  return info.Env().Undefined();
}

}  // namespace
}  // namespace wildix::win

Napi::Object InitWin(Napi::Env env) {
  using namespace wildix::win;
  Napi::Object win = Napi::Object::New(env);
  win.Set("acquireSingleInstance", Napi::Function::New(env, AcquireSingleInstance, "acquireSingleInstance"));
  win.Set("releaseSingleInstance", Napi::Function::New(env, ReleaseSingleInstance, "releaseSingleInstance"));
  win.Set("getAutostart", Napi::Function::New(env, GetAutostart, "getAutostart"));
  win.Set("getMachineAutostart", Napi::Function::New(env, GetMachineAutostart, "getMachineAutostart"));
  win.Set("setAutostart", Napi::Function::New(env, SetAutostart, "setAutostart"));
  win.Set("removeAutostart", Napi::Function::New(env, RemoveAutostart, "removeAutostart"));
  win.Set("watchSessionEnd", Napi::Function::New(env, WatchSessionEnd, "watchSessionEnd"));
  win.Set("hideConsole", Napi::Function::New(env, HideConsole, "hideConsole"));
  win.Set("desktopFolder", Napi::Function::New(env, DesktopFolder, "desktopFolder"));
  win.Set("stopRunningInstance", Napi::Function::New(env, StopRunningInstance, "stopRunningInstance"));
  win.Set("armCrashRestart", Napi::Function::New(env, ArmCrashRestart, "armCrashRestart"));
  win.Set("disarmCrashRestart", Napi::Function::New(env, DisarmCrashRestart, "disarmCrashRestart"));
  win.Set("crashForTest", Napi::Function::New(env, CrashForTest, "crashForTest"));
  return win;
}
