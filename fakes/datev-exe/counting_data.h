// DATEV's call-data object as the CTI program sees it in Dial/Drop/GetCallData, counting every call the
// program makes on it (each one is a round trip from the program's process into DATEV's) and when the
// first and the last came. Forwards everything to the CallDataObject it wraps. For benchmarks
// (bench/wine): the counts are part of the dial/drop/getCallData answers.
#pragma once

#include <windows.h>
#include <oleauto.h>

#include <memory>

#include "com/call_data_object.h"
#include "timing.h"

namespace fake {

struct DataCalls {
  int getIDsOfNames = 0;
  int invoke = 0;
  int vtable = 0;  // get_X / put_X through the dual IDatevCtiData vtable
  int other = 0;   // GetTypeInfoCount, GetTypeInfo
  unsigned long long firstUs = 0;
  unsigned long long lastUs = 0;

  int Total() const { return getIDsOfNames + invoke + vtable + other; }
  void Note(int* counter) {
    ++*counter;
    lastUs = NowUs();
    if (firstUs == 0) firstUs = lastUs;
  }
};

class CountingData final : public datev::IDatevCtiDataDual {
 public:
  // Takes its own reference to `inner`; the counts live as long as their longest holder.
  CountingData(datev::CallDataObject* inner, std::shared_ptr<DataCalls> calls) : inner_(inner), calls_(std::move(calls)) {
    inner_->AddRef();
  }
  CountingData(const CountingData&) = delete;
  CountingData& operator=(const CountingData&) = delete;

  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void** ppv) override {
    if (!ppv) return E_POINTER;
    if (IsEqualIID(riid, IID_IUnknown) || IsEqualIID(riid, IID_IDispatch) || IsEqualIID(riid, datev::kIidData)) {
      *ppv = static_cast<datev::IDatevCtiDataDual*>(this);
      AddRef();
      return S_OK;
    }
    *ppv = nullptr;
    return E_NOINTERFACE;
  }
  ULONG STDMETHODCALLTYPE AddRef() override { return static_cast<ULONG>(InterlockedIncrement(&refs_)); }
  ULONG STDMETHODCALLTYPE Release() override {
    LONG n = InterlockedDecrement(&refs_);
    if (n == 0) delete this;
    return static_cast<ULONG>(n);
  }
  HRESULT STDMETHODCALLTYPE GetTypeInfoCount(UINT* count) override {
    calls_->Note(&calls_->other);
    return inner_->GetTypeInfoCount(count);
  }
  HRESULT STDMETHODCALLTYPE GetTypeInfo(UINT index, LCID lcid, ITypeInfo** info) override {
    calls_->Note(&calls_->other);
    return inner_->GetTypeInfo(index, lcid, info);
  }
  HRESULT STDMETHODCALLTYPE GetIDsOfNames(REFIID riid, LPOLESTR* names, UINT count, LCID lcid, DISPID* ids) override {
    calls_->Note(&calls_->getIDsOfNames);
    return inner_->GetIDsOfNames(riid, names, count, lcid, ids);
  }
  HRESULT STDMETHODCALLTYPE Invoke(DISPID id, REFIID riid, LCID lcid, WORD flags, DISPPARAMS* params, VARIANT* result,
                                   EXCEPINFO* excep, UINT* argErr) override {
    calls_->Note(&calls_->invoke);
    return inner_->Invoke(id, riid, lcid, flags, params, result, excep, argErr);
  }

#define FAKE_COUNTED_PROPERTY(Name, Type)                          \
  HRESULT STDMETHODCALLTYPE get_##Name(Type* value) override {     \
    calls_->Note(&calls_->vtable);                                 \
    return inner_->get_##Name(value);                              \
  }                                                                \
  HRESULT STDMETHODCALLTYPE put_##Name(Type value) override {      \
    calls_->Note(&calls_->vtable);                                 \
    return inner_->put_##Name(value);                              \
  }
  FAKE_COUNTED_PROPERTY(CallID, BSTR)
  FAKE_COUNTED_PROPERTY(SyncID, BSTR)
  FAKE_COUNTED_PROPERTY(Direction, LONG)
  FAKE_COUNTED_PROPERTY(Begin, DATE)
  FAKE_COUNTED_PROPERTY(End, DATE)
  FAKE_COUNTED_PROPERTY(CallState, LONG)
  FAKE_COUNTED_PROPERTY(Adressatenname, BSTR)
  FAKE_COUNTED_PROPERTY(AdressatenId, BSTR)
  FAKE_COUNTED_PROPERTY(DataSource, BSTR)
  FAKE_COUNTED_PROPERTY(CalledNumber, BSTR)
  FAKE_COUNTED_PROPERTY(Note, BSTR)
#undef FAKE_COUNTED_PROPERTY

 private:
  ~CountingData() { inner_->Release(); }
  LONG refs_ = 1;
  datev::CallDataObject* inner_;
  std::shared_ptr<DataCalls> calls_;
};

}  // namespace fake
