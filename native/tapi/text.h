// UTF-8 <-> UTF-16 for the TAPI W functions.
#pragma once

#include <string>

namespace tapi {

std::string WideToUtf8(const std::wstring &w);
std::string WideToUtf8(const wchar_t *w, size_t chars);
std::wstring Utf8ToWide(const std::string &s);

}  // namespace tapi
