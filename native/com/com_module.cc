// Placeholder: replaced by the COM/DATEV engineer.
#include "common/modules.h"

Napi::Object InitCom(Napi::Env env) { return Napi::Object::New(env); }
