#include "dpapi/dpapi.h"

#include <wincrypt.h>

#include <exception>
#include <utility>

#include "http/system_dll.h"
#include "http/winhttp_api.h"  // ErrorText
#include "win/thread.h"           // CurrentExceptionWhat

namespace wildix::dpapi {

namespace {

constexpr DWORD kMaxBytes = 512u * 1024u * 1024u;

struct Crypt32 {
  sysdll::Library library;
  decltype(&::CryptProtectData) protect = nullptr;
  decltype(&::CryptUnprotectData) unprotect = nullptr;
  std::string error;
};

const Crypt32* GetCrypt32() {
  // Process lifetime on purpose (see winhttp_api.cc).
  static Crypt32* const c = [] {
    Crypt32* l = new Crypt32();
    const DWORD rc = l->library.Load(L"crypt32.dll");
    if (rc != 0) {
      l->error = "crypt32.dll could not be loaded (Windows error " + std::to_string(rc) + ")";
    } else if (!l->library.Resolve("CryptProtectData", &l->protect) || !l->library.Resolve("CryptUnprotectData", &l->unprotect)) {
      l->error = "crypt32.dll does not export CryptProtectData/CryptUnprotectData";
    }
    return l;
  }();
  return c;
}

// A DATA_BLOB allocated by DPAPI (LocalAlloc); wiped and freed.
struct LocalBlob {
  DATA_BLOB blob{};
  LocalBlob() = default;
  LocalBlob(const LocalBlob&) = delete;
  LocalBlob& operator=(const LocalBlob&) = delete;
  ~LocalBlob() {
    if (blob.pbData) {
      SecureZeroMemory(blob.pbData, blob.cbData);
      LocalFree(blob.pbData);
    }
  }
};

bool Fail(const char* fn, DWORD code, Failure* f) {
  f->fn = fn;
  f->code = code;
  f->message = std::string(fn) + " failed: error " + std::to_string(code);
  const std::string text = http::ErrorText(code);
  if (!text.empty()) f->message += " (" + text + ")";
  return false;
}

bool Run(bool protect, const std::vector<unsigned char>& in, const std::string& entropy, std::vector<unsigned char>* out,
         Failure* f) {
  const Crypt32* c = GetCrypt32();
  if (!c->error.empty()) {
    f->fn = "LoadLibrary";
    f->message = "DPAPI is not available: " + c->error;
    return false;
  }
  if (in.size() > kMaxBytes) return Fail(protect ? "CryptProtectData" : "CryptUnprotectData", ERROR_INVALID_PARAMETER, f);
  std::vector<unsigned char> in_copy(in);  // DATA_BLOB takes a non-const pointer
  std::string entropy_copy(entropy);
  DATA_BLOB input{static_cast<DWORD>(in_copy.size()), in_copy.empty() ? nullptr : in_copy.data()};
  DATA_BLOB extra{static_cast<DWORD>(entropy_copy.size()), reinterpret_cast<BYTE*>(&entropy_copy[0])};
  LocalBlob result;
  BOOL ok;
  if (protect) {
    ok = c->protect(&input, L"Wildix CTI f\u00fcr DATEV", &extra, nullptr, nullptr, CRYPTPROTECT_UI_FORBIDDEN, &result.blob);
  } else {
    ok = c->unprotect(&input, nullptr, &extra, nullptr, nullptr, CRYPTPROTECT_UI_FORBIDDEN, &result.blob);
  }
  if (!in_copy.empty()) SecureZeroMemory(in_copy.data(), in_copy.size());
  if (!ok) return Fail(protect ? "CryptProtectData" : "CryptUnprotectData", GetLastError(), f);
  out->assign(result.blob.pbData, result.blob.pbData + result.blob.cbData);
  return true;
}

bool Guarded(bool protect, const std::vector<unsigned char>& in, const std::string& entropy, std::vector<unsigned char>* out,
             Failure* f) noexcept {
  try {
    return Run(protect, in, entropy, out, f);
  } catch (...) {  // std::bad_alloc included: a typed failure, never an exception out of the worker
    try {
      f->fn = "internal";
      f->message = std::string("internal error: ") + winx::CurrentExceptionWhat();
    } catch (...) {
      f->fn.clear();
      f->message.clear();
    }
    f->code = ERROR_NOT_ENOUGH_MEMORY;
    return false;
  }
}

}  // namespace

bool Protect(const std::vector<unsigned char>& plain, const std::string& entropy, std::vector<unsigned char>* out,
             Failure* failure) noexcept {
  return Guarded(true, plain, entropy, out, failure);
}

bool Unprotect(const std::vector<unsigned char>& blob, const std::string& entropy, std::vector<unsigned char>* out,
               Failure* failure) noexcept {
  return Guarded(false, blob, entropy, out, failure);
}

}  // namespace wildix::dpapi
