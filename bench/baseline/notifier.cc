#include "notifier.h"

#include <objbase.h>
#include <oleauto.h>

#include <memory>

#include "com/call_data_object.h"
#include "com/com_ptr.h"
#include "com/datev_ids.h"
#include "log.h"

namespace baseline {

namespace {

using comx::ComPtr;

constexpr UINT kWmIncoming = WM_APP + 1;

bool IsGone(HRESULT hr) {
  return hr == RPC_E_DISCONNECTED || hr == HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE) || hr == RPC_E_SERVER_DIED ||
         hr == RPC_E_SERVER_DIED_DNE || hr == CO_E_OBJNOTCONNECTED || hr == HRESULT_FROM_WIN32(RPC_S_CALL_FAILED);
}

datev::FieldValue Text(std::wstring s) {
  datev::FieldValue f;
  f.kind = datev::FieldValue::Kind::String;
  f.str = std::move(s);
  return f;
}

datev::FieldValue Number(int n) {
  datev::FieldValue f;
  f.kind = datev::FieldValue::Kind::Number;
  f.number = n;
  return f;
}

datev::FieldValue Now() {
  SYSTEMTIME t;
  GetLocalTime(&t);
  datev::FieldValue f;
  f.kind = datev::FieldValue::Kind::Date;
  f.date = {t.wYear, t.wMonth, t.wDay, t.wHour, t.wMinute, t.wSecond, t.wMilliseconds};
  return f;
}

// DATEV's notification object as this thread knows it.
class DatevLink {
 public:
  explicit DatevLink(bool keepProxy) : keepProxy_(keepProxy) {}

  HRESULT NewCall(IDispatch* data) {
    HRESULT hr = Call(data);
    if (IsGone(hr)) {  // DATEV restarted since the last lookup: once more with a fresh one
      Forget();
      hr = Call(data);
    }
    return hr;
  }

 private:
  HRESULT Call(IDispatch* data) {
    HRESULT hr = Resolve();
    if (FAILED(hr)) return hr;
    VARIANT arg;
    VariantInit(&arg);
    arg.vt = VT_DISPATCH;
    arg.pdispVal = data;
    DISPPARAMS params = {&arg, nullptr, 1, 0};
    comx::Variant result;
    EXCEPINFO ex{};
    UINT argErr = 0;
    hr = target_->Invoke(newCall_, IID_NULL, LOCALE_USER_DEFAULT, DISPATCH_METHOD, &params, &result, &ex, &argErr);
    SysFreeString(ex.bstrSource);
    SysFreeString(ex.bstrDescription);
    SysFreeString(ex.bstrHelpFile);
    return hr;
  }

  HRESULT Resolve() {
    if (keepProxy_ && target_) return S_OK;
    ComPtr<IUnknown> found;
    HRESULT hr = GetActiveObject(datev::kClsidDatevTelefonie, nullptr, found.Put());
    if (FAILED(hr)) {
      Forget();
      return hr;
    }
    if (target_ && identity_.Get() == found.Get()) return S_OK;
    Forget();
    ComPtr<IDispatch> target;
    hr = found.As(IID_IDispatch, &target);
    if (FAILED(hr)) return hr;
    LPOLESTR names[1] = {const_cast<LPOLESTR>(L"NewCall")};
    hr = target->GetIDsOfNames(IID_NULL, names, 1, LOCALE_USER_DEFAULT, &newCall_);
    if (FAILED(hr)) return hr;
    identity_ = found;
    target_ = target;
    return S_OK;
  }

  void Forget() {
    target_.Reset();
    identity_.Reset();
  }

  bool keepProxy_;
  ComPtr<IUnknown> identity_;
  ComPtr<IDispatch> target_;
  DISPID newCall_ = DISPID_UNKNOWN;
};

}  // namespace

Notifier::~Notifier() {
  Stop();
  if (started_) CloseHandle(started_);
}

void Notifier::Start() {
  started_ = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  thread_ = std::thread([this] { Run(); });
  WaitForSingleObject(started_, 10000);
}

void Notifier::Stop() {
  if (!thread_.joinable()) return;
  PostThreadMessageW(threadId_, WM_QUIT, 0, 0);
  thread_.join();
}

void Notifier::IncomingCall(std::wstring number) {
  auto* n = new std::wstring(std::move(number));
  if (!PostThreadMessageW(threadId_, kWmIncoming, 0, reinterpret_cast<LPARAM>(n))) delete n;
}

void Notifier::Run() {
  HRESULT init = CoInitializeEx(nullptr, COINIT_APARTMENTTHREADED);
  MSG m;
  PeekMessageW(&m, nullptr, WM_USER, WM_USER, PM_NOREMOVE);  // the thread's queue exists from here on
  threadId_ = GetCurrentThreadId();
  SetEvent(started_);
  {
    DatevLink datev(keepProxy_);
    unsigned counter = 0;
    const DWORD pid = GetCurrentProcessId();
    while (GetMessageW(&m, nullptr, 0, 0) > 0) {
      if (m.message != kWmIncoming) {
        DispatchMessageW(&m);
        continue;
      }
      std::unique_ptr<std::wstring> number(reinterpret_cast<std::wstring*>(m.lParam));
      datev::CallValues values;
      values[0] = Text(L"B" + std::to_wstring(pid) + L"-" + std::to_wstring(++counter));  // CallID
      values[1] = Text(L"");                                                                 // SyncID
      values[2] = Number(1);                                                                 // eDirIncoming
      values[3] = Now();                                                                     // Begin
      values[4] = values[3];                                                                 // End
      values[5] = Number(1);                                                                 // eCSOffered
      values[6] = Text(L"");                                                                 // Adressatenname
      values[7] = Text(L"");                                                                 // AdressatenId
      values[8] = Text(L"Wildix");                                                           // DataSource
      values[9] = Text(*number);                                                             // CalledNumber
      values[10] = Text(L"");                                                                // Note
      datev::CallDataObject* raw = nullptr;
      HRESULT hr = datev::CallDataObject::CreateTyped(values, &raw);
      if (SUCCEEDED(hr)) {
        ComPtr<IDispatch> data(static_cast<IDispatch*>(static_cast<datev::IDatevCtiDataDual*>(raw)), false);
        hr = datev.NewCall(data.Get());
      }
      if (FAILED(hr)) Log("NewCall failed %s", comx::HexHr(hr).c_str());
    }
  }
  if (SUCCEEDED(init)) CoUninitialize();
}

}  // namespace baseline
