#include "com/message_filter.h"

#include <new>

namespace datev {

RetryMessageFilter* RetryMessageFilter::Create(DWORD retryLimitMs, DWORD retryDelayMs) {
  return new (std::nothrow) RetryMessageFilter(retryLimitMs, retryDelayMs);
}

HRESULT RetryMessageFilter::QueryInterface(REFIID riid, void** ppv) {
  if (!ppv) return E_POINTER;
  if (IsEqualIID(riid, IID_IUnknown) || IsEqualIID(riid, IID_IMessageFilter)) {
    *ppv = static_cast<IMessageFilter*>(this);
    AddRef();
    return S_OK;
  }
  *ppv = nullptr;
  return E_NOINTERFACE;
}

ULONG RetryMessageFilter::AddRef() { return static_cast<ULONG>(InterlockedIncrement(&refs_)); }

ULONG RetryMessageFilter::Release() {
  LONG n = InterlockedDecrement(&refs_);
  if (n == 0) delete this;
  return static_cast<ULONG>(n);
}

DWORD RetryMessageFilter::HandleInComingCall(DWORD, HTASK, DWORD, LPINTERFACEINFO) { return SERVERCALL_ISHANDLED; }

DWORD RetryMessageFilter::RetryRejectedCall(HTASK, DWORD tickCount, DWORD rejectType) {
  // tickCount: milliseconds since the call was first made
  if (rejectType != SERVERCALL_RETRYLATER && rejectType != SERVERCALL_REJECTED) return static_cast<DWORD>(-1);
  if (tickCount >= limitMs_) return static_cast<DWORD>(-1);  // give up: the call fails with the rejection
  InterlockedIncrement(&retries_);
  return delayMs_;  // retry after this many ms (values < 100 mean "at once")
}

DWORD RetryMessageFilter::MessagePending(HTASK, DWORD, DWORD) {
  // Keep dispatching (our own jobs, COM calls into this apartment); the watchdog bounds the call.
  return PENDINGMSG_WAITDEFPROCESS;
}

}  // namespace datev
