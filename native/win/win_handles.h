// RAII holders for the Win32 handles of native/win (portable: MSVC and mingw-w64).
#pragma once

#include <windows.h>

#include <utility>

namespace winx {

// A kernel HANDLE closed with CloseHandle (mutexes here).
class UniqueHandle {
 public:
  UniqueHandle() = default;
  explicit UniqueHandle(HANDLE h) : h_(h) {}
  UniqueHandle(const UniqueHandle&) = delete;
  UniqueHandle& operator=(const UniqueHandle&) = delete;
  UniqueHandle(UniqueHandle&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  UniqueHandle& operator=(UniqueHandle&& o) noexcept {
    if (this != &o) {
      Reset();
      h_ = std::exchange(o.h_, nullptr);
    }
    return *this;
  }
  ~UniqueHandle() { Reset(); }

  void Reset() {
    if (h_) CloseHandle(std::exchange(h_, nullptr));
  }
  HANDLE Get() const { return h_; }
  explicit operator bool() const { return h_ != nullptr; }

 private:
  HANDLE h_ = nullptr;
};

// An open registry key closed with RegCloseKey.
class UniqueHkey {
 public:
  UniqueHkey() = default;
  UniqueHkey(const UniqueHkey&) = delete;
  UniqueHkey& operator=(const UniqueHkey&) = delete;
  ~UniqueHkey() {
    if (k_) RegCloseKey(k_);
  }
  HKEY Get() const { return k_; }
  HKEY* Put() {
    if (k_) RegCloseKey(std::exchange(k_, nullptr));
    return &k_;
  }

 private:
  HKEY k_ = nullptr;
};

}  // namespace winx
