// Placeholder: replaced by the TAPI engineer.
#include "common/modules.h"

Napi::Object InitTapi(Napi::Env env) { return Napi::Object::New(env); }
