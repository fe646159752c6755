#include "tapi/tapi_thread.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <iterator>
#include <utility>
#include <vector>

#include "common/new_call_hint.h"
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

std::shared_ptr<TapiThread> TapiThread::Create(ResultSink results, EventSink events, ExitSink onExit,
                                               DWORD closeTimeoutMs) {
  return std::shared_ptr<TapiThread>(
      new TapiThread(std::move(results), std::move(events), std::move(onExit), closeTimeoutMs));
}

TapiThread::TapiThread(ResultSink results, EventSink events, ExitSink onExit, DWORD closeTimeoutMs)
    : results_(std::move(results)),
      events_(std::move(events)),
      onExit_(std::move(onExit)),
      closeTimeoutMs_(closeTimeoutMs == 0 ? kDefaultCloseTimeoutMs : closeTimeoutMs),
      stopEvent_(CreateEventW(nullptr, TRUE, FALSE, nullptr)),
      commandEvent_(CreateEventW(nullptr, FALSE, FALSE, nullptr)) {}

bool TapiThread::Start() noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  if (started_) return thread_.started();
  started_ = true;
  if (stopEvent_.get() == nullptr || commandEvent_.get() == nullptr) {
    accepting_ = false;
    return false;
  }
  std::shared_ptr<TapiThread> self;
  try {
    self = shared_from_this();
  } catch (...) {
    accepting_ = false;
    return false;
  }
  if (!thread_.Start([self] { self->Run(); }, "TAPI thread")) {
    accepting_ = false;
    return false;
  }
  return true;
}

bool TapiThread::Stop(DWORD waitMs) noexcept {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return !thread_.started();
    stopped_ = true;
  }
  SetEvent(stopEvent_.get());
  if (thread_.IsCurrent()) return false;
  if (thread_.Wait(waitMs)) {
    thread_.Abandon();  // ended: just close the handle
    return true;
  }
  Abandon();
  return false;
}

void TapiThread::Abandon() noexcept {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    accepting_ = false;
    stopped_ = true;
  }
  SetEvent(stopEvent_.get());
  thread_.Abandon();
}

bool TapiThread::Post(std::function<void()> command) noexcept {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!accepting_ || !started_ || !thread_.started()) return false;
    try {
      queue_.push_back(std::move(command));
    } catch (...) {
      return false;  // out of memory: the caller reports the command as not queued
    }
  }
  SetEvent(commandEvent_.get());
  return true;
}

bool TapiThread::QueueCommand(uint32_t id, const char *fn, std::function<Outcome()> body) {
  return Post([this, id, fn, body = std::move(body)]() noexcept {
    Outcome outcome;
    try {
      outcome = body();
    } catch (...) {
      try {
        outcome = Outcome::Fail(fn, 0, std::string(fn) + " failed: internal error: " + winx::CurrentExceptionWhat());
      } catch (...) {
        outcome = Outcome();  // no memory even for the message: the N-API layer says "internal error"
        outcome.ok = false;
      }
    }
    Deliver(id, std::move(outcome));
  });
}

void TapiThread::Deliver(uint32_t id, Outcome outcome) noexcept {
  winx::NoThrow("TAPI result sink", [&] { results_(id, std::move(outcome)); });
}

void TapiThread::Emit(EventData event) noexcept {
  winx::NoThrow("TAPI event sink", [&] { events_(std::move(event)); });
}

void TapiThread::Run() noexcept {
  winx::NoThrow("TAPI thread", [this] { Loop(); });
  // From here on Post() refuses; what is still queued gets an answer too.
  {
    std::lock_guard<std::mutex> lock(mutex_);
    accepting_ = false;
  }
  ending_ = true;
  winx::NoThrow("TAPI thread (pending commands)", [this] { RunCommands(); });
  winx::NoThrow("TAPI thread (lineShutdown)", [this] { ShutdownTapi(); });
  winx::NoThrow("TAPI exit sink", [this] {
    if (onExit_) onExit_();
  });
}

void TapiThread::Loop() {
  while (!ending_) {
    HANDLE handles[3] = {stopEvent_.get(), commandEvent_.get(), tapiEvent_};
    DWORD count = tapiEvent_ != nullptr && !appLost_ ? 3 : 2;
    // Without a usable TAPI event (see below) the queue is polled.
    DWORD timeout = (hLineApp_ != 0 && tapiEvent_ == nullptr && !appLost_) ? 100 : INFINITE;
    DWORD w = WaitForMultipleObjects(count, handles, FALSE, timeout);
    if (w == WAIT_OBJECT_0) break;
    if (w == WAIT_FAILED) {
      if (tapiEvent_ == nullptr) break;  // our own events failed: nothing sensible is left to do
      tapiEvent_ = nullptr;              // the TAPI event became invalid: fall back to polling
    }
    RunCommands();
    if (!ending_) DrainMessages(w == WAIT_OBJECT_0 + 2);
  }
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
    winx::NoThrow("TAPI command", command);
  }
}

// Drains the queue until OPERATIONFAILED. Guards: a TAPI that "succeeds" without writing the message
// (Wine's stubs) stops the drain, and an event that stays signalled without messages is throttled. A
// message whose handling throws (out of memory) is dropped; the drain goes on.
void TapiThread::DrainMessages(bool woken) {
  if (hLineApp_ == 0 || appLost_) return;
  int got = 0;
  for (; got < kMaxMessagesPerWake; ++got) {
    LINEMESSAGE msg;
    ZeroMemory(&msg, sizeof msg);
    msg.dwMessageID = kSentinelMessage;
    LONG rc = api_->lineGetMessage(hLineApp_, &msg, 0);
    if (rc == static_cast<LONG>(LINEERR_INVALAPPHANDLE) || rc == static_cast<LONG>(LINEERR_UNINITIALIZED)) {
      // TAPI no longer knows this app (the Telephony service restarted): like a re-init for the
      // program, which shuts down and initialises again; nothing more is read until then
      if (!appLost_) {
        appLost_ = true;
        EventData ev;
        ev.kind = EventData::Kind::kReinit;
        Emit(std::move(ev));
      }
      return;
    }
    if (rc != 0 || msg.dwMessageID == kSentinelMessage) break;
    winx::NoThrow("TAPI message", [&] { Handle(msg); });
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
      hints::NoteNewCall();  // DATEV's lookup can start now, while this event travels to JavaScript
      // read here, on the TAPI thread: the program needs the caller at once, without a second round trip
      ev.hasInfo = ReadCallInfo(p2, &ev.info) == 0;
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
  Emit(std::move(ev));
}

// lineClose/lineShutdown drop the calls this app solely owns (CLOSEDROP) -- the user's live calls on
// the phone. Handing the handles back first (allowed for a sole owner since TAPI 2.0, and it does not
// change the physical call) leaves every call as it is. The handles are forgotten here; the bounded
// helper deallocates them.
std::vector<HCALL> TapiThread::TakeCallHandles(DWORD hLine) {
  std::vector<HCALL> out;
  out.reserve(callHandles_.size());
  for (auto h = callHandles_.begin(); h != callHandles_.end();) {
    if (hLine != 0 && h->second != hLine) {
      ++h;
      continue;
    }
    out.push_back(h->first);
    h = callHandles_.erase(h);
  }
  return out;
}

LONG TapiThread::Bounded(std::function<LONG()> call, bool *timedOut) {
  *timedOut = false;
  struct Result {
    std::atomic<LONG> rc{0};
  };
  auto result = std::make_shared<Result>();
  winx::Thread helper;
  // The helper owns `call` and `result`: when it is abandoned it touches nothing of this object.
  if (!helper.Start([result, call] { result->rc = call(); }, "TAPI bounded call")) {
    return call();  // no thread to spare: call it here, unbounded (better than not closing at all)
  }
  if (helper.Wait(closeTimeoutMs_)) return result->rc;
  helper.Abandon();
  *timedOut = true;
  return 0;
}

bool TapiThread::ShutdownTapi() {
  if (hLineApp_ == 0 || !api_) return true;
  const HLINEAPP app = hLineApp_;
  hLineApp_ = 0;
  tapiEvent_ = nullptr;  // destroyed by lineShutdown
  std::vector<HCALL> handles = TakeCallHandles(0);
  // Replies are cancelled by lineShutdown; until it has returned TAPI may still write a new hCall
  // into this storage, so the helper keeps it.
  auto storage = std::make_shared<std::vector<std::unique_ptr<HCALL>>>();
  for (auto &p : pendingMakeCalls_) storage->push_back(std::move(p.second.hCall));
  pendingMakeCalls_.clear();
  const PFN_lineDeallocateCall deallocate = api_->lineDeallocateCall;
  const PFN_lineShutdown shutdown = api_->lineShutdown;
  bool timedOut = false;
  Bounded(
      [handles, app, storage, deallocate, shutdown]() -> LONG {
        for (HCALL h : handles) deallocate(h);
        return shutdown(app);
      },
      &timedOut);
  return !timedOut;
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

bool TapiThread::Initialize(uint32_t id, std::wstring appName) noexcept {
  try {
    return Command(id, "lineInitializeExW", [this, appName = std::move(appName)] { return DoInitialize(appName); });
  } catch (...) {
    return false;
  }
}

Outcome TapiThread::DoInitialize(const std::wstring &appName) {
  if (ending_) return Uninitialized("lineInitializeExW");
  if (hLineApp_ != 0) return DoListLines();
  if (!api_) {
    auto api = std::make_unique<TapiApi>();
    std::string fn, error;
    if (!api->Load(&fn, &error)) return Outcome::Fail(fn, 0, error);
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
  appLost_ = false;
  numDevs_ = numDevs;
  removed_.clear();
  return DoListLines();
}

bool TapiThread::ListLines(uint32_t id) noexcept {
  return Command(id, "lineGetDevCapsW",
                 [this] { return hLineApp_ == 0 ? Uninitialized("lineGetDevCapsW") : DoListLines(); });
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
    VarBuffer caps(sizeof(LINEDEVCAPS) + 768);
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
        VarBuffer ac(sizeof(LINEADDRESSCAPS) + 256);
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

bool TapiThread::OpenLine(uint32_t id, uint32_t deviceId, uint32_t apiVersion) noexcept {
  return Command(id, "lineOpenW", [this, deviceId, apiVersion] {
    return hLineApp_ == 0 ? Uninitialized("lineOpenW") : DoOpenLine(deviceId, apiVersion);
  });
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
      DWORD n = l->dwCallsNumEntries;
      if (!list.Contains(l->dwCallsOffset, static_cast<unsigned long long>(n) * sizeof(HCALL))) n = 0;
      for (DWORD i = 0; i < n; ++i) {
        HCALL hCall;
        std::memcpy(&hCall, list.Bytes() + l->dwCallsOffset + i * sizeof(HCALL), sizeof hCall);
        callHandles_[hCall] = hLine;
        EventData nc;
        nc.kind = EventData::Kind::kNewCall;
        nc.hLine = hLine;
        nc.hCall = hCall;
        nc.privilege = LINECALLPRIVILEGE_MONITOR;
        nc.hasInfo = ReadCallInfo(hCall, &nc.info) == 0;
        if (nc.hasInfo) nc.addressId = nc.info.addressId;
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
        Emit(std::move(nc));
        Emit(std::move(st));
      }
    }
  }
  return Outcome::Number(hLine);
}

bool TapiThread::CloseLine(uint32_t id, uint32_t hLine) noexcept {
  return Command(id, "lineClose", [this, hLine] { return hLineApp_ == 0 ? Uninitialized("lineClose") : DoCloseLine(hLine); });
}

Outcome TapiThread::DoCloseLine(uint32_t hLine) {
  std::vector<HCALL> handles = TakeCallHandles(hLine);
  const PFN_lineDeallocateCall deallocate = api_->lineDeallocateCall;
  const PFN_lineClose close = api_->lineClose;
  bool timedOut = false;
  LONG rc = Bounded(
      [handles, hLine, deallocate, close]() -> LONG {
        for (HCALL h : handles) deallocate(h);
        return close(hLine);
      },
      &timedOut);
  if (timedOut) return Outcome::Timeout("lineClose", closeTimeoutMs_);
  return rc != 0 ? Failed("lineClose", rc) : Outcome();
}

bool TapiThread::MakeCall(uint32_t id, uint32_t hLine, std::wstring destination) noexcept {
  try {
    return Command(id, "lineMakeCallW", [this, hLine, destination = std::move(destination)] {
      return hLineApp_ == 0 ? Uninitialized("lineMakeCallW") : DoMakeCall(hLine, destination);
    });
  } catch (...) {
    return false;
  }
}

Outcome TapiThread::DoMakeCall(uint32_t hLine, const std::wstring &destination) {
  // TAPI writes the new hCall into this storage when the LINE_REPLY is queued: keep it until then.
  auto storage = std::make_unique<HCALL>(0);
  PendingMakeCall *slot = nullptr;
  LONG rc = api_->lineMakeCallW(hLine, storage.get(), destination.c_str(), 0, nullptr);
  if (rc < 0) return Failed("lineMakeCallW", rc);
  if (rc == 0) return Outcome::Fail("lineMakeCallW", 0, "lineMakeCallW returned 0 instead of a request id");
  try {
    slot = &pendingMakeCalls_[static_cast<DWORD>(rc)];
  } catch (...) {
    storage.release();  // TAPI will write into it: never free it (out of memory anyway)
    throw;
  }
  slot->hLine = hLine;
  slot->hCall = std::move(storage);
  return Outcome::Number(static_cast<uint32_t>(rc));
}

bool TapiThread::Answer(uint32_t id, uint32_t hCall) noexcept {
  return Command(id, "lineAnswer", [this, hCall] {
    if (hLineApp_ == 0) return Uninitialized("lineAnswer");
    LONG rc = AsOwner(hCall, [](const TapiApi &api, HCALL h) { return api.lineAnswer(h, nullptr, 0); });
    return rc <= 0 ? Failed("lineAnswer", rc == 0 ? static_cast<LONG>(LINEERR_OPERATIONFAILED) : rc)
                   : Outcome::Number(static_cast<uint32_t>(rc));
  });
}

bool TapiThread::Drop(uint32_t id, uint32_t hCall) noexcept {
  return Command(id, "lineDrop", [this, hCall] {
    if (hLineApp_ == 0) return Uninitialized("lineDrop");
    LONG rc = AsOwner(hCall, [](const TapiApi &api, HCALL h) { return api.lineDrop(h, nullptr, 0); });
    return rc <= 0 ? Failed("lineDrop", rc == 0 ? static_cast<LONG>(LINEERR_OPERATIONFAILED) : rc)
                   : Outcome::Number(static_cast<uint32_t>(rc));
  });
}

bool TapiThread::Deallocate(uint32_t id, uint32_t hCall) noexcept {
  return Command(id, "lineDeallocateCall", [this, hCall] {
    if (hLineApp_ == 0) return Uninitialized("lineDeallocateCall");
    LONG rc = api_->lineDeallocateCall(hCall);
    if (rc == 0) callHandles_.erase(hCall);
    return rc != 0 ? Failed("lineDeallocateCall", rc) : Outcome();
  });
}

bool TapiThread::GetCallInfo(uint32_t id, uint32_t hCall) noexcept {
  return Command(id, "lineGetCallInfoW", [this, hCall] {
    if (hLineApp_ == 0) return Uninitialized("lineGetCallInfoW");
    Outcome o;
    LONG rc = ReadCallInfo(hCall, &o.info);
    if (rc != 0) return Failed("lineGetCallInfoW", rc);
    o.kind = Outcome::Kind::kCallInfo;
    return o;
  });
}

bool TapiThread::GetCallState(uint32_t id, uint32_t hCall) noexcept {
  return Command(id, "lineGetCallStatus", [this, hCall] {
    if (hLineApp_ == 0) return Uninitialized("lineGetCallStatus");
    if (api_->lineGetCallStatus == nullptr) return Failed("lineGetCallStatus", LINEERR_OPERATIONUNAVAIL);
    VarBuffer status(sizeof(LINECALLSTATUS) + 64);
    LONG rc = status.Fill([&] { return api_->lineGetCallStatus(hCall, status.As<LINECALLSTATUS>()); });
    if (rc != 0) return Failed("lineGetCallStatus", rc);
    return Outcome::Number(status.As<LINECALLSTATUS>()->dwCallState);
  });
}

LONG TapiThread::ReadCallInfo(HCALL hCall, CallInfoData *out) {
  VarBuffer buf(sizeof(LINECALLINFO) + 640);
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
  out->redirecting = ReadParty(buf, i->dwRedirectingIDFlags, i->dwRedirectingIDOffset, i->dwRedirectingIDSize,
                               i->dwRedirectingIDNameOffset, i->dwRedirectingIDNameSize);
  return 0;
}

bool TapiThread::Shutdown(uint32_t id) noexcept {
  return Command(id, "lineShutdown", [this] {
    const bool ok = ShutdownTapi();
    ending_ = true;
    return ok ? Outcome() : Outcome::Timeout("lineShutdown", closeTimeoutMs_);
  });
}

}  // namespace tapi
