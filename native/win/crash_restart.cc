#include "win/crash_restart.h"

#include <windows.h>

#include <atomic>
#include <cstdint>
#include <cwchar>
#include <new>

namespace winx {
namespace {

// How long the crashed process waits for the new one to be created (CreateProcess can hang on a lock
// the crashed thread holds; the process ends then anyway, without the new start).
constexpr DWORD kSpawnWaitMs = 3000;
// Room for what is written at the crash: the crash time (20 digits and a comma) and the crash note.
constexpr size_t kCrashRoom = 200;

struct Prepared {
  std::wstring application;
  std::vector<wchar_t> command_line;  // writable and NUL-terminated: CreateProcessW may write into it
  std::vector<wchar_t> environment;   // the fixed part, then room for the two variables and the last NUL
  size_t fixed = 0;                   // length of the fixed part ("A=1\0B=2\0")
  std::wstring restarts_prefix;       // "NAME=" or "NAME=t1,t2,"
  std::wstring crash_prefix;          // "NAME="
};

std::atomic<Prepared*> g_plan{nullptr};
std::atomic<bool> g_armed{false};
std::atomic<bool> g_crashing{false};
std::atomic<bool> g_installed{false};
LPTOP_LEVEL_EXCEPTION_FILTER g_previous = nullptr;
uintptr_t g_addon_base = 0;
uintptr_t g_addon_end = 0;

// Writes into a fixed buffer without allocating; stops (silently) at its end.
class Writer {
 public:
  Writer(wchar_t* at, wchar_t* end) : p_(at), end_(end) {}
  void Text(const wchar_t* s, size_t n) {
    for (size_t i = 0; i < n; ++i) Char(s[i]);
  }
  void Text(const wchar_t* s) { Text(s, wcslen(s)); }
  void Char(wchar_t c) {
    if (p_ < end_) *p_++ = c;
  }
  void Decimal(uint64_t v) {
    wchar_t digits[24];
    int n = 0;
    do {
      digits[n++] = static_cast<wchar_t>(L'0' + v % 10);
      v /= 10;
    } while (v && n < 24);
    while (n) Char(digits[--n]);
  }
  void Hex(uint64_t v, int width) {
    Text(L"0x");
    for (int shift = (width - 1) * 4; shift >= 0; shift -= 4) Char(L"0123456789ABCDEF"[(v >> shift) & 0xF]);
  }
  wchar_t* at() const { return p_; }

 private:
  wchar_t* p_;
  wchar_t* end_;
};

uint64_t EpochMs() {
  FILETIME ft;
  GetSystemTimeAsFileTime(&ft);
  const uint64_t t = (static_cast<uint64_t>(ft.dwHighDateTime) << 32) | ft.dwLowDateTime;
  return (t - 116444736000000000ULL) / 10000;  // 100 ns since 1601 → ms since 1970
}

DWORD WINAPI Spawn(void* arg) {
  auto* p = static_cast<Prepared*>(arg);
  STARTUPINFOW si{};
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESHOWWINDOW;
  si.wShowWindow = SW_HIDE;
  PROCESS_INFORMATION pi{};
  // as the JavaScript restart does (child_process.spawn, detached, windowsHide)
  if (!CreateProcessW(p->application.c_str(), p->command_line.data(), nullptr, nullptr, FALSE,
                      CREATE_UNICODE_ENVIRONMENT | DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP, p->environment.data(),
                      nullptr, &si, &pi)) {
    return GetLastError();
  }
  CloseHandle(pi.hThread);
  CloseHandle(pi.hProcess);
  return 0;
}

LONG WINAPI OnUnhandled(EXCEPTION_POINTERS* ep) {
  const EXCEPTION_RECORD* record = ep ? ep->ExceptionRecord : nullptr;
  const DWORD code = record ? record->ExceptionCode : 1;
  Prepared* p = g_plan.load();
  if (!p || !g_armed.load()) return g_previous ? g_previous(ep) : EXCEPTION_CONTINUE_SEARCH;
  if (g_crashing.exchange(true)) {
    // another thread crashed meanwhile (or the new start's thread): the first crash does the restart
    Sleep(kSpawnWaitMs + 1000);
    TerminateProcess(GetCurrentProcess(), code);
    return EXCEPTION_EXECUTE_HANDLER;
  }
  // the two variables, in the room prepared behind the fixed part of the environment
  wchar_t* room = p->environment.data() + p->fixed;
  Writer out(room, p->environment.data() + p->environment.size() - 1);  // (the last NUL stays)
  out.Text(p->restarts_prefix.c_str(), p->restarts_prefix.size());
  out.Decimal(EpochMs());
  out.Char(L'\0');
  out.Text(p->crash_prefix.c_str(), p->crash_prefix.size());
  const uintptr_t address = record ? reinterpret_cast<uintptr_t>(record->ExceptionAddress) : 0;
  out.Hex(code, 8);
  out.Text(L" at ");
  out.Hex(address, 16);
  if (address >= g_addon_base && address < g_addon_end) {
    out.Text(L" (wildix_cti.node+");
    out.Hex(address - g_addon_base, 8);
    out.Char(L')');
  }
  out.Text(L" thread ");
  out.Decimal(GetCurrentThreadId());
  out.Char(L'\0');
  out.Char(L'\0');
  OutputDebugStringW(L"wildix-cti: native crash, starting the program again\n");
  HANDLE thread = CreateThread(nullptr, 0, Spawn, p, 0, nullptr);
  if (thread) WaitForSingleObject(thread, kSpawnWaitMs);
  // no Windows Error Reporting dialog that keeps this process (its ROT entry, its lock) alive
  TerminateProcess(GetCurrentProcess(), code);
  return EXCEPTION_EXECUTE_HANDLER;
}

bool Usable(const std::wstring& s) { return s.find(L'\0') == std::wstring::npos; }

void FindAddon() {
  HMODULE module = nullptr;
  if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                          reinterpret_cast<LPCWSTR>(&OnUnhandled), &module) ||
      !module) {
    return;
  }
  const auto* base = reinterpret_cast<const BYTE*>(module);
  const auto* dos = reinterpret_cast<const IMAGE_DOS_HEADER*>(base);
  const auto* nt = reinterpret_cast<const IMAGE_NT_HEADERS*>(base + dos->e_lfanew);
  g_addon_base = reinterpret_cast<uintptr_t>(base);
  g_addon_end = g_addon_base + nt->OptionalHeader.SizeOfImage;
}

DWORD WINAPI RaiseForTest(void*) {
  RaiseException(EXCEPTION_ACCESS_VIOLATION, 0, 0, nullptr);
  return 0;
}

}  // namespace

bool ArmCrashRestart(const CrashRestartPlan& plan) {
  const auto text = [](const std::wstring& s) { return !s.empty() && Usable(s); };
  const auto name = [&](const std::wstring& s) { return text(s) && s.find(L'=') == std::wstring::npos; };
  if (!text(plan.application) || !text(plan.command_line) || !Usable(plan.restarts_before) || !name(plan.restarts_variable) ||
      !name(plan.crash_variable)) {
    return false;
  }
  Prepared* p = nullptr;
  try {
    p = new Prepared();
    p->application = plan.application;
    p->command_line.assign(plan.command_line.begin(), plan.command_line.end());
    p->command_line.push_back(L'\0');
    for (const std::wstring& entry : plan.environment) {
      const size_t eq = entry.find(L'=', 1);  // (a name may start with "=", as "=C:" does)
      if (eq == std::wstring::npos || !Usable(entry)) {
        delete p;
        return false;
      }
      p->environment.insert(p->environment.end(), entry.begin(), entry.end());
      p->environment.push_back(L'\0');
    }
    p->fixed = p->environment.size();
    p->restarts_prefix = plan.restarts_variable + L"=" + plan.restarts_before + (plan.restarts_before.empty() ? L"" : L",");
    p->crash_prefix = plan.crash_variable + L"=";
    p->environment.resize(p->fixed + p->restarts_prefix.size() + p->crash_prefix.size() + kCrashRoom, L'\0');
  } catch (...) {
    delete p;
    return false;
  }
  if (!g_installed.exchange(true)) {
    FindAddon();
    g_previous = SetUnhandledExceptionFilter(OnUnhandled);
  }
  // An earlier plan is kept (not freed): a crash on another thread may be reading it right now.
  g_plan.store(p);
  g_armed.store(true);
  return true;
}

void DisarmCrashRestart() noexcept { g_armed.store(false); }

void CrashOnThreadForTest() noexcept {
  HANDLE thread = CreateThread(nullptr, 0, RaiseForTest, nullptr, 0, nullptr);
  if (thread) CloseHandle(thread);
}

}  // namespace winx
