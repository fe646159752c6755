#include "win/run_key.h"

#include <vector>

#include "win/win_handles.h"

namespace winx {

const wchar_t kRunKey[] = L"Software\\Microsoft\\Windows\\CurrentVersion\\Run";

LONG SetRunValue(const std::wstring& name, const std::wstring& command) {
  UniqueHkey key;
  LONG rc = RegCreateKeyExW(HKEY_CURRENT_USER, kRunKey, 0, nullptr, REG_OPTION_NON_VOLATILE, KEY_SET_VALUE,
                            nullptr, key.Put(), nullptr);
  if (rc != ERROR_SUCCESS) return rc;
  const DWORD bytes = static_cast<DWORD>((command.size() + 1) * sizeof(wchar_t));
  return RegSetValueExW(key.Get(), name.c_str(), 0, REG_SZ, reinterpret_cast<const BYTE*>(command.c_str()), bytes);
}

LONG GetRunValueOf(HKEY root, const std::wstring& name, std::wstring* value) {
  UniqueHkey key;
  // the 64-bit view: where the x64 MSI writes the machine-wide logon start
  LONG rc = RegOpenKeyExW(root, kRunKey, 0, KEY_QUERY_VALUE | KEY_WOW64_64KEY, key.Put());
  if (rc != ERROR_SUCCESS) return rc;
  // The value may change between the size query and the read: retry a few times.
  for (int attempt = 0; attempt < 4; ++attempt) {
    DWORD type = 0;
    DWORD bytes = 0;
    rc = RegQueryValueExW(key.Get(), name.c_str(), nullptr, &type, nullptr, &bytes);
    if (rc != ERROR_SUCCESS) return rc;
    if (type != REG_SZ && type != REG_EXPAND_SZ) return ERROR_INVALID_DATA;
    std::vector<wchar_t> buffer(bytes / sizeof(wchar_t) + 2, L'\0');
    DWORD size = static_cast<DWORD>((buffer.size() - 1) * sizeof(wchar_t));
    rc = RegQueryValueExW(key.Get(), name.c_str(), nullptr, &type, reinterpret_cast<BYTE*>(buffer.data()), &size);
    if (rc == ERROR_MORE_DATA) continue;
    if (rc != ERROR_SUCCESS) return rc;
    // Registry strings need not be NUL-terminated: the buffer has a spare NUL at the end.
    value->assign(buffer.data());
    return ERROR_SUCCESS;
  }
  return ERROR_MORE_DATA;
}

LONG DeleteRunValue(const std::wstring& name) {
  UniqueHkey key;
  LONG rc = RegOpenKeyExW(HKEY_CURRENT_USER, kRunKey, 0, KEY_SET_VALUE, key.Put());
  if (rc != ERROR_SUCCESS) return rc;
  return RegDeleteValueW(key.Get(), name.c_str());
}

}  // namespace winx
