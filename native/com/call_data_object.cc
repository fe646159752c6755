#include "com/call_data_object.h"

#include <wchar.h>

#include <new>

namespace datev {

namespace {
constexpr size_t kSyncIdField = 1;  // CallID, SyncID, ... (datev-cti.md §1.2)
}  // namespace

CallDataObject::CallDataObject() {
  for (VARIANT& v : values_) VariantInit(&v);
}

CallDataObject::~CallDataObject() {
  for (VARIANT& v : values_) VariantClear(&v);
}

HRESULT CallDataObject::CreateTyped(const CallValues& values, CallDataObject** out) {
  *out = nullptr;
  CallDataObject* obj = new (std::nothrow) CallDataObject();
  if (!obj) return E_OUTOFMEMORY;
  for (int i = 0; i < kFieldCount; ++i) {
    HRESULT hr = ToFieldVariant(i, values[static_cast<size_t>(i)], &obj->values_[static_cast<size_t>(i)]);
    if (FAILED(hr)) {
      obj->Release();
      return hr;
    }
    obj->present_[static_cast<size_t>(i)] = true;
  }
  *out = obj;
  return S_OK;
}

HRESULT CallDataObject::AssignTyped(const CallValues& values) {
  std::array<VARIANT, kFieldCount> next;
  for (VARIANT& v : next) VariantInit(&v);
  for (int i = 0; i < kFieldCount; ++i) {
    HRESULT hr = ToFieldVariant(i, values[static_cast<size_t>(i)], &next[static_cast<size_t>(i)]);
    if (FAILED(hr)) {
      for (VARIANT& v : next) VariantClear(&v);
      return hr;
    }
  }
  for (size_t i = 0; i < values_.size(); ++i) {
    if (i == kSyncIdField && syncIdByDatev_) {
      VariantClear(&next[i]);  // DATEV's SyncID stays
      continue;
    }
    VariantClear(&values_[i]);
    values_[i] = next[i];  // takes ownership
    present_[i] = true;
  }
  return S_OK;
}

std::optional<std::wstring> CallDataObject::SyncIdFromDatev() const {
  if (!syncIdByDatev_) return std::nullopt;
  VARIANT v;
  VariantInit(&v);
  if (FAILED(VariantChangeType(&v, const_cast<VARIANT*>(&values_[kSyncIdField]), 0, VT_BSTR))) {
    return std::nullopt;  // a SyncID that is no text: not one to take over (the program's stays)
  }
  std::wstring value(v.bstrVal ? v.bstrVal : L"", v.bstrVal ? SysStringLen(v.bstrVal) : 0);
  VariantClear(&v);
  return value;
}

HRESULT CallDataObject::CreateRaw(const std::array<VARIANT, kFieldCount>& values,
                                  const std::array<bool, kFieldCount>& present, CallDataObject** out) {
  *out = nullptr;
  CallDataObject* obj = new (std::nothrow) CallDataObject();
  if (!obj) return E_OUTOFMEMORY;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!present[i]) continue;
    HRESULT hr = VariantCopy(&obj->values_[i], const_cast<VARIANT*>(&values[i]));
    if (FAILED(hr)) {
      obj->Release();
      return hr;
    }
    obj->present_[i] = true;
  }
  *out = obj;
  return S_OK;
}

CallValues CallDataObject::Values() const {
  CallValues out;
  for (size_t i = 0; i < values_.size(); ++i) {
    if (present_[i]) out[i] = FromVariant(values_[i]);
  }
  return out;
}

HRESULT CallDataObject::GetAs(int index, VARTYPE vt, VARIANT* out) const {
  VariantInit(out);
  if (index < 0 || index >= kFieldCount) return DISP_E_MEMBERNOTFOUND;
  size_t i = static_cast<size_t>(index);
  if (!present_[i]) return DISP_E_MEMBERNOTFOUND;
  return VariantChangeType(out, const_cast<VARIANT*>(&values_[i]), 0, vt);
}

HRESULT CallDataObject::Store(int index, const VARIANT& value) {
  if (index < 0 || index >= kFieldCount) return DISP_E_MEMBERNOTFOUND;
  size_t i = static_cast<size_t>(index);
  VARIANT copy;
  VariantInit(&copy);
  HRESULT hr = VariantCopyInd(&copy, const_cast<VARIANT*>(&value));
  if (FAILED(hr)) return hr;
  VariantClear(&values_[i]);
  values_[i] = copy;  // takes ownership
  present_[i] = true;
  if (i == kSyncIdField) syncIdByDatev_ = true;  // Store is DATEV's way in (property puts); the program's is AssignTyped
  return S_OK;
}

HRESULT CallDataObject::QueryInterface(REFIID riid, void** ppv) {
  if (!ppv) return E_POINTER;
  if (IsEqualIID(riid, IID_IUnknown) || IsEqualIID(riid, IID_IDispatch) || IsEqualIID(riid, kIidData)) {
    *ppv = static_cast<IDatevCtiDataDual*>(this);
    AddRef();
    return S_OK;
  }
  *ppv = nullptr;
  return E_NOINTERFACE;
}

ULONG CallDataObject::AddRef() { return static_cast<ULONG>(InterlockedIncrement(&refs_)); }

ULONG CallDataObject::Release() {
  LONG n = InterlockedDecrement(&refs_);
  if (n == 0) delete this;
  return static_cast<ULONG>(n);
}

HRESULT CallDataObject::GetTypeInfoCount(UINT* count) {
  if (!count) return E_POINTER;
  *count = 0;
  return S_OK;
}

HRESULT CallDataObject::GetTypeInfo(UINT, LCID, ITypeInfo** info) {
  if (info) *info = nullptr;
  return DISP_E_BADINDEX;
}

HRESULT CallDataObject::GetIDsOfNames(REFIID, LPOLESTR* names, UINT count, LCID, DISPID* ids) {
  ++access_.names;
  if (!names || !ids) return E_POINTER;
  if (count == 0) return S_OK;
  HRESULT hr = S_OK;
  ids[0] = DISPID_UNKNOWN;
  for (int i = 0; i < kFieldCount; ++i) {
    if (names[0] && _wcsicmp(names[0], kFieldNames[i]) == 0) ids[0] = i + 1;
  }
  if (ids[0] == DISPID_UNKNOWN) hr = DISP_E_UNKNOWNNAME;
  for (UINT k = 1; k < count; ++k) {  // properties have no named parameters
    ids[k] = DISPID_UNKNOWN;
    hr = DISP_E_UNKNOWNNAME;
  }
  return hr;
}

HRESULT CallDataObject::Invoke(DISPID id, REFIID, LCID, WORD flags, DISPPARAMS* params, VARIANT* result, EXCEPINFO*,
                               UINT* argErr) {
  ++access_.dispids;
  if (id < 1 || id > kFieldCount) return DISP_E_MEMBERNOTFOUND;
  size_t i = static_cast<size_t>(id - 1);
  if (!params) return E_POINTER;
  if (flags & (DISPATCH_PROPERTYPUT | DISPATCH_PROPERTYPUTREF)) {
    if (params->cArgs != 1) return DISP_E_BADPARAMCOUNT;
    if (params->cNamedArgs != 1 || !params->rgdispidNamedArgs || params->rgdispidNamedArgs[0] != DISPID_PROPERTYPUT)
      return DISP_E_PARAMNOTOPTIONAL;
    HRESULT hr = Store(id - 1, params->rgvarg[0]);
    if (FAILED(hr) && argErr) *argErr = 0;
    return hr;
  }
  if (flags & (DISPATCH_PROPERTYGET | DISPATCH_METHOD)) {
    if (params->cArgs != 0) return DISP_E_BADPARAMCOUNT;
    if (!present_[i]) return DISP_E_MEMBERNOTFOUND;
    if (!result) return S_OK;
    VariantInit(result);
    return VariantCopy(result, &values_[i]);
  }
  return DISP_E_MEMBERNOTFOUND;
}

}  // namespace datev
