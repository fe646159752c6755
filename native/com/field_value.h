// One property value of DATEV's call data, independent of COM and of Node (crosses threads by copy).
#pragma once

#include <windows.h>
#include <oleauto.h>

#include <array>
#include <string>

#include "com/datev_ids.h"

namespace datev {

// Strings longer than this are cut (a hostile or broken caller must not make us copy megabytes).
inline constexpr size_t kMaxStringChars = 32768;

// Local wall-clock time, as OLE Automation DATE carries it.
struct DateParts {
  int year = 1899, month = 12, day = 30, hour = 0, minute = 0, second = 0, millis = 0;
};

struct FieldValue {
  enum class Kind { Missing, Null, String, Number, Bool, Date, Unsupported };
  Kind kind = Kind::Missing;
  std::wstring str;
  double number = 0;
  bool flag = false;
  DateParts date;
  VARTYPE vt = VT_EMPTY;   // original VARTYPE (for logs)
  bool truncated = false;  // str was cut to kMaxStringChars
};

using CallValues = std::array<FieldValue, kFieldCount>;

// VARIANT → FieldValue as documented for RawCallData: BSTR → string, integers → number, DATE → date,
// BOOL → bool, EMPTY/NULL → null, anything else → Unsupported.
FieldValue FromVariant(const VARIANT& v);
// FieldValue → VARIANT (Missing → VT_EMPTY). Returns E_INVALIDARG for Unsupported or an invalid date.
HRESULT ToVariant(const FieldValue& f, VARIANT* out);
// Like ToVariant but coerced to the declared COM type of field `index` (BSTR / VT_I4 / VT_DATE) when the
// value has a compatible kind; used for the object the program hands to DATEV.
HRESULT ToFieldVariant(int index, const FieldValue& f, VARIANT* out);

bool DateToParts(double date, DateParts* out);
bool PartsToDate(const DateParts& p, double* out);

}  // namespace datev
