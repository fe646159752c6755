// LINEERR_* names for error messages.
#pragma once

#include <windows.h>

#include <string>

namespace tapi {

// "LINEERR_INVALCALLSTATE" for 0x8000001C; "0x80001234" for codes without a name.
std::string LineErrName(LONG code);

}  // namespace tapi
