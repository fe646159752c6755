// DATEV CTI identifiers and the two custom (IUnknown-derived) interfaces the CTI program implements.
// Source: shared/reference/datev-cti.md §1.1, §2.1.
#pragma once

#include <windows.h>
#include <ole2.h>

namespace datev {

// {867665AF-5040-4134-8D8D-3B7E9013EA12}
inline constexpr GUID kIidControl = {0x867665AF, 0x5040, 0x4134, {0x8D, 0x8D, 0x3B, 0x7E, 0x90, 0x13, 0xEA, 0x12}};
// {9B1B44F5-222A-49a1-A200-56DE9DF10676}
inline constexpr GUID kIidHistory = {0x9B1B44F5, 0x222A, 0x49A1, {0xA2, 0x00, 0x56, 0xDE, 0x9D, 0xF1, 0x06, 0x76}};
// {A4F23D58-64A0-412b-8A9A-0088026DC967}
inline constexpr GUID kIidData = {0xA4F23D58, 0x64A0, 0x412B, {0x8A, 0x9A, 0x00, 0x88, 0x02, 0x6D, 0xC9, 0x67}};
// {2C706C43-A0E8-4b18-98C2-BF1629AAD7C4}
inline constexpr GUID kIidNotification = {0x2C706C43, 0xA0E8, 0x4B18, {0x98, 0xC2, 0xBF, 0x16, 0x29, 0xAA, 0xD7, 0xC4}};
// CTI program's object in the ROT ("BuddyAdapter"): {D8CA0C15-8585-494A-93DF-07D706629793}
inline constexpr GUID kClsidCti = {0xD8CA0C15, 0x8585, 0x494A, {0x93, 0xDF, 0x07, 0xD7, 0x06, 0x62, 0x97, 0x93}};
// DATEV Telefonie's notification object in the ROT: {A299D197-E7C3-43E2-8ACC-C608FC2A7806}
inline constexpr GUID kClsidDatevTelefonie = {0xA299D197, 0xE7C3, 0x43E2, {0x8A, 0xCC, 0xC6, 0x08, 0xFC, 0x2A, 0x78, 0x06}};

// The 11 properties of IDatevCtiData in DISPID order (DISPID = index + 1).
inline constexpr int kFieldCount = 11;
inline constexpr const wchar_t* kFieldNames[kFieldCount] = {
    L"CallID",         L"SyncID",       L"Direction",  L"Begin",        L"End",  L"CallState",
    L"Adressatenname", L"AdressatenId", L"DataSource", L"CalledNumber", L"Note",
};
inline constexpr const char* kFieldNamesUtf8[kFieldCount] = {
    "CallID",         "SyncID",       "Direction",  "Begin",        "End",  "CallState",
    "Adressatenname", "AdressatenId", "DataSource", "CalledNumber", "Note",
};
// COM types of the properties: BSTR, except Direction/CallState (32-bit enums) and Begin/End (DATE).
inline VARTYPE FieldType(int index) {
  switch (index) {
    case 2: case 5: return VT_I4;
    case 3: case 4: return VT_DATE;
    default: return VT_BSTR;
  }
}

// Methods of IDatevCtiNotification in DISPID order (DISPID = index + 1).
inline constexpr int kNotificationCount = 4;
inline constexpr const wchar_t* kNotificationNames[kNotificationCount] = {
    L"NewCall", L"NewJournal", L"CallStateChanged", L"CallAdressatChanged"};

// IDatevCtiData as a dual interface (property accessors after IDispatch, get/put per property in
// DISPID order), in case DATEV's type library declares it dual and a caller uses the vtable.
struct IDatevCtiDataDual : public IDispatch {
  virtual HRESULT STDMETHODCALLTYPE get_CallID(BSTR* value) = 0;
  virtual HRESULT STDMETHODCALLTYPE put_CallID(BSTR value) = 0;
  virtual HRESULT STDMETHODCALLTYPE get_SyncID(BSTR* value) = 0;
  virtual HRESULT STDMETHODCALLTYPE put_SyncID(BSTR value) = 0;
  virtual HRESULT STDMETHODCALLTYPE get_Direction(LONG* value) = 0;
  virtual HRESULT STDMETHODCALLTYPE put_Direction(LONG value) = 0;
  virtual HRESULT STDMETHODCALLTYPE get_Begin(DATE* value) = 0;
  virtual HRESULT STDMETHODCALLTYPE put_Begin(DATE value) = 0;
  virtual HRESULT STDMETHODCALLTYPE get_End(DATE* value) = 0;
  virtual HRESULT STDMETHODCALLTYPE put_End(DATE value) = 0;
  virtual HRESULT STDMETHODCALLTYPE get_CallState(LONG* value) = 0;
  virtual HRESULT STDMETHODCALLTYPE put_CallState(LONG value) = 0;
  virtual HRESULT STDMETHODCALLTYPE get_Adressatenname(BSTR* value) = 0;
  virtual HRESULT STDMETHODCALLTYPE put_Adressatenname(BSTR value) = 0;
  virtual HRESULT STDMETHODCALLTYPE get_AdressatenId(BSTR* value) = 0;
  virtual HRESULT STDMETHODCALLTYPE put_AdressatenId(BSTR value) = 0;
  virtual HRESULT STDMETHODCALLTYPE get_DataSource(BSTR* value) = 0;
  virtual HRESULT STDMETHODCALLTYPE put_DataSource(BSTR value) = 0;
  virtual HRESULT STDMETHODCALLTYPE get_CalledNumber(BSTR* value) = 0;
  virtual HRESULT STDMETHODCALLTYPE put_CalledNumber(BSTR value) = 0;
  virtual HRESULT STDMETHODCALLTYPE get_Note(BSTR* value) = 0;
  virtual HRESULT STDMETHODCALLTYPE put_Note(BSTR value) = 0;
};

// IDatevCtiControl : IUnknown — DATEV calls it on the CTI program's object.
struct IDatevCtiControl : public IUnknown {
  virtual HRESULT STDMETHODCALLTYPE Dial(IDispatch* callData) = 0;
  virtual HRESULT STDMETHODCALLTYPE Drop(IDispatch* callData) = 0;
};

// IDatevCtiHistory : IUnknown.
struct IDatevCtiHistory : public IUnknown {
  virtual HRESULT STDMETHODCALLTYPE GetCallData(IDispatch* callData) = 0;
};

}  // namespace datev
