// The WinHTTP functions native/http uses, resolved from System32\winhttp.dll at run time (see
// system_dll.h), plus an RAII holder for HINTERNET handles.
#pragma once

#include <windows.h>
#include <winhttp.h>

#include <string>
#include <utility>

namespace wildix::http {

struct WinHttpApi {
  decltype(&::WinHttpOpen) Open = nullptr;
  decltype(&::WinHttpConnect) Connect = nullptr;
  decltype(&::WinHttpOpenRequest) OpenRequest = nullptr;
  decltype(&::WinHttpSetTimeouts) SetTimeouts = nullptr;
  decltype(&::WinHttpSetOption) SetOption = nullptr;
  decltype(&::WinHttpSendRequest) SendRequest = nullptr;
  decltype(&::WinHttpReceiveResponse) ReceiveResponse = nullptr;
  decltype(&::WinHttpQueryHeaders) QueryHeaders = nullptr;
  decltype(&::WinHttpQueryAuthSchemes) QueryAuthSchemes = nullptr;
  decltype(&::WinHttpSetCredentials) SetCredentials = nullptr;
  decltype(&::WinHttpReadData) ReadData = nullptr;
  decltype(&::WinHttpCrackUrl) CrackUrl = nullptr;
  decltype(&::WinHttpCloseHandle) CloseHandle = nullptr;
  HMODULE module = nullptr;  // for FormatMessage of WinHTTP's own error codes
};

// The process-wide table (loaded on first use, thread-safe). nullptr when winhttp.dll or one of its
// exports is missing; `error` then says which.
const WinHttpApi* GetWinHttpApi(std::string* error);

// System text of a Win32 or WinHTTP error code (may be empty), UTF-8, without the trailing period.
std::string ErrorText(DWORD code);

// An HINTERNET closed with WinHttpCloseHandle.
class Internet {
 public:
  Internet() = default;
  Internet(const WinHttpApi* api, HINTERNET h) : api_(api), h_(h) {}
  Internet(const Internet&) = delete;
  Internet& operator=(const Internet&) = delete;
  Internet(Internet&& o) noexcept : api_(o.api_), h_(std::exchange(o.h_, nullptr)) {}
  Internet& operator=(Internet&& o) noexcept {
    if (this != &o) {
      Reset();
      api_ = o.api_;
      h_ = std::exchange(o.h_, nullptr);
    }
    return *this;
  }
  ~Internet() { Reset(); }

  void Reset() {
    if (h_) api_->CloseHandle(std::exchange(h_, nullptr));
  }
  HINTERNET Get() const { return h_; }
  explicit operator bool() const { return h_ != nullptr; }

 private:
  const WinHttpApi* api_ = nullptr;
  HINTERNET h_ = nullptr;
};

}  // namespace wildix::http
