/* Helpers shared by the exported TAPI functions. */
#ifndef FAKE_TAPI_API_COMMON_H
#define FAKE_TAPI_API_COMMON_H

#include "fake.h"
#include "varstruct.h"

#include <stddef.h>

/* Logs {"ev":"api","fn":fn,<extra>,"rc":rc[,"err":"LINEERR_X"]}. Call with g.lock held. */
void api_log(const char *fn, LONG rc, const char *extraFmt, ...);

/* A one-shot injected synchronous failure for fn, or 0. */
LONG sync_fail(const char *fn);

#endif
