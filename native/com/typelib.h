// Type library for the DATEV CTI interfaces, built at run time with ICreateTypeLib2 (no IDL tooling):
// IDatevCtiControl and IDatevCtiHistory as [oleautomation] IUnknown interfaces (so the standard
// type-library marshaler can proxy them), optionally IDatevCtiData and IDatevCtiNotification as
// dispinterfaces.
#pragma once

#include <windows.h>
#include <oleauto.h>

#include <string>

namespace datev {

// The program's own LIBID for the equivalent library it registers when DATEV's is not usable.
// {B3C3E478-D0D8-4E07-8BB7-DD0EE2F79D1D}
inline constexpr GUID kLibidBridge = {0xB3C3E478, 0xD0D8, 0x4E07, {0x8B, 0xB7, 0xDD, 0x0E, 0xE2, 0xF7, 0x9D, 0x1D}};
// The LIBID the fake DATEV Arbeitsplatz (fakes/datev-exe) registers, standing in for DatevCtiBuddy.tlb.
// {0A9B5BEA-3127-470C-BC5E-B8554EBA7A7C}
inline constexpr GUID kLibidFakeDatev = {0x0A9B5BEA, 0x3127, 0x470C, {0xBC, 0x5E, 0xB8, 0x55, 0x4E, 0xBA, 0x7A, 0x7C}};

enum class TypeLibContent {
  // IDatevCtiControl and IDatevCtiHistory only: what the program registers (no more than it
  // implements, so DATEV's own registration of IDatevCtiData/IDatevCtiNotification is never replaced).
  ControlOnly,
  // + IDatevCtiData and IDatevCtiNotification as dispinterfaces (DATEV as S1 describes it).
  WithDispInterfaces,
  // + IDatevCtiData as a dual interface (property vtable), IDatevCtiNotification as dispinterface.
  WithDualData,
};

// Writes the library to `path` (version 1.0, neutral locale, this process's SYSKIND).
HRESULT BuildTypeLib(const GUID& libid, const wchar_t* libName, const std::wstring& path, TypeLibContent content,
                     std::string* error);

// Registers the .tlb: for the current user (RegisterTypeLibForUser, no admin rights) or machine-wide
// (LoadTypeLibEx REGKIND_REGISTER). `how` tells what was done.
HRESULT RegisterTypeLibFile(const std::wstring& path, bool forUser, std::string* how);

// Removes a registration made by RegisterTypeLibFile (both flavours are tried).
HRESULT UnregisterTypeLib(const GUID& libid);

// Whether `iid` of `obj` can be marshaled to another process from this one (proxy/stub available).
HRESULT TryMarshal(IUnknown* obj, REFIID iid);

}  // namespace datev
