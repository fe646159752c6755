// Plain data passed from the TAPI thread to the JS thread (no N-API types here).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tapi {

struct PartyData {
  uint32_t flags = 0;  // LINECALLPARTYID_*
  std::string number;
  std::string name;
};

struct CallInfoData {
  uint32_t hCall = 0;
  uint32_t hLine = 0;
  uint32_t callId = 0;
  uint32_t origin = 0;
  uint32_t reason = 0;
  uint32_t addressId = 0;
  PartyData caller, called, connected;
  PartyData redirecting;  // who redirected or transferred the call to this line (when the TSP says)
};

struct AddressData {
  uint32_t addressId = 0;
  std::string address;
};

struct LineData {
  uint32_t deviceId = 0;
  uint32_t permanentId = 0;
  uint32_t apiVersion = 0;  // 0 = negotiation failed
  std::string name;
  std::string provider;
  std::vector<AddressData> addresses;
};

// A LINEMESSAGE turned into what the port reports (src/telephony/port.ts TelephonyEvent).
struct EventData {
  enum class Kind { kNewCall, kCallState, kCallInfo, kReply, kLineClosed, kLineState, kReinit, kLineAdded, kLineRemoved };
  Kind kind = Kind::kReinit;
  uint32_t hLine = 0, hCall = 0, addressId = 0, privilege = 0, state = 0, mode = 0, changed = 0;
  uint32_t requestId = 0, result = 0, deviceId = 0;
  bool hasHCall = false;
  bool hasInfo = false;  // kNewCall: `info` was read on the TAPI thread when the call was announced
  CallInfoData info;
};

// Result of one command. ok == false: fn/code/message describe the failure (code 0 = outside TAPI);
// timeoutMs != 0: the TAPI function did not return within that bound and was abandoned.
struct Outcome {
  enum class Kind { kNone, kLines, kNumber, kCallInfo };
  bool ok = true;
  std::string fn;
  uint32_t code = 0;
  uint32_t timeoutMs = 0;
  std::string message;
  Kind kind = Kind::kNone;
  std::vector<LineData> lines;
  uint32_t number = 0;
  CallInfoData info;

  static Outcome Fail(std::string fn, uint32_t code, std::string message) {
    Outcome o;
    o.ok = false;
    o.fn = std::move(fn);
    o.code = code;
    o.message = std::move(message);
    return o;
  }
  static Outcome Timeout(std::string fn, uint32_t ms) {
    Outcome o = Fail(fn, 0, fn + " did not return within " + std::to_string(ms) +
                                " ms (the TAPI provider hangs); the call was abandoned");
    o.timeoutMs = ms;
    return o;
  }
  static Outcome Number(uint32_t n) {
    Outcome o;
    o.kind = Kind::kNumber;
    o.number = n;
    return o;
  }
};

}  // namespace tapi
