// Placeholder until the dialogs land.
#include "common/modules.h"

Napi::Object InitUi(Napi::Env env) { return Napi::Object::New(env); }
