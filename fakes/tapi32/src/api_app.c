/* Exported TAPI functions for the app instance and devices: lineInitializeExW, lineShutdown,
 * lineGetMessage, lineNegotiateAPIVersion, lineGetDevCapsW, lineGetAddressCapsW. */
#include "api_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void parse_env_lines(void) {
  /* FAKE_TAPI_LINES="Name=address[=maxver[=provider]];..." (for in-process tests without a script) */
  const char *env = getenv("FAKE_TAPI_LINES");
  if (!env || !*env || g.numLines > 0) return;
  char buf[4096];
  lstrcpynA(buf, env, sizeof buf);
  char *save = NULL;
  for (char *item = strtok_s(buf, ";", &save); item; item = strtok_s(NULL, ";", &save)) {
    char *parts[4] = {item, NULL, NULL, NULL};
    for (int i = 1; i < 4; ++i) {
      char *eq = parts[i - 1] ? strchr(parts[i - 1], '=') : NULL;
      if (!eq) break;
      *eq = 0;
      parts[i] = eq + 1;
    }
    add_line(parts[0], parts[1], parts[2] ? (DWORD)strtoul(parts[2], NULL, 0) : 0, parts[3]);
  }
  g.ready = 1;
}

static void say_hello(void) {
  WCHAR exeW[MAX_PATH] = L"", dllW[MAX_PATH] = L"";
  char exe[MAX_PATH * 3], dll[MAX_PATH * 3], exeJ[MAX_PATH * 6], dllJ[MAX_PATH * 6];
  HMODULE self = NULL;
  GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                     (LPCWSTR)(void *)say_hello, &self);
  GetModuleFileNameW(NULL, exeW, MAX_PATH);
  GetModuleFileNameW(self, dllW, MAX_PATH);
  utf16_to_utf8(exeW, exe, sizeof exe);
  utf16_to_utf8(dllW, dll, sizeof dll);
  json_escape(exeJ, sizeof exeJ, exe);
  json_escape(dllJ, sizeof dllJ, dll);
  log_json("\"ev\":\"hello\",\"pid\":%lu,\"exe\":\"%s\",\"dll\":\"%s\",\"attach\":%lu,\"ptrSize\":%d,"
           "\"sizeofLINEMESSAGE\":%d,\"sizeofLINEINITIALIZEEXPARAMS\":%d",
           (unsigned long)GetCurrentProcessId(), exeJ, dllJ, (unsigned long)g.attachCount, (int)sizeof(void *),
           (int)sizeof(LINEMESSAGE), (int)sizeof(LINEINITIALIZEEXPARAMS));
}

/* Connects to the test (first initialisation, or after the test closed the previous connection)
 * and waits for its line declarations and "ready". */
static LONG handshake(void) {
  int fresh = channel_connect_if_configured();
  if (fresh) {
    EnterCriticalSection(&g.lock);
    reset_model();
    LeaveCriticalSection(&g.lock);
    say_hello();
  }
  EnterCriticalSection(&g.lock);
  parse_env_lines();
  int needWait = !g.ready && channel_is_connected();
  if (!g.ready && !channel_is_connected()) g.ready = 1; /* no script: whatever lines exist */
  LeaveCriticalSection(&g.lock);
  if (!needWait) return 0;
  const char *t = getenv("FAKE_TAPI_READY_TIMEOUT_MS");
  DWORD timeout = t && *t ? (DWORD)strtoul(t, NULL, 10) : 15000;
  if (WaitForSingleObject(g.readyEvent, timeout) != WAIT_OBJECT_0) {
    log_json("\"ev\":\"error\",\"what\":\"no ready from the test within %lu ms\"", (unsigned long)timeout);
    return (LONG)LINEERR_NODRIVER;
  }
  return 0;
}

LONG WINAPI lineInitializeExW(LPHLINEAPP lphLineApp, HINSTANCE hInstance, LINECALLBACK lpfnCallback,
                              LPCWSTR lpszFriendlyAppName, LPDWORD lpdwNumDevs, LPDWORD lpdwAPIVersion,
                              LPLINEINITIALIZEEXPARAMS params) {
  (void)hInstance;
  (void)lpfnCallback;
  LONG hs = handshake();
  char name[STR_MAX] = "", nameJ[STR_MAX * 2];
  utf16_to_utf8(lpszFriendlyAppName, name, sizeof name);
  json_escape(nameJ, sizeof nameJ, name);
  EnterCriticalSection(&g.lock);
  LONG rc = hs;
  DWORD opts = 0;
  if (rc == 0 && (!lphLineApp || !lpdwNumDevs || !lpdwAPIVersion || !params)) rc = (LONG)LINEERR_INVALPOINTER;
  if (rc == 0 && params->dwTotalSize < sizeof(LINEINITIALIZEEXPARAMS)) rc = (LONG)LINEERR_STRUCTURETOOSMALL;
  if (rc == 0) {
    opts = params->dwOptions;
    if (opts != LINEINITIALIZEEXOPTION_USEEVENT && opts != LINEINITIALIZEEXOPTION_USECOMPLETIONPORT)
      rc = (LONG)LINEERR_INVALPARAM; /* the hidden-window mechanism is not modelled */
  }
  if (rc == 0) rc = sync_fail("lineInitializeExW");
  int a = -1;
  if (rc == 0) {
    for (int i = 0; i < MAX_APPS; ++i)
      if (!g.apps[i].used) {
        a = i;
        break;
      }
    if (a < 0) rc = (LONG)LINEERR_NOMEM;
  }
  if (rc == 0) {
    FakeApp *ap = &g.apps[a];
    memset(ap, 0, sizeof *ap);
    ap->used = 1;
    ap->alive = 1;
    ap->handle = g.nextApp++;
    ap->options = opts;
    lstrcpynA(ap->name, name, STR_MAX);
    if (opts == LINEINITIALIZEEXOPTION_USEEVENT) {
      ap->event = CreateEventW(NULL, TRUE, FALSE, NULL);
      params->Handles.hEvent = ap->event;
    } else {
      ap->port = params->Handles.hCompletionPort;
      ap->completionKey = params->dwCompletionKey;
    }
    params->dwNeededSize = sizeof(LINEINITIALIZEEXPARAMS);
    params->dwUsedSize = sizeof(LINEINITIALIZEEXPARAMS);
    *lphLineApp = ap->handle;
    *lpdwNumDevs = (DWORD)g.numLines;
    *lpdwAPIVersion = 0x00030001;
    worker_start();
  }
  api_log("lineInitializeExW", rc, "\"appName\":\"%s\",\"options\":%lu,\"hLineApp\":\"0x%08lx\",\"numDevs\":%d", nameJ,
          (unsigned long)opts, a >= 0 && rc == 0 ? (unsigned long)g.apps[a].handle : 0ul, g.numLines);
  LeaveCriticalSection(&g.lock);
  return rc;
}

LONG WINAPI lineShutdown(HLINEAPP hLineApp) {
  faults_maybe_hang("lineShutdown");
  EnterCriticalSection(&g.lock);
  int a = app_index(hLineApp);
  LONG rc = a < 0 ? (LONG)LINEERR_INVALAPPHANDLE : sync_fail("lineShutdown");
  if (rc == 0) shutdown_app(a);
  api_log("lineShutdown", rc, "\"hLineApp\":\"0x%08lx\"", (unsigned long)hLineApp);
  LeaveCriticalSection(&g.lock);
  return rc;
}

static void release_app_if_unused(int a) {
  FakeApp *ap = &g.apps[a];
  if (ap->alive || ap->waiters > 0) return;
  if (ap->event) CloseHandle(ap->event);
  ap->event = NULL;
  free(ap->queue);
  ap->queue = NULL;
  ap->qcap = 0;
  ap->used = 0;
}

LONG WINAPI lineGetMessage(HLINEAPP hLineApp, LPLINEMESSAGE lpMessage, DWORD dwTimeout) {
  EnterCriticalSection(&g.lock);
  int a = app_index(hLineApp);
  LONG rc = 0;
  if (a < 0) rc = (LONG)LINEERR_INVALAPPHANDLE;
  else if (!lpMessage) rc = (LONG)LINEERR_INVALPOINTER;
  else if (g.apps[a].options != LINEINITIALIZEEXOPTION_USEEVENT) rc = (LONG)LINEERR_INVALAPPHANDLE;
  if (rc != 0) {
    api_log("lineGetMessage", rc, "\"hLineApp\":\"0x%08lx\"", (unsigned long)hLineApp);
    LeaveCriticalSection(&g.lock);
    return rc;
  }
  DWORD start = GetTickCount();
  for (;;) {
    FakeApp *ap = &g.apps[a];
    if (!ap->alive) {
      rc = (LONG)LINEERR_INVALAPPHANDLE;
      release_app_if_unused(a);
      break;
    }
    if (ap->qlen > 0) {
      *lpMessage = ap->queue[0];
      memmove(ap->queue, ap->queue + 1, (size_t)(ap->qlen - 1) * sizeof(LINEMESSAGE));
      if (--ap->qlen == 0) ResetEvent(ap->event);
      rc = 0;
      break;
    }
    DWORD elapsed = GetTickCount() - start;
    if (dwTimeout != INFINITE && elapsed >= dwTimeout) {
      rc = (LONG)LINEERR_OPERATIONFAILED;
      if (g.logEmptyGetMessage) api_log("lineGetMessage", rc, "\"timeout\":%lu", (unsigned long)dwTimeout);
      break;
    }
    HANDLE ev = ap->event;
    ap->waiters++;
    LeaveCriticalSection(&g.lock);
    WaitForSingleObject(ev, dwTimeout == INFINITE ? INFINITE : dwTimeout - elapsed);
    EnterCriticalSection(&g.lock);
    g.apps[a].waiters--;
  }
  if (rc == (LONG)LINEERR_INVALAPPHANDLE) api_log("lineGetMessage", rc, "\"hLineApp\":\"0x%08lx\"", (unsigned long)hLineApp);
  LeaveCriticalSection(&g.lock);
  return rc;
}

static LONG check_device(HLINEAPP hLineApp, DWORD dev) {
  if (app_index(hLineApp) < 0) return (LONG)LINEERR_INVALAPPHANDLE;
  if (dev >= (DWORD)g.numLines) return (LONG)LINEERR_BADDEVICEID;
  if (g.lines[dev].removed) return (LONG)LINEERR_NODEVICE;
  return 0;
}

static LONG check_version(DWORD dev, DWORD ver) {
  if (ver < 0x00010003 || ver > g.lines[dev].maxVersion) return (LONG)LINEERR_INCOMPATIBLEAPIVERSION;
  return 0;
}

LONG WINAPI lineNegotiateAPIVersion(HLINEAPP hLineApp, DWORD dwDeviceID, DWORD dwAPILowVersion,
                                    DWORD dwAPIHighVersion, LPDWORD lpdwAPIVersion, LPLINEEXTENSIONID lpExtensionID) {
  EnterCriticalSection(&g.lock);
  LONG rc = check_device(hLineApp, dwDeviceID);
  DWORD v = 0;
  if (rc == 0 && !lpdwAPIVersion) rc = (LONG)LINEERR_INVALPOINTER;
  if (rc == 0) {
    v = dwAPIHighVersion < g.lines[dwDeviceID].maxVersion ? dwAPIHighVersion : g.lines[dwDeviceID].maxVersion;
    if (dwAPILowVersion > dwAPIHighVersion || v < dwAPILowVersion || v < 0x00010003)
      rc = (LONG)LINEERR_INCOMPATIBLEAPIVERSION;
  }
  if (rc == 0) rc = sync_fail("lineNegotiateAPIVersion");
  if (rc == 0) {
    *lpdwAPIVersion = v;
    if (lpExtensionID) memset(lpExtensionID, 0, sizeof *lpExtensionID);
  }
  api_log("lineNegotiateAPIVersion", rc, "\"dev\":%lu,\"low\":\"0x%08lx\",\"high\":\"0x%08lx\",\"version\":\"0x%08lx\"",
          (unsigned long)dwDeviceID, (unsigned long)dwAPILowVersion, (unsigned long)dwAPIHighVersion,
          (unsigned long)(rc == 0 ? v : 0));
  LeaveCriticalSection(&g.lock);
  return rc;
}

static DWORD devcaps_fixed(DWORD ver) {
  if (ver < 0x00020000) return offsetof(LINEDEVCAPS, dwSettableDevStatus);
  if (ver < 0x00020002) return offsetof(LINEDEVCAPS, PermanentLineGuid);
  if (ver < 0x00030000) return offsetof(LINEDEVCAPS, dwAddressTypes);
  return sizeof(LINEDEVCAPS);
}

LONG WINAPI lineGetDevCapsW(HLINEAPP hLineApp, DWORD dwDeviceID, DWORD dwAPIVersion, DWORD dwExtVersion,
                            LPLINEDEVCAPS caps) {
  (void)dwExtVersion;
  faults_maybe_hang("lineGetDevCapsW");
  EnterCriticalSection(&g.lock);
  LONG rc = check_device(hLineApp, dwDeviceID);
  if (rc == 0) rc = check_version(dwDeviceID, dwAPIVersion);
  if (rc == 0 && !caps) rc = (LONG)LINEERR_INVALPOINTER;
  DWORD fixed = devcaps_fixed(dwAPIVersion);
  if (rc == 0 && caps->dwTotalSize < fixed) rc = (LONG)LINEERR_STRUCTURETOOSMALL;
  if (rc == 0) rc = sync_fail("lineGetDevCapsW");
  if (rc == 0) {
    FakeLine *l = &g.lines[dwDeviceID];
    VarCtx v;
    var_init(&v, caps, fixed);
    var_str(&v, &caps->dwProviderInfoSize, &caps->dwProviderInfoOffset, l->provider);
    var_str(&v, &caps->dwLineNameSize, &caps->dwLineNameOffset, l->name);
    caps->dwPermanentLineID = l->permanentId;
    caps->dwStringFormat = g.devcapsStringFormat ? g.devcapsStringFormat : STRINGFORMAT_UNICODE;
    caps->dwAddressModes = LINEADDRESSMODE_ADDRESSID;
    caps->dwNumAddresses = 1;
    caps->dwBearerModes = LINEBEARERMODE_VOICE;
    caps->dwMediaModes = LINEMEDIAMODE_INTERACTIVEVOICE | LINEMEDIAMODE_UNKNOWN;
    caps->dwDevCapFlags = LINEDEVCAPFLAGS_CLOSEDROP;
    caps->dwMaxNumActiveCalls = 1;
    caps->dwAnswerMode = LINEANSWERMODE_HOLD;
    caps->dwLineStates = LINEDEVSTATE_RINGING | LINEDEVSTATE_CONNECTED | LINEDEVSTATE_DISCONNECTED |
                         LINEDEVSTATE_INSERVICE | LINEDEVSTATE_OUTOFSERVICE | LINEDEVSTATE_REINIT |
                         LINEDEVSTATE_CAPSCHANGE | LINEDEVSTATE_REMOVED;
    caps->dwLineFeatures = LINEFEATURE_MAKECALL;
    var_finish(&v);
    faults_corrupt_struct("lineGetDevCapsW", caps);
  }
  api_log("lineGetDevCapsW", rc, "\"dev\":%lu,\"version\":\"0x%08lx\",\"totalSize\":%lu,\"neededSize\":%lu",
          (unsigned long)dwDeviceID, (unsigned long)dwAPIVersion, caps ? (unsigned long)caps->dwTotalSize : 0ul,
          rc == 0 ? (unsigned long)caps->dwNeededSize : 0ul);
  LeaveCriticalSection(&g.lock);
  return rc;
}

LONG WINAPI lineGetAddressCapsW(HLINEAPP hLineApp, DWORD dwDeviceID, DWORD dwAddressID, DWORD dwAPIVersion,
                                DWORD dwExtVersion, LPLINEADDRESSCAPS caps) {
  (void)dwExtVersion;
  EnterCriticalSection(&g.lock);
  LONG rc = check_device(hLineApp, dwDeviceID);
  if (rc == 0) rc = check_version(dwDeviceID, dwAPIVersion);
  if (rc == 0 && dwAddressID != 0) rc = (LONG)LINEERR_INVALADDRESSID;
  if (rc == 0 && !caps) rc = (LONG)LINEERR_INVALPOINTER;
  DWORD fixed = dwAPIVersion < 0x00020000 ? offsetof(LINEADDRESSCAPS, dwPredictiveAutoTransferStates)
                                          : sizeof(LINEADDRESSCAPS);
  if (rc == 0 && caps->dwTotalSize < fixed) rc = (LONG)LINEERR_STRUCTURETOOSMALL;
  if (rc == 0) rc = sync_fail("lineGetAddressCapsW");
  if (rc == 0) {
    FakeLine *l = &g.lines[dwDeviceID];
    VarCtx v;
    var_init(&v, caps, fixed);
    caps->dwLineDeviceID = dwDeviceID;
    var_str(&v, &caps->dwAddressSize, &caps->dwAddressOffset, l->address);
    caps->dwAddressSharing = LINEADDRESSSHARING_PRIVATE;
    caps->dwCallerIDFlags = LINECALLPARTYID_ADDRESS | LINECALLPARTYID_NAME | LINECALLPARTYID_BLOCKED |
                            LINECALLPARTYID_UNKNOWN;
    caps->dwCalledIDFlags = caps->dwCallerIDFlags;
    caps->dwConnectedIDFlags = caps->dwCallerIDFlags;
    caps->dwCallStates = 0xFFFF;
    caps->dwDisconnectModes = LINEDISCONNECTMODE_NORMAL | LINEDISCONNECTMODE_BUSY | LINEDISCONNECTMODE_NOANSWER |
                              LINEDISCONNECTMODE_REJECT | LINEDISCONNECTMODE_PICKUP | LINEDISCONNECTMODE_UNKNOWN;
    caps->dwMaxNumActiveCalls = 1;
    caps->dwAddrCapFlags = LINEADDRCAPFLAGS_DIALED;
    caps->dwCallFeatures = LINECALLFEATURE_ANSWER | LINECALLFEATURE_DROP;
    caps->dwAddressFeatures = LINEADDRFEATURE_MAKECALL;
    var_finish(&v);
    faults_corrupt_struct("lineGetAddressCapsW", caps);
  }
  api_log("lineGetAddressCapsW", rc, "\"dev\":%lu,\"addressId\":%lu,\"totalSize\":%lu", (unsigned long)dwDeviceID,
          (unsigned long)dwAddressID, caps ? (unsigned long)caps->dwTotalSize : 0ul);
  LeaveCriticalSection(&g.lock);
  return rc;
}
