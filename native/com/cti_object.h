// The CTI program's object that DATEV finds in the ROT: IDatevCtiControl + IDatevCtiHistory, and IDispatch
// for late-bound callers (scripting clients, a DATEV that calls by name). Lives on the bridge's STA
// thread; forwards every call to a RequestHandler until Detach().
#pragma once

#include "com/datev_ids.h"  // windows.h, ole2.h

#include <oleauto.h>

#include <string>

namespace datev {

enum class RequestKind { Dial, Drop, GetCallData };

class RequestHandler {
 public:
  virtual HRESULT HandleRequest(RequestKind kind, IDispatch* callData) = 0;
  // What the hidden property WildixCtiInstance answers: proves to the program's own self-check that
  // the object in the ROT is this process's and that its apartment answers.
  virtual std::wstring InstanceToken() = 0;

 protected:
  ~RequestHandler() = default;
};

// DISPIDs of the late-bound methods (GetIDsOfNames, case-insensitive names).
inline constexpr DISPID kDispidDial = 1;
inline constexpr DISPID kDispidDrop = 2;
inline constexpr DISPID kDispidGetCallData = 3;
// Not DATEV's: a read-only property for the program's self-check.
inline constexpr DISPID kDispidInstance = 0x5743;

class CtiObject final : public IDatevCtiControl, public IDatevCtiHistory, public IDispatch {
 public:
  explicit CtiObject(RequestHandler* handler) : handler_(handler) {}
  CtiObject(const CtiObject&) = delete;
  CtiObject& operator=(const CtiObject&) = delete;

  // No call reaches the handler afterwards (they fail with CO_E_OBJNOTCONNECTED).
  void Detach() { handler_ = nullptr; }

  // IUnknown (shared by all interfaces; the identity is the IDatevCtiControl pointer)
  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void** ppv) override;
  ULONG STDMETHODCALLTYPE AddRef() override;
  ULONG STDMETHODCALLTYPE Release() override;
  // IDatevCtiControl
  HRESULT STDMETHODCALLTYPE Dial(IDispatch* callData) override;
  HRESULT STDMETHODCALLTYPE Drop(IDispatch* callData) override;
  // IDatevCtiHistory
  HRESULT STDMETHODCALLTYPE GetCallData(IDispatch* callData) override;
  // IDispatch: Dial = 1, Drop = 2, GetCallData = 3, each with exactly one call-data object argument
  // (see cti_object.cc for the accepted VARIANT types and the error HRESULTs).
  HRESULT STDMETHODCALLTYPE GetTypeInfoCount(UINT* count) override;
  HRESULT STDMETHODCALLTYPE GetTypeInfo(UINT index, LCID lcid, ITypeInfo** info) override;
  HRESULT STDMETHODCALLTYPE GetIDsOfNames(REFIID riid, LPOLESTR* names, UINT count, LCID lcid, DISPID* ids) override;
  HRESULT STDMETHODCALLTYPE Invoke(DISPID id, REFIID riid, LCID lcid, WORD flags, DISPPARAMS* params, VARIANT* result,
                                   EXCEPINFO* excep, UINT* argErr) override;

 private:
  ~CtiObject() = default;
  HRESULT Forward(RequestKind kind, IDispatch* callData);
  HRESULT InstanceProperty(WORD flags, DISPPARAMS* params, VARIANT* result);

  LONG refs_ = 1;
  RequestHandler* handler_;
};

}  // namespace datev
