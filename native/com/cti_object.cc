#include "com/cti_object.h"

#include <wchar.h>

#include <new>
#include <string>

#include "com/com_ptr.h"

namespace datev {

namespace {

using comx::ComPtr;

struct MethodName {
  const wchar_t* name;
  DISPID id;
  RequestKind kind;
};
constexpr MethodName kMethods[] = {
    {L"Dial", kDispidDial, RequestKind::Dial},
    {L"Drop", kDispidDrop, RequestKind::Drop},
    {L"GetCallData", kDispidGetCallData, RequestKind::GetCallData},
};

// The call-data object of a late-bound call: VT_DISPATCH (also a NULL one, which the method itself
// answers with E_POINTER), VT_DISPATCH|VT_BYREF, VT_UNKNOWN (|VT_BYREF) that answers IDispatch, or
// VT_VARIANT|VT_BYREF holding one of these. Anything else → DISP_E_TYPEMISMATCH.
HRESULT CallDataArgument(const VARIANT& arg, bool allowVariantRef, ComPtr<IDispatch>* out) {
  switch (arg.vt) {
    case VT_DISPATCH:
      *out = ComPtr<IDispatch>(arg.pdispVal, true);
      return S_OK;
    case VT_DISPATCH | VT_BYREF:
      if (!arg.ppdispVal) return DISP_E_TYPEMISMATCH;
      *out = ComPtr<IDispatch>(*arg.ppdispVal, true);
      return S_OK;
    case VT_UNKNOWN:
    case VT_UNKNOWN | VT_BYREF: {
      IUnknown* unknown = arg.vt == VT_UNKNOWN ? arg.punkVal : (arg.ppunkVal ? *arg.ppunkVal : nullptr);
      if (!unknown) return DISP_E_TYPEMISMATCH;
      return SUCCEEDED(unknown->QueryInterface(IID_IDispatch, out->PutVoid())) ? S_OK : DISP_E_TYPEMISMATCH;
    }
    case VT_VARIANT | VT_BYREF:
      if (!allowVariantRef || !arg.pvarVal) return DISP_E_TYPEMISMATCH;
      return CallDataArgument(*arg.pvarVal, false, out);
    default:
      return DISP_E_TYPEMISMATCH;
  }
}

const wchar_t* MethodLabel(RequestKind kind) {
  switch (kind) {
    case RequestKind::Dial: return L"Dial";
    case RequestKind::Drop: return L"Drop";
    case RequestKind::GetCallData: return L"GetCallData";
  }
  return L"?";
}

// "<Method>: <German text> / <English text> (0x........)" for a failed method.
std::wstring FailureText(RequestKind kind, HRESULT hr) {
  const wchar_t* text;
  switch (hr) {
    case E_INVALIDARG:
      text = L"Die Anfrage wurde abgelehnt (ung\u00fcltige Anrufdaten oder Fehler der Telefonie). / "
             L"The request was rejected (invalid call data or a telephony error).";
      break;
    case E_POINTER:
      text = L"Es wurde kein Anrufdaten-Objekt \u00fcbergeben. / No call data object was passed.";
      break;
    case RPC_E_TIMEOUT:
      text = L"Wildix CTI hat nicht rechtzeitig geantwortet. / Wildix CTI did not answer in time.";
      break;
    case CO_E_OBJNOTCONNECTED:
      text = L"Wildix CTI ist nicht mehr verbunden (wird beendet). / Wildix CTI is no longer connected (shutting down).";
      break;
    default:
      text = L"Die Anfrage ist fehlgeschlagen. / The request failed.";
      break;
  }
  return std::wstring(MethodLabel(kind)) + L": " + text + L" (" + comx::FromUtf8(comx::HexHr(hr)) + L")";
}

}  // namespace

HRESULT CtiObject::QueryInterface(REFIID riid, void** ppv) {
  if (!ppv) return E_POINTER;
  if (IsEqualIID(riid, IID_IUnknown) || IsEqualIID(riid, kIidControl)) {
    *ppv = static_cast<IDatevCtiControl*>(this);
  } else if (IsEqualIID(riid, kIidHistory)) {
    *ppv = static_cast<IDatevCtiHistory*>(this);
  } else if (IsEqualIID(riid, IID_IDispatch)) {
    *ppv = static_cast<IDispatch*>(this);
  } else {
    *ppv = nullptr;
    return E_NOINTERFACE;
  }
  AddRef();
  return S_OK;
}

ULONG CtiObject::AddRef() { return static_cast<ULONG>(InterlockedIncrement(&refs_)); }

ULONG CtiObject::Release() {
  LONG n = InterlockedDecrement(&refs_);
  if (n == 0) delete this;
  return static_cast<ULONG>(n);
}

HRESULT CtiObject::Forward(RequestKind kind, IDispatch* callData) {
  if (!handler_) return CO_E_OBJNOTCONNECTED;
  AddRef();  // the handler pumps messages; a revoke in between must not free us
  HRESULT hr;
  try {  // no C++ exception may cross the COM boundary
    hr = handler_ ? handler_->HandleRequest(kind, callData) : CO_E_OBJNOTCONNECTED;
  } catch (const std::bad_alloc&) {
    hr = E_OUTOFMEMORY;
  } catch (...) {
    hr = E_UNEXPECTED;
  }
  Release();
  return hr;
}

HRESULT CtiObject::InstanceProperty(WORD flags, DISPPARAMS* params, VARIANT* result) {
  if (!(flags & DISPATCH_PROPERTYGET) || (flags & (DISPATCH_PROPERTYPUT | DISPATCH_PROPERTYPUTREF))) {
    return DISP_E_MEMBERNOTFOUND;
  }
  if (params && params->cArgs != 0) return DISP_E_BADPARAMCOUNT;
  if (!result) return E_POINTER;
  VariantInit(result);
  if (!handler_) return CO_E_OBJNOTCONNECTED;
  std::wstring token;
  try {
    token = handler_->InstanceToken();
  } catch (...) {
    return E_OUTOFMEMORY;
  }
  result->vt = VT_BSTR;
  result->bstrVal = SysAllocStringLen(token.data(), static_cast<UINT>(token.size()));
  return result->bstrVal ? S_OK : E_OUTOFMEMORY;
}

HRESULT CtiObject::Dial(IDispatch* callData) { return Forward(RequestKind::Dial, callData); }
HRESULT CtiObject::Drop(IDispatch* callData) { return Forward(RequestKind::Drop, callData); }
HRESULT CtiObject::GetCallData(IDispatch* callData) { return Forward(RequestKind::GetCallData, callData); }

HRESULT CtiObject::GetTypeInfoCount(UINT* count) {
  if (!count) return E_POINTER;
  *count = 0;
  return S_OK;
}

HRESULT CtiObject::GetTypeInfo(UINT, LCID, ITypeInfo** info) {
  if (info) *info = nullptr;
  return DISP_E_BADINDEX;
}

HRESULT CtiObject::GetIDsOfNames(REFIID riid, LPOLESTR* names, UINT count, LCID, DISPID* ids) {
  if (!IsEqualIID(riid, IID_NULL)) return DISP_E_UNKNOWNINTERFACE;
  if (!names || !ids) return E_POINTER;
  if (count == 0) return S_OK;
  HRESULT hr = S_OK;
  ids[0] = DISPID_UNKNOWN;
  for (const MethodName& m : kMethods) {
    if (names[0] && _wcsicmp(names[0], m.name) == 0) ids[0] = m.id;
  }
  if (names[0] && _wcsicmp(names[0], L"WildixCtiInstance") == 0) ids[0] = kDispidInstance;
  if (ids[0] == DISPID_UNKNOWN) hr = DISP_E_UNKNOWNNAME;
  for (UINT k = 1; k < count; ++k) {  // the methods have no named parameters
    ids[k] = DISPID_UNKNOWN;
    hr = DISP_E_UNKNOWNNAME;
  }
  return hr;
}

HRESULT CtiObject::Invoke(DISPID id, REFIID riid, LCID, WORD flags, DISPPARAMS* params, VARIANT* result,
                          EXCEPINFO* excep, UINT* argErr) {
  if (!IsEqualIID(riid, IID_NULL)) return DISP_E_UNKNOWNINTERFACE;
  if (id == kDispidInstance) return InstanceProperty(flags, params, result);
  const MethodName* method = nullptr;
  for (const MethodName& m : kMethods) {
    if (m.id == id) method = &m;
  }
  if (!method) return DISP_E_MEMBERNOTFOUND;
  // A method call; VB and VBScript also send DISPATCH_METHOD | DISPATCH_PROPERTYGET. No property puts.
  if (!(flags & DISPATCH_METHOD) || (flags & (DISPATCH_PROPERTYPUT | DISPATCH_PROPERTYPUTREF))) {
    return DISP_E_MEMBERNOTFOUND;
  }
  if (!params) return E_POINTER;
  if (params->cNamedArgs != 0) return DISP_E_NONAMEDARGS;
  if (params->cArgs != 1) return DISP_E_BADPARAMCOUNT;
  if (!params->rgvarg) return E_POINTER;
  ComPtr<IDispatch> callData;
  if (FAILED(CallDataArgument(params->rgvarg[0], true, &callData))) {
    if (argErr) *argErr = 0;
    return DISP_E_TYPEMISMATCH;
  }
  if (result) VariantInit(result);
  HRESULT hr = Forward(method->kind, callData.Get());
  if (SUCCEEDED(hr)) return hr;  // S_OK, or S_FALSE (GetCallData: unknown CallID)
  if (!excep) return hr;
  excep->wCode = 0;
  excep->wReserved = 0;
  excep->bstrSource = SysAllocString(L"Wildix CTI");
  excep->bstrDescription = SysAllocString(FailureText(method->kind, hr).c_str());
  excep->bstrHelpFile = nullptr;
  excep->dwHelpContext = 0;
  excep->pvReserved = nullptr;
  excep->pfnDeferredFillIn = nullptr;
  excep->scode = hr;
  return DISP_E_EXCEPTION;
}

}  // namespace datev
