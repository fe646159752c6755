// DPAPI for the current Windows user (CryptProtectData/CryptUnprotectData from System32\crypt32.dll,
// loaded at run time). Blocking but short; the module runs it on a worker thread.
#pragma once

#include <windows.h>

#include <string>
#include <vector>

namespace wildix::dpapi {

struct Failure {
  std::string fn;
  DWORD code = 0;
  std::string message;
};

// Encrypts `plain` so that only the same Windows user (on this machine, or with a roaming profile)
// can decrypt it; `entropy` must be given again to decrypt. Never shows UI.
bool Protect(const std::vector<unsigned char>& plain, const std::string& entropy, std::vector<unsigned char>* out,
             Failure* failure) noexcept;

// The reverse; fails (e.g. ERROR_INVALID_DATA / NTE_BAD_DATA) for data of another user, another
// entropy or damaged data.
bool Unprotect(const std::vector<unsigned char>& blob, const std::string& entropy, std::vector<unsigned char>* out,
               Failure* failure) noexcept;

}  // namespace wildix::dpapi
