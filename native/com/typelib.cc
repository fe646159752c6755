#include "com/typelib.h"

#include <cstring>
#include <initializer_list>

#include "com/com_ptr.h"
#include "com/datev_ids.h"

namespace datev {

using comx::ComPtr;

namespace {

SYSKIND ThisSysKind() { return sizeof(void*) == 8 ? SYS_WIN64 : SYS_WIN32; }

// interface X : IUnknown { HRESULT m(IDispatch* pCallData); ... }, [oleautomation]
HRESULT AddCustomInterface(ICreateTypeLib2* lib, const wchar_t* name, REFIID iid, ITypeInfo* base,
                           std::initializer_list<const wchar_t*> methods) {
  ComPtr<ICreateTypeInfo> ti;
  HRESULT hr = lib->CreateTypeInfo(const_cast<LPOLESTR>(name), TKIND_INTERFACE, ti.Put());
  if (FAILED(hr)) return hr;
  HREFTYPE ref = 0;
  if (FAILED(hr = ti->SetGuid(iid)) || FAILED(hr = ti->SetTypeFlags(TYPEFLAG_FOLEAUTOMATION)) ||
      FAILED(hr = ti->AddRefTypeInfo(base, &ref)) || FAILED(hr = ti->AddImplType(0, ref))) {
    return hr;
  }
  UINT index = 0;
  for (const wchar_t* method : methods) {
    ELEMDESC param{};
    param.tdesc.vt = VT_DISPATCH;
    param.paramdesc.wParamFlags = PARAMFLAG_FIN;
    FUNCDESC fd{};
    fd.memid = static_cast<MEMBERID>(0x60010000 + index);
    fd.funckind = FUNC_PUREVIRTUAL;
    fd.invkind = INVOKE_FUNC;
    fd.callconv = CC_STDCALL;
    fd.cParams = 1;
    fd.lprgelemdescParam = &param;
    fd.elemdescFunc.tdesc.vt = VT_HRESULT;
    fd.oVft = static_cast<SHORT>((3 + index) * sizeof(void*));
    if (FAILED(hr = ti->AddFuncDesc(index, &fd))) return hr;
    LPOLESTR names[2] = {const_cast<LPOLESTR>(method), const_cast<LPOLESTR>(L"pCallData")};
    if (FAILED(hr = ti->SetFuncAndParamNames(index, names, 2))) return hr;
    ++index;
  }
  return ti->LayOut();
}

HRESULT AddDispatchFunc(ICreateTypeInfo* ti, UINT index, MEMBERID id, const wchar_t* name, INVOKEKIND kind,
                        VARTYPE type) {
  ELEMDESC param{};
  param.tdesc.vt = type;
  param.paramdesc.wParamFlags = PARAMFLAG_FIN;
  FUNCDESC fd{};
  fd.memid = id;
  fd.funckind = FUNC_DISPATCH;
  fd.invkind = kind;
  fd.callconv = CC_STDCALL;
  fd.elemdescFunc.tdesc.vt = kind == INVOKE_PROPERTYGET ? type : static_cast<VARTYPE>(VT_VOID);
  if (kind != INVOKE_PROPERTYGET) {
    fd.cParams = 1;
    fd.lprgelemdescParam = &param;
  }
  HRESULT hr = ti->AddFuncDesc(index, &fd);
  if (FAILED(hr)) return hr;
  LPOLESTR names[2] = {const_cast<LPOLESTR>(name), const_cast<LPOLESTR>(L"pCallData")};
  // a property put's value parameter has no name
  return ti->SetFuncAndParamNames(index, names, kind == INVOKE_FUNC ? 2 : 1);
}

// A property accessor of the dual IDatevCtiData: [propget] HRESULT X([out, retval] T*) or
// [propput] HRESULT X([in] T), at vtable slot 7 + index.
HRESULT AddDualAccessor(ICreateTypeInfo* ti, UINT index, MEMBERID id, const wchar_t* name, INVOKEKIND kind,
                        VARTYPE type) {
  TYPEDESC pointee{};
  pointee.vt = type;
  ELEMDESC param{};
  if (kind == INVOKE_PROPERTYGET) {
    param.tdesc.vt = VT_PTR;
    param.tdesc.lptdesc = &pointee;
    param.paramdesc.wParamFlags = PARAMFLAG_FOUT | PARAMFLAG_FRETVAL;
  } else {
    param.tdesc.vt = type;
    param.paramdesc.wParamFlags = PARAMFLAG_FIN;
  }
  FUNCDESC fd{};
  fd.memid = id;
  fd.funckind = FUNC_PUREVIRTUAL;
  fd.invkind = kind;
  fd.callconv = CC_STDCALL;
  fd.cParams = 1;
  fd.lprgelemdescParam = &param;
  fd.elemdescFunc.tdesc.vt = VT_HRESULT;
  fd.oVft = static_cast<SHORT>((7 + index) * sizeof(void*));
  HRESULT hr = ti->AddFuncDesc(index, &fd);
  if (FAILED(hr)) return hr;
  LPOLESTR names[1] = {const_cast<LPOLESTR>(name)};
  return ti->SetFuncAndParamNames(index, names, 1);
}

HRESULT AddDataInterface(ICreateTypeLib2* lib, ITypeInfo* dispatchInfo, bool dual) {
  ComPtr<ICreateTypeInfo> ti;
  HRESULT hr =
      lib->CreateTypeInfo(const_cast<LPOLESTR>(L"IDatevCtiData"), dual ? TKIND_INTERFACE : TKIND_DISPATCH, ti.Put());
  HREFTYPE ref = 0;
  if (FAILED(hr) || FAILED(hr = ti->SetGuid(kIidData)) ||
      (dual && FAILED(hr = ti->SetTypeFlags(TYPEFLAG_FDUAL | TYPEFLAG_FOLEAUTOMATION))) ||
      FAILED(hr = ti->AddRefTypeInfo(dispatchInfo, &ref)) || FAILED(hr = ti->AddImplType(0, ref))) {
    return hr;
  }
  auto add = dual ? AddDualAccessor : AddDispatchFunc;
  UINT index = 0;
  for (int i = 0; i < kFieldCount; ++i) {
    if (FAILED(hr = add(ti.Get(), index, i + 1, kFieldNames[i], INVOKE_PROPERTYGET, FieldType(i)))) return hr;
    ++index;
    if (FAILED(hr = add(ti.Get(), index, i + 1, kFieldNames[i], INVOKE_PROPERTYPUT, FieldType(i)))) return hr;
    ++index;
  }
  return ti->LayOut();
}

HRESULT AddNotificationDispInterface(ICreateTypeLib2* lib, ITypeInfo* dispatchInfo) {
  ComPtr<ICreateTypeInfo> ti;
  HRESULT hr = lib->CreateTypeInfo(const_cast<LPOLESTR>(L"IDatevCtiNotification"), TKIND_DISPATCH, ti.Put());
  HREFTYPE ref = 0;
  if (FAILED(hr) || FAILED(hr = ti->SetGuid(kIidNotification)) ||
      FAILED(hr = ti->AddRefTypeInfo(dispatchInfo, &ref)) || FAILED(hr = ti->AddImplType(0, ref))) {
    return hr;
  }
  for (int i = 0; i < kNotificationCount; ++i) {
    if (FAILED(hr = AddDispatchFunc(ti.Get(), static_cast<UINT>(i), i + 1, kNotificationNames[i], INVOKE_FUNC,
                                    VT_DISPATCH))) {
      return hr;
    }
  }
  return ti->LayOut();
}

typedef HRESULT(WINAPI* RegisterForUserFn)(ITypeLib*, OLECHAR*, OLECHAR*);
typedef HRESULT(WINAPI* UnregisterForUserFn)(REFGUID, WORD, WORD, LCID, SYSKIND);

// GetProcAddress's FARPROC converted through void* (a direct cast trips -Wcast-function-type).
template <typename Fn>
Fn OleAutProc(const char* name) {
  HMODULE oleaut = GetModuleHandleW(L"oleaut32.dll");
  FARPROC proc = oleaut ? GetProcAddress(oleaut, name) : nullptr;
  void* raw = nullptr;
  static_assert(sizeof(raw) == sizeof(proc), "function and data pointers differ in size");
  std::memcpy(&raw, &proc, sizeof(raw));
  Fn fn = nullptr;
  std::memcpy(&fn, &raw, sizeof(fn));
  return fn;
}

}  // namespace

HRESULT BuildTypeLib(const GUID& libid, const wchar_t* libName, const std::wstring& path, TypeLibContent content,
                     std::string* error) {
  bool withDispInterfaces = content != TypeLibContent::ControlOnly;
  ComPtr<ICreateTypeLib2> lib;
  HRESULT hr = CreateTypeLib2(ThisSysKind(), path.c_str(), lib.Put());
  if (FAILED(hr)) {
    *error = "CreateTypeLib2 failed";
    return hr;
  }
  if (FAILED(hr = lib->SetGuid(libid)) || FAILED(hr = lib->SetName(const_cast<LPOLESTR>(libName))) ||
      FAILED(hr = lib->SetVersion(1, 0)) || FAILED(hr = lib->SetLcid(LOCALE_NEUTRAL))) {
    *error = "cannot set the library attributes";
    return hr;
  }
  ComPtr<ITypeLib> stdole;
  if (FAILED(hr = LoadTypeLib(L"stdole2.tlb", stdole.Put()))) {
    *error = "cannot load stdole2.tlb";
    return hr;
  }
  ComPtr<ITypeInfo> unknownInfo, dispatchInfo;
  if (FAILED(hr = stdole->GetTypeInfoOfGuid(IID_IUnknown, unknownInfo.Put())) ||
      FAILED(hr = stdole->GetTypeInfoOfGuid(IID_IDispatch, dispatchInfo.Put()))) {
    *error = "stdole2.tlb lacks IUnknown/IDispatch";
    return hr;
  }
  if (FAILED(hr = AddCustomInterface(lib.Get(), L"IDatevCtiControl", kIidControl, unknownInfo.Get(),
                                     {L"Dial", L"Drop"}))) {
    *error = "cannot describe IDatevCtiControl";
    return hr;
  }
  if (FAILED(hr = AddCustomInterface(lib.Get(), L"IDatevCtiHistory", kIidHistory, unknownInfo.Get(),
                                     {L"GetCallData"}))) {
    *error = "cannot describe IDatevCtiHistory";
    return hr;
  }
  if (withDispInterfaces &&
      FAILED(hr = AddDataInterface(lib.Get(), dispatchInfo.Get(), content == TypeLibContent::WithDualData))) {
    *error = "cannot describe IDatevCtiData";
    return hr;
  }
  if (withDispInterfaces && FAILED(hr = AddNotificationDispInterface(lib.Get(), dispatchInfo.Get()))) {
    *error = "cannot describe IDatevCtiNotification";
    return hr;
  }
  if (FAILED(hr = lib->SaveAllChanges())) *error = "cannot write the type library file";
  return hr;
}

HRESULT RegisterTypeLibFile(const std::wstring& path, bool forUser, std::string* how) {
  ComPtr<ITypeLib> tl;
  HRESULT hr = LoadTypeLibEx(path.c_str(), REGKIND_NONE, tl.Put());
  if (FAILED(hr)) {
    *how = "LoadTypeLibEx failed";
    return hr;
  }
  if (forUser) {
    auto fn = OleAutProc<RegisterForUserFn>("RegisterTypeLibForUser");
    if (fn) {
      hr = fn(tl.Get(), const_cast<OLECHAR*>(path.c_str()), nullptr);
      *how = SUCCEEDED(hr) ? "RegisterTypeLibForUser" : "RegisterTypeLibForUser failed";
      return hr;
    }
  }
  hr = RegisterTypeLib(tl.Get(), const_cast<OLECHAR*>(path.c_str()), nullptr);
  *how = SUCCEEDED(hr) ? "RegisterTypeLib" : "RegisterTypeLib failed";
  return hr;
}

HRESULT UnregisterTypeLib(const GUID& libid) {
  auto fn = OleAutProc<UnregisterForUserFn>("UnRegisterTypeLibForUser");
  HRESULT userHr = fn ? fn(libid, 1, 0, LOCALE_NEUTRAL, ThisSysKind()) : E_NOTIMPL;
  HRESULT machineHr = ::UnRegisterTypeLib(libid, 1, 0, LOCALE_NEUTRAL, ThisSysKind());
  return SUCCEEDED(userHr) ? userHr : machineHr;
}

HRESULT TryMarshal(IUnknown* obj, REFIID iid) {
  ComPtr<IStream> stream;
  HRESULT hr = CreateStreamOnHGlobal(nullptr, TRUE, stream.Put());
  if (FAILED(hr)) return hr;
  hr = CoMarshalInterface(stream.Get(), iid, obj, MSHCTX_LOCAL, nullptr, MSHLFLAGS_NORMAL);
  if (FAILED(hr)) return hr;
  LARGE_INTEGER zero{};
  stream->Seek(zero, STREAM_SEEK_SET, nullptr);
  CoReleaseMarshalData(stream.Get());
  return S_OK;
}

}  // namespace datev
