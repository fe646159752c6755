// The addon's modules. Each returns the object exported as addon.<name>.
#pragma once

#include <napi.h>

Napi::Object InitCom(Napi::Env env);   // native/com
Napi::Object InitTapi(Napi::Env env);  // native/tapi
Napi::Object InitUi(Napi::Env env);    // native/ui
Napi::Object InitWin(Napi::Env env);   // native/win
Napi::Object InitHttp(Napi::Env env);  // native/http (WinHTTP GET, Windows sign-in)
Napi::Object InitDpapi(Napi::Env env); // native/dpapi (DPAPI, current user)
Napi::Object InitTray(Napi::Env env);  // native/tray (notification-area icon)
Napi::Object InitProc(Napi::Env env);  // native/proc (the process's own resource use)
