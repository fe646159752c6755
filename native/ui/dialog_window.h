// One dialog window (CreateWindowEx with STATIC and BUTTON children), run on the calling thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "ui/dialog_state.h"

namespace wildix::ui {

struct DialogOutcome {
  CloseReason reason = CloseReason::kClosed;
  std::string choice;  // button id for kButton
};

// Creates the window (the calling thread becomes per-monitor DPI aware while it runs), calls on_shown
// once it is visible, and runs a message loop until the window is destroyed. Returns false with
// *error set when the window could not be created. An exception (out of memory, or one thrown by
// on_shown) destroys the window before it leaves; none ever leaves the window procedure.
bool RunDialog(const std::shared_ptr<DialogState>& state, const DialogSpec& spec,
               const std::function<void()>& on_shown, DialogOutcome* outcome, std::string* error);

}  // namespace wildix::ui
