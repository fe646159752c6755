// CallIDs for calls DATEV starts with Dial, minted in the CTI apartment so Dial never waits for JS.
// Same format as src/calls/callIds.ts: `{prefix}-{ddMMyyyy}-{HHmm}-{7 random digits}` (local time),
// prefix = the line's extension (letters and digits only; "CTI" when unknown).
#pragma once

#include <mutex>
#include <set>
#include <string>

namespace datev {

class CallIdMinter {
 public:
  void SetPrefix(const std::wstring& prefix);
  std::wstring Next();

 private:
  std::mutex mutex_;
  std::wstring prefix_ = L"CTI";
  std::set<std::wstring> used_;
};

}  // namespace datev
