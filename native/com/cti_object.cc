#include "com/cti_object.h"

namespace datev {

HRESULT CtiObject::QueryInterface(REFIID riid, void** ppv) {
  if (!ppv) return E_POINTER;
  if (IsEqualIID(riid, IID_IUnknown) || IsEqualIID(riid, kIidControl)) {
    *ppv = static_cast<IDatevCtiControl*>(this);
  } else if (IsEqualIID(riid, kIidHistory)) {
    *ppv = static_cast<IDatevCtiHistory*>(this);
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
  HRESULT hr = handler_ ? handler_->HandleRequest(kind, callData) : CO_E_OBJNOTCONNECTED;
  Release();
  return hr;
}

HRESULT CtiObject::Dial(IDispatch* callData) { return Forward(RequestKind::Dial, callData); }
HRESULT CtiObject::Drop(IDispatch* callData) { return Forward(RequestKind::Drop, callData); }
HRESULT CtiObject::GetCallData(IDispatch* callData) { return Forward(RequestKind::GetCallData, callData); }

}  // namespace datev
