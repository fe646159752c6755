// Late-bound access to an IDispatch by member name (GetIDsOfNames + Invoke).
#pragma once

#include <windows.h>
#include <oleauto.h>

#include "com/field_value.h"

namespace datev {

HRESULT GetProperty(IDispatch* obj, const wchar_t* name, VARIANT* out);
HRESULT PutProperty(IDispatch* obj, const wchar_t* name, const VARIANT& value);
// Calls method `name` with one argument. A DISP_E_EXCEPTION is turned into the exception's scode (or
// E_FAIL when it has none); `description` receives its text when there is one.
HRESULT CallMethod(IDispatch* obj, const wchar_t* name, const VARIANT& arg, std::wstring* description);

// Reads the fields whose bit (1 << index) is set in `mask`, by name; a field that cannot be read stays
// Missing. Every read is a round trip into DATEV's process, so read only what is needed.
inline constexpr unsigned kAllFields = (1u << kFieldCount) - 1;
constexpr unsigned FieldBit(int index) { return 1u << index; }
CallValues ReadFields(IDispatch* obj, unsigned mask = kAllFields);
// Writes every non-Missing field by name, typed as IDatevCtiData declares it. Returns the first failure.
HRESULT WriteFields(IDispatch* obj, const CallValues& values);

}  // namespace datev
