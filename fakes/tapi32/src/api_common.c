#include "api_common.h"

#include <stdarg.h>
#include <stdio.h>

void api_log(const char *fn, LONG rc, const char *extraFmt, ...) {
  char extra[3000];
  va_list ap;
  va_start(ap, extraFmt);
  vsnprintf(extra, sizeof extra, extraFmt, ap);
  va_end(ap);
  const char *err = rc < 0 ? lineerr_name(rc) : NULL;
  log_json("\"ev\":\"api\",\"fn\":\"%s\"%s%s,\"rc\":%ld%s%s%s", fn, extra[0] ? "," : "", extra, (long)rc,
           err ? ",\"err\":\"" : "", err ? err : "", err ? "\"" : "");
}

LONG sync_fail(const char *fn) {
  int found = 0;
  LONG code = take_fail(fn, 0, &found);
  return found ? code : 0;
}
