// Node-API surface addon.proc: the program's own resource use, for support (status file, --diagnose)
// and the soak test that proves it stays flat over a working day.
//   stats() → { handles, threads, workingSetBytes, privateBytes }
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

Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  DWORD handles = 0;
  double count = GetProcessHandleCount(GetCurrentProcess(), &handles) && handles > 0 ? handles : CountHandlesFromSystemList();
  o.Set("handles", Napi::Number::New(env, count));
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
