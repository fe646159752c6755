// Node-API surface addon.proc: the program's own resource use, for support (status file, --diagnose)
// and the soak test that proves it stays flat over a working day.
//   stats() → { handles, threads, workingSetBytes, privateBytes }
#include <windows.h>
#include <tlhelp32.h>
#include <psapi.h>

#include "common/modules.h"

namespace {

class SnapshotHandle {
 public:
  explicit SnapshotHandle(HANDLE h) : h_(h) {}
  ~SnapshotHandle() {
    if (h_ != INVALID_HANDLE_VALUE) CloseHandle(h_);
  }
  SnapshotHandle(const SnapshotHandle&) = delete;
  SnapshotHandle& operator=(const SnapshotHandle&) = delete;
  HANDLE get() const { return h_; }

 private:
  HANDLE h_;
};

// Threads of this process (-1 when the snapshot fails).
double CountThreads() {
  SnapshotHandle snap(CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0));
  if (snap.get() == INVALID_HANDLE_VALUE) return -1;
  DWORD pid = GetCurrentProcessId();
  THREADENTRY32 te;
  te.dwSize = sizeof(te);
  double n = 0;
  for (BOOL ok = Thread32First(snap.get(), &te); ok; ok = Thread32Next(snap.get(), &te)) {
    if (te.th32OwnerProcessID == pid) ++n;
  }
  return n;
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  DWORD handles = 0;
  o.Set("handles", Napi::Number::New(env, GetProcessHandleCount(GetCurrentProcess(), &handles) ? handles : -1));
  o.Set("threads", Napi::Number::New(env, CountThreads()));
  PROCESS_MEMORY_COUNTERS_EX pmc{};
  pmc.cb = sizeof(pmc);
  bool mem = K32GetProcessMemoryInfo(GetCurrentProcess(), reinterpret_cast<PROCESS_MEMORY_COUNTERS*>(&pmc), sizeof(pmc));
  o.Set("workingSetBytes", Napi::Number::New(env, mem ? static_cast<double>(pmc.WorkingSetSize) : -1));
  o.Set("privateBytes", Napi::Number::New(env, mem ? static_cast<double>(pmc.PrivateUsage) : -1));
  return o;
}

}  // namespace

Napi::Object InitProc(Napi::Env env) {
  Napi::Object proc = Napi::Object::New(env);
  proc.Set("stats", Napi::Function::New(env, Stats, "stats"));
  return proc;
}
