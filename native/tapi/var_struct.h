// TAPI variable-size structures: the caller allocates, sets dwTotalSize, and calls again with
// dwNeededSize while the TSP reports more than it could write. Strings are read only within
// dwUsedSize, and a part that did not fit (Size = Offset = 0) reads as empty.
#pragma once

#include <windows.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace tapi {

class VarBuffer {
 public:
  explicit VarBuffer(size_t initialBytes) { Resize(initialBytes); }

  void Resize(size_t bytes) {
    words_.assign((bytes + sizeof(DWORD) - 1) / sizeof(DWORD), 0);
    DWORD total = static_cast<DWORD>(words_.size() * sizeof(DWORD));
    std::memcpy(words_.data(), &total, sizeof total);
  }

  template <typename T>
  T *As() {
    return reinterpret_cast<T *>(words_.data());
  }
  const BYTE *Bytes() const { return reinterpret_cast<const BYTE *>(words_.data()); }
  DWORD Total() const { return Field(0); }
  DWORD Needed() const { return Field(4); }
  DWORD Used() const { return Field(8); }

  // Calls fn() until the structure is complete (at most 4 tries; sizes may change between calls).
  template <typename Fn>
  LONG Fill(Fn fn) {
    LONG rc = 0;
    for (int attempt = 0; attempt < 4; ++attempt) {
      rc = fn();
      if (rc != 0) return rc;
      DWORD needed = Needed();
      if (needed <= Total() || needed > kMaxBytes) return rc;
      Resize(needed);
    }
    return rc;
  }

  // A string part (UTF-16 unless stringFormat says ASCII/DBCS), trailing NULs stripped.
  std::wstring String(DWORD offset, DWORD size, DWORD stringFormat = STRINGFORMAT_UNICODE) const {
    DWORD used = Used();
    if (size == 0 || offset < 12 || offset > used || size > used - offset) return std::wstring();
    const BYTE *p = Bytes() + offset;
    std::wstring out;
    if (stringFormat == STRINGFORMAT_ASCII || stringFormat == STRINGFORMAT_DBCS) {
      int n = MultiByteToWideChar(CP_ACP, 0, reinterpret_cast<const char *>(p), static_cast<int>(size), nullptr, 0);
      if (n > 0) {
        out.assign(static_cast<size_t>(n), L'\0');
        MultiByteToWideChar(CP_ACP, 0, reinterpret_cast<const char *>(p), static_cast<int>(size), &out[0], n);
      }
    } else {
      out.assign(size / sizeof(wchar_t), L'\0');
      std::memcpy(&out[0], p, out.size() * sizeof(wchar_t));
    }
    while (!out.empty() && out.back() == L'\0') out.pop_back();
    size_t nul = out.find(L'\0');
    if (nul != std::wstring::npos) out.resize(nul);
    return out;
  }

 private:
  static constexpr DWORD kMaxBytes = 1u << 20;
  DWORD Field(size_t offset) const {
    DWORD v;
    std::memcpy(&v, Bytes() + offset, sizeof v);
    return v;
  }
  std::vector<DWORD> words_;
};

}  // namespace tapi
