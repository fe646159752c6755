#include "com/apartment_state.h"

#include <limits>

namespace datev {

namespace {
thread_local ApartmentState* t_state = nullptr;
}  // namespace

ApartmentState& ApartmentState::Current() {
  if (!t_state) t_state = new ApartmentState();  // std::bad_alloc is caught by the job's boundary
  return *t_state;
}

void ApartmentState::ReleaseCurrent() {
  delete t_state;
  t_state = nullptr;
}

ApartmentState::~ApartmentState() {
  for (auto& entry : objects_) {
    if (entry.second.object) entry.second.object->Release();
  }
}

HRESULT ApartmentState::ObjectFor(const std::wstring& callId, const CallValues& values, CallDataObject** out) {
  *out = nullptr;
  if (!callId.empty()) {
    auto it = objects_.find(callId);
    if (it != objects_.end()) {
      HRESULT hr = it->second.object->AssignTyped(values);
      if (FAILED(hr)) return hr;
      it->second.object->AddRef();
      *out = it->second.object;
      return S_OK;
    }
  }
  CallDataObject* object = nullptr;
  HRESULT hr = CallDataObject::CreateTyped(values, &object);
  if (FAILED(hr)) return hr;
  if (!callId.empty()) {
    Sweep();
    object->AddRef();
    objects_[callId] = Entry{object, 0, nextOrder_++};
  }
  *out = object;
  return S_OK;
}

void ApartmentState::Finish(const std::wstring& callId, DWORD graceMs) {
  auto it = objects_.find(callId);
  if (it != objects_.end()) it->second.releaseAt = GetTickCount64() + graceMs + 1;
}

void ApartmentState::Release(std::map<std::wstring, Entry>::iterator it) {
  if (it->second.object) it->second.object->Release();  // DATEV's own references keep it alive for DATEV
  objects_.erase(it);
}

void ApartmentState::Sweep() {
  ULONGLONG now = GetTickCount64();
  for (auto it = objects_.begin(); it != objects_.end();) {
    auto next = std::next(it);
    if (it->second.releaseAt != 0 && it->second.releaseAt <= now) Release(it);
    it = next;
  }
  while (objects_.size() >= kMaxObjects) {
    // the oldest finished call first, else the oldest call (a call nobody ended: TAPI lost it)
    auto victim = objects_.end();
    bool finished = false;
    uint64_t oldest = std::numeric_limits<uint64_t>::max();
    for (auto it = objects_.begin(); it != objects_.end(); ++it) {
      bool f = it->second.releaseAt != 0;
      if ((f && !finished) || (f == finished && it->second.order < oldest)) {
        victim = it;
        finished = f;
        oldest = it->second.order;
      }
    }
    if (victim == objects_.end()) break;
    Release(victim);
  }
}

}  // namespace datev
