// One blocking HTTP GET over WinHTTP (call it on a worker thread, never on the JS thread).
// Windows sign-in: with `sso` the request may log on as the current Windows user (automatic logon
// policy LOW, and on a 401/407 offering Negotiate or NTLM the default credentials are set and the
// request is sent again); without `sso` WinHTTP never answers a challenge, the 401 comes back as is.
#pragma once

#include <windows.h>

#include <string>
#include <utility>
#include <vector>

#include "http/winhttp_api.h"

namespace wildix::http {

struct GetRequest {
  std::wstring url;                                          // http:// or https://
  std::vector<std::pair<std::wstring, std::wstring>> headers;  // validated by the caller (no CR/LF)
  DWORD timeout_ms = 15000;  // each WinHTTP step, and the whole body read
  bool sso = false;
  size_t max_body = 256u * 1024u * 1024u;
};

struct GetResponse {
  DWORD status = 0;
  std::wstring raw_headers;  // status line + headers, CRLF separated
  std::string body;
  // The scheme the default credentials were set for after a challenge ("Negotiate", "NTLM"), else "".
  std::string sign_in;
};

struct GetError {
  std::string fn;  // the failing WinHTTP function
  DWORD code = 0;
  std::string message;
  bool timeout = false;
};

// The WinHTTP session all requests share (connection pool, keep-alive). Thread-safe to use.
class Session {
 public:
  explicit Session(const WinHttpApi* api, Internet handle) : api_(api), handle_(std::move(handle)) {}
  const WinHttpApi* api() const { return api_; }
  HINTERNET Get() const { return handle_.Get(); }

 private:
  const WinHttpApi* api_;
  Internet handle_;
};

// Opens the shared session; false with `err` set on failure.
bool OpenSession(const WinHttpApi* api, Internet* session, GetError* err);

// Performs the GET; true with `res`, or false with `err`. Never throws.
bool Get(const Session& session, const GetRequest& req, GetResponse* res, GetError* err) noexcept;

}  // namespace wildix::http
