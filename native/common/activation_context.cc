#include "common/activation_context.h"

#include "common/this_module.h"

namespace wildix {

ScopedActivationContext::ScopedActivationContext() {
  ACTCTXW ctx = {};
  ctx.cbSize = sizeof(ctx);
  ctx.dwFlags = ACTCTX_FLAG_HMODULE_VALID | ACTCTX_FLAG_RESOURCE_NAME_VALID;
  ctx.hModule = ThisModule();
  ctx.lpResourceName = MAKEINTRESOURCEW(2);
  context_ = CreateActCtxW(&ctx);
  if (context_ != INVALID_HANDLE_VALUE) active_ = ActivateActCtx(context_, &cookie_) != FALSE;
}

ScopedActivationContext::~ScopedActivationContext() {
  if (active_) DeactivateActCtx(0, cookie_);
  if (context_ != INVALID_HANDLE_VALUE) ReleaseActCtx(context_);
}

}  // namespace wildix
