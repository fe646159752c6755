#include "common/new_call_hint.h"

#include <mutex>

namespace hints {

namespace {
std::mutex g_mutex;
NewCallListener g_listener;
uint64_t g_token = 0;
}  // namespace

uint64_t SetNewCallListener(NewCallListener listener) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_listener = std::move(listener);
  return ++g_token;
}

void ClearNewCallListener(uint64_t token) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (token == g_token) g_listener = nullptr;
}

void NoteNewCall() noexcept {
  try {
    NewCallListener listener;
    {
      std::lock_guard<std::mutex> lock(g_mutex);
      listener = g_listener;
    }
    if (listener) listener();
  } catch (...) {
    // a hint that cannot be given changes nothing: the notification looks DATEV up itself
  }
}

}  // namespace hints
