#include "com/dispatch_util.h"

namespace datev {

namespace {

HRESULT IdOf(IDispatch* obj, const wchar_t* name, DISPID* id) {
  LPOLESTR names[1] = {const_cast<LPOLESTR>(name)};
  return obj->GetIDsOfNames(IID_NULL, names, 1, LOCALE_USER_DEFAULT, id);
}

}  // namespace

HRESULT GetProperty(IDispatch* obj, const wchar_t* name, VARIANT* out) {
  VariantInit(out);
  if (!obj) return E_POINTER;
  DISPID id = DISPID_UNKNOWN;
  HRESULT hr = IdOf(obj, name, &id);
  if (FAILED(hr)) return hr;
  DISPPARAMS none = {nullptr, nullptr, 0, 0};
  EXCEPINFO ex{};
  hr = obj->Invoke(id, IID_NULL, LOCALE_USER_DEFAULT, DISPATCH_PROPERTYGET, &none, out, &ex, nullptr);
  SysFreeString(ex.bstrSource);
  SysFreeString(ex.bstrDescription);
  SysFreeString(ex.bstrHelpFile);
  return hr;
}

HRESULT PutProperty(IDispatch* obj, const wchar_t* name, const VARIANT& value) {
  if (!obj) return E_POINTER;
  DISPID id = DISPID_UNKNOWN;
  HRESULT hr = IdOf(obj, name, &id);
  if (FAILED(hr)) return hr;
  VARIANT arg = value;  // shallow copy; Invoke does not take ownership
  DISPID named = DISPID_PROPERTYPUT;
  DISPPARAMS params = {&arg, &named, 1, 1};
  EXCEPINFO ex{};
  hr = obj->Invoke(id, IID_NULL, LOCALE_USER_DEFAULT, DISPATCH_PROPERTYPUT, &params, nullptr, &ex, nullptr);
  SysFreeString(ex.bstrSource);
  SysFreeString(ex.bstrDescription);
  SysFreeString(ex.bstrHelpFile);
  return hr;
}

HRESULT CallMethod(IDispatch* obj, const wchar_t* name, const VARIANT& argIn, std::wstring* description) {
  if (!obj) return E_POINTER;
  DISPID id = DISPID_UNKNOWN;
  HRESULT hr = IdOf(obj, name, &id);
  if (FAILED(hr)) return hr;
  VARIANT arg = argIn;
  DISPPARAMS params = {&arg, nullptr, 1, 0};
  VARIANT result;
  VariantInit(&result);
  EXCEPINFO ex{};
  UINT argErr = 0;
  hr = obj->Invoke(id, IID_NULL, LOCALE_USER_DEFAULT, DISPATCH_METHOD, &params, &result, &ex, &argErr);
  VariantClear(&result);
  if (hr == DISP_E_EXCEPTION) {
    if (ex.pfnDeferredFillIn) ex.pfnDeferredFillIn(&ex);
    if (ex.scode != 0) hr = ex.scode;
    else hr = E_FAIL;
    if (description && ex.bstrDescription) description->assign(ex.bstrDescription, SysStringLen(ex.bstrDescription));
  }
  SysFreeString(ex.bstrSource);
  SysFreeString(ex.bstrDescription);
  SysFreeString(ex.bstrHelpFile);
  return hr;
}

CallValues ReadFields(IDispatch* obj, unsigned mask) {
  CallValues values;
  for (int i = 0; i < kFieldCount; ++i) {
    if (!(mask & FieldBit(i))) continue;
    VARIANT v;
    if (SUCCEEDED(GetProperty(obj, kFieldNames[i], &v))) values[static_cast<size_t>(i)] = FromVariant(v);
    VariantClear(&v);
  }
  return values;
}

HRESULT WriteFields(IDispatch* obj, const CallValues& values) {
  HRESULT first = S_OK;
  for (int i = 0; i < kFieldCount; ++i) {
    const FieldValue& f = values[static_cast<size_t>(i)];
    if (f.kind == FieldValue::Kind::Missing) continue;
    VARIANT v;
    HRESULT hr = ToFieldVariant(i, f, &v);
    if (SUCCEEDED(hr)) hr = PutProperty(obj, kFieldNames[i], v);
    VariantClear(&v);
    if (FAILED(hr) && SUCCEEDED(first)) first = hr;
  }
  return first;
}

}  // namespace datev
