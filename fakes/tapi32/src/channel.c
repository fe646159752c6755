/* TCP control channel to the test (127.0.0.1:FAKE_TAPI_PORT) and the JSON-lines log. */
#include "fake.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static CRITICAL_SECTION s_sendLock;
static SOCKET s_sock = INVALID_SOCKET;
static volatile LONG s_connected = 0;
static int s_wsaDone = 0;
static FILE *s_logFile = NULL;
static int s_initDone = 0;

static void channel_init_once(void) {
  if (s_initDone) return;
  s_initDone = 1;
  InitializeCriticalSection(&s_sendLock);
  const char *path = getenv("FAKE_TAPI_LOG");
  if (path && *path) s_logFile = fopen(path, "ab");
}

int channel_is_connected(void) {
  channel_init_once();
  EnterCriticalSection(&s_sendLock);
  int c = s_connected != 0;
  LeaveCriticalSection(&s_sendLock);
  return c;
}

void channel_send_line(const char *line) {
  channel_init_once();
  EnterCriticalSection(&s_sendLock);
  if (s_logFile) {
    fputs(line, s_logFile);
    fputc('\n', s_logFile);
    fflush(s_logFile);
  }
  if (s_connected) {
    size_t len = strlen(line);
    const char *p = line;
    while (len > 0) {
      int n = send(s_sock, p, (int)len, 0);
      if (n <= 0) break;
      p += n;
      len -= (size_t)n;
    }
    send(s_sock, "\n", 1, 0);
  }
  LeaveCriticalSection(&s_sendLock);
}

void channel_send_last_line(const char *line) {
  channel_init_once();
  EnterCriticalSection(&s_sendLock); /* recursive: channel_send_line takes it again */
  channel_send_line(line);
  channel_disconnect();
  LeaveCriticalSection(&s_sendLock);
}

void channel_disconnect(void) {
  channel_init_once();
  EnterCriticalSection(&s_sendLock);
  if (s_connected) {
    s_connected = 0;
    shutdown(s_sock, SD_BOTH);
    closesocket(s_sock);
    s_sock = INVALID_SOCKET;
  }
  LeaveCriticalSection(&s_sendLock);
}

void json_escape(char *out, size_t outSize, const char *in) {
  size_t o = 0;
  if (outSize == 0) return;
  for (const unsigned char *p = (const unsigned char *)in; *p && o + 7 < outSize; ++p) {
    unsigned char c = *p;
    if (c == '"' || c == '\\') {
      out[o++] = '\\';
      out[o++] = (char)c;
    } else if (c < 0x20) {
      o += (size_t)snprintf(out + o, outSize - o, "\\u%04x", c);
    } else {
      out[o++] = (char)c;
    }
  }
  out[o] = 0;
}

/* Absolute wall-clock time in microseconds since 1970 (GetSystemTimePreciseAsFileTime where it exists,
 * Windows 8+ and Wine): the same clock in every process of the machine, so a test can time across
 * processes (e.g. this DLL's LINE_CALLSTATE against the moment DATEV's fake receives NewCall). */
typedef VOID(WINAPI *SystemTimeFn)(LPFILETIME);
static unsigned long long now_us(void) {
  static SystemTimeFn fn = NULL;
  if (!fn) {
    HMODULE k = GetModuleHandleW(L"kernel32.dll");
    FARPROC p = k ? GetProcAddress(k, "GetSystemTimePreciseAsFileTime") : NULL;
    fn = p ? (SystemTimeFn)(void (*)(void))p : GetSystemTimeAsFileTime;
  }
  FILETIME ft;
  fn(&ft);
  unsigned long long t = ((unsigned long long)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
  return (t - 116444736000000000ULL) / 10ULL;
}

void log_json(const char *fmt, ...) {
  char inner[4096];
  char line[4200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(inner, sizeof inner, fmt, ap);
  va_end(ap);
  snprintf(line, sizeof line, "{\"t\":%lu,\"us\":%llu,%s}", (unsigned long)(GetTickCount() - g.startTick), now_us(), inner);
  channel_send_line(line);
}

void log_json_last(const char *fmt, ...) {
  char inner[4096];
  char line[4200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(inner, sizeof inner, fmt, ap);
  va_end(ap);
  snprintf(line, sizeof line, "{\"t\":%lu,\"us\":%llu,%s}", (unsigned long)(GetTickCount() - g.startTick), now_us(), inner);
  channel_send_last_line(line);
}

/* One per connection; ends when the test (or "bye") closes it. Holds a reference to the DLL. */
static DWORD WINAPI reader_thread(LPVOID arg) {
  SOCKET s = (SOCKET)(UINT_PTR)arg;
  char buf[8192];
  size_t have = 0;
  for (;;) {
    int n = recv(s, buf + have, (int)(sizeof buf - 1 - have), 0);
    if (n <= 0) break;
    have += (size_t)n;
    buf[have] = 0;
    char *start = buf;
    char *nl;
    while ((nl = strchr(start, '\n')) != NULL) {
      *nl = 0;
      if (nl > start && nl[-1] == '\r') nl[-1] = 0;
      if (*start) script_execute(start);
      start = nl + 1;
    }
    have = strlen(start);
    memmove(buf, start, have + 1);
    if (have >= sizeof buf - 1) have = 0; /* overlong line: drop it */
  }
  EnterCriticalSection(&s_sendLock);
  if (s_sock == s) {
    s_connected = 0;
    closesocket(s_sock);
    s_sock = INVALID_SOCKET;
  }
  LeaveCriticalSection(&s_sendLock);
  fake_thread_exit(); /* drops the reference taken for this thread: the DLL may go away now */
}

int channel_connect_if_configured(void) {
  if (channel_is_connected()) return 0;
  const char *portStr = getenv("FAKE_TAPI_PORT");
  if (!portStr || !*portStr) return 0;
  int port = atoi(portStr);
  if (port <= 0 || port > 65535) return 0;
  if (!s_wsaDone) {
    WSADATA wsa;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) return 0;
    s_wsaDone = 1;
  }
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (s == INVALID_SOCKET) return 0;
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((u_short)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(s, (struct sockaddr *)&addr, sizeof addr) != 0) {
    closesocket(s);
    return 0;
  }
  int one = 1;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
  if (!fake_module_ref()) {
    closesocket(s);
    return 0;
  }
  EnterCriticalSection(&s_sendLock);
  s_sock = s;
  s_connected = 1;
  LeaveCriticalSection(&s_sendLock);
  HANDLE t = CreateThread(NULL, 0, reader_thread, (LPVOID)(UINT_PTR)s, 0, NULL);
  if (!t) {
    channel_disconnect(); /* a channel nobody reads would block the handshake */
    fake_module_unref();
    return 0;
  }
  CloseHandle(t);
  return 1;
}

void channel_cleanup(void) {
  if (!s_initDone) return;
  if (s_connected) closesocket(s_sock); /* cannot happen while the reader runs (it holds the DLL) */
  s_connected = 0;
  s_sock = INVALID_SOCKET;
  if (s_logFile) fclose(s_logFile);
  s_logFile = NULL;
  DeleteCriticalSection(&s_sendLock);
  s_initDone = 0;
  /* No WSACleanup: it must not be called from DllMain. WSAStartup's count stays one higher. */
}
