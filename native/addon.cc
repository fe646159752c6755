// Entry point of wildix_cti.node: exports { com, tapi, ui, win, http, dpapi, tray, proc, abiVersion }.
#include "common/modules.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("com", InitCom(env));
  exports.Set("tapi", InitTapi(env));
  exports.Set("ui", InitUi(env));
  exports.Set("win", InitWin(env));
  exports.Set("http", InitHttp(env));
  exports.Set("dpapi", InitDpapi(env));
  exports.Set("tray", InitTray(env));
  exports.Set("proc", InitProc(env));
  exports.Set("abiVersion", Napi::Number::New(env, 1));
  return exports;
}

}  // namespace

NODE_API_MODULE(wildix_cti, Init)
