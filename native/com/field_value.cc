#include "com/field_value.h"

#include <cmath>

namespace datev {

namespace {
constexpr double kMsPerDay = 86400000.0;
}  // namespace

// OLE DATE: the integer part is the day (relative to 1899-12-30), the absolute fraction the time of day.
bool DateToParts(double date, DateParts* out) {
  if (!std::isfinite(date) || date < -657434.0 || date >= 2958466.0) return false;
  double day = std::trunc(date);
  long long ms = std::llround(std::fabs(date - day) * kMsPerDay);
  if (ms >= 86400000LL) ms = 86399999LL;
  SYSTEMTIME st{};
  if (!VariantTimeToSystemTime(day, &st)) return false;
  out->year = st.wYear;
  out->month = st.wMonth;
  out->day = st.wDay;
  out->hour = static_cast<int>(ms / 3600000LL);
  out->minute = static_cast<int>((ms / 60000LL) % 60);
  out->second = static_cast<int>((ms / 1000LL) % 60);
  out->millis = static_cast<int>(ms % 1000LL);
  return true;
}

bool PartsToDate(const DateParts& p, double* out) {
  if (p.year < 100 || p.year > 9999 || p.month < 1 || p.month > 12 || p.day < 1 || p.day > 31 || p.hour < 0 ||
      p.hour > 23 || p.minute < 0 || p.minute > 59 || p.second < 0 || p.second > 59 || p.millis < 0 ||
      p.millis > 999) {
    return false;
  }
  SYSTEMTIME st{};
  st.wYear = static_cast<WORD>(p.year);
  st.wMonth = static_cast<WORD>(p.month);
  st.wDay = static_cast<WORD>(p.day);
  double day = 0;
  if (!SystemTimeToVariantTime(&st, &day)) return false;
  double frac = (((p.hour * 60.0 + p.minute) * 60.0 + p.second) * 1000.0 + p.millis) / kMsPerDay;
  *out = day >= 0 ? day + frac : day - frac;
  return true;
}

FieldValue FromVariant(const VARIANT& in) {
  FieldValue f;
  VARIANT v;
  VariantInit(&v);
  if (FAILED(VariantCopyInd(&v, const_cast<VARIANT*>(&in)))) {
    f.kind = FieldValue::Kind::Unsupported;
    f.vt = in.vt;
    return f;
  }
  f.vt = v.vt;
  switch (v.vt) {
    case VT_EMPTY:
    case VT_NULL:
      f.kind = FieldValue::Kind::Null;
      break;
    case VT_BSTR: {
      f.kind = FieldValue::Kind::String;
      size_t len = v.bstrVal ? SysStringLen(v.bstrVal) : 0;
      if (len > kMaxStringChars) {
        len = kMaxStringChars;
        // never split a surrogate pair
        if (IS_HIGH_SURROGATE(v.bstrVal[len - 1])) --len;
        f.truncated = true;
      }
      if (len) f.str.assign(v.bstrVal, len);
      break;
    }
    case VT_I1: f.kind = FieldValue::Kind::Number; f.number = v.cVal; break;
    case VT_UI1: f.kind = FieldValue::Kind::Number; f.number = v.bVal; break;
    case VT_I2: f.kind = FieldValue::Kind::Number; f.number = v.iVal; break;
    case VT_UI2: f.kind = FieldValue::Kind::Number; f.number = v.uiVal; break;
    case VT_I4: f.kind = FieldValue::Kind::Number; f.number = v.lVal; break;
    case VT_UI4: f.kind = FieldValue::Kind::Number; f.number = v.ulVal; break;
    case VT_INT: f.kind = FieldValue::Kind::Number; f.number = v.intVal; break;
    case VT_UINT: f.kind = FieldValue::Kind::Number; f.number = v.uintVal; break;
    case VT_I8: f.kind = FieldValue::Kind::Number; f.number = static_cast<double>(v.llVal); break;
    case VT_UI8: f.kind = FieldValue::Kind::Number; f.number = static_cast<double>(v.ullVal); break;
    case VT_BOOL: f.kind = FieldValue::Kind::Bool; f.flag = v.boolVal != VARIANT_FALSE; break;
    case VT_DATE:
      f.kind = DateToParts(v.date, &f.date) ? FieldValue::Kind::Date : FieldValue::Kind::Unsupported;
      break;
    default:
      f.kind = FieldValue::Kind::Unsupported;
      break;
  }
  VariantClear(&v);
  return f;
}

HRESULT ToVariant(const FieldValue& f, VARIANT* out) {
  VariantInit(out);
  switch (f.kind) {
    case FieldValue::Kind::Missing:
      return S_OK;
    case FieldValue::Kind::Null:
      out->vt = VT_NULL;
      return S_OK;
    case FieldValue::Kind::String:
      out->bstrVal = SysAllocStringLen(f.str.data(), static_cast<UINT>(f.str.size()));
      if (!out->bstrVal) return E_OUTOFMEMORY;
      out->vt = VT_BSTR;
      return S_OK;
    case FieldValue::Kind::Number:
      if (std::isfinite(f.number) && f.number == std::floor(f.number) && f.number >= -2147483648.0 &&
          f.number <= 2147483647.0) {
        out->vt = VT_I4;
        out->lVal = static_cast<LONG>(f.number);
      } else {
        out->vt = VT_R8;
        out->dblVal = f.number;
      }
      return S_OK;
    case FieldValue::Kind::Bool:
      out->vt = VT_BOOL;
      out->boolVal = f.flag ? VARIANT_TRUE : VARIANT_FALSE;
      return S_OK;
    case FieldValue::Kind::Date:
      if (!PartsToDate(f.date, &out->date)) return E_INVALIDARG;
      out->vt = VT_DATE;
      return S_OK;
    case FieldValue::Kind::Unsupported:
      break;
  }
  return E_INVALIDARG;
}

HRESULT ToFieldVariant(int index, const FieldValue& f, VARIANT* out) {
  HRESULT hr = ToVariant(f, out);
  if (FAILED(hr)) return hr;
  VARTYPE want = FieldType(index);
  if (out->vt == want || out->vt == VT_EMPTY || out->vt == VT_NULL) return S_OK;
  // e.g. a number for Direction arrives as VT_R8 only when it is not an integer: refuse it
  return VariantChangeType(out, out, 0, want);
}

}  // namespace datev
