#include "tapi_line.h"

#include <cstring>
#include <vector>

#include "log.h"

namespace baseline {

namespace {

constexpr DWORD kApiLow = 0x00020000;
constexpr DWORD kApiHigh = 0x00020002;

template <typename Fn>
bool Resolve(HMODULE dll, const char* name, Fn* out) {
  FARPROC p = GetProcAddress(dll, name);
  static_assert(sizeof(p) == sizeof(*out), "function pointer size");
  std::memcpy(out, &p, sizeof(*out));
  return p != nullptr;
}

// A TAPI variable-size structure, grown to dwNeededSize once when the first call says so.
template <typename T, typename Call>
bool FillVar(std::vector<char>* buf, Call call) {
  for (int round = 0; round < 2; ++round) {
    T* s = reinterpret_cast<T*>(buf->data());
    std::memset(buf->data(), 0, buf->size());
    s->dwTotalSize = static_cast<DWORD>(buf->size());
    if (call(s) != 0) return false;
    if (s->dwNeededSize <= s->dwTotalSize) return true;
    buf->resize(s->dwNeededSize);
  }
  return false;
}

std::wstring VarString(const std::vector<char>& buf, DWORD offset, DWORD size) {
  if (size < sizeof(WCHAR) || offset + size > buf.size()) return {};
  const WCHAR* s = reinterpret_cast<const WCHAR*>(buf.data() + offset);
  size_t n = size / sizeof(WCHAR);
  while (n > 0 && s[n - 1] == 0) --n;
  return std::wstring(s, n);
}

}  // namespace

TapiLine::TapiLine(std::wstring lineWanted, OnOffering onOffering)
    : lineWanted_(std::move(lineWanted)), onOffering_(std::move(onOffering)), stop_(CreateEventW(nullptr, TRUE, FALSE, nullptr)) {}

TapiLine::~TapiLine() {
  Stop();
  if (stop_) CloseHandle(stop_);
}

void TapiLine::Start() { thread_ = std::thread([this] { Run(); }); }

void TapiLine::Stop() {
  if (!thread_.joinable()) return;
  SetEvent(stop_);
  thread_.join();
}

bool TapiLine::MakeCall(const std::wstring& number) {
  HLINE line = line_.load();
  if (!line) return false;
  HCALL* slot = &slots_[nextSlot_.fetch_add(1) % kSlots];
  LONG rc = lineMakeCallW_(line, slot, number.c_str(), 0, nullptr);
  if (rc < 0) Log("lineMakeCallW failed 0x%08lx", static_cast<unsigned long>(rc));
  return rc >= 0;
}

bool TapiLine::Open() {
  wchar_t path[MAX_PATH];
  DWORD n = GetEnvironmentVariableW(L"WILDIX_CTI_TAPI_DLL", path, MAX_PATH);
  dll_ = (n > 0 && n < MAX_PATH) ? LoadLibraryExW(path, nullptr, LOAD_WITH_ALTERED_SEARCH_PATH)
                                 : LoadLibraryExW(L"tapi32.dll", nullptr, 0x00000800 /* SEARCH_SYSTEM32 */);
  if (!dll_) {
    Log("tapi32.dll not loaded (error %lu)", GetLastError());
    return false;
  }
  bool ok = Resolve(dll_, "lineInitializeExW", &lineInitializeExW_) && Resolve(dll_, "lineShutdown", &lineShutdown_) &&
            Resolve(dll_, "lineGetMessage", &lineGetMessage_) &&
            Resolve(dll_, "lineNegotiateAPIVersion", &lineNegotiateAPIVersion_) &&
            Resolve(dll_, "lineGetDevCapsW", &lineGetDevCapsW_) && Resolve(dll_, "lineOpenW", &lineOpenW_) &&
            Resolve(dll_, "lineClose", &lineClose_) && Resolve(dll_, "lineMakeCallW", &lineMakeCallW_) && Resolve(dll_, "lineDrop", &lineDrop_) &&
            Resolve(dll_, "lineDeallocateCall", &lineDeallocateCall_) && Resolve(dll_, "lineGetCallInfoW", &lineGetCallInfoW_);
  if (!ok) {
    Log("tapi32.dll lacks a function");
    return false;
  }
  LINEINITIALIZEEXPARAMS params;
  ZeroMemory(&params, sizeof params);
  params.dwTotalSize = sizeof params;
  params.dwOptions = LINEINITIALIZEEXOPTION_USEEVENT;
  DWORD devs = 0, version = kApiHigh;
  LONG rc = lineInitializeExW_(&app_, GetModuleHandleW(nullptr), nullptr, L"Baseline CTI", &devs, &version, &params);
  if (rc != 0) {
    Log("lineInitializeExW failed 0x%08lx", static_cast<unsigned long>(rc));
    return false;
  }
  event_ = params.Handles.hEvent;
  std::vector<char> caps(1024);
  for (DWORD dev = 0; dev < devs; ++dev) {
    LINEEXTENSIONID ext;
    DWORD api = 0;
    if (lineNegotiateAPIVersion_(app_, dev, kApiLow, kApiHigh, &api, &ext) != 0) continue;
    if (!FillVar<LINEDEVCAPS>(&caps, [&](LINEDEVCAPS* c) { return lineGetDevCapsW_(app_, dev, api, 0, c); })) continue;
    const LINEDEVCAPS* c = reinterpret_cast<const LINEDEVCAPS*>(caps.data());
    std::wstring name = VarString(caps, c->dwLineNameOffset, c->dwLineNameSize);
    if (!lineWanted_.empty() && name.find(lineWanted_) == std::wstring::npos) continue;
    HLINE line = 0;
    rc = lineOpenW_(app_, dev, &line, api, 0, 0, LINECALLPRIVILEGE_OWNER | LINECALLPRIVILEGE_MONITOR,
                    LINEMEDIAMODE_INTERACTIVEVOICE, nullptr);
    if (rc != 0) continue;
    line_ = line;
    Log("line open %ls", name.c_str());
    return true;
  }
  Log("no line to open");
  return false;
}

void TapiLine::Run() {
  if (!Open()) {
    WaitForSingleObject(stop_, INFINITE);
  } else {
    HANDLE handles[2] = {stop_, event_};
    while (WaitForMultipleObjects(2, handles, FALSE, INFINITE) == WAIT_OBJECT_0 + 1) Drain();
  }
  if (line_.load()) lineClose_(line_.exchange(0));
  if (app_) lineShutdown_(app_);
  app_ = 0;
}

void TapiLine::Drain() {
  LINEMESSAGE m;
  while (lineGetMessage_(app_, &m, 0) == 0) {
    if (m.dwMessageID != LINE_CALLSTATE) continue;
    HCALL call = static_cast<HCALL>(m.hDevice);
    if (m.dwParam1 == LINECALLSTATE_OFFERING) Offering(call);
    else if (m.dwParam1 == LINECALLSTATE_DISCONNECTED) lineDrop_(call, nullptr, 0);
    else if (m.dwParam1 == LINECALLSTATE_IDLE) lineDeallocateCall_(call);
  }
}

void TapiLine::Offering(HCALL call) {
  std::vector<char> info(2048);
  if (!FillVar<LINECALLINFO>(&info, [&](LINECALLINFO* i) { return lineGetCallInfoW_(call, i); })) {
    onOffering_(std::wstring());
    return;
  }
  const LINECALLINFO* i = reinterpret_cast<const LINECALLINFO*>(info.data());
  std::wstring number;
  if (i->dwCallerIDFlags & LINECALLPARTYID_ADDRESS) number = VarString(info, i->dwCallerIDOffset, i->dwCallerIDSize);
  onOffering_(std::move(number));
}

}  // namespace baseline
