// A call appeared on a TAPI line that the program did not make (LINE_APPNEWCALL): its first notification
// to DATEV (NewCall) follows within milliseconds, once the event has reached JavaScript and the contact is
// found. The TAPI thread announces the call here; the DATEV bridge, while one runs, uses that hop's time
// to look DATEV up in the ROT ahead of the notification (native/com: Bridge::LookUpAhead). A hint only:
// it carries no call data and decides nothing.
#pragma once

#include <cstdint>
#include <functional>

namespace hints {

using NewCallListener = std::function<void()>;

// Makes `listener` the one to hear of new calls; returns a token for ClearNewCallListener.
uint64_t SetNewCallListener(NewCallListener listener);
// Removes the listener if it is still the one `token` set.
void ClearNewCallListener(uint64_t token);
// Any thread; the listener runs on it. Never throws.
void NoteNewCall() noexcept;

}  // namespace hints
