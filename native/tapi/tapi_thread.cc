#include "tapi/tapi_thread.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <iterator>
#include <utility>
#include <vector>

#include "tapi/line_errors.h"
#include "tapi/text.h"

namespace tapi {

namespace {

constexpr DWORD kApiLow = 0x00020000;
constexpr DWORD kApiHigh = 0x00020002;
constexpr DWORD kApiOldest = 0x00010003;  // only to read the caps of a line that cannot do 2.x
constexpr DWORD kMaxAddresses = 16;
constexpr int kMaxMessagesPerWake = 256;
constexpr DWORD kSentinelMessage = 0xFFFFFFFF;
constexpr DWORD kWantedLineStates = LINEDEVSTATE_CONNECTED | LINEDEVSTATE_DISCONNECTED | LINEDEVSTATE_INSERVICE |
                                    LINEDEVSTATE_OUTOFSERVICE | LINEDEVSTATE_CAPSCHANGE | LINEDEVSTATE_REMOVED;

PartyData ReadParty(const VarBuffer &buf, DWORD flags, DWORD off, DWORD size, DWORD nameOff, DWORD nameSize) {
  PartyData p;
  p.flags = flags;
  p.number = WideToUtf8(buf.String(off, size));
  p.name = WideToUtf8(buf.String(nameOff, nameSize));
  return p;
}

}  // namespace

TapiThread::TapiThread(std::wstring dllPath, ResultSink results, EventSink events, ExitSink onExit)
    : dllPath_(std::move(dllPath)),
      results_(std::move(results)),
      events_(std::move(events)),
      onExit_(std::move(onExit)),
      stopEvent_(CreateEventW(nullptr, TRUE, FALSE, nullptr)),
      commandEvent_(CreateEventW(nullptr, FALSE, FALSE, nullptr)) {}

TapiThread::~TapiThread() { Stop(); }

void TapiThread::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] { Run(); });
}

void TapiThread::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
  }
  SetEvent(stopEvent_.get());
  if (thread_.joinable()) thread_.join();
}

bool TapiThread::Post(std::function<void()> command) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!accepting_) return false;
    queue_.push_back(std::move(command));
  }
  SetEvent(commandEvent_.get());
  return true;
}

void TapiThread::Run() {
  while (!ending_) {
    HANDLE handles[3] = {stopEvent_.get(), commandEvent_.get(), tapiEvent_};
    DWORD count = tapiEvent_ != nullptr ? 3 : 2;
    // Without a usable TAPI event (see below) the queue is polled.
    DWORD timeout = (hLineApp_ != 0 && tapiEvent_ == nullptr) ? 100 : INFINITE;
    DWORD w = WaitForMultipleObjects(count, handles, FALSE, timeout);
    if (w == WAIT_OBJECT_0) break;
    if (w == WAIT_FAILED) {
      if (tapiEvent_ == nullptr) break;  // our own events failed: nothing sensible is left to do
      tapiEvent_ = nullptr;              // the TAPI event became invalid: fall back to polling
    }
    RunCommands();
    if (!ending_) DrainMessages(w == WAIT_OBJECT_0 + 2);
  }
  // From here on Post() refuses; what is still queued gets an answer too.
  {
    std::lock_guard<std::mutex> lock(mutex_);
    accepting_ = false;
  }
  ending_ = true;
  RunCommands();
  ShutdownTapi();
  if (onExit_) onExit_();
}

void TapiThread::RunCommands() {
  for (;;) {
    std::function<void()> command;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (queue_.empty()) return;
      command = std::move(queue_.front());
      queue_.pop_front();
    }
    command();
  }
}

// Drains the queue until OPERATIONFAILED. Guards: a TAPI that "succeeds" without writing the message
// (Wine's stubs) stops the drain, and an event that stays signalled without messages is throttled.
void TapiThread::DrainMessages(bool woken) {
  if (hLineApp_ == 0) return;
  int got = 0;
  for (; got < kMaxMessagesPerWake; ++got) {
    LINEMESSAGE msg;
    ZeroMemory(&msg, sizeof msg);
    msg.dwMessageID = kSentinelMessage;
    LONG rc = api_->lineGetMessage(hLineApp_, &msg, 0);
    if (rc != 0 || msg.dwMessageID == kSentinelMessage) break;
    Handle(msg);
    if (hLineApp_ == 0) return;
  }
  if (got > 0 || !woken) {
    idleWakeups_ = 0;
  } else if (++idleWakeups_ > 20) {
    Sleep(20);  // the event keeps firing without messages: do not spin
  }
}

void TapiThread::Handle(const LINEMESSAGE &msg) {
  EventData ev;
  const DWORD p1 = static_cast<DWORD>(msg.dwParam1);
  const DWORD p2 = static_cast<DWORD>(msg.dwParam2);
  const DWORD p3 = static_cast<DWORD>(msg.dwParam3);
  switch (msg.dwMessageID) {
    case LINE_REPLY: {
      ev.kind = EventData::Kind::kReply;
      ev.requestId = p1;
      ev.result = p2;  // LONG result in the low 32 bits
      auto it = pendingMakeCalls_.find(p1);
      if (it != pendingMakeCalls_.end()) {
        if (ev.result == 0) {
          ev.hCall = *it->second.hCall;
          ev.hasHCall = true;
          callHandles_[ev.hCall] = it->second.hLine;
        }
        pendingMakeCalls_.erase(it);
      }
      break;
    }
    case LINE_CALLSTATE:
      ev.kind = EventData::Kind::kCallState;
      ev.hCall = msg.hDevice;
      ev.state = p1;
      ev.mode = p2;
      ev.privilege = p3;
      break;
    case LINE_CALLINFO:
      ev.kind = EventData::Kind::kCallInfo;
      ev.hCall = msg.hDevice;
      ev.changed = p1;
      if (ReadCallInfo(msg.hDevice, &ev.info) != 0) return;  // call already gone: nothing to report
      break;
    case LINE_APPNEWCALL:
      ev.kind = EventData::Kind::kNewCall;
      ev.hLine = msg.hDevice;
      ev.addressId = p1;
      ev.hCall = p2;
      ev.privilege = p3;
      callHandles_[p2] = msg.hDevice;
      break;
    case LINE_CLOSE:
      ev.kind = EventData::Kind::kLineClosed;
      ev.hLine = msg.hDevice;
      for (auto h = callHandles_.begin(); h != callHandles_.end();) {
        h = h->second == msg.hDevice ? callHandles_.erase(h) : std::next(h);  // dead with the line
      }
      break;
    case LINE_LINEDEVSTATE:
      if (p1 & LINEDEVSTATE_REINIT) {
        if (p2 != 0) return;  // a translated message for older apps
        ev.kind = EventData::Kind::kReinit;
      } else {
        ev.kind = EventData::Kind::kLineState;
        ev.hLine = msg.hDevice;
        ev.state = p1;
      }
      break;
    case LINE_CREATE:
      ev.kind = EventData::Kind::kLineAdded;
      ev.deviceId = p1;
      numDevs_ = std::max<DWORD>(numDevs_, p1 + 1);
      removed_.erase(p1);
      break;
    case LINE_REMOVE:
      ev.kind = EventData::Kind::kLineRemoved;
      ev.deviceId = p1;
      removed_.insert(p1);
      break;
    default:
      return;
  }
  events_(std::move(ev));
}

// lineClose/lineShutdown drop the calls this app solely owns (CLOSEDROP) -- the user's live calls on
// the phone. Handing the handles back first (allowed for a sole owner since TAPI 2.0, and it does not
// change the physical call) leaves every call as it is.
void TapiThread::ReleaseCallHandles(DWORD hLine) {
  for (auto h = callHandles_.begin(); h != callHandles_.end();) {
    if (hLine != 0 && h->second != hLine) {
      ++h;
      continue;
    }
    api_->lineDeallocateCall(h->first);
    h = callHandles_.erase(h);
  }
}

void TapiThread::ShutdownTapi() {
  if (hLineApp_ != 0) ReleaseCallHandles(0);
  if (hLineApp_ != 0) api_->lineShutdown(hLineApp_);
  hLineApp_ = 0;
  tapiEvent_ = nullptr;  // destroyed by lineShutdown
  pendingMakeCalls_.clear();  // replies are cancelled by lineShutdown; storage no longer written
  callHandles_.clear();
}

// Calls found by lineGetNewCalls (or offered to another owner) come with MONITOR privilege: take
// ownership when TAPI says NOTOWNER, then try once more.
LONG TapiThread::AsOwner(HCALL hCall, LONG (*op)(const TapiApi &, HCALL)) {
  LONG rc = op(*api_, hCall);
  if (rc == static_cast<LONG>(LINEERR_NOTOWNER) && api_->lineSetCallPrivilege != nullptr &&
      api_->lineSetCallPrivilege(hCall, LINECALLPRIVILEGE_OWNER) == 0) {
    rc = op(*api_, hCall);
  }
  return rc;
}

Outcome TapiThread::Uninitialized(const char *fn) const {
  return Outcome::Fail(fn, LINEERR_UNINITIALIZED, std::string(fn) + " failed: LINEERR_UNINITIALIZED (TAPI is not initialized)");
}

Outcome TapiThread::Failed(const char *fn, LONG rc) const {
  return Outcome::Fail(fn, static_cast<uint32_t>(rc), std::string(fn) + " failed: " + LineErrName(rc));
}

// ---- commands --------------------------------------------------------------------------------------

#define TAPI_COMMAND(id, body)                                                     \
  Post([=]() {                                                                     \
    Outcome outcome;                                                               \
    try {                                                                          \
      outcome = (body);                                                            \
    } catch (const std::exception &e) {                                            \
      outcome = Outcome::Fail("internal", 0, std::string("internal error: ") + e.what()); \
    }                                                                              \
    results_(id, std::move(outcome));                                              \
  })

bool TapiThread::Initialize(uint32_t id, std::wstring appName) {
  return Post([this, id, appName]() {
    Outcome outcome;
    try {
      outcome = DoInitialize(appName);
    } catch (const std::exception &e) {
      outcome = Outcome::Fail("lineInitializeExW", 0, std::string("internal error: ") + e.what());
    }
    results_(id, std::move(outcome));
  });
}

Outcome TapiThread::DoInitialize(const std::wstring &appName) {
  if (ending_) return Uninitialized("lineInitializeExW");
  if (hLineApp_ != 0) return DoListLines();
  if (!api_) {
    auto api = std::make_unique<TapiApi>();
    std::string fn, error;
    if (!api->Load(dllPath_, &fn, &error)) return Outcome::Fail(fn, 0, error);
    api_ = std::move(api);
  }
  LINEINITIALIZEEXPARAMS params;
  ZeroMemory(&params, sizeof params);
  params.dwTotalSize = sizeof params;
  params.dwOptions = LINEINITIALIZEEXOPTION_USEEVENT;
  HLINEAPP app = 0;
  DWORD numDevs = 0;
  DWORD apiVersion = kApiHigh;
  LONG rc = api_->lineInitializeExW(&app, GetModuleHandleW(nullptr), nullptr, appName.c_str(), &numDevs, &apiVersion,
                                    &params);
  if (rc != 0) return Failed("lineInitializeExW", rc);
  if (app == 0 || params.Handles.hEvent == nullptr) {
    if (app != 0) api_->lineShutdown(app);
    return Outcome::Fail("lineInitializeExW", 0,
                         "lineInitializeExW returned no app handle or no event (a stub tapi32.dll, e.g. Wine's builtin?)");
  }
  hLineApp_ = app;
  tapiEvent_ = params.Handles.hEvent;
  numDevs_ = numDevs;
  removed_.clear();
  return DoListLines();
}

bool TapiThread::ListLines(uint32_t id) {
  return TAPI_COMMAND(id, hLineApp_ == 0 ? Uninitialized("lineGetDevCapsW") : DoListLines());
}

Outcome TapiThread::DoListLines() {
  Outcome out;
  out.kind = Outcome::Kind::kLines;
  for (DWORD dev = 0; dev < numDevs_; ++dev) {
    if (removed_.count(dev) != 0) continue;
    LINEEXTENSIONID ext;
    DWORD version = 0;
    LONG rc = api_->lineNegotiateAPIVersion(hLineApp_, dev, kApiLow, kApiHigh, &version, &ext);
    DWORD capsVersion = version;
    if (rc == static_cast<LONG>(LINEERR_INCOMPATIBLEAPIVERSION)) {
      version = 0;  // listed, but unusable
      if (api_->lineNegotiateAPIVersion(hLineApp_, dev, kApiOldest, kApiHigh, &capsVersion, &ext) != 0) continue;
    } else if (rc != 0) {
      continue;  // device gone or broken: not listed
    }
    VarBuffer caps(1024);
    rc = caps.Fill([&] { return api_->lineGetDevCapsW(hLineApp_, dev, capsVersion, 0, caps.As<LINEDEVCAPS>()); });
    if (rc != 0) continue;
    const LINEDEVCAPS *c = caps.As<LINEDEVCAPS>();
    LineData line;
    line.deviceId = dev;
    line.permanentId = c->dwPermanentLineID;
    line.apiVersion = version;
    line.name = WideToUtf8(caps.String(c->dwLineNameOffset, c->dwLineNameSize, c->dwStringFormat));
    line.provider = WideToUtf8(caps.String(c->dwProviderInfoOffset, c->dwProviderInfoSize, c->dwStringFormat));
    lineStates_[dev] = c->dwLineStates;
    const DWORD numAddresses = std::min<DWORD>(c->dwNumAddresses, kMaxAddresses);
    if (api_->lineGetAddressCapsW != nullptr && version != 0) {
      for (DWORD a = 0; a < numAddresses; ++a) {
        VarBuffer ac(512);
        LONG arc = ac.Fill(
            [&] { return api_->lineGetAddressCapsW(hLineApp_, dev, a, version, 0, ac.As<LINEADDRESSCAPS>()); });
        if (arc != 0) continue;
        const LINEADDRESSCAPS *x = ac.As<LINEADDRESSCAPS>();
        AddressData address;
        address.addressId = a;
        address.address = WideToUtf8(ac.String(x->dwAddressOffset, x->dwAddressSize));
        line.addresses.push_back(std::move(address));
      }
    }
    out.lines.push_back(std::move(line));
  }
  return out;
}

bool TapiThread::OpenLine(uint32_t id, uint32_t deviceId, uint32_t apiVersion) {
  return TAPI_COMMAND(id, hLineApp_ == 0 ? Uninitialized("lineOpenW") : DoOpenLine(deviceId, apiVersion));
}

Outcome TapiThread::DoOpenLine(uint32_t deviceId, uint32_t apiVersion) {
  HLINE hLine = 0;
  LONG rc = api_->lineOpenW(hLineApp_, deviceId, &hLine, apiVersion, 0, deviceId,
                            LINECALLPRIVILEGE_OWNER | LINECALLPRIVILEGE_MONITOR, LINEMEDIAMODE_INTERACTIVEVOICE, nullptr);
  if (rc != 0) return Failed("lineOpenW", rc);
  if (api_->lineSetStatusMessages != nullptr) {
    auto it = lineStates_.find(deviceId);
    const DWORD supported = it != lineStates_.end() ? it->second : 0;
    // Not fatal: REINIT is always reported, the rest is a nicety.
    api_->lineSetStatusMessages(hLine, kWantedLineStates & supported, 0);
  }
  // Calls that exist already are not announced by TAPI: fetch them and report them like new ones.
  if (api_->lineGetNewCalls != nullptr) {
    VarBuffer list(256);
    rc = list.Fill([&] { return api_->lineGetNewCalls(hLine, 0, LINECALLSELECT_LINE, list.As<LINECALLLIST>()); });
    if (rc == 0) {
      const LINECALLLIST *l = list.As<LINECALLLIST>();
      const DWORD used = list.Used();
      DWORD n = l->dwCallsNumEntries;
      if (l->dwCallsOffset < sizeof(LINECALLLIST) || l->dwCallsOffset > used ||
          static_cast<unsigned long long>(n) * sizeof(HCALL) > used - l->dwCallsOffset)
        n = 0;
      for (DWORD i = 0; i < n; ++i) {
        HCALL hCall;
        std::memcpy(&hCall, list.Bytes() + l->dwCallsOffset + i * sizeof(HCALL), sizeof hCall);
        callHandles_[hCall] = hLine;
        EventData nc;
        nc.kind = EventData::Kind::kNewCall;
        nc.hLine = hLine;
        nc.hCall = hCall;
        nc.privilege = LINECALLPRIVILEGE_MONITOR;
        CallInfoData info;
        if (ReadCallInfo(hCall, &info) == 0) nc.addressId = info.addressId;
        EventData st;
        st.kind = EventData::Kind::kCallState;
        st.hCall = hCall;
        st.state = LINECALLSTATE_UNKNOWN;
        if (api_->lineGetCallStatus != nullptr) {
          VarBuffer status(sizeof(LINECALLSTATUS) + 64);
          if (status.Fill([&] { return api_->lineGetCallStatus(hCall, status.As<LINECALLSTATUS>()); }) == 0) {
            const LINECALLSTATUS *s = status.As<LINECALLSTATUS>();
            st.state = s->dwCallState;
            st.mode = s->dwCallStateMode;
            nc.privilege = s->dwCallPrivilege;
          }
        }
        st.privilege = nc.privilege;
        events_(std::move(nc));
        events_(std::move(st));
      }
    }
  }
  return Outcome::Number(hLine);
}

bool TapiThread::CloseLine(uint32_t id, uint32_t hLine) {
  return TAPI_COMMAND(id, hLineApp_ == 0 ? Uninitialized("lineClose") : [&] {
    ReleaseCallHandles(hLine);
    LONG rc = api_->lineClose(hLine);
    return rc != 0 ? Failed("lineClose", rc) : Outcome();
  }());
}

bool TapiThread::MakeCall(uint32_t id, uint32_t hLine, std::wstring destination) {
  return Post([this, id, hLine, destination]() {
    Outcome outcome = hLineApp_ == 0 ? Uninitialized("lineMakeCallW") : DoMakeCall(hLine, destination);
    results_(id, std::move(outcome));
  });
}

Outcome TapiThread::DoMakeCall(uint32_t hLine, const std::wstring &destination) {
  // TAPI writes the new hCall into this storage when the LINE_REPLY is queued: keep it until then.
  auto storage = std::make_unique<HCALL>(0);
  LONG rc = api_->lineMakeCallW(hLine, storage.get(), destination.c_str(), 0, nullptr);
  if (rc < 0) return Failed("lineMakeCallW", rc);
  if (rc == 0) return Outcome::Fail("lineMakeCallW", 0, "lineMakeCallW returned 0 instead of a request id");
  pendingMakeCalls_[static_cast<DWORD>(rc)] = PendingMakeCall{hLine, std::move(storage)};
  return Outcome::Number(static_cast<uint32_t>(rc));
}

bool TapiThread::Answer(uint32_t id, uint32_t hCall) {
  return TAPI_COMMAND(id, hLineApp_ == 0 ? Uninitialized("lineAnswer") : [&] {
    LONG rc = AsOwner(hCall, [](const TapiApi &api, HCALL h) { return api.lineAnswer(h, nullptr, 0); });
    return rc <= 0 ? Failed("lineAnswer", rc == 0 ? static_cast<LONG>(LINEERR_OPERATIONFAILED) : rc)
                   : Outcome::Number(static_cast<uint32_t>(rc));
  }());
}

bool TapiThread::Drop(uint32_t id, uint32_t hCall) {
  return TAPI_COMMAND(id, hLineApp_ == 0 ? Uninitialized("lineDrop") : [&] {
    LONG rc = AsOwner(hCall, [](const TapiApi &api, HCALL h) { return api.lineDrop(h, nullptr, 0); });
    return rc <= 0 ? Failed("lineDrop", rc == 0 ? static_cast<LONG>(LINEERR_OPERATIONFAILED) : rc)
                   : Outcome::Number(static_cast<uint32_t>(rc));
  }());
}

bool TapiThread::Deallocate(uint32_t id, uint32_t hCall) {
  return TAPI_COMMAND(id, hLineApp_ == 0 ? Uninitialized("lineDeallocateCall") : [&] {
    LONG rc = api_->lineDeallocateCall(hCall);
    if (rc == 0) callHandles_.erase(hCall);
    return rc != 0 ? Failed("lineDeallocateCall", rc) : Outcome();
  }());
}

bool TapiThread::GetCallInfo(uint32_t id, uint32_t hCall) {
  return TAPI_COMMAND(id, hLineApp_ == 0 ? Uninitialized("lineGetCallInfoW") : [&] {
    Outcome o;
    LONG rc = ReadCallInfo(hCall, &o.info);
    if (rc != 0) return Failed("lineGetCallInfoW", rc);
    o.kind = Outcome::Kind::kCallInfo;
    return o;
  }());
}

LONG TapiThread::ReadCallInfo(HCALL hCall, CallInfoData *out) {
  VarBuffer buf(1024);
  LONG rc = buf.Fill([&] { return api_->lineGetCallInfoW(hCall, buf.As<LINECALLINFO>()); });
  if (rc != 0) return rc;
  const LINECALLINFO *i = buf.As<LINECALLINFO>();
  out->hCall = hCall;
  out->hLine = i->hLine;
  out->callId = i->dwCallID;
  out->origin = i->dwOrigin;
  out->reason = i->dwReason;
  out->addressId = i->dwAddressID;
  out->caller = ReadParty(buf, i->dwCallerIDFlags, i->dwCallerIDOffset, i->dwCallerIDSize, i->dwCallerIDNameOffset,
                          i->dwCallerIDNameSize);
  out->called = ReadParty(buf, i->dwCalledIDFlags, i->dwCalledIDOffset, i->dwCalledIDSize, i->dwCalledIDNameOffset,
                          i->dwCalledIDNameSize);
  out->connected = ReadParty(buf, i->dwConnectedIDFlags, i->dwConnectedIDOffset, i->dwConnectedIDSize,
                             i->dwConnectedIDNameOffset, i->dwConnectedIDNameSize);
  return 0;
}

bool TapiThread::Shutdown(uint32_t id) {
  return Post([this, id]() {
    ShutdownTapi();
    ending_ = true;
    results_(id, Outcome());
  });
}

}  // namespace tapi
