// Fake DATEV Arbeitsplatz (Telefonie) for the Wine tests. It behaves like DATEV's side of the CTI
// contract (shared/reference/datev-cti.md):
//   - registers a DatevCtiBuddy-equivalent type library machine-wide (as DATEV's installer does),
//   - puts its IDatevCtiNotification object (dispatch: NewCall, NewJournal, CallStateChanged,
//     CallAdressatChanged, DISPIDs 1-4) into the ROT under {A299D197-E7C3-43E2-8ACC-C608FC2A7806},
//   - records every notification with all 11 fields read back by name,
//   - calls Dial/Drop (IDatevCtiControl) and GetCallData (IDatevCtiHistory) on the CTI program's
//     object found with GetActiveObject({D8CA0C15-...}) through the custom vtable interfaces, or
//     late-bound through IDispatch (GetIDsOfNames + Invoke) as a scripting client would.
// Control: JSON lines on stdin, one JSON answer per line on stdout (see README.md).
#include <windows.h>
#include <objbase.h>
#include <oleauto.h>

#include <array>
#include <cmath>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "com/call_data_object.h"
#include "com/com_ptr.h"
#include "com/datev_ids.h"
#include "com/dispatch_util.h"
#include "com/field_value.h"
#include "com/typelib.h"
#include "counting_data.h"
#include "json.h"
#include "timing.h"

namespace {

using comx::ComPtr;
using json::Value;

constexpr UINT kWmCommand = WM_APP + 1;
constexpr UINT kWmEof = WM_APP + 2;

std::mutex g_outMutex;
HWND g_window = nullptr;
std::mutex g_queueMutex;
std::deque<std::string> g_queue;

void WriteLine(const Value& v) {
  std::string line;
  json::Write(v, &line);
  line.push_back('\n');
  std::lock_guard<std::mutex> lock(g_outMutex);
  HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    DWORD written = 0;
    if (!WriteFile(out, p, static_cast<DWORD>(left > 65536 ? 65536 : left), &written, nullptr) || written == 0) return;
    p += written;
    left -= written;
  }
}

double Hr(HRESULT hr) { return static_cast<double>(static_cast<uint32_t>(hr)); }

// ---- VARIANT <-> JSON ------------------------------------------------------------------------
// JSON form of a value: string, number, boolean, null, {"$date":[y,mo,d,h,mi,s,ms]} (local time),
// {"$vt":n} for any other VARTYPE, {"$missing":true} for a property that could not be read.

Value DateJson(const datev::DateParts& d) {
  Value arr = Value::Arr();
  for (int x : {d.year, d.month, d.day, d.hour, d.minute, d.second, d.millis}) arr.Push(Value::Num(x));
  Value o = Value::Obj();
  o.Set("$date", arr);
  return o;
}

Value FieldJson(const datev::FieldValue& f) {
  using K = datev::FieldValue::Kind;
  switch (f.kind) {
    case K::Missing: { Value o = Value::Obj(); o.Set("$missing", Value::Bool(true)); return o; }
    case K::Null: return Value();
    case K::String: return Value::Str(comx::ToUtf8(f.str));
    case K::Number: return Value::Num(f.number);
    case K::Bool: return Value::Bool(f.flag);
    case K::Date: return DateJson(f.date);
    case K::Unsupported: break;
  }
  Value o = Value::Obj();
  o.Set("$vt", Value::Num(f.vt));
  return o;
}

Value FieldsJson(const datev::CallValues& values) {
  Value o = Value::Obj();
  for (int i = 0; i < datev::kFieldCount; ++i) o.Set(datev::kFieldNamesUtf8[i], FieldJson(values[static_cast<size_t>(i)]));
  return o;
}

// Any JSON value → VARIANT, for the malformed-data cases (a number where DATEV sends a string, ...).
bool JsonToVariant(const Value& v, VARIANT* out) {
  VariantInit(out);
  switch (v.type) {
    case Value::Type::Null: out->vt = VT_NULL; return true;
    case Value::Type::Bool: out->vt = VT_BOOL; out->boolVal = v.b ? VARIANT_TRUE : VARIANT_FALSE; return true;
    case Value::Type::Number:
      if (v.n == std::floor(v.n) && std::fabs(v.n) < 2147483648.0) { out->vt = VT_I4; out->lVal = static_cast<LONG>(v.n); }
      else { out->vt = VT_R8; out->dblVal = v.n; }
      return true;
    case Value::Type::String: {
      std::wstring w = comx::FromUtf8(v.s);
      out->bstrVal = SysAllocStringLen(w.data(), static_cast<UINT>(w.size()));
      out->vt = VT_BSTR;
      return out->bstrVal != nullptr;
    }
    case Value::Type::Object: {
      if (const Value* d = v.Get("$date")) {
        if (d->items.size() != 7) return false;
        datev::DateParts p{static_cast<int>(d->items[0].n), static_cast<int>(d->items[1].n), static_cast<int>(d->items[2].n),
                           static_cast<int>(d->items[3].n), static_cast<int>(d->items[4].n), static_cast<int>(d->items[5].n),
                           static_cast<int>(d->items[6].n)};
        out->vt = VT_DATE;
        return datev::PartsToDate(p, &out->date);
      }
      if (v.Get("$empty")) return true;  // VT_EMPTY
      return false;
    }
    case Value::Type::Array: break;
  }
  return false;
}

// DATEV's own call-data object for Dial/Drop/GetCallData, holding exactly the fields given.
HRESULT MakeCallData(const Value* data, datev::CallDataObject** out, std::string* error) {
  std::array<VARIANT, datev::kFieldCount> values;
  std::array<bool, datev::kFieldCount> present{};
  for (VARIANT& v : values) VariantInit(&v);
  HRESULT hr = S_OK;
  for (int i = 0; i < datev::kFieldCount && data; ++i) {
    const Value* f = data->Get(datev::kFieldNamesUtf8[i]);
    if (!f) continue;
    if (!JsonToVariant(*f, &values[static_cast<size_t>(i)])) {
      *error = std::string("cannot encode field ") + datev::kFieldNamesUtf8[i];
      hr = E_INVALIDARG;
      break;
    }
    present[static_cast<size_t>(i)] = true;
  }
  if (SUCCEEDED(hr)) hr = datev::CallDataObject::CreateRaw(values, present, out);
  for (VARIANT& v : values) VariantClear(&v);
  return hr;
}

// ---- DATEV's notification object -------------------------------------------------------------

// The 11 fields through the dual IDatevCtiData vtable (get_X), as a C++ DATEV built with #import would.
datev::CallValues ReadFieldsViaVtable(IDispatch* obj) {
  datev::CallValues values;
  ComPtr<datev::IDatevCtiDataDual> dual;
  if (FAILED(obj->QueryInterface(datev::kIidData, dual.PutVoid()))) return values;
  auto bstr = [](HRESULT hr, BSTR b) {
    datev::FieldValue f;
    if (SUCCEEDED(hr)) {
      f.kind = datev::FieldValue::Kind::String;
      if (b) f.str.assign(b, SysStringLen(b));
    }
    SysFreeString(b);
    return f;
  };
  auto number = [](HRESULT hr, LONG n) {
    datev::FieldValue f;
    if (SUCCEEDED(hr)) {
      f.kind = datev::FieldValue::Kind::Number;
      f.number = n;
    }
    return f;
  };
  auto date = [](HRESULT hr, DATE d) {
    datev::FieldValue f;
    if (SUCCEEDED(hr) && datev::DateToParts(d, &f.date)) f.kind = datev::FieldValue::Kind::Date;
    return f;
  };
  BSTR b = nullptr;
  LONG n = 0;
  DATE d = 0;
  HRESULT hr = dual->get_CallID(&b);
  values[0] = bstr(hr, b);
  b = nullptr;
  hr = dual->get_SyncID(&b);
  values[1] = bstr(hr, b);
  hr = dual->get_Direction(&n);
  values[2] = number(hr, n);
  hr = dual->get_Begin(&d);
  values[3] = date(hr, d);
  hr = dual->get_End(&d);
  values[4] = date(hr, d);
  hr = dual->get_CallState(&n);
  values[5] = number(hr, n);
  b = nullptr;
  hr = dual->get_Adressatenname(&b);
  values[6] = bstr(hr, b);
  b = nullptr;
  hr = dual->get_AdressatenId(&b);
  values[7] = bstr(hr, b);
  b = nullptr;
  hr = dual->get_DataSource(&b);
  values[8] = bstr(hr, b);
  b = nullptr;
  hr = dual->get_CalledNumber(&b);
  values[9] = bstr(hr, b);
  b = nullptr;
  hr = dual->get_Note(&b);
  values[10] = bstr(hr, b);
  return values;
}

struct Recorded {
  std::string method;
  Value data;
  int object = 0;  // index of the call-data object in Behaviour::kept (the same object → the same index)
  unsigned long long us = 0;  // when the call arrived (fake::NowUs), before anything else was done
  int instance = 0;           // which start of DATEV took it (1 = the first "start", 2 after a restart, …)
  bool wroteSyncId = false;   // DATEV wrote the SyncID into the object during this notification
  std::string syncIdWritten;
};

// How the fake DATEV behaves towards notifications (set by commands, shared by its notification objects).
struct Behaviour {
  HRESULT failNext = S_OK;
  // set: DATEV restarts inside the next notification (revokes and disconnects its object, registers a new one)
  std::function<void()> restartNext;
  DWORD hangMs = 0;      // each of the next `hangCount` notifications blocks DATEV's thread this long
  int hangCount = 0;
  int rejectCount = 0;   // the next n Invoke calls are rejected by DATEV's message filter (DATEV busy)
  int rejected = 0;      // how many were rejected so far
  // set: during the next notification DATEV writes this SyncID into the call-data object (by name, or
  // through the dual vtable when it reads that way) before it reads the object
  bool writeSyncId = false;
  std::wstring syncId;
  // every call-data object DATEV was given, kept as DATEV may keep them (and read again later)
  std::vector<ComPtr<IDispatch>> kept;
  std::vector<std::string> keptCallIds;

  int Keep(IDispatch* data, const std::string& callId) {
    ComPtr<IUnknown> identity;
    data->QueryInterface(IID_IUnknown, identity.PutVoid());
    for (size_t i = 0; i < kept.size(); ++i) {
      ComPtr<IUnknown> other;
      kept[i]->QueryInterface(IID_IUnknown, other.PutVoid());
      if (other.Get() == identity.Get()) {
        keptCallIds[i] = callId;
        return static_cast<int>(i);
      }
    }
    kept.push_back(ComPtr<IDispatch>(data, true));
    keptCallIds.push_back(callId);
    return static_cast<int>(kept.size() - 1);
  }
};

// DATEV's message filter: rejects the next Behaviour::rejectCount notification calls (IDispatch::Invoke)
// as a busy DATEV would (SERVERCALL_REJECTED → the caller gets RPC_E_CALL_REJECTED).
class BusyFilter final : public IMessageFilter {
 public:
  explicit BusyFilter(Behaviour* b) : b_(b) {}
  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void** ppv) override {
    if (!ppv) return E_POINTER;
    if (IsEqualIID(riid, IID_IUnknown) || IsEqualIID(riid, IID_IMessageFilter)) {
      *ppv = static_cast<IMessageFilter*>(this);
      return S_OK;
    }
    *ppv = nullptr;
    return E_NOINTERFACE;
  }
  ULONG STDMETHODCALLTYPE AddRef() override { return 2; }  // static lifetime
  ULONG STDMETHODCALLTYPE Release() override { return 1; }
  DWORD STDMETHODCALLTYPE HandleInComingCall(DWORD, HTASK, DWORD, LPINTERFACEINFO info) override {
    bool invoke = info && info->wMethod == 6 &&
                  (IsEqualIID(info->iid, IID_IDispatch) || IsEqualIID(info->iid, datev::kIidNotification));
    if (invoke && b_->rejectCount > 0) {
      --b_->rejectCount;
      ++b_->rejected;
      return SERVERCALL_REJECTED;
    }
    return SERVERCALL_ISHANDLED;
  }
  DWORD STDMETHODCALLTYPE RetryRejectedCall(HTASK, DWORD, DWORD) override { return static_cast<DWORD>(-1); }
  DWORD STDMETHODCALLTYPE MessagePending(HTASK, DWORD, DWORD) override { return PENDINGMSG_WAITDEFPROCESS; }

 private:
  Behaviour* b_;
};

class NotificationObject final : public IDispatch {
 public:
  NotificationObject(std::vector<Recorded>* log, Behaviour* behaviour, bool viaVtable, int instance)
      : log_(log), b_(behaviour), viaVtable_(viaVtable), instance_(instance) {}
  void Detach() { log_ = nullptr; }

  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void** ppv) override {
    if (!ppv) return E_POINTER;
    if (IsEqualIID(riid, IID_IUnknown) || IsEqualIID(riid, IID_IDispatch) || IsEqualIID(riid, datev::kIidNotification)) {
      *ppv = static_cast<IDispatch*>(this);
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
  HRESULT STDMETHODCALLTYPE GetTypeInfoCount(UINT* n) override {
    if (!n) return E_POINTER;
    *n = 0;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE GetTypeInfo(UINT, LCID, ITypeInfo** ti) override {
    if (ti) *ti = nullptr;
    return DISP_E_BADINDEX;
  }
  HRESULT STDMETHODCALLTYPE GetIDsOfNames(REFIID, LPOLESTR* names, UINT count, LCID, DISPID* ids) override {
    if (!names || !ids || count == 0) return E_INVALIDARG;
    HRESULT hr = S_OK;
    for (UINT k = 0; k < count; ++k) ids[k] = DISPID_UNKNOWN;
    for (int i = 0; i < datev::kNotificationCount; ++i) {
      if (names[0] && _wcsicmp(names[0], datev::kNotificationNames[i]) == 0) ids[0] = i + 1;
    }
    if (ids[0] == DISPID_UNKNOWN || count > 1) hr = DISP_E_UNKNOWNNAME;
    return hr;
  }
  HRESULT STDMETHODCALLTYPE Invoke(DISPID id, REFIID, LCID, WORD flags, DISPPARAMS* params, VARIANT* result, EXCEPINFO*,
                                   UINT* argErr) override {
    const unsigned long long arrived = fake::NowUs();
    if (id < 1 || id > datev::kNotificationCount) return DISP_E_MEMBERNOTFOUND;
    if (!(flags & DISPATCH_METHOD)) return DISP_E_MEMBERNOTFOUND;
    if (!params || params->cArgs != 1) return DISP_E_BADPARAMCOUNT;
    if (!log_) return CO_E_OBJNOTCONNECTED;
    if (result) VariantInit(result);
    if (b_->restartNext) {
      // DATEV closes and starts again while this call is inside it: the caller gets what a call on a
      // DATEV that went away gets, and finds a new DATEV object when it looks again
      std::function<void()> restart = std::move(b_->restartNext);
      b_->restartNext = nullptr;
      AddRef();  // this object stays alive until this call returns, though the restart disconnects it
      restart();
      Release();
      return RPC_E_DISCONNECTED;
    }
    if (b_->hangCount > 0) {  // a DATEV that does not answer (blocked, no message pumping)
      --b_->hangCount;
      Sleep(b_->hangMs);
    }
    if (!log_) return CO_E_OBJNOTCONNECTED;  // stopped while it hung
    if (b_->failNext != S_OK) {
      HRESULT hr = b_->failNext;
      b_->failNext = S_OK;
      return hr;
    }
    VARIANT arg;
    VariantInit(&arg);
    if (FAILED(VariantCopyInd(&arg, &params->rgvarg[0]))) return DISP_E_TYPEMISMATCH;
    ComPtr<IDispatch> data;
    if (arg.vt == VT_DISPATCH && arg.pdispVal) data = ComPtr<IDispatch>(arg.pdispVal, true);
    else if (arg.vt == VT_UNKNOWN && arg.punkVal) arg.punkVal->QueryInterface(IID_IDispatch, data.PutVoid());
    VariantClear(&arg);
    if (!data) {
      if (argErr) *argErr = 0;
      return DISP_E_TYPEMISMATCH;
    }
    Recorded r;
    if (b_->writeSyncId) {
      b_->writeSyncId = false;
      WriteSyncId(data.Get(), b_->syncId);
      r.wroteSyncId = true;
      r.syncIdWritten = comx::ToUtf8(b_->syncId);
    }
    r.us = arrived;
    r.instance = instance_;
    r.method = comx::ToUtf8(datev::kNotificationNames[id - 1]);
    datev::CallValues values = viaVtable_ ? ReadFieldsViaVtable(data.Get()) : datev::ReadFields(data.Get());
    r.object = b_->Keep(data.Get(), values[0].kind == datev::FieldValue::Kind::String ? comx::ToUtf8(values[0].str) : "");
    r.data = FieldsJson(values);
    log_->push_back(std::move(r));
    return S_OK;
  }

 private:
  // As DATEV may for an incoming call (datev-cti.md §3.3, §9.4): a property put on the CTI's object.
  void WriteSyncId(IDispatch* data, const std::wstring& syncId) {
    BSTR value = SysAllocStringLen(syncId.data(), static_cast<UINT>(syncId.size()));
    if (viaVtable_) {
      ComPtr<datev::IDatevCtiDataDual> dual;
      if (SUCCEEDED(data->QueryInterface(datev::kIidData, dual.PutVoid()))) dual->put_SyncID(value);
    } else {
      VARIANT v;
      VariantInit(&v);
      v.vt = VT_BSTR;
      v.bstrVal = value;
      datev::PutProperty(data, L"SyncID", v);
    }
    SysFreeString(value);
  }

  ~NotificationObject() = default;
  LONG refs_ = 1;
  std::vector<Recorded>* log_;
  Behaviour* b_;
  bool viaVtable_;
  int instance_;
};

// ---- a Wine 8 COM deadlock, kept out of the way --------------------------------------------------

// Seen in a soak run (thread dump of 2026-12-05): the program released its last proxy of one of this
// process's interfaces; the RemRelease, dispatched on this STA thread while it waited in a call to the
// program, deleted the last interface stub of that IID, and Wine's COM then unregistered the IID's RPC
// interface *waiting for the calls on it that were already in* (combase rpc_unregister_interface →
// RpcServerUnregisterIf(WaitForCallsToComplete)) — calls of the program's other threads that wait for
// this same thread to dispatch them. A deadlock for good: the fake stopped answering anyone.
// A table-strong marshal of one object per IID this process exports, never released, keeps every such
// IID registered for the process's life, so no stub's end unregisters one. (Windows' COM is not known to
// do this; the program itself runs no such wait on a thread that DATEV's calls need.)
class InterfacePins {
 public:
  void Pin(IUnknown* object, REFIID iid) {
    ComPtr<IStream> stream;
    if (FAILED(CreateStreamOnHGlobal(nullptr, TRUE, stream.Put()))) return;
    if (SUCCEEDED(CoMarshalInterface(stream.Get(), iid, object, MSHCTX_LOCAL, nullptr, MSHLFLAGS_TABLESTRONG))) {
      streams_.push_back(stream);
    }
  }
  size_t Count() const { return streams_.size(); }
  // Before CoUninitialize.
  void ReleaseAll() {
    for (ComPtr<IStream>& s : streams_) {
      LARGE_INTEGER zero{};
      s->Seek(zero, STREAM_SEEK_SET, nullptr);
      CoReleaseMarshalData(s.Get());
    }
    streams_.clear();
  }

 private:
  std::vector<ComPtr<IStream>> streams_;
};

// ---- the fake's state and commands ------------------------------------------------------------

struct Fake {
  std::vector<Recorded> notifications;
  Behaviour behaviour;
  NotificationObject* object = nullptr;
  DWORD cookie = 0;
  int starts = 0;  // how often DATEV was started (each start is a new object, as after a restart)
  std::string typeLib = "not registered";
  bool dualData = false;  // IDatevCtiData declared dual and read through its vtable
  std::wstring typeLibPath;

  HRESULT Start() {
    if (object) return S_FALSE;
    NotificationObject* obj = new NotificationObject(&notifications, &behaviour, dualData, ++starts);
    HRESULT hr = RegisterActiveObject(obj, datev::kClsidDatevTelefonie, ACTIVEOBJECT_STRONG, &cookie);
    if (FAILED(hr)) {
      obj->Release();
      return hr;
    }
    object = obj;
    return hr;
  }

  void Stop() {
    if (!object) return;
    RevokeActiveObject(cookie, nullptr);
    object->Detach();
    CoDisconnectObject(object, 0);  // proxies held by the CTI program now fail like after a restart
    object->Release();
    object = nullptr;
    cookie = 0;
  }

  HRESULT RegisterTypeLib() {
    wchar_t tmp[MAX_PATH];
    DWORD n = GetTempPathW(MAX_PATH, tmp);
    typeLibPath = std::wstring(tmp, n) + L"DatevCtiBuddy-fake.tlb";
    std::string error, how;
    HRESULT hr = datev::BuildTypeLib(datev::kLibidFakeDatev, L"DatevCtiBuddyLib", typeLibPath,
                                     dualData ? datev::TypeLibContent::WithDualData
                                              : datev::TypeLibContent::WithDispInterfaces,
                                     &error);
    if (SUCCEEDED(hr)) hr = datev::RegisterTypeLibFile(typeLibPath, false, &how);
    typeLib = SUCCEEDED(hr) ? "registered " + how : "failed " + error + how + " " + comx::HexHr(hr);
    return hr;
  }
};

Value Ok(const Value& id) {
  Value o = Value::Obj();
  o.Set("id", id);
  o.Set("ok", Value::Bool(true));
  return o;
}

Value Fail(const Value& id, const std::string& error) {
  Value o = Value::Obj();
  o.Set("id", id);
  o.Set("ok", Value::Bool(false));
  o.Set("error", Value::Str(error));
  return o;
}

template <typename Itf>
HRESULT FindCti(REFIID iid, ComPtr<Itf>* out) {
  ComPtr<IUnknown> unknown;
  HRESULT hr = GetActiveObject(datev::kClsidCti, nullptr, unknown.Put());
  if (FAILED(hr)) return hr;
  return unknown.As(iid, out);
}

// ---- late-bound calls (IDispatch) on the CTI object ---------------------------------------------

// The arguments of one Invoke, in call order, owning everything they point to. Forms of an argument:
// {"callData":"dispatch"|"nullDispatch"|"dispatchByRef"|"variantByRef"|"unknown"} is the call-data object
// (VT_DISPATCH, a NULL VT_DISPATCH, VT_DISPATCH|VT_BYREF, VT_VARIANT|VT_BYREF holding VT_DISPATCH,
// VT_UNKNOWN); any other JSON value is converted as a field value is.
class InvokeArgs {
 public:
  InvokeArgs() = default;
  InvokeArgs(const InvokeArgs&) = delete;
  InvokeArgs& operator=(const InvokeArgs&) = delete;
  ~InvokeArgs() {
    for (VARIANT& v : values_) VariantClear(&v);
    for (VARIANT& v : inner_) VariantClear(&v);
    for (IDispatch* d : byRef_) if (d) d->Release();
  }

  bool Add(const Value& arg, IDispatch* callData, std::string* error) {
    values_.emplace_back();
    VARIANT& v = values_.back();
    VariantInit(&v);
    const Value* form = arg.type == Value::Type::Object ? arg.Get("callData") : nullptr;
    if (!form) {
      if (JsonToVariant(arg, &v)) return true;
      *error = "cannot encode an argument";
      return false;
    }
    if (form->s == "dispatch" || form->s == "nullDispatch" || form->s == "unknown") {
      IDispatch* d = form->s == "nullDispatch" ? nullptr : callData;
      if (d) d->AddRef();
      if (form->s == "unknown") {
        v.vt = VT_UNKNOWN;
        v.punkVal = d;
      } else {
        v.vt = VT_DISPATCH;
        v.pdispVal = d;
      }
      return true;
    }
    if (form->s == "dispatchByRef") {
      if (callData) callData->AddRef();
      byRef_.push_back(callData);
      v.vt = VT_DISPATCH | VT_BYREF;
      v.ppdispVal = &byRef_.back();
      return true;
    }
    if (form->s == "variantByRef") {
      inner_.emplace_back();
      VARIANT& in = inner_.back();
      VariantInit(&in);
      if (callData) callData->AddRef();
      in.vt = VT_DISPATCH;
      in.pdispVal = callData;
      v.vt = VT_VARIANT | VT_BYREF;
      v.pvarVal = &in;
      return true;
    }
    *error = "unknown callData form '" + form->s + "'";
    return false;
  }

  // DISPPARAMS want the arguments in reverse order.
  std::vector<VARIANT> Reversed() const { return std::vector<VARIANT>(values_.rbegin(), values_.rend()); }

 private:
  std::deque<VARIANT> values_;
  std::deque<VARIANT> inner_;
  std::deque<IDispatch*> byRef_;
};

// GetActiveObject → QI IDispatch → GetIDsOfNames(names) (unless `dispid` is given) → Invoke. Sets
// hresult (the first failure on that way, else Invoke's), sameIdentity, idsHresult, dispids, argErr and,
// for DISP_E_EXCEPTION, exception {scode, wCode, source, description} on `r`.
void InvokeCti(const std::vector<std::wstring>& names, const DISPID* dispid, const InvokeArgs& args,
               const std::vector<DISPID>& named, WORD flags, Value* r) {
  ComPtr<IUnknown> found;
  HRESULT hr = GetActiveObject(datev::kClsidCti, nullptr, found.Put());
  ComPtr<IDispatch> cti;
  if (SUCCEEDED(hr)) hr = found.As(IID_IDispatch, &cti);
  if (FAILED(hr)) {
    r->Set("hresult", Value::Num(Hr(hr)));
    return;
  }
  {  // COM identity: IUnknown of the IDispatch is the IUnknown of the object in the ROT
    ComPtr<IUnknown> a, b;
    bool same = SUCCEEDED(found.As(IID_IUnknown, &a)) && SUCCEEDED(cti.As(IID_IUnknown, &b)) && a.Get() == b.Get();
    r->Set("sameIdentity", Value::Bool(same));
  }
  std::vector<LPOLESTR> namePtrs;
  for (const std::wstring& n : names) namePtrs.push_back(const_cast<LPOLESTR>(n.c_str()));
  std::vector<DISPID> ids(names.size(), DISPID_UNKNOWN);
  HRESULT idsHr = names.empty() ? S_OK
                                : cti->GetIDsOfNames(IID_NULL, namePtrs.data(), static_cast<UINT>(names.size()),
                                                     LOCALE_USER_DEFAULT, ids.data());
  r->Set("idsHresult", Value::Num(Hr(idsHr)));
  Value idList = Value::Arr();
  for (DISPID d : ids) idList.Push(Value::Num(d));
  r->Set("dispids", idList);
  if (FAILED(idsHr) && !dispid) {
    r->Set("hresult", Value::Num(Hr(idsHr)));
    return;
  }
  std::vector<VARIANT> argv = args.Reversed();  // shallow copies; `args` owns the contents
  std::vector<DISPID> namedIds = named;
  DISPPARAMS params{};
  params.cArgs = static_cast<UINT>(argv.size());
  params.rgvarg = argv.empty() ? nullptr : argv.data();
  params.cNamedArgs = static_cast<UINT>(namedIds.size());
  params.rgdispidNamedArgs = namedIds.empty() ? nullptr : namedIds.data();
  comx::Variant result;
  EXCEPINFO excep{};
  UINT argErr = 0xFFFFFFFFu;
  DISPID target = dispid ? *dispid : (ids.empty() ? DISPID_UNKNOWN : ids[0]);
  const unsigned long long calledUs = fake::NowUs();
  hr = cti->Invoke(target, IID_NULL, LOCALE_USER_DEFAULT, flags, &params, &result, &excep, &argErr);
  const unsigned long long returnedUs = fake::NowUs();
  r->Set("hresult", Value::Num(Hr(hr)));
  r->Set("calledUs", Value::Num(static_cast<double>(calledUs)));
  r->Set("returnedUs", Value::Num(static_cast<double>(returnedUs)));
  if (hr == DISP_E_TYPEMISMATCH || hr == DISP_E_PARAMNOTFOUND) r->Set("argErr", Value::Num(argErr));
  if (hr == DISP_E_EXCEPTION) {
    if (excep.pfnDeferredFillIn) excep.pfnDeferredFillIn(&excep);
    Value e = Value::Obj();
    e.Set("scode", Value::Num(Hr(excep.scode)));
    e.Set("wCode", Value::Num(excep.wCode));
    e.Set("source", Value::Str(comx::ToUtf8(excep.bstrSource ? excep.bstrSource : L"")));
    e.Set("description", Value::Str(comx::ToUtf8(excep.bstrDescription ? excep.bstrDescription : L"")));
    r->Set("exception", e);
  }
  SysFreeString(excep.bstrSource);
  SysFreeString(excep.bstrDescription);
  SysFreeString(excep.bstrHelpFile);
}

// The call-data object's fields after a call: `data`, and `callId` (its CallID as a string).
void SetCallDataAfter(datev::CallDataObject* data, Value* r) {
  if (!data) {
    r->Set("callId", Value::Str(""));
    return;
  }
  datev::CallValues after = data->Values();
  r->Set("data", FieldsJson(after));
  const datev::FieldValue& callId = after[0];
  r->Set("callId", Value::Str(callId.kind == datev::FieldValue::Kind::String ? comx::ToUtf8(callId.str) : ""));
}

// RAII for the fake's own call-data object.
struct CallDataRef {
  datev::CallDataObject* p = nullptr;
  CallDataRef() = default;
  CallDataRef(const CallDataRef&) = delete;
  CallDataRef& operator=(const CallDataRef&) = delete;
  ~CallDataRef() { if (p) p->Release(); }
};

Value CallCti(Fake&, const Value& id, const std::string& cmd, const Value& msg) {
  std::string error;
  CallDataRef data;
  const Value* nullObject = msg.Get("nullObject");
  bool passNull = nullObject && nullObject->b;
  const Value* via = msg.Get("via");
  std::string how = via ? via->s : "vtable";
  if (how != "vtable" && how != "dispatch") return Fail(id, "unknown via '" + how + "'");
  Value callIdData = Value::Obj();
  const Value* fields = msg.Get("data");
  if (cmd == "getCallData") {
    const Value* cid = msg.Get("callId");
    callIdData.Set("CallID", cid ? *cid : Value::Str(""));
    fields = &callIdData;
  }
  // what the program is given: DATEV's object behind a wrapper that counts the program's calls on it
  auto calls = std::make_shared<fake::DataCalls>();
  ComPtr<IDispatch> passed;
  if (!passNull) {
    HRESULT hr = MakeCallData(fields, &data.p, &error);
    if (FAILED(hr)) return Fail(id, error.empty() ? "cannot create the call data object" : error);
    passed = ComPtr<IDispatch>(new fake::CountingData(data.p, calls), false);
  }
  Value r = Ok(id);
  if (how == "dispatch") {
    // as a late-bound caller would: by name, the call-data object as a VT_DISPATCH argument
    InvokeArgs args;
    Value form = Value::Obj();
    form.Set("callData", Value::Str(passNull ? "nullDispatch" : "dispatch"));
    if (!args.Add(form, passed.Get(), &error)) return Fail(id, error);
    std::wstring name = cmd == "dial" ? L"Dial" : cmd == "drop" ? L"Drop" : L"GetCallData";
    InvokeCti({name}, nullptr, args, {}, DISPATCH_METHOD, &r);
  } else {
    HRESULT hr;
    unsigned long long calledUs = 0;
    if (cmd == "getCallData") {
      ComPtr<datev::IDatevCtiHistory> history;
      hr = FindCti(datev::kIidHistory, &history);
      calledUs = fake::NowUs();
      if (SUCCEEDED(hr)) hr = history->GetCallData(passed.Get());
    } else {
      ComPtr<datev::IDatevCtiControl> control;
      hr = FindCti(datev::kIidControl, &control);
      calledUs = fake::NowUs();
      if (SUCCEEDED(hr)) hr = cmd == "dial" ? control->Dial(passed.Get()) : control->Drop(passed.Get());
    }
    const unsigned long long returnedUs = fake::NowUs();
    r.Set("hresult", Value::Num(Hr(hr)));
    r.Set("calledUs", Value::Num(static_cast<double>(calledUs)));
    r.Set("returnedUs", Value::Num(static_cast<double>(returnedUs)));
  }
  passed.Reset();  // a program that kept the object may still call it; the counts below are those so far
  Value counted = Value::Obj();
  counted.Set("getIDsOfNames", Value::Num(calls->getIDsOfNames));
  counted.Set("invoke", Value::Num(calls->invoke));
  counted.Set("vtable", Value::Num(calls->vtable));
  counted.Set("other", Value::Num(calls->other));
  counted.Set("total", Value::Num(calls->Total()));
  counted.Set("firstUs", Value::Num(static_cast<double>(calls->firstUs)));
  counted.Set("lastUs", Value::Num(static_cast<double>(calls->lastUs)));
  r.Set("dataCalls", counted);
  SetCallDataAfter(data.p, &r);
  return r;
}

// Any late-bound call: names (the first is the member), optional dispid (skips a failed lookup), args,
// named (DISPIDs of named arguments), flags (default DISPATCH_METHOD), data (the call-data object).
Value InvokeCommand(const Value& id, const Value& msg) {
  std::string error;
  CallDataRef data;
  HRESULT hr = MakeCallData(msg.Get("data"), &data.p, &error);
  if (FAILED(hr)) return Fail(id, error.empty() ? "cannot create the call data object" : error);
  std::vector<std::wstring> names;
  if (const Value* n = msg.Get("names")) {
    for (const Value& x : n->items) names.push_back(comx::FromUtf8(x.s));
  }
  InvokeArgs args;
  size_t argCount = 0;
  if (const Value* a = msg.Get("args")) {
    for (const Value& x : a->items) {
      if (!args.Add(x, data.p, &error)) return Fail(id, error);
      ++argCount;
    }
  }
  std::vector<DISPID> named;
  if (const Value* n = msg.Get("named")) {
    for (const Value& x : n->items) named.push_back(static_cast<DISPID>(x.n));
  }
  if (named.size() > argCount) return Fail(id, "more named than given arguments");
  const Value* flagsV = msg.Get("flags");
  WORD flags = flagsV ? static_cast<WORD>(flagsV->n) : static_cast<WORD>(DISPATCH_METHOD);
  const Value* dispidV = msg.Get("dispid");
  DISPID dispid = dispidV ? static_cast<DISPID>(dispidV->n) : DISPID_UNKNOWN;
  Value r = Ok(id);
  InvokeCti(names, dispidV ? &dispid : nullptr, args, named, flags, &r);
  SetCallDataAfter(data.p, &r);
  return r;
}

// Dispatches what is queued: COM calls into DATEV, and our own command messages (DrainCommands keeps
// them queued while a command runs). False when WM_QUIT came (posted again for the main loop).
bool PumpMessages() {
  MSG m;
  while (PeekMessageW(&m, nullptr, 0, 0, PM_REMOVE)) {
    if (m.message == WM_QUIT) {
      PostQuitMessage(static_cast<int>(m.wParam));
      return false;
    }
    TranslateMessage(&m);
    DispatchMessageW(&m);
  }
  return true;
}

// Polls the ROT until the CTI program's object is registered (start-up benchmarks): IsRunning on the item
// moniker "!{D8CA0C15-...}" that RegisterActiveObject uses (cheaper than GetActiveObject, which also
// unmarshals the object) every `intervalMs` (default 10; each check is a call into rpcss, so polling
// faster takes CPU from what is being measured), pumping messages in between (calls into DATEV go on).
// Answer: registered, us (end of the check that found it), beforeUs (end of the last check that did
// not), polls, hresult.
Value WaitCti(const Value& id, const Value& msg) {
  const Value* timeoutV = msg.Get("timeoutMs");
  const Value* intervalV = msg.Get("intervalMs");
  const DWORD interval = intervalV && intervalV->n >= 0 ? static_cast<DWORD>(intervalV->n) : 10;
  const ULONGLONG end = GetTickCount64() + (timeoutV ? static_cast<ULONGLONG>(timeoutV->n) : 30000);
  ComPtr<IRunningObjectTable> rot;
  ComPtr<IMoniker> moniker;
  wchar_t clsid[64];
  HRESULT hr = StringFromGUID2(datev::kClsidCti, clsid, 64) ? GetRunningObjectTable(0, rot.Put()) : E_FAIL;
  if (SUCCEEDED(hr)) hr = CreateItemMoniker(L"!", clsid, moniker.Put());
  if (FAILED(hr)) return Fail(id, "cannot look at the ROT " + comx::HexHr(hr));
  unsigned long long beforeUs = fake::NowUs();
  int polls = 0;
  for (;;) {
    hr = rot->IsRunning(moniker.Get());
    if (hr == S_FALSE) hr = MK_E_UNAVAILABLE;
    const unsigned long long now = fake::NowUs();
    ++polls;
    if (SUCCEEDED(hr) || GetTickCount64() >= end) {
      Value r = Ok(id);
      r.Set("registered", Value::Bool(SUCCEEDED(hr)));
      r.Set("hresult", Value::Num(Hr(hr)));
      r.Set("us", Value::Num(static_cast<double>(now)));
      r.Set("beforeUs", Value::Num(static_cast<double>(beforeUs)));
      r.Set("polls", Value::Num(polls));
      return r;
    }
    beforeUs = now;
    if (!PumpMessages()) return Fail(id, "quitting");
    const ULONGLONG until = GetTickCount64() + interval;
    for (ULONGLONG t = GetTickCount64(); t < until; t = GetTickCount64()) {
      if (MsgWaitForMultipleObjectsEx(0, nullptr, static_cast<DWORD>(until - t), QS_ALLINPUT, MWMO_INPUTAVAILABLE) != WAIT_OBJECT_0) break;
      if (!PumpMessages()) return Fail(id, "quitting");
    }
  }
}

Value Execute(Fake& fake, const Value& msg) {
  Value id = msg.Get("id") ? *msg.Get("id") : Value();
  const Value* cmdV = msg.Get("cmd");
  std::string cmd = cmdV ? cmdV->s : "";
  if (cmd == "start") {
    HRESULT hr = fake.Start();
    if (FAILED(hr)) return Fail(id, "RegisterActiveObject failed " + comx::HexHr(hr));
    return Ok(id);
  }
  if (cmd == "stop") {
    fake.Stop();
    return Ok(id);
  }
  if (cmd == "ctiRegistered") {
    ComPtr<IUnknown> unknown;
    HRESULT hr = GetActiveObject(datev::kClsidCti, nullptr, unknown.Put());
    Value r = Ok(id);
    r.Set("registered", Value::Bool(SUCCEEDED(hr)));
    r.Set("hresult", Value::Num(Hr(hr)));
    return r;
  }
  if (cmd == "waitCti") return WaitCti(id, msg);
  if (cmd == "dial" || cmd == "drop" || cmd == "getCallData") return CallCti(fake, id, cmd, msg);
  if (cmd == "invoke") return InvokeCommand(id, msg);
  if (cmd == "notifications") {
    // from: only those after the first `from` (a long run asks for what is new)
    const Value* fromV = msg.Get("from");
    size_t from = fromV && fromV->n > 0 ? static_cast<size_t>(fromV->n) : 0;
    Value list = Value::Arr();
    for (size_t i = from; i < fake.notifications.size(); ++i) {
      const Recorded& n = fake.notifications[i];
      Value e = Value::Obj();
      e.Set("method", Value::Str(n.method));
      e.Set("data", n.data);
      e.Set("object", Value::Num(n.object));
      e.Set("us", Value::Num(static_cast<double>(n.us)));
      e.Set("instance", Value::Num(n.instance));
      if (n.wroteSyncId) e.Set("wroteSyncId", Value::Str(n.syncIdWritten));
      list.Push(std::move(e));
    }
    Value r = Ok(id);
    r.Set("notifications", list);
    return r;
  }
  if (cmd == "failNext") {
    const Value* hr = msg.Get("hresult");
    fake.behaviour.failNext = hr ? static_cast<HRESULT>(static_cast<uint32_t>(hr->n)) : E_FAIL;
    return Ok(id);
  }
  if (cmd == "writeSyncId") {
    const Value* v = msg.Get("syncId");
    fake.behaviour.writeSyncId = true;
    fake.behaviour.syncId = comx::FromUtf8(v ? v->s : "");
    return Ok(id);
  }
  if (cmd == "restartInNext") {
    fake.behaviour.restartNext = [&fake]() {
      fake.Stop();
      fake.Start();
    };
    return Ok(id);
  }
  if (cmd == "hangNext" || cmd == "hang") {
    const Value* ms = msg.Get("ms");
    const Value* count = msg.Get("count");
    fake.behaviour.hangMs = ms ? static_cast<DWORD>(ms->n) : 10000;
    fake.behaviour.hangCount = count ? static_cast<int>(count->n) : 1;
    return Ok(id);
  }
  if (cmd == "reject") {
    const Value* count = msg.Get("count");
    fake.behaviour.rejectCount = count ? static_cast<int>(count->n) : 1;
    Value r = Ok(id);
    r.Set("rejected", Value::Num(fake.behaviour.rejected));
    return r;
  }
  if (cmd == "reread") {
    // read every kept call-data object again, as a DATEV that keeps them might do later
    Value list = Value::Arr();
    for (size_t i = 0; i < fake.behaviour.kept.size(); ++i) {
      VARIANT v;
      HRESULT hr = datev::GetProperty(fake.behaviour.kept[i].Get(), L"CallID", &v);
      Value e = Value::Obj();
      e.Set("object", Value::Num(static_cast<double>(i)));
      e.Set("callId", Value::Str(fake.behaviour.keptCallIds[i]));
      e.Set("hresult", Value::Num(Hr(hr)));
      e.Set("readCallId", Value::Str(SUCCEEDED(hr) && v.vt == VT_BSTR && v.bstrVal ? comx::ToUtf8(v.bstrVal) : ""));
      VariantClear(&v);
      list.Push(std::move(e));
    }
    Value r = Ok(id);
    r.Set("objects", list);
    r.Set("rejected", Value::Num(fake.behaviour.rejected));
    return r;
  }
  if (cmd == "forget") {
    // DATEV lets go of the call-data objects it kept (and of the list of notifications)
    fake.behaviour.kept.clear();
    fake.behaviour.keptCallIds.clear();
    fake.notifications.clear();
    return Ok(id);
  }
  if (cmd == "unregisterTypeLibs") {
    // both DATEV's (this fake's) and the CTI program's own library: a machine without them
    Value r = Ok(id);
    r.Set("fake", Value::Num(Hr(datev::UnregisterTypeLib(datev::kLibidFakeDatev))));
    r.Set("bridge", Value::Num(Hr(datev::UnregisterTypeLib(datev::kLibidBridge))));
    return r;
  }
  if (cmd == "registerTypeLib") {
    HRESULT hr = fake.RegisterTypeLib();
    Value r = Ok(id);
    r.Set("hresult", Value::Num(Hr(hr)));
    r.Set("typeLib", Value::Str(fake.typeLib));
    return r;
  }
  if (cmd == "kill") {
    // hard-kill a process (the CTI program) as the task manager would
    const Value* pid = msg.Get("pid");
    HANDLE p = pid ? OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE, FALSE, static_cast<DWORD>(pid->n)) : nullptr;
    if (!p) return Fail(id, "OpenProcess failed " + std::to_string(GetLastError()));
    BOOL ok = TerminateProcess(p, 9);
    WaitForSingleObject(p, 5000);
    CloseHandle(p);
    return ok ? Ok(id) : Fail(id, "TerminateProcess failed");
  }
  if (cmd == "quit") {
    PostQuitMessage(0);
    return Ok(id);
  }
  return Fail(id, "unknown command '" + cmd + "'");
}

Fake* g_fake = nullptr;
bool g_busy = false;

void DrainCommands() {
  if (g_busy) return;  // a command is running (its COM call pumps messages): keep the order
  g_busy = true;
  for (;;) {
    std::string line;
    {
      std::lock_guard<std::mutex> lock(g_queueMutex);
      if (g_queue.empty()) break;
      line = std::move(g_queue.front());
      g_queue.pop_front();
    }
    Value msg;
    json::Parser parser(line);
    if (!parser.Parse(&msg) || msg.type != Value::Type::Object) {
      WriteLine(Fail(Value(), "invalid JSON line"));
      continue;
    }
    WriteLine(Execute(*g_fake, msg));
  }
  g_busy = false;
}

LRESULT CALLBACK WndProc(HWND h, UINT m, WPARAM w, LPARAM l) {
  if (m == kWmCommand) {
    DrainCommands();
    return 0;
  }
  if (m == kWmEof) {
    PostQuitMessage(0);
    return 0;
  }
  return DefWindowProcW(h, m, w, l);
}

void ReadStdin() {
  HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
  std::string pending;
  char buf[65536];
  for (;;) {
    DWORD got = 0;
    if (!ReadFile(in, buf, sizeof buf, &got, nullptr) || got == 0) break;
    pending.append(buf, got);
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      {
        std::lock_guard<std::mutex> lock(g_queueMutex);
        g_queue.push_back(std::move(line));
      }
      PostMessageW(g_window, kWmCommand, 0, 0);
    }
  }
  PostMessageW(g_window, kWmEof, 0, 0);
}

}  // namespace

int wmain(int argc, wchar_t** argv) {
  bool registerTypeLib = true;
  bool start = true;
  bool dualData = false;
  for (int i = 1; i < argc; ++i) {
    if (_wcsicmp(argv[i], L"--no-typelib") == 0) registerTypeLib = false;
    if (_wcsicmp(argv[i], L"--stopped") == 0) start = false;
    if (_wcsicmp(argv[i], L"--dual-data") == 0) dualData = true;
  }
  HRESULT hr = CoInitializeEx(nullptr, COINIT_APARTMENTTHREADED);
  if (FAILED(hr)) return 2;
  WNDCLASSEXW wc{};
  wc.cbSize = sizeof(wc);
  wc.lpfnWndProc = WndProc;
  wc.hInstance = GetModuleHandleW(nullptr);
  wc.lpszClassName = L"FakeDatevControl";
  RegisterClassExW(&wc);
  g_window = CreateWindowExW(0, wc.lpszClassName, L"", 0, 0, 0, 0, 0, HWND_MESSAGE, nullptr, wc.hInstance, nullptr);
  Fake fake;
  fake.dualData = dualData;
  g_fake = &fake;
  BusyFilter filter(&fake.behaviour);
  CoRegisterMessageFilter(&filter, nullptr);
  if (registerTypeLib) fake.RegisterTypeLib();
  // every IID the program can hold a proxy of (see InterfacePins): the notification object's and the
  // call-data objects' (a marshal of IDatevCtiData needs the type library; without it none is made)
  InterfacePins pins;
  {
    static Behaviour none;  // the pinned object lives as long as the process (its Invoke is never reached)
    ComPtr<IDispatch> notification(new NotificationObject(nullptr, &none, false, 0), false);
    datev::CallDataObject* raw = nullptr;
    std::array<VARIANT, datev::kFieldCount> noValues{};
    std::array<bool, datev::kFieldCount> absent{};
    if (SUCCEEDED(datev::CallDataObject::CreateRaw(noValues, absent, &raw))) {
      ComPtr<IDispatch> data(static_cast<IDispatch*>(static_cast<datev::IDatevCtiDataDual*>(raw)), false);
      pins.Pin(data.Get(), IID_IUnknown);
      pins.Pin(data.Get(), IID_IDispatch);
      pins.Pin(data.Get(), datev::kIidData);
    }
    pins.Pin(notification.Get(), datev::kIidNotification);
  }
  HRESULT startHr = start ? fake.Start() : S_FALSE;
  Value ready = Value::Obj();
  ready.Set("event", Value::Str("ready"));
  ready.Set("pid", Value::Num(GetCurrentProcessId()));
  ready.Set("typeLib", Value::Str(fake.typeLib));
  ready.Set("started", Value::Bool(fake.object != nullptr));
  ready.Set("startHresult", Value::Num(Hr(startHr)));
  ready.Set("pinnedInterfaces", Value::Num(static_cast<double>(pins.Count())));
  WriteLine(ready);
  std::thread reader(ReadStdin);
  reader.detach();  // blocked in ReadFile; ends with the process
  MSG m;
  while (GetMessageW(&m, nullptr, 0, 0) > 0) {
    TranslateMessage(&m);
    DispatchMessageW(&m);
  }
  fake.Stop();
  fake.behaviour.kept.clear();
  pins.ReleaseAll();
  CoRegisterMessageFilter(nullptr, nullptr);
  CoUninitialize();
  return 0;
}
