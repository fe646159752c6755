#include "http/winhttp_api.h"

#include "http/system_dll.h"

namespace wildix::http {

namespace {

struct Loaded {
  sysdll::Library library;
  WinHttpApi api;
  std::string error;  // empty when usable
};

Loaded* LoadOnce() {
  // Process lifetime on purpose: freeing a system DLL from a static destructor (inside DllMain at
  // process exit) is unsafe, and request threads may still be finishing then.
  Loaded* l = new Loaded();
  const DWORD rc = l->library.Load(L"winhttp.dll");
  if (rc != 0) {
    l->error = "winhttp.dll could not be loaded (Windows error " + std::to_string(rc) + ")";
    return l;
  }
  WinHttpApi& a = l->api;
  a.module = l->library.Get();
  struct Export {
    const char* name;
    bool found;
  };
  const Export exports[] = {
      {"WinHttpOpen", l->library.Resolve("WinHttpOpen", &a.Open)},
      {"WinHttpConnect", l->library.Resolve("WinHttpConnect", &a.Connect)},
      {"WinHttpOpenRequest", l->library.Resolve("WinHttpOpenRequest", &a.OpenRequest)},
      {"WinHttpSetTimeouts", l->library.Resolve("WinHttpSetTimeouts", &a.SetTimeouts)},
      {"WinHttpSetOption", l->library.Resolve("WinHttpSetOption", &a.SetOption)},
      {"WinHttpSendRequest", l->library.Resolve("WinHttpSendRequest", &a.SendRequest)},
      {"WinHttpReceiveResponse", l->library.Resolve("WinHttpReceiveResponse", &a.ReceiveResponse)},
      {"WinHttpQueryHeaders", l->library.Resolve("WinHttpQueryHeaders", &a.QueryHeaders)},
      {"WinHttpQueryAuthSchemes", l->library.Resolve("WinHttpQueryAuthSchemes", &a.QueryAuthSchemes)},
      {"WinHttpSetCredentials", l->library.Resolve("WinHttpSetCredentials", &a.SetCredentials)},
      {"WinHttpReadData", l->library.Resolve("WinHttpReadData", &a.ReadData)},
      {"WinHttpCrackUrl", l->library.Resolve("WinHttpCrackUrl", &a.CrackUrl)},
      {"WinHttpCloseHandle", l->library.Resolve("WinHttpCloseHandle", &a.CloseHandle)},
  };
  for (const Export& e : exports) {
    if (!e.found) {
      l->error = std::string("winhttp.dll does not export ") + e.name;
      break;
    }
  }
  return l;
}

}  // namespace

const WinHttpApi* GetWinHttpApi(std::string* error) {
  static Loaded* const loaded = LoadOnce();  // thread-safe initialisation (C++11)
  if (!loaded->error.empty()) {
    *error = loaded->error;
    return nullptr;
  }
  return &loaded->api;
}

std::string ErrorText(DWORD code) {
  wchar_t* text = nullptr;
  DWORD flags = FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS;
  std::string ignored;
  const WinHttpApi* api = (code >= WINHTTP_ERROR_BASE && code < WINHTTP_ERROR_BASE + 200) ? GetWinHttpApi(&ignored) : nullptr;
  if (api) flags |= FORMAT_MESSAGE_FROM_HMODULE;
  const DWORD n = FormatMessageW(flags, api ? api->module : nullptr, code, 0, reinterpret_cast<wchar_t*>(&text), 0, nullptr);
  std::wstring w = n && text ? std::wstring(text, n) : std::wstring();
  if (text) LocalFree(text);
  while (!w.empty() && (w.back() == L'\n' || w.back() == L'\r' || w.back() == L' ' || w.back() == L'.')) w.pop_back();
  std::string out;
  const int len = WideCharToMultiByte(CP_UTF8, 0, w.data(), static_cast<int>(w.size()), nullptr, 0, nullptr, nullptr);
  if (len > 0) {
    out.resize(static_cast<size_t>(len));
    WideCharToMultiByte(CP_UTF8, 0, w.data(), static_cast<int>(w.size()), &out[0], len, nullptr, nullptr);
  }
  return out;
}

}  // namespace wildix::http
