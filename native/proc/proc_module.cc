// Node-API surface addon.proc: the program's own resource use, for support (status file, --diagnose)
// and the soak test that proves it stays flat over a working day.
//   stats() → Promise<{ handles, threads, workingSetBytes, privateBytes }> (counted on a worker thread)
#include <windows.h>
#include <tlhelp32.h>
#include <psapi.h>

#include <memory>
#include <mutex>
#include <new>

#include "common/modules.h"
#include "common/wine.h"

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

// Handles of this process from the system handle list (where GetProcessHandleCount fails):
// NtQuerySystemInformation(SystemHandleInformation), loaded at run time. -1 when unavailable. Never under
// Wine: see CountHandlesUnderWine.
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

// Handles of this process under Wine, where GetProcessHandleCount is a stub (0) and the system handle list
// is not safe to ask for: Wine 8's wineserver walks every process's handle table for it with an unsigned
// index against the table's signed `last` (server/handle.c enum_handles), and a table in the wrong state
// makes it read past its end -- the wineserver dies (SIGSEGV) and every Wine process of the session with
// it. That was the soak test's "unexplained exit" (kernel log: wineserver64 segfault in that loop, at the
// moment the program's process vanished; the program asks every 5 s for its status file).
// Wine hands out handle values (index + 1) * 4 from the lowest free index, so the program's table is dense:
// every value is asked for (GetHandleInformation) up to kProbeGap past the last one in use. About 1,200
// wineserver requests (7-10 ms on the test machine), so a count at most `maxAgeMs` old is used again.
double CountHandlesUnderWine(ULONGLONG maxAgeMs) {
  constexpr ULONG_PTR kProbeGap = 1024;
  constexpr ULONG_PTR kProbeEnd = ULONG_PTR{4} << 20;  // 1M handle values: a bound for the walk
  static std::mutex mutex;
  static ULONGLONG countedAt = 0;
  static double counted = -1;
  std::lock_guard<std::mutex> lock(mutex);
  const ULONGLONG now = GetTickCount64();
  if (counted >= 0 && now - countedAt < maxAgeMs) return counted;
  double n = 0;
  ULONG_PTR lastUsed = 0;
  for (ULONG_PTR v = 4; v < kProbeEnd && v <= lastUsed + 4 * kProbeGap; v += 4) {
    DWORD flags = 0;
    if (GetHandleInformation(reinterpret_cast<HANDLE>(v), &flags)) {
      ++n;
      lastUsed = v;
    }
  }
  counted = n;
  countedAt = now;
  return n;
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

StatsResult Collect(ULONGLONG handlesMaxAgeMs) {
  StatsResult r;
  DWORD handles = 0;
  if (winecheck::UnderWine()) r.handles = CountHandlesUnderWine(handlesMaxAgeMs);
  else r.handles = GetProcessHandleCount(GetCurrentProcess(), &handles) && handles > 0 ? handles : CountHandlesFromSystemList();
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
  StatsWorker(Napi::Env env, Napi::Promise::Deferred deferred, ULONGLONG handlesMaxAgeMs)
      : Napi::AsyncWorker(env), deferred_(deferred), handlesMaxAgeMs_(handlesMaxAgeMs) {}

  void Execute() override {
    try {
      result_ = Collect(handlesMaxAgeMs_);
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
  ULONGLONG handlesMaxAgeMs_;
  StatsResult result_;
};

// stats({ handlesMaxAgeMs? }) → Promise<{ handles, threads, workingSetBytes, privateBytes }> (-1 where
// Windows could not tell). handlesMaxAgeMs (default 4000): under Wine, a handle count this old is reused.
Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ULONGLONG maxAge = 4000;  // below the status file's 5 s: each of its writes has a count of its own
  if (info.Length() > 0 && info[0].IsObject()) {
    Napi::Value v = info[0].As<Napi::Object>().Get("handlesMaxAgeMs");
    if (v.IsNumber()) {
      const double ms = v.As<Napi::Number>().DoubleValue();
      maxAge = ms > 0 ? static_cast<ULONGLONG>(ms) : 0;
    }
  }
  auto deferred = Napi::Promise::Deferred::New(env);
  auto* worker = new StatsWorker(env, deferred, maxAge);
  worker->Queue();  // the worker deletes itself after OnOK/OnError
  return deferred.Promise();
}

}  // namespace

Napi::Object InitProc(Napi::Env env) {
  Napi::Object proc = Napi::Object::New(env);
  proc.Set("stats", Napi::Function::New(env, Stats, "stats"));
  return proc;
}
