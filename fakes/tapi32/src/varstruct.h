/* Filling TAPI variable-size structures by the documented rules: the fixed part is always complete;
 * a variable part that does not fit gets Size = Offset = 0; dwNeededSize is what would have been used
 * with room for everything; nothing is written past dwTotalSize. */
#ifndef FAKE_TAPI_VARSTRUCT_H
#define FAKE_TAPI_VARSTRUCT_H

#include "fake.h"

#include <string.h>

typedef struct {
  BYTE *base;
  DWORD total;
  DWORD used;
  DWORD needed;
} VarCtx;

/* Zeroes the fixed part (keeping dwTotalSize) and starts the variable area right after it. */
static inline void var_init(VarCtx *v, void *s, DWORD fixed) {
  v->base = (BYTE *)s;
  memcpy(&v->total, v->base, sizeof(DWORD));
  memset(v->base + sizeof(DWORD), 0, fixed - sizeof(DWORD));
  v->used = fixed;
  v->needed = fixed;
}

static inline void var_put_dword(BYTE *field, DWORD value) { memcpy(field, &value, sizeof value); }

/* A UTF-16 string part (NUL included, Size in bytes); empty strings are left out. */
static inline void var_str(VarCtx *v, DWORD *sizeField, DWORD *offField, const char *utf8) {
  var_put_dword((BYTE *)sizeField, 0);
  var_put_dword((BYTE *)offField, 0);
  if (!utf8 || !*utf8) return;
  DWORD bytes = utf8_to_utf16_bytes(utf8);
  v->needed += bytes;
  if (v->used + bytes > v->total) return;
  utf8_to_utf16(utf8, (WCHAR *)(v->base + v->used), bytes);
  var_put_dword((BYTE *)offField, v->used);
  var_put_dword((BYTE *)sizeField, bytes);
  v->used += bytes;
}

static inline void var_finish(VarCtx *v) {
  var_put_dword(v->base + 4, v->needed);
  var_put_dword(v->base + 8, v->used);
}

#endif
