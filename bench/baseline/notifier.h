// The baseline CTI's one long-lived notifier thread (an STA): tells DATEV Telefonie about a new incoming
// call with NewCall, by name through IDispatch, with a call-data object holding all 11 fields.
// DATEV is looked up with GetActiveObject({A299D197-...}) for every notification, as DATEV's own sample
// CTI and the product do (a restarted DATEV is found at once); the IDispatch and NewCall's DISPID are
// kept while the lookup returns the same object. With keepProxy the proxy is kept instead and looked up
// again only when a call fails because DATEV is gone (one ROT lookup less per notification).
#pragma once

#include <windows.h>

#include <string>
#include <thread>

namespace baseline {

class Notifier {
 public:
  explicit Notifier(bool keepProxy) : keepProxy_(keepProxy) {}
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  void Start();
  void Stop();
  // From any thread: NewCall for an incoming call from `number` (queued to the notifier thread).
  void IncomingCall(std::wstring number);

 private:
  void Run();

  bool keepProxy_;
  std::thread thread_;
  DWORD threadId_ = 0;
  HANDLE started_ = nullptr;
};

}  // namespace baseline
