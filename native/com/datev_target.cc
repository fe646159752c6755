#include "com/datev_target.h"

#include <atomic>
#include <mutex>

#include "com/datev_ids.h"

namespace datev {

namespace {
std::mutex g_generationMutex;
uint64_t g_generation = 1;
bool g_absentSeen = false;  // the DATEV of g_generation was found absent or gone
uint64_t g_registered = 0;  // when the DATEV of g_generation was put into the ROT (0: not known)
uint64_t g_changes = 0;     // bumped whenever DATEV was found absent or gone, or became a new generation

// When DATEV's entry in the ROT was made (the ROT keeps the time of every registration; only the
// object's own NoteChangeTime would move it). Unlike the proxy, which is a different object in every
// apartment, this is the same for all of them: it tells whether an object this apartment has not seen
// before is the DATEV another apartment already counted or a new one. 0 when it cannot be read.
uint64_t RegistrationTime() {
  comx::ComPtr<IRunningObjectTable> rot;
  if (FAILED(GetRunningObjectTable(0, rot.Put()))) return 0;
  wchar_t clsid[40];
  if (StringFromGUID2(kClsidDatevTelefonie, clsid, 40) == 0) return 0;
  comx::ComPtr<IMoniker> moniker;  // the one GetActiveObject looks up
  if (FAILED(CreateItemMoniker(L"!", clsid, moniker.Put()))) return 0;
  FILETIME time{};
  if (rot->GetTimeOfLastChange(moniker.Get(), &time) != S_OK) return 0;
  return (static_cast<uint64_t>(time.dwHighDateTime) << 32) | time.dwLowDateTime;
}

uint64_t Changes() {
  std::lock_guard<std::mutex> lock(g_generationMutex);
  return g_changes;
}
}  // namespace

bool IsGone(HRESULT hr) {
  // RPC_S_UNKNOWN_IF / RPC_E_INVALID_OBJECT: the process lives, but the object the proxy points to was
  // disconnected (DATEV made a new one without exiting); Wine answers a call on such a proxy with the first
  return hr == RPC_E_DISCONNECTED || hr == HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE) || hr == RPC_E_SERVER_DIED ||
         hr == RPC_E_SERVER_DIED_DNE || hr == CO_E_OBJNOTCONNECTED || hr == HRESULT_FROM_WIN32(RPC_S_CALL_FAILED) ||
         hr == HRESULT_FROM_WIN32(RPC_S_UNKNOWN_IF) || hr == RPC_E_INVALID_OBJECT;
}

uint64_t DatevTarget::CurrentGeneration() {
  std::lock_guard<std::mutex> lock(g_generationMutex);
  return g_generation;
}

void DatevTarget::NoteAbsent() {
  std::lock_guard<std::mutex> lock(g_generationMutex);
  g_absentSeen = true;
  ++g_changes;
}

void DatevTarget::NoteGone(uint64_t generation) {
  std::lock_guard<std::mutex> lock(g_generationMutex);
  // an apartment that still held the DATEV before a restart another one already counted: old news
  if (generation == g_generation) g_absentSeen = true;
  ++g_changes;
}

void DatevTarget::Forget() {
  // identity_ stays: the next object found is compared with it, so a DATEV that restarted while this
  // apartment had no proxy (a call failed "gone", then the retry found the new DATEV) is a new generation.
  target_.Reset();
  dispids_.clear();
  aheadAt_ = 0;
}

void DatevTarget::LookUpAhead() {
  aheadAt_ = 0;
  if (FAILED(Resolve().hr)) return;
  aheadChanges_ = Changes();  // including a new generation this lookup found
  aheadAt_ = GetTickCount64();
}

TargetLookup DatevTarget::Acquire(ULONGLONG freshMs, bool* ahead) {
  bool use = freshMs > 0 && target_ && aheadAt_ != 0 && GetTickCount64() - aheadAt_ <= freshMs &&
             Changes() == aheadChanges_;
  aheadAt_ = 0;  // a lookup ahead serves one notification
  if (ahead) *ahead = use;
  if (use) {
    TargetLookup result;
    result.generation = generation_;
    result.registered = registered_;
    return result;
  }
  return Resolve();
}

TargetLookup DatevTarget::Resolve() {
  TargetLookup result;
  comx::ComPtr<IUnknown> unknown;
  HRESULT hr = GetActiveObject(kClsidDatevTelefonie, nullptr, unknown.Put());
  if (FAILED(hr)) {
    if (hr == MK_E_UNAVAILABLE) NoteAbsent();
    Forget();
    result.hr = hr;
    result.what = "GetActiveObject(DATEV Telefonie)";
    return result;
  }
  if (identity_ && identity_.Get() == unknown.Get() && target_) {
    result.generation = generation_;
    result.registered = registered_;
    return result;
  }
  comx::ComPtr<IDispatch> target;
  if (FAILED(unknown.As(kIidNotification, &target)) && FAILED(hr = unknown.As(IID_IDispatch, &target))) {
    Forget();
    result.hr = hr;
    result.what = "DATEV's object has neither IDatevCtiNotification nor IDispatch";
    return result;
  }
  // An object this apartment has no proxy for: the same DATEV another apartment found since (every
  // apartment has a proxy of its own), or a new one. The ROT entry's time tells; where it cannot be read,
  // a different object than this apartment saw before counts as a new DATEV.
  const uint64_t registered = RegistrationTime();
  {
    std::lock_guard<std::mutex> lock(g_generationMutex);
    const bool known = registered != 0 && g_registered != 0;
    const bool other = known ? registered != g_registered : (identity_ && identity_.Get() != unknown.Get());
    if (other || g_absentSeen) {
      ++g_generation;
      ++g_changes;
      g_absentSeen = false;
      g_registered = registered;
    } else if (g_registered == 0) {
      g_registered = registered;
    }
    generation_ = g_generation;
  }
  identity_ = unknown;
  target_ = target;
  registered_ = registered;
  dispids_.clear();
  result.generation = generation_;
  result.registered = registered_;
  return result;
}

HRESULT DatevTarget::Call(const std::wstring& method, const VARIANT& argIn, std::wstring* description) {
  if (!target_) return E_UNEXPECTED;
  DISPID id = DISPID_UNKNOWN;
  auto it = dispids_.find(method);
  if (it != dispids_.end()) {
    id = it->second;
  } else {
    LPOLESTR names[1] = {const_cast<LPOLESTR>(method.c_str())};
    HRESULT hr = target_->GetIDsOfNames(IID_NULL, names, 1, LOCALE_USER_DEFAULT, &id);
    if (FAILED(hr)) return hr;
    dispids_[method] = id;
  }
  VARIANT arg = argIn;  // shallow copy; Invoke does not take ownership
  DISPPARAMS params = {&arg, nullptr, 1, 0};
  VARIANT result;
  VariantInit(&result);
  EXCEPINFO ex{};
  UINT argErr = 0;
  HRESULT hr = target_->Invoke(id, IID_NULL, LOCALE_USER_DEFAULT, DISPATCH_METHOD, &params, &result, &ex, &argErr);
  VariantClear(&result);
  if (hr == DISP_E_EXCEPTION) {
    if (ex.pfnDeferredFillIn) ex.pfnDeferredFillIn(&ex);
    hr = ex.scode != 0 ? ex.scode : E_FAIL;
    if (description && ex.bstrDescription) description->assign(ex.bstrDescription, SysStringLen(ex.bstrDescription));
  }
  SysFreeString(ex.bstrSource);
  SysFreeString(ex.bstrDescription);
  SysFreeString(ex.bstrHelpFile);
  return hr;
}

}  // namespace datev
