// IMessageFilter for the program's apartments: an outgoing call that DATEV rejects because it is busy
// (SERVERCALL_RETRYLATER / SERVERCALL_REJECTED, i.e. RPC_E_SERVERCALL_RETRYLATER / RPC_E_CALL_REJECTED)
// is retried every `retryDelayMs` until `retryLimitMs` have passed since the call started; incoming
// calls are always handled. The retry limit is the same bound the watchdog applies to a notification.
#pragma once

#include <windows.h>
#include <objidl.h>

namespace datev {

class RetryMessageFilter final : public IMessageFilter {
 public:
  static RetryMessageFilter* Create(DWORD retryLimitMs, DWORD retryDelayMs);  // refcount 1, or nullptr

  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void** ppv) override;
  ULONG STDMETHODCALLTYPE AddRef() override;
  ULONG STDMETHODCALLTYPE Release() override;

  DWORD STDMETHODCALLTYPE HandleInComingCall(DWORD callType, HTASK caller, DWORD tickCount,
                                             LPINTERFACEINFO info) override;
  DWORD STDMETHODCALLTYPE RetryRejectedCall(HTASK callee, DWORD tickCount, DWORD rejectType) override;
  DWORD STDMETHODCALLTYPE MessagePending(HTASK callee, DWORD tickCount, DWORD pendingType) override;

  // How often a rejected call was retried through this filter (for logs and tests).
  LONG Retries() const { return retries_; }
  void SetRetryLimit(DWORD ms) { InterlockedExchange(reinterpret_cast<volatile LONG*>(&limitMs_), static_cast<LONG>(ms)); }

 private:
  RetryMessageFilter(DWORD retryLimitMs, DWORD retryDelayMs) : limitMs_(retryLimitMs), delayMs_(retryDelayMs) {}
  ~RetryMessageFilter() = default;

  LONG refs_ = 1;
  volatile LONG retries_ = 0;
  volatile DWORD limitMs_;
  DWORD delayMs_;
};

// True for the HRESULTs of a call DATEV refused because it was busy (worth another try).
inline bool IsBusyRejection(HRESULT hr) { return hr == RPC_E_CALL_REJECTED || hr == RPC_E_SERVERCALL_RETRYLATER; }

}  // namespace datev
