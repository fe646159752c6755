// The addon's three modules. Each returns the object exported as addon.com / addon.tapi / addon.ui.
#pragma once

#include <napi.h>

Napi::Object InitCom(Napi::Env env);   // native/com
Napi::Object InitTapi(Napi::Env env);  // native/tapi
Napi::Object InitUi(Napi::Env env);    // native/ui
