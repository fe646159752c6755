// The CTI program's object that DATEV finds in the ROT: IDatevCtiControl + IDatevCtiHistory.
// Lives on the bridge's STA thread; forwards every call to a RequestHandler until Detach().
#pragma once

#include "com/datev_ids.h"

namespace datev {

enum class RequestKind { Dial, Drop, GetCallData };

class RequestHandler {
 public:
  virtual HRESULT HandleRequest(RequestKind kind, IDispatch* callData) = 0;

 protected:
  ~RequestHandler() = default;
};

class CtiObject final : public IDatevCtiControl, public IDatevCtiHistory {
 public:
  explicit CtiObject(RequestHandler* handler) : handler_(handler) {}
  CtiObject(const CtiObject&) = delete;
  CtiObject& operator=(const CtiObject&) = delete;

  // No call reaches the handler afterwards (they fail with CO_E_OBJNOTCONNECTED).
  void Detach() { handler_ = nullptr; }

  // IUnknown (shared by both interfaces)
  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void** ppv) override;
  ULONG STDMETHODCALLTYPE AddRef() override;
  ULONG STDMETHODCALLTYPE Release() override;
  // IDatevCtiControl
  HRESULT STDMETHODCALLTYPE Dial(IDispatch* callData) override;
  HRESULT STDMETHODCALLTYPE Drop(IDispatch* callData) override;
  // IDatevCtiHistory
  HRESULT STDMETHODCALLTYPE GetCallData(IDispatch* callData) override;

 private:
  ~CtiObject() = default;
  HRESULT Forward(RequestKind kind, IDispatch* callData);

  LONG refs_ = 1;
  RequestHandler* handler_;
};

}  // namespace datev
