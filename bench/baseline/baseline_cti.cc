// Baseline CTI for DATEV: what a minimal native implementation of the product's hot paths costs, as the
// reference of `npm run bench:wine` (bench/wine). No Node, no logging beyond a few lines on stdout.
//   - registers its CTI object (native/com/cti_object: IDatevCtiControl, IDatevCtiHistory and IDispatch)
//     in the ROT under {D8CA0C15-8585-494A-93DF-07D706629793} first thing, on the main thread (an STA);
//   - Dial: reads CalledNumber, SyncID, Adressatenname, AdressatenId and DataSource by name from DATEV's
//     object, writes a CallID into it, returns; lineMakeCallW runs on the main thread right after Dial
//     has returned (a posted message);
//   - TAPI: one thread (tapi_line.cc) with the line open; an incoming OFFERING goes with its caller id to
//   - one notifier thread (notifier.cc), an STA, that calls DATEV's NewCall with all 11 fields.
// Not part of the reference (not measured): Drop (answered S_OK), GetCallData (S_FALSE), the call's later
// states, contact lookup, dialogs.
//
// baseline-cti.exe [--line <part of the line name>] [--keep-datev-proxy] [--config <f>] [--log-dir <d>]
// (--config/--log-dir are accepted and ignored, so test/wine/appProcess.ts can start it like the program).
// Ctrl+C / console close: revoke, close the line, exit 0.
#include <windows.h>
#include <objbase.h>
#include <oleauto.h>

#include <memory>
#include <string>

#include "com/com_ptr.h"
#include "com/cti_object.h"
#include "com/datev_ids.h"
#include "com/dispatch_util.h"
#include "log.h"
#include "notifier.h"
#include "tapi_line.h"

namespace {

using baseline::Log;

constexpr UINT kWmDial = WM_APP + 1;
HWND g_window = nullptr;

// Digits, '+', '*', '#' of DATEV's number (no country rules: the product's number formatting is not
// part of this reference).
std::wstring Dialable(const std::wstring& s) {
  std::wstring out;
  for (wchar_t c : s) {
    if ((c >= L'0' && c <= L'9') || c == L'+' || c == L'*' || c == L'#') out.push_back(c);
  }
  return out;
}

class Handler final : public datev::RequestHandler {
 public:
  HRESULT HandleRequest(datev::RequestKind kind, IDispatch* callData) override {
    if (!callData) return E_POINTER;
    if (kind == datev::RequestKind::Drop) return S_OK;
    if (kind == datev::RequestKind::GetCallData) return S_FALSE;
    using datev::FieldBit;
    // SyncID, Adressatenname, AdressatenId, DataSource, CalledNumber: one GetIDsOfNames + Invoke each
    datev::CallValues in = datev::ReadFields(callData, FieldBit(1) | FieldBit(6) | FieldBit(7) | FieldBit(8) | FieldBit(9));
    const datev::FieldValue& called = in[9];
    if (called.kind != datev::FieldValue::Kind::String) return E_INVALIDARG;
    std::wstring number = Dialable(called.str);
    if (number.empty()) return E_INVALIDARG;
    std::wstring callId = L"B" + std::to_wstring(GetCurrentProcessId()) + L"-D" + std::to_wstring(++dials_);
    VARIANT v;
    VariantInit(&v);
    v.vt = VT_BSTR;
    v.bstrVal = SysAllocStringLen(callId.data(), static_cast<UINT>(callId.size()));
    HRESULT hr = v.bstrVal ? datev::PutProperty(callData, L"CallID", v) : E_OUTOFMEMORY;
    VariantClear(&v);
    if (FAILED(hr)) return hr;
    // the call is placed once Dial has returned (the message loop gets to it right after)
    auto* posted = new std::wstring(std::move(number));
    if (!PostMessageW(g_window, kWmDial, 0, reinterpret_cast<LPARAM>(posted))) delete posted;
    return S_OK;
  }
  std::wstring InstanceToken() override { return L"baseline-cti"; }

 private:
  unsigned dials_ = 0;
};

baseline::TapiLine* g_tapi = nullptr;

LRESULT CALLBACK WndProc(HWND h, UINT m, WPARAM w, LPARAM l) {
  if (m == kWmDial) {
    std::unique_ptr<std::wstring> number(reinterpret_cast<std::wstring*>(l));
    if (g_tapi) g_tapi->MakeCall(*number);
    return 0;
  }
  if (m == WM_CLOSE) {
    PostQuitMessage(0);
    return 0;
  }
  return DefWindowProcW(h, m, w, l);
}

BOOL WINAPI OnConsoleEvent(DWORD) {
  PostMessageW(g_window, WM_CLOSE, 0, 0);
  return TRUE;
}

}  // namespace

int wmain(int argc, wchar_t** argv) {
  std::wstring line;
  bool keepProxy = false;
  for (int i = 1; i < argc; ++i) {
    std::wstring a = argv[i];
    if (a == L"--line" && i + 1 < argc) line = argv[++i];
    else if (a == L"--keep-datev-proxy") keepProxy = true;
    else if ((a == L"--config" || a == L"--log-dir") && i + 1 < argc) ++i;
  }
  if (FAILED(CoInitializeEx(nullptr, COINIT_APARTMENTTHREADED))) return 2;
  WNDCLASSEXW wc{};
  wc.cbSize = sizeof wc;
  wc.lpfnWndProc = WndProc;
  wc.hInstance = GetModuleHandleW(nullptr);
  wc.lpszClassName = L"BaselineCti";
  RegisterClassExW(&wc);
  g_window = CreateWindowExW(0, wc.lpszClassName, L"", 0, 0, 0, 0, 0, HWND_MESSAGE, nullptr, wc.hInstance, nullptr);

  Handler handler;
  auto* cti = new datev::CtiObject(&handler);
  DWORD cookie = 0;
  HRESULT hr = RegisterActiveObject(static_cast<datev::IDatevCtiControl*>(cti), datev::kClsidCti, ACTIVEOBJECT_STRONG, &cookie);
  if (FAILED(hr)) {
    Log("RegisterActiveObject failed %s", comx::HexHr(hr).c_str());
    cti->Release();
    CoUninitialize();
    return 1;
  }
  Log("CTI object registered in the ROT");
  SetConsoleCtrlHandler(OnConsoleEvent, TRUE);

  baseline::Notifier notifier(keepProxy);
  notifier.Start();
  baseline::TapiLine tapi(line, [&notifier](std::wstring number) { notifier.IncomingCall(std::move(number)); });
  g_tapi = &tapi;
  tapi.Start();

  MSG m;
  while (GetMessageW(&m, nullptr, 0, 0) > 0) {
    TranslateMessage(&m);
    DispatchMessageW(&m);
  }

  RevokeActiveObject(cookie, nullptr);
  cti->Detach();
  CoDisconnectObject(static_cast<datev::IDatevCtiControl*>(cti), 0);
  cti->Release();
  tapi.Stop();
  g_tapi = nullptr;
  notifier.Stop();
  Log("stopped");
  CoUninitialize();
  return 0;
}
