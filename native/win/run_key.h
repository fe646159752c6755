// Per-user autostart: values of HKCU\Software\Microsoft\Windows\CurrentVersion\Run (no admin rights);
// the machine-wide one in HKLM is only read.
#pragma once

#include <windows.h>

#include <string>

namespace winx {

extern const wchar_t kRunKey[];

// ERROR_SUCCESS or a Win32 error code.
LONG SetRunValue(const std::wstring& name, const std::wstring& command);

// The Run value `name` of `root` (HKCU, or HKLM read only: the all-users MSI's logon start; 64-bit view):
// ERROR_SUCCESS (found, *value set), ERROR_FILE_NOT_FOUND (no such value or key) or another error.
LONG GetRunValueOf(HKEY root, const std::wstring& name, std::wstring* value);

// ERROR_SUCCESS (deleted), ERROR_FILE_NOT_FOUND (was not there) or another error.
LONG DeleteRunValue(const std::wstring& name);

}  // namespace winx
