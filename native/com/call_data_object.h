// An automation object holding the 11 IDatevCtiData properties: IDispatch with case-insensitive names and
// DISPIDs 1-11, PROPERTYGET and PROPERTYPUT; also answers the IDatevCtiData IID (dispatch-only).
// Lives in one apartment; not thread-safe by itself.
#pragma once

#include <windows.h>
#include <oleauto.h>

#include <array>

#include "com/field_value.h"

namespace datev {

class CallDataObject final : public IDispatch {
 public:
  // Values typed as IDatevCtiData declares them (program → DATEV). Fails for values of the wrong kind.
  static HRESULT CreateTyped(const CallValues& values, CallDataObject** out);
  // Values stored as given; reading a field that is not present fails (DISP_E_MEMBERNOTFOUND) until
  // it is written.
  static HRESULT CreateRaw(const std::array<VARIANT, kFieldCount>& values, const std::array<bool, kFieldCount>& present,
                           CallDataObject** out);

  // Current values (Missing for absent fields).
  CallValues Values() const;
  const VARIANT& Raw(int index) const { return values_[static_cast<size_t>(index)]; }
  bool Present(int index) const { return present_[static_cast<size_t>(index)]; }

  // IUnknown
  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void** ppv) override;
  ULONG STDMETHODCALLTYPE AddRef() override;
  ULONG STDMETHODCALLTYPE Release() override;
  // IDispatch
  HRESULT STDMETHODCALLTYPE GetTypeInfoCount(UINT* count) override;
  HRESULT STDMETHODCALLTYPE GetTypeInfo(UINT index, LCID lcid, ITypeInfo** info) override;
  HRESULT STDMETHODCALLTYPE GetIDsOfNames(REFIID riid, LPOLESTR* names, UINT count, LCID lcid, DISPID* ids) override;
  HRESULT STDMETHODCALLTYPE Invoke(DISPID id, REFIID riid, LCID lcid, WORD flags, DISPPARAMS* params, VARIANT* result,
                                   EXCEPINFO* excep, UINT* argErr) override;

 private:
  CallDataObject();
  ~CallDataObject();
  CallDataObject(const CallDataObject&) = delete;
  CallDataObject& operator=(const CallDataObject&) = delete;

  LONG refs_ = 1;
  std::array<VARIANT, kFieldCount> values_;
  std::array<bool, kFieldCount> present_{};
};

}  // namespace datev
