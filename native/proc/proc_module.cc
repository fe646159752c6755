// Node-API surface addon.proc: the program's own resource use, for support (status file, --diagnose)
// and the soak test that proves it stays flat over a working day.
//   stats() → Promise<{ handles, threads, workingSetBytes, privateBytes }> (counted on a worker thread)
#include <windows.h>
#include <tlhelp32.h>
#include <psapi.h>

#include <memory>
#include <new>

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

// Handles of this process from the system handle list (where GetProcessHandleCount is a stub, as in
// Wine): NtQuerySystemInformation(SystemHandleInformation), loaded at run time. -1 when unavailable.
double CountHandlesFromSystemList() {
  using NtQsi = LONG(WINAPI*)(ULONG, PVOID, ULONG, PULONG);
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  auto query = ntdll ? reinterpret_cast<NtQsi>(reinterpret_cast<void*>(GetProcAddress(ntdll, "NtQuerySystemInformation"))) : nullptr;
  if (!query) return -1;
  struct Entry {  // SYSTEM_HANDLE_TABLE_ENTRY_INFO
    USHORT pid;
    USHORT creatorBackTraceIndex;
    UCHAR objectTypeIndex;
    UCHAR attributes;
    USHORT handle;
    PVOID object;
    ULONG grantedAccess;
  };
  constexpr ULONG kSystemHandleInformation = 16;
  constexpr LONG kInfoLengthMismatch = static_cast<LONG>(0xC0000004L);
  ULONG size = 1 << 20;
  for (int attempt = 0; attempt < 6; ++attempt, size *= 2) {
    std::unique_ptr<unsigned char[]> buf(new (std::nothrow) unsigned char[size]);
    if (!buf) return -1;
    ULONG needed = 0;
    LONG status = query(kSystemHandleInformation, buf.get(), size, &needed);
    if (status == kInfoLengthMismatch) continue;
    if (status < 0) return -1;
    ULONG count = *reinterpret_cast<ULONG*>(buf.get());
    const Entry* e = reinterpret_cast<const Entry*>(buf.get() + sizeof(ULONG_PTR));
    if (sizeof(ULONG_PTR) + static_cast<size_t>(count) * sizeof(Entry) > size) return -1;
    USHORT pid = static_cast<USHORT>(GetCurrentProcessId());
    double n = 0;
    for (ULONG i = 0; i < count; ++i) {
      if (e[i].pid == pid) ++n;
    }
    return n;
  }
  return -1;
}

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

struct StatsResult {
  double handles = -1;
  double threads = -1;
  double workingSetBytes = -1;
  double privateBytes = -1;
};

StatsResult Collect() {
  StatsResult r;
  DWORD handles = 0;
  r.handles = GetProcessHandleCount(GetCurrentProcess(), &handles) && handles > 0 ? handles : CountHandlesFromSystemList();
  r.threads = CountThreads();
  PROCESS_MEMORY_COUNTERS_EX pmc{};
  pmc.cb = sizeof(pmc);
  if (K32GetProcessMemoryInfo(GetCurrentProcess(), reinterpret_cast<PROCESS_MEMORY_COUNTERS*>(&pmc), sizeof(pmc))) {
    r.workingSetBytes = static_cast<double>(pmc.WorkingSetSize);
    r.privateBytes = static_cast<double>(pmc.PrivateUsage);
  }
  return r;
}

// The counts walk system-wide lists (every thread of the machine; under Wine every handle too), which
// takes 10-100+ ms on a busy machine: they are taken on a worker thread, never on the JavaScript thread.
class StatsWorker : public Napi::AsyncWorker {
 public:
  StatsWorker(Napi::Env env, Napi::Promise::Deferred deferred) : Napi::AsyncWorker(env), deferred_(deferred) {}

  void Execute() override {
    try {
      result_ = Collect();
    } catch (...) {
      // bad_alloc in a list walk: the figures stay -1 ("unknown")
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("handles", Napi::Number::New(env, result_.handles));
    o.Set("threads", Napi::Number::New(env, result_.threads));
    o.Set("workingSetBytes", Napi::Number::New(env, result_.workingSetBytes));
    o.Set("privateBytes", Napi::Number::New(env, result_.privateBytes));
    deferred_.Resolve(o);
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  StatsResult result_;
};

// stats() → Promise<{ handles, threads, workingSetBytes, privateBytes }> (-1 where Windows could not tell)
Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto deferred = Napi::Promise::Deferred::New(env);
  auto* worker = new StatsWorker(env, deferred);
  worker->Queue();  // the worker deletes itself after OnOK/OnError
  return deferred.Promise();
}

}  // namespace

Napi::Object InitProc(Napi::Env env) {
  Napi::Object proc = Napi::Object::New(env);
  proc.Set("stats", Napi::Function::New(env, Stats, "stats"));
  return proc;
}
