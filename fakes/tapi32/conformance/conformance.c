/*
 * Conformance checks of the fake tapi32.dll against the documented TAPI 2.x rules that do not need a
 * script (scripted behaviour is checked from Linux through the PbxDriver, see
 * test/wine/telephony.wine.test.ts).
 *
 * Run: WINEDLLOVERRIDES=tapi32=n FAKE_TAPI_LINES="Wildix 201=201;Old=300=0x10004" wine conformance.exe <dll>
 * The last part (module lifetime) plays the test's script server itself on a loopback port.
 * Prints one "ok N - ..." / "not ok N - ..." line per check and exits 0 only when all pass.
 */
#define WIN32_LEAN_AND_MEAN
#include <winsock2.h>
#include <windows.h>
#include <tapi.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

typedef LONG(WINAPI *PInit)(LPHLINEAPP, HINSTANCE, LINECALLBACK, LPCWSTR, LPDWORD, LPDWORD, LPLINEINITIALIZEEXPARAMS);
typedef LONG(WINAPI *PShutdown)(HLINEAPP);
typedef LONG(WINAPI *PGetMessage)(HLINEAPP, LPLINEMESSAGE, DWORD);
typedef LONG(WINAPI *PNegotiate)(HLINEAPP, DWORD, DWORD, DWORD, LPDWORD, LPLINEEXTENSIONID);
typedef LONG(WINAPI *PDevCaps)(HLINEAPP, DWORD, DWORD, DWORD, LPLINEDEVCAPS);
typedef LONG(WINAPI *PAddrCaps)(HLINEAPP, DWORD, DWORD, DWORD, DWORD, LPLINEADDRESSCAPS);
typedef LONG(WINAPI *POpen)(HLINEAPP, DWORD, LPHLINE, DWORD, DWORD, DWORD_PTR, DWORD, DWORD, LPLINECALLPARAMS);
typedef LONG(WINAPI *PClose)(HLINE);
typedef LONG(WINAPI *PMakeCall)(HLINE, LPHCALL, LPCWSTR, DWORD, LPLINECALLPARAMS);
typedef LONG(WINAPI *PCallOp)(HCALL, LPCSTR, DWORD);
typedef LONG(WINAPI *PDealloc)(HCALL);
typedef LONG(WINAPI *PCallInfo)(HCALL, LPLINECALLINFO);
typedef LONG(WINAPI *PCallStatus)(HCALL, LPLINECALLSTATUS);
typedef LONG(WINAPI *PNewCalls)(HLINE, DWORD, DWORD, LPLINECALLLIST);
typedef LONG(WINAPI *PNoArgs)(void);

static int g_n = 0, g_failed = 0;

static void check(int ok, const char *what) {
  ++g_n;
  if (!ok) ++g_failed;
  printf("%s %d - %s\n", ok ? "ok" : "not ok", g_n, what);
  fflush(stdout);
}

static HMODULE g_dll;
static void *need(const char *name) {
  FARPROC p = GetProcAddress(g_dll, name);
  if (!p) {
    printf("Bail out! export %s missing\n", name);
    exit(2);
  }
  void *v;
  memcpy(&v, &p, sizeof v);
  return v;
}

static PGetMessage pGetMessage;
static HLINEAPP g_blockedApp;
static volatile LONG g_blockedRc = 1;
static DWORD WINAPI blocked_getmessage(LPVOID arg) {
  (void)arg;
  LINEMESSAGE m;
  g_blockedRc = pGetMessage(g_blockedApp, &m, INFINITE);
  return 0;
}

/* Next message, waiting up to 2 s on the event as a client would. */
static int next_msg(HLINEAPP app, HANDLE ev, LINEMESSAGE *m) {
  for (int i = 0; i < 40; ++i) {
    if (pGetMessage(app, m, 0) == 0) return 1;
    WaitForSingleObject(ev, 50);
  }
  return 0;
}

static int wstr_eq(const void *base, DWORD off, DWORD size, DWORD used, const wchar_t *expect) {
  if (size == 0 || off + size > used) return 0;
  if (size != (wcslen(expect) + 1) * sizeof(wchar_t)) return 0;
  return memcmp((const BYTE *)base + off, expect, size) == 0;
}

/* ---- module lifetime: a minimal script server on 127.0.0.1 ------------------------------------ */

static SOCKET g_listen = INVALID_SOCKET, g_peer = INVALID_SOCKET;
static CRITICAL_SECTION g_logLock;
static char g_log[65536];
static size_t g_logLen;
static volatile LONG g_peerClosed;

static DWORD WINAPI script_server(LPVOID arg) {
  (void)arg;
  SOCKET s = accept(g_listen, NULL, NULL);
  if (s == INVALID_SOCKET) return 0;
  g_peer = s;
  char buf[4096];
  int n;
  while ((n = recv(s, buf, sizeof buf, 0)) > 0) {
    EnterCriticalSection(&g_logLock);
    if (g_logLen + (size_t)n < sizeof g_log) {
      memcpy(g_log + g_logLen, buf, (size_t)n);
      g_logLen += (size_t)n;
      g_log[g_logLen] = 0;
    }
    LeaveCriticalSection(&g_logLock);
  }
  InterlockedExchange(&g_peerClosed, 1);
  return 0;
}

static int log_has(const char *needle) {
  EnterCriticalSection(&g_logLock);
  int found = strstr(g_log, needle) != NULL;
  LeaveCriticalSection(&g_logLock);
  return found;
}

static int wait_until(int (*pred)(const char *), const char *arg, DWORD ms) {
  for (DWORD waited = 0; waited <= ms; waited += 20) {
    if (pred(arg)) return 1;
    Sleep(20);
  }
  return 0;
}

static int peer_closed(const char *unused) {
  (void)unused;
  return g_peerClosed != 0;
}

/* Still mapped? (any address inside the DLL; no reference taken) */
static int dll_loaded(const char *addr) {
  HMODULE h = NULL;
  return GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                            (LPCWSTR)addr, &h) && h != NULL;
}
static int dll_gone(const char *addr) { return !dll_loaded(addr); }

static int command(const char *line, const char *expectInLog) {
  send(g_peer, line, (int)strlen(line), 0);
  return wait_until(log_has, expectInLog, 3000);
}

/* FreeLibrary right after lineShutdown while the DLL's own threads are still in it (the worker in a
 * timed wait for a cancelled reply, the script-channel reader in recv): nothing may crash, the DLL
 * stays until its last thread has left, and a new load works. Returns 0 when the server failed. */
static int module_lifetime(const wchar_t *path, PInit pInit, PShutdown pShutdown, POpen pOpen, PMakeCall pMakeCall) {
  WSADATA wsa;
  if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) return 0;
  InitializeCriticalSection(&g_logLock);
  g_listen = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int len = sizeof addr;
  if (g_listen == INVALID_SOCKET || bind(g_listen, (struct sockaddr *)&addr, sizeof addr) != 0 ||
      listen(g_listen, 1) != 0 || getsockname(g_listen, (struct sockaddr *)&addr, &len) != 0)
    return 0;
  char env[64];
  snprintf(env, sizeof env, "FAKE_TAPI_PORT=%u", (unsigned)ntohs(addr.sin_port));
  _putenv(env); /* the DLL shares this CRT's environment */
  HANDLE server = CreateThread(NULL, 0, script_server, NULL, 0, NULL);
  if (!server) return 0;

  HLINEAPP app = 0;
  DWORD numDevs = 0, apiVer = 0x00020002;
  LINEINITIALIZEEXPARAMS params;
  memset(&params, 0, sizeof params);
  params.dwTotalSize = sizeof params;
  params.dwOptions = LINEINITIALIZEEXOPTION_USEEVENT;
  LONG rc = pInit(&app, NULL, NULL, L"lifetime", &numDevs, &apiVer, &params);
  check(rc == 0 && wait_until(log_has, "\"attach\":1,", 3000),
        "lineInitializeExW with FAKE_TAPI_PORT: connected, hello (attach 1)");
  HLINE line = 0;
  int ok = command("set\treply_delay_ms\t1500\n", "\"cmd\":\"set\"") &&
           pOpen(app, 0, &line, 0x00020002, 0, 0, LINECALLPRIVILEGE_OWNER, LINEMEDIAMODE_INTERACTIVEVOICE, NULL) == 0;
  HCALL call = 0;
  ok = ok && pMakeCall(line, &call, L"+4930123", 0, NULL) > 0 && pShutdown(app) == 0; /* reply still 1.5 s away */
  const char *inDll = (const char *)(void *)pInit;
  FreeLibrary(g_dll);
  check(ok && dll_loaded(inDll), "FreeLibrary after lineShutdown: the DLL stays while its script-channel thread runs");
  Sleep(1700); /* past the cancelled reply: a worker still waiting in unloaded code would crash now */
  check(command("ping\tafter-free\n", "\"token\":\"after-free\""), "the script channel still answers after FreeLibrary");
  send(g_peer, "bye\n", 4, 0);
  check(wait_until(peer_closed, NULL, 3000) && wait_until(dll_gone, inDll, 3000),
        "after bye the last thread has left the DLL and it is unloaded");
  WaitForSingleObject(server, 2000);
  closesocket(g_peer);
  closesocket(g_listen);

  _putenv("FAKE_TAPI_PORT=");
  g_dll = LoadLibraryW(path);
  PInit pInit2 = g_dll ? (PInit)need("lineInitializeExW") : NULL;
  PShutdown pShutdown2 = g_dll ? (PShutdown)need("lineShutdown") : NULL;
  app = 0;
  rc = pInit2 ? pInit2(&app, NULL, NULL, L"lifetime2", &numDevs, &apiVer, &params) : -1;
  check(rc == 0 && numDevs == 2 && pShutdown2(app) == 0, "loaded again: a fresh fake that works");
  inDll = (const char *)(void *)pInit2;
  FreeLibrary(g_dll);
  check(wait_until(dll_gone, inDll, 3000), "lineShutdown + FreeLibrary: unloaded once the worker has ended");
  return 1;
}

int main(int argc, char **argv) {
  wchar_t path[MAX_PATH] = L"tapi32.dll";
  if (argc > 1) MultiByteToWideChar(CP_UTF8, 0, argv[1], -1, path, MAX_PATH);
  g_dll = LoadLibraryW(path);
  if (!g_dll) {
    printf("Bail out! cannot load %ls (error %lu)\n", path, GetLastError());
    return 2;
  }
  PInit pInit = (PInit)need("lineInitializeExW");
  PShutdown pShutdown = (PShutdown)need("lineShutdown");
  pGetMessage = (PGetMessage)need("lineGetMessage");
  PNegotiate pNegotiate = (PNegotiate)need("lineNegotiateAPIVersion");
  PDevCaps pDevCaps = (PDevCaps)need("lineGetDevCapsW");
  PAddrCaps pAddrCaps = (PAddrCaps)need("lineGetAddressCapsW");
  POpen pOpen = (POpen)need("lineOpenW");
  PClose pClose = (PClose)need("lineClose");
  PMakeCall pMakeCall = (PMakeCall)need("lineMakeCallW");
  PCallOp pAnswer = (PCallOp)need("lineAnswer");
  PCallOp pDrop = (PCallOp)need("lineDrop");
  PDealloc pDealloc = (PDealloc)need("lineDeallocateCall");
  PCallInfo pCallInfo = (PCallInfo)need("lineGetCallInfoW");
  PCallStatus pCallStatus = (PCallStatus)need("lineGetCallStatus");
  PNewCalls pNewCalls = (PNewCalls)need("lineGetNewCalls");
  PNoArgs pHold = (PNoArgs)need("lineHold");

  check(sizeof(LINEMESSAGE) == 40 && sizeof(LINEINITIALIZEEXPARAMS) == 28, "packed x64 sizes: LINEMESSAGE 40, LINEINITIALIZEEXPARAMS 28");

  HLINEAPP app = 0;
  DWORD numDevs = 0, apiVer = 0x00020002;
  LINEINITIALIZEEXPARAMS params;
  memset(&params, 0, sizeof params);
  params.dwTotalSize = 20;
  params.dwOptions = LINEINITIALIZEEXOPTION_USEEVENT;
  check(pInit(&app, NULL, NULL, L"conformance", &numDevs, &apiVer, &params) == (LONG)LINEERR_STRUCTURETOOSMALL,
        "lineInitializeExW: params smaller than 28 bytes -> STRUCTURETOOSMALL");
  params.dwTotalSize = sizeof params;
  LONG rc = pInit(&app, NULL, NULL, L"conformance", &numDevs, &apiVer, &params);
  HANDLE ev = params.Handles.hEvent;
  check(rc == 0 && app != 0 && ev != NULL, "lineInitializeExW USEEVENT: hLineApp and event handle written");
  check(numDevs == 2, "lineInitializeExW: numDevs from FAKE_TAPI_LINES (2)");
  check(WaitForSingleObject(ev, 0) == WAIT_TIMEOUT, "event not signalled while the queue is empty");

  LINEMESSAGE m;
  check(pGetMessage(app, &m, 0) == (LONG)LINEERR_OPERATIONFAILED, "lineGetMessage(0) on empty queue -> OPERATIONFAILED");
  DWORD t0 = GetTickCount();
  rc = pGetMessage(app, &m, 60);
  check(rc == (LONG)LINEERR_OPERATIONFAILED && GetTickCount() - t0 >= 40, "lineGetMessage(60 ms) times out -> OPERATIONFAILED");

  DWORD ver = 0;
  LINEEXTENSIONID ext;
  check(pNegotiate(app, 0, 0x00020000, 0x00020002, &ver, &ext) == 0 && ver == 0x00020002,
        "lineNegotiateAPIVersion 2.0..2.2 -> 2.2");
  check(pNegotiate(app, 1, 0x00020000, 0x00020002, &ver, &ext) == (LONG)LINEERR_INCOMPATIBLEAPIVERSION,
        "lineNegotiateAPIVersion on a 1.4-only line -> INCOMPATIBLEAPIVERSION");
  check(pNegotiate(app, 7, 0x00020000, 0x00020002, &ver, &ext) == (LONG)LINEERR_BADDEVICEID,
        "lineNegotiateAPIVersion on device 7 -> BADDEVICEID");

  /* Variable-size rules on LINEDEVCAPS (fixed part for 2.2 ends at dwAddressTypes). */
  const DWORD fixed = offsetof(LINEDEVCAPS, dwAddressTypes);
  BYTE buf[2048];
  LINEDEVCAPS *caps = (LINEDEVCAPS *)buf;
  memset(buf, 0xAB, sizeof buf);
  caps->dwTotalSize = 16;
  check(pDevCaps(app, 0, 0x00020002, 0, caps) == (LONG)LINEERR_STRUCTURETOOSMALL, "lineGetDevCapsW: 16 bytes -> STRUCTURETOOSMALL");
  memset(buf, 0xAB, sizeof buf);
  caps->dwTotalSize = fixed;
  rc = pDevCaps(app, 0, 0x00020002, 0, caps);
  check(rc == 0 && caps->dwUsedSize == fixed && caps->dwNeededSize > fixed, "lineGetDevCapsW fixed part only: rc 0, used = fixed, needed > used");
  check(caps->dwLineNameSize == 0 && caps->dwLineNameOffset == 0 && caps->dwProviderInfoSize == 0 &&
            caps->dwProviderInfoOffset == 0,
        "parts that do not fit have Size = Offset = 0");
  check(buf[fixed] == 0xAB && buf[fixed + 1] == 0xAB, "nothing written past dwTotalSize");
  DWORD needed = caps->dwNeededSize;
  memset(buf, 0xAB, sizeof buf);
  caps->dwTotalSize = needed - 2;
  rc = pDevCaps(app, 0, 0x00020002, 0, caps);
  check(rc == 0 && caps->dwNeededSize == needed && caps->dwUsedSize <= needed - 2 && buf[needed - 2] == 0xAB,
        "one byte pair short: some parts left out, still nothing past dwTotalSize");
  memset(buf, 0, sizeof buf);
  caps->dwTotalSize = needed;
  rc = pDevCaps(app, 0, 0x00020002, 0, caps);
  check(rc == 0 && caps->dwUsedSize == needed && caps->dwStringFormat == STRINGFORMAT_UNICODE,
        "retry with dwNeededSize: complete, UNICODE");
  check(wstr_eq(caps, caps->dwLineNameOffset, caps->dwLineNameSize, caps->dwUsedSize, L"Wildix 201"),
        "line name UTF-16, Size in bytes including the NUL");
  check(caps->dwPermanentLineID != 0 && caps->dwNumAddresses == 1, "permanent line id and one address");

  LINEADDRESSCAPS *acaps = (LINEADDRESSCAPS *)buf;
  memset(buf, 0, sizeof buf);
  acaps->dwTotalSize = sizeof buf;
  rc = pAddrCaps(app, 0, 0, 0x00020002, 0, acaps);
  check(rc == 0 && wstr_eq(acaps, acaps->dwAddressOffset, acaps->dwAddressSize, acaps->dwUsedSize, L"201"),
        "lineGetAddressCapsW: address \"201\"");

  HLINE line = 0;
  check(pOpen(app, 0, &line, 0x00020002, 0, 7, 8, LINEMEDIAMODE_INTERACTIVEVOICE, NULL) == (LONG)LINEERR_INVALPRIVSELECT,
        "lineOpenW with privilege 8 -> INVALPRIVSELECT");
  check(pOpen(app, 0, &line, 0x00020002, 0, 7, LINECALLPRIVILEGE_OWNER, 0, NULL) == (LONG)LINEERR_INVALMEDIAMODE,
        "lineOpenW OWNER without media mode -> INVALMEDIAMODE");
  rc = pOpen(app, 0, &line, 0x00020002, 0, 7, LINECALLPRIVILEGE_OWNER | LINECALLPRIVILEGE_MONITOR,
             LINEMEDIAMODE_INTERACTIVEVOICE, NULL);
  check(rc == 0 && line != 0, "lineOpenW OWNER|MONITOR, INTERACTIVEVOICE");

  HCALL call = 0;
  check(pMakeCall(line, &call, L"", 0, NULL) == (LONG)LINEERR_INVALADDRESS, "lineMakeCallW(\"\") -> INVALADDRESS");
  LONG req = pMakeCall(line, &call, L"+4930123", 0, NULL);
  check(req > 0 && call == 0, "lineMakeCallW: positive request id, *lphCall not written at return");
  int gotReply = next_msg(app, ev, &m);
  check(gotReply && m.dwMessageID == LINE_REPLY && m.dwParam1 == (DWORD_PTR)req && (LONG)m.dwParam2 == 0,
        "first message is LINE_REPLY(request id, 0)");
  check(call != 0, "*lphCall written by the time LINE_REPLY is read");
  check(m.dwCallbackInstance == 7, "dwCallbackInstance carried into LINE_REPLY");
  check(next_msg(app, ev, &m) && m.dwMessageID == LINE_CALLSTATE && m.hDevice == call && m.dwParam1 == LINECALLSTATE_DIALING,
        "then LINE_CALLSTATE DIALING on the new hCall");
  check(next_msg(app, ev, &m) && m.dwMessageID == LINE_CALLSTATE && m.dwParam1 == LINECALLSTATE_PROCEEDING,
        "then LINE_CALLSTATE PROCEEDING");
  check(WaitForSingleObject(ev, 0) == WAIT_TIMEOUT, "event reset once the queue is drained");

  LINECALLINFO *info = (LINECALLINFO *)buf;
  memset(buf, 0, sizeof buf);
  info->dwTotalSize = sizeof(LINECALLINFO);
  rc = pCallInfo(call, info);
  check(rc == 0 && info->dwNeededSize > info->dwTotalSize && info->dwCalledIDSize == 0 && info->dwCalledIDOffset == 0,
        "lineGetCallInfoW fixed size: needed > total, CalledID left out");
  DWORD need2 = info->dwNeededSize;
  memset(buf, 0, sizeof buf);
  info->dwTotalSize = need2;
  rc = pCallInfo(call, info);
  check(rc == 0 && info->dwOrigin == LINECALLORIGIN_OUTBOUND && (info->dwCalledIDFlags & LINECALLPARTYID_ADDRESS) &&
            wstr_eq(info, info->dwCalledIDOffset, info->dwCalledIDSize, info->dwUsedSize, L"+4930123"),
        "lineGetCallInfoW: outbound, CalledID +4930123");
  check(info->dwCallID >= 1001 && info->hLine == line, "dwCallID and hLine filled");

  LINECALLSTATUS st;
  memset(&st, 0, sizeof st);
  st.dwTotalSize = sizeof st;
  check(pCallStatus(call, &st) == 0 && st.dwCallState == LINECALLSTATE_PROCEEDING &&
            st.dwCallPrivilege == LINECALLPRIVILEGE_OWNER && (st.dwCallFeatures & LINECALLFEATURE_DROP),
        "lineGetCallStatus: PROCEEDING, OWNER, DROP allowed");
  check(pAnswer(call, NULL, 0) == (LONG)LINEERR_INVALCALLSTATE, "lineAnswer on an outgoing call -> INVALCALLSTATE");

  LONG req2 = pDrop(call, NULL, 0);
  check(req2 > req, "lineDrop: request ids positive and increasing");
  check(next_msg(app, ev, &m) && m.dwMessageID == LINE_REPLY && m.dwParam1 == (DWORD_PTR)req2 && m.dwParam2 == 0,
        "LINE_REPLY for lineDrop");
  check(next_msg(app, ev, &m) && m.dwMessageID == LINE_CALLSTATE && m.dwParam1 == LINECALLSTATE_IDLE, "then IDLE");
  check(pDealloc(call) == 0, "lineDeallocateCall on IDLE -> 0");
  check(pDealloc(call) == (LONG)LINEERR_INVALCALLHANDLE, "second lineDeallocateCall -> INVALCALLHANDLE");

  LINECALLLIST *list = (LINECALLLIST *)buf;
  memset(buf, 0, sizeof buf);
  list->dwTotalSize = sizeof buf;
  check(pNewCalls(line, 0, LINECALLSELECT_LINE, list) == 0 && list->dwCallsNumEntries == 0, "lineGetNewCalls: no calls");
  check(pHold() == (LONG)LINEERR_OPERATIONUNAVAIL, "unimplemented export (lineHold) -> OPERATIONUNAVAIL, no crash");

  check(pClose(line) == 0, "lineClose");
  check(pClose(line) == (LONG)LINEERR_INVALLINEHANDLE, "lineClose again -> INVALLINEHANDLE");
  check(pShutdown(app) == 0, "lineShutdown");
  check(pGetMessage(app, &m, 0) == (LONG)LINEERR_INVALAPPHANDLE, "lineGetMessage after lineShutdown -> INVALAPPHANDLE");
  check(pShutdown(app) == (LONG)LINEERR_INVALAPPHANDLE, "lineShutdown again -> INVALAPPHANDLE");

  /* A thread blocked in lineGetMessage(INFINITE) returns INVALAPPHANDLE when another thread shuts down. */
  params.dwTotalSize = sizeof params;
  rc = pInit(&g_blockedApp, NULL, NULL, L"conformance2", &numDevs, &apiVer, &params);
  HANDLE th = CreateThread(NULL, 0, blocked_getmessage, NULL, 0, NULL);
  Sleep(100);
  pShutdown(g_blockedApp);
  DWORD w = WaitForSingleObject(th, 2000);
  check(rc == 0 && w == WAIT_OBJECT_0 && g_blockedRc == (LONG)LINEERR_INVALAPPHANDLE,
        "blocked lineGetMessage(INFINITE) returns INVALAPPHANDLE on lineShutdown");

  if (!module_lifetime(path, pInit, pShutdown, pOpen, pMakeCall)) {
    printf("Bail out! no loopback script server for the module lifetime checks (error %d)\n", WSAGetLastError());
    return 2;
  }

  printf("1..%d\n# %d failed\n", g_n, g_failed);
  return g_failed ? 1 : 0;
}
