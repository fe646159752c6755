// TAPI variable-size structures: the caller allocates, sets dwTotalSize, and calls again with
// dwNeededSize while the TSP reports more than it could write.
//
// A TSP is not trusted: every read stays inside the buffer this object allocated, whatever the TSP
// wrote into dwTotalSize, dwNeededSize, dwUsedSize or an Offset/Size pair. Variable parts are read
// only within min(dwUsedSize, allocated size); a part that does not lie completely inside reads as
// empty, as does a part that did not fit (Size = Offset = 0). dwNeededSize is followed up to 1 MiB.
#pragma once

#include <windows.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace tapi {

class VarBuffer {
 public:
  static constexpr DWORD kMaxBytes = 1u << 20;
  static constexpr DWORD kHeaderBytes = 12;  // dwTotalSize, dwNeededSize, dwUsedSize

  explicit VarBuffer(size_t initialBytes) { Resize(initialBytes); }

  void Resize(size_t bytes) {
    if (bytes < kHeaderBytes) bytes = kHeaderBytes;
    words_.assign((bytes + sizeof(DWORD) - 1) / sizeof(DWORD), 0);
    DWORD total = Size();
    std::memcpy(words_.data(), &total, sizeof total);
  }

  // The structure; the buffer is at least sizeof(T) (grown and zeroed if needed before TAPI fills it).
  template <typename T>
  T *As() {
    if (Size() < sizeof(T)) Resize(sizeof(T));
    return reinterpret_cast<T *>(words_.data());
  }
  template <typename T>
  const T *As() const {
    return Size() >= sizeof(T) ? reinterpret_cast<const T *>(words_.data()) : nullptr;
  }
  const BYTE *Bytes() const { return reinterpret_cast<const BYTE *>(words_.data()); }
  // The bytes really allocated (dwTotalSize as we set it; the TSP may overwrite the field).
  DWORD Size() const { return static_cast<DWORD>(words_.size() * sizeof(DWORD)); }
  DWORD Needed() const { return Field(4); }
  DWORD Used() const { return Field(8); }
  // The bytes a variable part may come from: what the TSP says it used, never past the buffer.
  DWORD Readable() const {
    const DWORD used = Used();
    return used < Size() ? used : Size();
  }

  // true when [offset, offset + bytes) lies inside the readable bytes, after the header.
  bool Contains(DWORD offset, unsigned long long bytes) const {
    const DWORD limit = Readable();
    return offset >= kHeaderBytes && offset <= limit && bytes <= static_cast<unsigned long long>(limit - offset);
  }

  // Calls fn() until the structure is complete (at most 4 tries; sizes may change between calls).
  template <typename Fn>
  LONG Fill(Fn fn) {
    LONG rc = 0;
    for (int attempt = 0; attempt < 4; ++attempt) {
      rc = fn();
      if (rc != 0) return rc;
      const DWORD needed = Needed();
      if (needed <= Size() || needed > kMaxBytes) return rc;
      Resize(needed);
    }
    return rc;
  }

  // A string part (UTF-16 unless stringFormat says ASCII/DBCS), trailing NULs stripped, cut at the
  // first NUL. Empty when the part is not completely inside the readable bytes. The W functions return
  // UTF-16 whatever the TSP put in dwStringFormat (some say ASCII): a part whose first character has a
  // zero high byte is read as UTF-16 (an ASCII string of one character reads the same either way).
  std::wstring String(DWORD offset, DWORD size, DWORD stringFormat = STRINGFORMAT_UNICODE) const {
    if (size == 0 || !Contains(offset, size)) return std::wstring();
    const BYTE *p = Bytes() + offset;
    std::wstring out;
    const bool wide = size >= 2 && p[0] != 0 && p[1] == 0;
    if ((stringFormat == STRINGFORMAT_ASCII || stringFormat == STRINGFORMAT_DBCS) && !wide) {
      int n = MultiByteToWideChar(CP_ACP, 0, reinterpret_cast<const char *>(p), static_cast<int>(size), nullptr, 0);
      if (n > 0) {
        out.assign(static_cast<size_t>(n), L'\0');
        MultiByteToWideChar(CP_ACP, 0, reinterpret_cast<const char *>(p), static_cast<int>(size), &out[0], n);
      }
    } else {
      out.assign(size / sizeof(wchar_t), L'\0');
      if (!out.empty()) std::memcpy(&out[0], p, out.size() * sizeof(wchar_t));
    }
    size_t nul = out.find(L'\0');
    if (nul != std::wstring::npos) out.resize(nul);
    return out;
  }

 private:
  DWORD Field(size_t offset) const {
    DWORD v;
    std::memcpy(&v, Bytes() + offset, sizeof v);
    return v;
  }
  std::vector<DWORD> words_;
};

}  // namespace tapi
