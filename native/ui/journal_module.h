// The journal windows' functions on addon.ui (note, call list, contact chooser; see journal_module.cc).
#pragma once

#include <napi.h>

namespace wildix::ui {

void AddJournalWindows(Napi::Env env, Napi::Object ui);

}  // namespace wildix::ui
