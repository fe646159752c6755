/* Name <-> value tables for TAPI constants. names.inc is generated from the mingw-w64 tapi.h by
 * build.sh, so no constant is typed in by hand. */
#include "fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *name;
  DWORD value;
} NameValue;

#include "names.inc" /* k_lineerr, k_callstate, k_devstate, k_disconnect, k_msg */

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *by_value(const NameValue *t, size_t n, DWORD v) {
  for (size_t i = 0; i < n; ++i)
    if (t[i].value == v) return t[i].name;
  return NULL;
}

/* Accepts "PREFIX_NAME", "NAME" (case-insensitive), 0x hex or decimal (also negative LONG). */
static int parse(const NameValue *t, size_t n, const char *prefix, const char *s, DWORD *out) {
  if (!s || !*s) return 0;
  size_t pl = strlen(prefix);
  if (_strnicmp(s, prefix, pl) == 0) s += pl;
  for (size_t i = 0; i < n; ++i) {
    if (_stricmp(t[i].name + pl, s) == 0) {
      *out = t[i].value;
      return 1;
    }
  }
  char *end = NULL;
  if (*s == '-') {
    long v = strtol(s, &end, 10);
    if (end && *end == 0) {
      *out = (DWORD)v;
      return 1;
    }
    return 0;
  }
  unsigned long v = strtoul(s, &end, 0);
  if (end && *end == 0 && end != s) {
    *out = (DWORD)v;
    return 1;
  }
  return 0;
}

const char *lineerr_name(LONG code) { return by_value(k_lineerr, COUNT(k_lineerr), (DWORD)code); }

int lineerr_parse(const char *s, LONG *out) {
  DWORD v;
  if (!parse(k_lineerr, COUNT(k_lineerr), "LINEERR_", s, &v)) return 0;
  *out = (LONG)v;
  return 1;
}

const char *callstate_name(DWORD state) {
  const char *n = by_value(k_callstate, COUNT(k_callstate), state);
  return n ? n : "LINECALLSTATE_?";
}

int callstate_parse(const char *s, DWORD *out) {
  return parse(k_callstate, COUNT(k_callstate), "LINECALLSTATE_", s, out);
}

int devstate_parse(const char *s, DWORD *out) {
  return parse(k_devstate, COUNT(k_devstate), "LINEDEVSTATE_", s, out);
}

int disconnectmode_parse(const char *s, DWORD *out) {
  return parse(k_disconnect, COUNT(k_disconnect), "LINEDISCONNECTMODE_", s, out);
}

const char *msg_name(DWORD msg) {
  const char *n = by_value(k_msg, COUNT(k_msg), msg);
  return n ? n : "LINE_?";
}
