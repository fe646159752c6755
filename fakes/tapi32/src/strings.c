/* UTF-8 (script channel, log) <-> UTF-16 (TAPI W functions). */
#include "fake.h"

void utf16_to_utf8(const WCHAR *in, char *out, size_t outSize) {
  if (!out || outSize == 0) return;
  out[0] = 0;
  if (!in) return;
  int n = WideCharToMultiByte(CP_UTF8, 0, in, -1, out, (int)outSize, NULL, NULL);
  if (n <= 0) out[outSize - 1] = 0;
}

DWORD utf8_to_utf16_bytes(const char *in) {
  int n = MultiByteToWideChar(CP_UTF8, 0, in ? in : "", -1, NULL, 0);
  return (DWORD)(n > 0 ? n : 1) * (DWORD)sizeof(WCHAR);
}

void utf8_to_utf16(const char *in, WCHAR *out, DWORD outBytes) {
  int chars = (int)(outBytes / sizeof(WCHAR));
  if (chars <= 0) return;
  int n = MultiByteToWideChar(CP_UTF8, 0, in ? in : "", -1, out, chars);
  if (n <= 0) out[0] = 0;
  out[chars - 1] = 0;
}
