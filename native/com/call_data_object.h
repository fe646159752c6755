// An automation object holding the 11 IDatevCtiData properties: IDispatch with case-insensitive names and
// DISPIDs 1-11, PROPERTYGET and PROPERTYPUT; also answers the IDatevCtiData IID, with the dual vtable.
// Lives in one apartment; not thread-safe by itself.
#pragma once

#include <windows.h>
#include <oleauto.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "com/field_value.h"

namespace datev {

class CallDataObject final : public IDatevCtiDataDual {
 public:
  // Values typed as IDatevCtiData declares them (program → DATEV). Fails for values of the wrong kind.
  static HRESULT CreateTyped(const CallValues& values, CallDataObject** out);
  // Values stored as given; reading a field that is not present fails (DISP_E_MEMBERNOTFOUND) until
  // it is written.
  static HRESULT CreateRaw(const std::array<VARIANT, kFieldCount>& values, const std::array<bool, kFieldCount>& present,
                           CallDataObject** out);

  // Replaces every field with `values`, typed as CreateTyped does (the same object is re-sent for every
  // notification of a call). Leaves the object unchanged on failure.
  // The program's new values for all fields -- except a SyncID DATEV wrote into this object: DATEV
  // creates SyncIDs (datev-cti.md §3.3, §8.3: never clear one DATEV has set), so that one stays.
  HRESULT AssignTyped(const CallValues& values);
  // The SyncID DATEV wrote into this object as text (a property put from outside), if it did.
  std::optional<std::wstring> SyncIdFromDatev() const;

  // How the object was used from outside so far (DATEV reads it back during a notification): by name
  // (GetIDsOfNames), by DISPID (IDispatch::Invoke) or through the dual vtable -- an open question of
  // DATEV's interface (datev-cti.md §9.1), logged by the program.
  struct Access {
    uint32_t names = 0;
    uint32_t dispids = 0;
    uint32_t vtable = 0;
  };
  Access Accessed() const { return access_; }

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

  // IDatevCtiData (dual vtable)
#define DATEV_DUAL_PROPERTY(index, Name, Type, Vt, Member)                                      \
  HRESULT STDMETHODCALLTYPE get_##Name(Type* value) override {                                 \
    ++access_.vtable;                                                                          \
    if (!value) return E_POINTER;                                                              \
    VARIANT v;                                                                                 \
    HRESULT hr = GetAs(index, Vt, &v);                                                         \
    if (SUCCEEDED(hr)) *value = v.Member;                                                      \
    return hr;                                                                                 \
  }                                                                                            \
  HRESULT STDMETHODCALLTYPE put_##Name(Type value) override {                                  \
    ++access_.vtable;                                                                          \
    VARIANT v;                                                                                 \
    VariantInit(&v);                                                                           \
    v.vt = Vt;                                                                                 \
    v.Member = value;                                                                          \
    return Store(index, v);                                                                    \
  }
  DATEV_DUAL_PROPERTY(0, CallID, BSTR, VT_BSTR, bstrVal)
  DATEV_DUAL_PROPERTY(1, SyncID, BSTR, VT_BSTR, bstrVal)
  DATEV_DUAL_PROPERTY(2, Direction, LONG, VT_I4, lVal)
  DATEV_DUAL_PROPERTY(3, Begin, DATE, VT_DATE, date)
  DATEV_DUAL_PROPERTY(4, End, DATE, VT_DATE, date)
  DATEV_DUAL_PROPERTY(5, CallState, LONG, VT_I4, lVal)
  DATEV_DUAL_PROPERTY(6, Adressatenname, BSTR, VT_BSTR, bstrVal)
  DATEV_DUAL_PROPERTY(7, AdressatenId, BSTR, VT_BSTR, bstrVal)
  DATEV_DUAL_PROPERTY(8, DataSource, BSTR, VT_BSTR, bstrVal)
  DATEV_DUAL_PROPERTY(9, CalledNumber, BSTR, VT_BSTR, bstrVal)
  DATEV_DUAL_PROPERTY(10, Note, BSTR, VT_BSTR, bstrVal)
#undef DATEV_DUAL_PROPERTY

 private:
  CallDataObject();
  ~CallDataObject();
  // A copy of field `index` converted to `vt` (the caller owns it); DISP_E_MEMBERNOTFOUND when absent.
  HRESULT GetAs(int index, VARTYPE vt, VARIANT* out) const;
  // Stores a copy of `value` as field `index`.
  HRESULT Store(int index, const VARIANT& value);
  CallDataObject(const CallDataObject&) = delete;
  CallDataObject& operator=(const CallDataObject&) = delete;

  LONG refs_ = 1;
  std::array<VARIANT, kFieldCount> values_;
  std::array<bool, kFieldCount> present_{};
  bool syncIdByDatev_ = false;  // DATEV put the SyncID (Store of field 1)
  Access access_;
};

}  // namespace datev
