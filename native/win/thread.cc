#include "win/thread.h"

#include <process.h>

#include <cstdio>
#include <memory>

namespace winx {

namespace {

struct StartArgs {
  std::function<void()> body;
  const char* name;
};

unsigned __stdcall Entry(void* arg) noexcept {
  StartArgs* raw = static_cast<StartArgs*>(arg);
  const char* name = raw->name;
  NameCurrentThread(name);
  try {
    std::unique_ptr<StartArgs> start(raw);
    start->body();
  } catch (...) {
    ReportUncaught(name, CurrentExceptionWhat());
  }
  return 0;
}

}  // namespace

const char* CurrentExceptionWhat() noexcept {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    return "out of memory (std::bad_alloc)";
  } catch (const std::exception& e) {
    const char* what = e.what();
    return what ? what : "std::exception";
  } catch (...) {
    return "unknown C++ exception";
  }
}

void ReportUncaught(const char* where, const char* what) noexcept {
  char line[512];
  std::snprintf(line, sizeof line, "wildix-cti: %s: %s\n", where ? where : "?", what ? what : "?");
  OutputDebugStringA(line);
}

void NameCurrentThread(const char* name) noexcept {
  using SetDescription = HRESULT(WINAPI*)(HANDLE, PCWSTR);
  static const SetDescription set = [] {
    HMODULE kernel = GetModuleHandleW(L"kernel32.dll");
    return kernel ? reinterpret_cast<SetDescription>(reinterpret_cast<void*>(GetProcAddress(kernel, "SetThreadDescription"))) : nullptr;
  }();
  if (!set || !name) return;
  wchar_t wide[64];
  size_t n = 0;
  for (; name[n] != '\0' && n + 1 < sizeof wide / sizeof wide[0]; ++n) wide[n] = static_cast<unsigned char>(name[n]);
  wide[n] = L'\0';
  set(GetCurrentThread(), wide);
}

Thread::~Thread() {
  if (handle_) CloseHandle(handle_);
}

Thread& Thread::operator=(Thread&& other) noexcept {
  if (this != &other) {
    if (handle_) CloseHandle(handle_);  // abandons a thread still running (never terminates)
    handle_ = std::exchange(other.handle_, nullptr);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

bool Thread::StartFunction(std::function<void()> body, const char* name, DWORD* error) noexcept {
  StartArgs* start = nullptr;
  try {
    start = new StartArgs{std::move(body), name};
  } catch (...) {
    if (error) *error = ERROR_NOT_ENOUGH_MEMORY;
    return false;
  }
  unsigned id = 0;
  uintptr_t h = _beginthreadex(nullptr, 0, &Entry, start, 0, &id);
  if (h == 0) {
    if (error) *error = _doserrno != 0 ? static_cast<DWORD>(_doserrno) : ERROR_NOT_ENOUGH_MEMORY;
    delete start;
    return false;
  }
  if (handle_) CloseHandle(handle_);
  handle_ = reinterpret_cast<HANDLE>(h);
  id_ = id;
  return true;
}

bool Thread::Wait(DWORD ms) noexcept {
  if (!handle_) return true;
  if (IsCurrent()) return false;  // a thread never waits for itself
  return WaitForSingleObject(handle_, ms) == WAIT_OBJECT_0;
}

void Thread::Abandon() noexcept {
  if (handle_) CloseHandle(std::exchange(handle_, nullptr));
  id_ = 0;
}

}  // namespace winx
