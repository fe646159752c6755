#include "http/http_get.h"

#include <exception>
#include <new>

namespace wildix::http {

namespace {

constexpr DWORD kWsaTimedOut = 10060;

bool Fail(const char* fn, DWORD code, GetError* err) {
  err->fn = fn;
  err->code = code;
  // Wine's winhttp reports a receive timeout as the socket error WSAETIMEDOUT (10060)
  err->timeout = code == ERROR_WINHTTP_TIMEOUT || code == kWsaTimedOut;
  err->message = std::string(fn) + " failed: error " + std::to_string(code);
  const std::string text = ErrorText(code);
  if (!text.empty()) err->message += " (" + text + ")";
  return false;
}

bool FailLast(const char* fn, GetError* err) { return Fail(fn, GetLastError(), err); }

bool TimedOut(ULONGLONG start, DWORD timeout_ms, GetError* err) {
  if (GetTickCount64() - start <= timeout_ms) return false;
  err->fn = "deadline";
  err->code = ERROR_WINHTTP_TIMEOUT;
  err->timeout = true;
  err->message = "no complete answer within " + std::to_string(timeout_ms) + " ms";
  return true;
}

bool SetDword(const WinHttpApi& api, HINTERNET h, DWORD option, DWORD value) {
  return api.SetOption(h, option, &value, sizeof(value)) != FALSE;
}

// Prefers Negotiate (Kerberos, falling back to NTLM inside SSPI) over plain NTLM; 0 = neither offered.
DWORD WindowsScheme(DWORD supported) {
  if (supported & WINHTTP_AUTH_SCHEME_NEGOTIATE) return WINHTTP_AUTH_SCHEME_NEGOTIATE;
  if (supported & WINHTTP_AUTH_SCHEME_NTLM) return WINHTTP_AUTH_SCHEME_NTLM;
  return 0;
}

bool DoGet(const Session& session, const GetRequest& req, GetResponse* res, GetError* err) {
  const WinHttpApi& api = *session.api();
  const ULONGLONG start = GetTickCount64();

  URL_COMPONENTS uc{};
  uc.dwStructSize = sizeof(uc);
  uc.dwSchemeLength = static_cast<DWORD>(-1);
  uc.dwHostNameLength = static_cast<DWORD>(-1);
  uc.dwUrlPathLength = static_cast<DWORD>(-1);
  uc.dwExtraInfoLength = static_cast<DWORD>(-1);
  if (!api.CrackUrl(req.url.c_str(), static_cast<DWORD>(req.url.size()), 0, &uc)) return FailLast("WinHttpCrackUrl", err);
  if (uc.nScheme != INTERNET_SCHEME_HTTP && uc.nScheme != INTERNET_SCHEME_HTTPS) {
    return Fail("WinHttpCrackUrl", ERROR_WINHTTP_UNRECOGNIZED_SCHEME, err);
  }
  const std::wstring host(uc.lpszHostName ? uc.lpszHostName : L"", uc.dwHostNameLength);
  if (host.empty()) return Fail("WinHttpCrackUrl", ERROR_WINHTTP_INVALID_URL, err);
  std::wstring path(uc.lpszUrlPath ? uc.lpszUrlPath : L"", uc.dwUrlPathLength);
  path.append(uc.lpszExtraInfo ? uc.lpszExtraInfo : L"", uc.dwExtraInfoLength);
  if (path.empty()) path = L"/";

  Internet connection(&api, api.Connect(session.Get(), host.c_str(), uc.nPort, 0));
  if (!connection) return FailLast("WinHttpConnect", err);
  const DWORD flags = uc.nScheme == INTERNET_SCHEME_HTTPS ? WINHTTP_FLAG_SECURE : 0;
  Internet request(&api, api.OpenRequest(connection.Get(), L"GET", path.c_str(), nullptr, WINHTTP_NO_REFERER,
                                         WINHTTP_DEFAULT_ACCEPT_TYPES, flags));
  if (!request) return FailLast("WinHttpOpenRequest", err);

  const int t = static_cast<int>(req.timeout_ms);
  if (!api.SetTimeouts(request.Get(), t, t, t, t)) return FailLast("WinHttpSetTimeouts", err);
  // the wait for the response headers has its own timeout (not covered by WinHttpSetTimeouts)
  if (!SetDword(api, request.Get(), WINHTTP_OPTION_RECEIVE_RESPONSE_TIMEOUT, req.timeout_ms)) {
    return FailLast("WinHttpSetOption(RECEIVE_RESPONSE_TIMEOUT)", err);
  }
  // Windows sign-in: LOW = the logged-on user's credentials may answer Negotiate/NTLM for any host;
  // HIGH = never. Redirects are never followed (no credentials for a host the config does not name),
  // and without sso WinHTTP does not answer challenges at all.
  const DWORD policy = req.sso ? WINHTTP_AUTOLOGON_SECURITY_LEVEL_LOW : WINHTTP_AUTOLOGON_SECURITY_LEVEL_HIGH;
  if (!SetDword(api, request.Get(), WINHTTP_OPTION_AUTOLOGON_POLICY, policy)) return FailLast("WinHttpSetOption(AUTOLOGON_POLICY)", err);
  const DWORD disabled = WINHTTP_DISABLE_REDIRECTS | (req.sso ? 0 : WINHTTP_DISABLE_AUTHENTICATION);
  if (!SetDword(api, request.Get(), WINHTTP_OPTION_DISABLE_FEATURE, disabled)) return FailLast("WinHttpSetOption(DISABLE_FEATURE)", err);

  std::wstring header_block;
  for (const auto& h : req.headers) header_block += h.first + L": " + h.second + L"\r\n";

  bool server_credentials_set = false;
  bool proxy_credentials_set = false;
  DWORD status = 0;
  for (;;) {
    if (TimedOut(start, req.timeout_ms, err)) return false;
    const BOOL sent = header_block.empty()
                          ? api.SendRequest(request.Get(), WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0)
                          : api.SendRequest(request.Get(), header_block.c_str(), static_cast<DWORD>(-1L), WINHTTP_NO_REQUEST_DATA, 0, 0, 0);
    if (!sent) return FailLast("WinHttpSendRequest", err);
    if (!api.ReceiveResponse(request.Get(), nullptr)) return FailLast("WinHttpReceiveResponse", err);
    DWORD size = sizeof(status);
    if (!api.QueryHeaders(request.Get(), WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER, WINHTTP_HEADER_NAME_BY_INDEX,
                          &status, &size, WINHTTP_NO_HEADER_INDEX)) {
      return FailLast("WinHttpQueryHeaders(STATUS_CODE)", err);
    }
    const bool server = status == HTTP_STATUS_DENIED;
    const bool proxy = status == HTTP_STATUS_PROXY_AUTH_REQ;
    bool& already = server ? server_credentials_set : proxy_credentials_set;
    if (!req.sso || !(server || proxy) || already) break;
    // The challenge offers Windows sign-in: set the default credentials (NULL user and password =
    // the logged-on user) and send again; WinHTTP then runs the Negotiate/NTLM handshake itself.
    DWORD supported = 0, first = 0, target = 0;
    if (!api.QueryAuthSchemes(request.Get(), &supported, &first, &target)) break;
    const DWORD scheme = WindowsScheme(supported);
    if (scheme == 0) break;
    if (!api.SetCredentials(request.Get(), server ? WINHTTP_AUTH_TARGET_SERVER : WINHTTP_AUTH_TARGET_PROXY, scheme, nullptr,
                            nullptr, nullptr)) {
      break;
    }
    already = true;
    res->sign_in = scheme == WINHTTP_AUTH_SCHEME_NEGOTIATE ? "Negotiate" : "NTLM";
  }
  res->status = status;

  DWORD bytes = 0;
  if (!api.QueryHeaders(request.Get(), WINHTTP_QUERY_RAW_HEADERS_CRLF, WINHTTP_HEADER_NAME_BY_INDEX, WINHTTP_NO_OUTPUT_BUFFER,
                        &bytes, WINHTTP_NO_HEADER_INDEX)) {
    const DWORD code = GetLastError();
    if (code != ERROR_INSUFFICIENT_BUFFER) return Fail("WinHttpQueryHeaders(RAW_HEADERS)", code, err);
    std::wstring raw(bytes / sizeof(wchar_t) + 1, L'\0');
    DWORD capacity = static_cast<DWORD>(raw.size() * sizeof(wchar_t));
    if (!api.QueryHeaders(request.Get(), WINHTTP_QUERY_RAW_HEADERS_CRLF, WINHTTP_HEADER_NAME_BY_INDEX, &raw[0], &capacity,
                          WINHTTP_NO_HEADER_INDEX)) {
      return FailLast("WinHttpQueryHeaders(RAW_HEADERS)", err);
    }
    raw.resize(capacity / sizeof(wchar_t));
    res->raw_headers = std::move(raw);
  }

  std::string chunk(64 * 1024, '\0');
  for (;;) {
    if (TimedOut(start, req.timeout_ms, err)) return false;
    DWORD read = 0;
    if (!api.ReadData(request.Get(), &chunk[0], static_cast<DWORD>(chunk.size()), &read)) return FailLast("WinHttpReadData", err);
    if (read == 0) break;
    if (res->body.size() + read > req.max_body) {
      err->fn = "WinHttpReadData";
      err->code = 0;
      err->message = "response larger than " + std::to_string(req.max_body) + " bytes";
      return false;
    }
    res->body.append(chunk.data(), read);
  }
  return true;
}

}  // namespace

bool OpenSession(const WinHttpApi* api, Internet* session, GetError* err) {
  HINTERNET h = api->Open(L"Wildix-DATEV-CTI", WINHTTP_ACCESS_TYPE_DEFAULT_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
  if (!h) return FailLast("WinHttpOpen", err);
  *session = Internet(api, h);
  return true;
}

bool Get(const Session& session, const GetRequest& req, GetResponse* res, GetError* err) noexcept {
  try {
    return DoGet(session, req, res, err);
  } catch (const std::bad_alloc&) {
    err->fn = "memory";
    err->code = ERROR_NOT_ENOUGH_MEMORY;
    err->message = "out of memory while reading the response";
    return false;
  } catch (const std::exception& e) {
    err->fn = "internal";
    err->code = 0;
    err->message = e.what();
    return false;
  }
}

}  // namespace wildix::http
