// Threads of the addon's own (TAPI, dialogs, tray, session watch, bounded TAPI calls).
//
// Why not std::thread: destroying or assigning a joinable std::thread calls std::terminate, an
// exception that leaves its function calls std::terminate, and join() cannot be bounded. A
// winx::Thread runs its body inside a catch-all (an exception never ends the process: it is reported
// to the debugger output and through `on_uncaught`), can be waited for with a bound, and can be given
// up (abandoned) when it hangs in a call that never returns; its destructor never waits and never
// terminates. Whatever an abandoned thread still uses must be owned by the thread itself (capture
// shared_ptrs, never `this` of an object that may go away).
#pragma once

#include <windows.h>

#include <exception>
#include <functional>
#include <new>
#include <utility>

namespace winx {

// What the exception being handled says (call only inside a catch block; the text lives as long as
// that handler runs). Allocates nothing, never throws.
const char* CurrentExceptionWhat() noexcept;

// Writes "wildix-cti: <where>: <what>" to the debugger output (OutputDebugStringA); never throws.
void ReportUncaught(const char* where, const char* what) noexcept;

// Gives the calling thread a name (SetThreadDescription, where Windows has it: 10 1607 and later) that
// debuggers, Process Explorer and crash dumps show; under Wine it is the Linux thread's name. At most
// 63 characters are used; never throws.
void NameCurrentThread(const char* name) noexcept;

class Thread {
 public:
  Thread() = default;
  ~Thread();  // closes the handle; the thread (if still running) runs on by itself
  Thread(const Thread&) = delete;
  Thread& operator=(const Thread&) = delete;
  Thread(Thread&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)), id_(std::exchange(other.id_, 0)) {}
  Thread& operator=(Thread&& other) noexcept;

  // Runs `body` (any callable) on a new thread. `name` labels reports of an exception that escaped
  // `body` (static string). false (with a Win32-style code in *error) when no thread could be started,
  // also when there is no memory to hold `body`: nothing here throws.
  template <typename F>
  bool Start(F&& body, const char* name, DWORD* error = nullptr) noexcept {
    std::function<void()> fn;
    try {
      fn = std::forward<F>(body);
    } catch (...) {
      if (error) *error = ERROR_NOT_ENOUGH_MEMORY;
      return false;
    }
    return StartFunction(std::move(fn), name, error);
  }
  // Waits up to `ms` for the thread to end. true when it has ended (or was never started).
  bool Wait(DWORD ms) noexcept;
  // Gives the thread up without waiting: it runs on and ends by itself.
  void Abandon() noexcept;
  bool started() const noexcept { return handle_ != nullptr; }
  DWORD id() const noexcept { return id_; }
  bool IsCurrent() const noexcept { return id_ != 0 && id_ == GetCurrentThreadId(); }

 private:
  bool StartFunction(std::function<void()> body, const char* name, DWORD* error) noexcept;

  HANDLE handle_ = nullptr;
  DWORD id_ = 0;
};

// Calls f(); an exception is reported (ReportUncaught) and turned into `false`.
template <typename F>
bool NoThrow(const char* where, F&& f) noexcept {
  try {
    std::forward<F>(f)();
    return true;
  } catch (...) {
    ReportUncaught(where, CurrentExceptionWhat());
    return false;
  }
}

}  // namespace winx
