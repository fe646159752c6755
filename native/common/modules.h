// The addon's four modules. Each returns the object exported as addon.com / addon.tapi / addon.ui / addon.win.
#pragma once

#include <napi.h>

Napi::Object InitCom(Napi::Env env);   // native/com
Napi::Object InitTapi(Napi::Env env);  // native/tapi
Napi::Object InitUi(Napi::Env env);    // native/ui
Napi::Object InitWin(Napi::Env env);   // native/win
