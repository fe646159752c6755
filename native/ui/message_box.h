// MessageBoxW with a working timeout (Wine ignores MessageBoxTimeoutW's), run on the calling thread.
#pragma once

#include <cstdint>
#include <string>

namespace wildix::ui {

constexpr int kMessageBoxTimedOut = 32000;

// Shows the box (topmost, foreground; window property kDialogIdProperty = id) and returns the
// MessageBoxW result, kMessageBoxTimedOut after timeout_ms (0 = none), or 0 when it failed.
int RunMessageBox(uint32_t id, const std::wstring& title, const std::wstring& text, bool error, unsigned timeout_ms);

}  // namespace wildix::ui
