/* Exported TAPI functions on calls: lineMakeCallW, lineAnswer, lineDrop, lineDeallocateCall,
 * lineGetCallInfoW, lineGetCallStatus, lineSetCallPrivilege. */
#include "api_common.h"

#include <string.h>

#define MAX_DEST_CHARS 80 /* TAPIMAXDESTADDRESSSIZE */

/* Dialable address format: digits, A-D, * # +, the modifiers ! P T , W @ $ ? ; and spaces; a
 * subaddress after '|' and a name after '^' are not checked. */
static int dialable(const WCHAR *s) {
  for (; *s && *s != L'|' && *s != L'^'; ++s) {
    WCHAR c = *s;
    if ((c >= L'0' && c <= L'9') || (c >= L'A' && c <= L'D') || (c >= L'a' && c <= L'd')) continue;
    if (wcschr(L"*#+!PpTtWw,@$?; ", c) == NULL) return 0;
  }
  return 1;
}

/* Async result for fn: an injected failure, "never" (no reply), or success. */
static LONG async_result(const char *fn, int *never) {
  int found = 0;
  LONG code = take_fail(fn, 1, &found);
  if (found) return code;
  take_fail(fn, 2, never);
  return 0;
}

LONG WINAPI lineMakeCallW(HLINE hLine, LPHCALL lphCall, LPCWSTR lpszDestAddress, DWORD dwCountryCode,
                          LPLINECALLPARAMS const lpCallParams) {
  faults_maybe_hang("lineMakeCallW");
  EnterCriticalSection(&g.lock);
  char dest[STR_MAX * 2] = "", destJ[STR_MAX * 4];
  size_t destChars = lpszDestAddress ? wcslen(lpszDestAddress) : 0;
  if (lpszDestAddress && destChars < STR_MAX) utf16_to_utf8(lpszDestAddress, dest, sizeof dest);
  json_escape(destJ, sizeof destJ, dest);
  int o = open_index(hLine);
  LONG rc = 0;
  if (o < 0) rc = (LONG)LINEERR_INVALLINEHANDLE;
  else if (!lphCall) rc = (LONG)LINEERR_INVALPOINTER;
  else if (lpszDestAddress && (destChars == 0 || destChars > MAX_DEST_CHARS || !dialable(lpszDestAddress)))
    rc = (LONG)LINEERR_INVALADDRESS;
  if (rc == 0) rc = sync_fail("lineMakeCallW");
  int call = -1;
  if (rc == 0) {
    call = new_call(g.opens[o].dev);
    if (call < 0) rc = (LONG)LINEERR_CALLUNAVAIL;
  }
  if (rc == 0) {
    Call *c = &g.calls[call];
    FakeLine *l = &g.lines[c->dev];
    c->origin = LINECALLORIGIN_OUTBOUND;
    lstrcpynA(c->caller.number, l->address, STR_MAX);
    c->caller.flags = l->address[0] ? LINECALLPARTYID_ADDRESS : LINECALLPARTYID_UNKNOWN;
    lstrcpynA(c->called.number, dest, STR_MAX);
    c->called.flags = dest[0] ? LINECALLPARTYID_ADDRESS : LINECALLPARTYID_UNKNOWN;
    c->connected.flags = LINECALLPARTYID_UNKNOWN;
    c->redirecting.flags = LINECALLPARTYID_UNKNOWN;
    int never = 0;
    LONG result = async_result("lineMakeCallW", &never);
    DWORD id = new_request(REQ_MAKECALL, "lineMakeCallW", g.opens[o].app, o, call, -1, result, lphCall);
    if (id == 0) {
      c->used = 0;
      rc = (LONG)LINEERR_RESOURCEUNAVAIL;
    } else {
      rc = (LONG)id;
      if (never)
        for (int r = 0; r < MAX_REQUESTS; ++r)
          if (g.requests[r].used && g.requests[r].id == id) g.requests[r].due = 0xFFFFFFFFu;
    }
  }
  api_log("lineMakeCallW", rc, "\"hLine\":\"0x%08lx\",\"dest\":\"%s\",\"countryCode\":%lu,\"hasCallParams\":%d,\"call\":%lu",
          (unsigned long)hLine, destJ, (unsigned long)dwCountryCode, lpCallParams ? 1 : 0,
          call >= 0 && rc > 0 ? (unsigned long)g.calls[call].callId : 0ul);
  LeaveCriticalSection(&g.lock);
  return rc;
}

/* Shared by lineAnswer and lineDrop: owner check, state check, request. */
static LONG call_request(const char *fn, int kind, HCALL hCall) {
  EnterCriticalSection(&g.lock);
  int h = handle_index(hCall);
  LONG rc = 0;
  DWORD callId = 0;
  if (h < 0) rc = (LONG)LINEERR_INVALCALLHANDLE;
  else {
    Call *c = &g.calls[g.handles[h].call];
    callId = c->callId;
    if (g.handles[h].privilege != LINECALLPRIVILEGE_OWNER) rc = (LONG)LINEERR_NOTOWNER;
    else if (kind == REQ_ANSWER && c->state != LINECALLSTATE_OFFERING && c->state != LINECALLSTATE_ACCEPTED)
      rc = (LONG)LINEERR_INVALCALLSTATE;
    else if (kind == REQ_DROP && c->state == LINECALLSTATE_IDLE) rc = (LONG)LINEERR_INVALCALLSTATE;
  }
  if (rc == 0) rc = sync_fail(fn);
  if (rc == 0) {
    CallHandle *ch = &g.handles[h];
    int never = 0;
    LONG result = async_result(fn, &never);
    DWORD id = new_request(kind, fn, ch->app, ch->open, ch->call, h, result, NULL);
    rc = id ? (LONG)id : (LONG)LINEERR_RESOURCEUNAVAIL;
    if (id && never)
      for (int r = 0; r < MAX_REQUESTS; ++r)
        if (g.requests[r].used && g.requests[r].id == id) g.requests[r].due = 0xFFFFFFFFu;
  }
  api_log(fn, rc, "\"hCall\":\"0x%08lx\",\"call\":%lu", (unsigned long)hCall, (unsigned long)callId);
  LeaveCriticalSection(&g.lock);
  return rc;
}

LONG WINAPI lineAnswer(HCALL hCall, LPCSTR lpsUserUserInfo, DWORD dwSize) {
  (void)lpsUserUserInfo;
  (void)dwSize;
  return call_request("lineAnswer", REQ_ANSWER, hCall);
}

LONG WINAPI lineDrop(HCALL hCall, LPCSTR lpsUserUserInfo, DWORD dwSize) {
  (void)lpsUserUserInfo;
  (void)dwSize;
  return call_request("lineDrop", REQ_DROP, hCall);
}

LONG WINAPI lineDeallocateCall(HCALL hCall) {
  faults_maybe_hang("lineDeallocateCall");
  EnterCriticalSection(&g.lock);
  int h = handle_index(hCall);
  LONG rc = 0;
  DWORD callId = 0;
  DWORD state = 0;
  if (h < 0) rc = (LONG)LINEERR_INVALCALLHANDLE;
  else {
    CallHandle *ch = &g.handles[h];
    Call *c = &g.calls[ch->call];
    callId = c->callId;
    state = c->state;
    int soleOwner = ch->privilege == LINECALLPRIVILEGE_OWNER;
    for (int i = 0; soleOwner && i < MAX_HANDLES; ++i)
      if (i != h && g.handles[i].used && g.handles[i].call == ch->call &&
          g.handles[i].privilege == LINECALLPRIVILEGE_OWNER)
        soleOwner = 0;
    /* Before TAPI 2.0 the sole owner of a non-idle call may not deallocate (documented). */
    if (soleOwner && c->state != LINECALLSTATE_IDLE && g.opens[ch->open].version < 0x00020000)
      rc = (LONG)LINEERR_INVALCALLSTATE;
  }
  if (rc == 0) rc = sync_fail("lineDeallocateCall");
  api_log("lineDeallocateCall", rc, "\"hCall\":\"0x%08lx\",\"call\":%lu,\"state\":\"%s\"", (unsigned long)hCall,
          (unsigned long)callId, callstate_name(state));
  if (rc == 0) free_handle(h);
  LeaveCriticalSection(&g.lock);
  return rc;
}

static void put_party(VarCtx *v, const Party *p, DWORD *flags, DWORD *size, DWORD *off, DWORD *nameSize,
                      DWORD *nameOff) {
  *flags = p->flags;
  var_str(v, size, off, (p->flags & LINECALLPARTYID_ADDRESS) ? p->number : NULL);
  var_str(v, nameSize, nameOff, (p->flags & LINECALLPARTYID_NAME) ? p->name : NULL);
}

LONG WINAPI lineGetCallInfoW(HCALL hCall, LPLINECALLINFO info) {
  EnterCriticalSection(&g.lock);
  int h = handle_index(hCall);
  LONG rc = 0;
  DWORD fixed = 0;
  if (h < 0) rc = (LONG)LINEERR_INVALCALLHANDLE;
  else if (!info) rc = (LONG)LINEERR_INVALPOINTER;
  else {
    DWORD ver = g.opens[g.handles[h].open].version;
    fixed = ver < 0x00020000   ? offsetof(LINECALLINFO, dwCallTreatment)
            : ver < 0x00030000 ? offsetof(LINECALLINFO, dwCallerIDAddressType)
                               : sizeof(LINECALLINFO);
    if (info->dwTotalSize < fixed) rc = (LONG)LINEERR_STRUCTURETOOSMALL;
  }
  if (rc == 0) rc = sync_fail("lineGetCallInfoW");
  char callerJ[STR_MAX * 2] = "";
  if (rc == 0) {
    CallHandle *ch = &g.handles[h];
    Call *c = &g.calls[ch->call];
    OpenLine *ol = &g.opens[ch->open];
    VarCtx v;
    var_init(&v, info, fixed);
    info->hLine = ol->handle;
    info->dwLineDeviceID = (DWORD)c->dev;
    info->dwAddressID = c->addressId;
    info->dwBearerMode = LINEBEARERMODE_VOICE;
    info->dwMediaMode = LINEMEDIAMODE_INTERACTIVEVOICE;
    info->dwCallStates = 0xFFFF;
    info->dwOrigin = c->origin;
    info->dwReason = c->reason;
    info->dwCallID = c->callId;
    info->dwTrunk = 0xFFFFFFFF;
    for (int i = 0; i < MAX_HANDLES; ++i) {
      if (!g.handles[i].used || g.handles[i].call != ch->call) continue;
      if (g.handles[i].privilege == LINECALLPRIVILEGE_OWNER) info->dwNumOwners++;
      else info->dwNumMonitors++;
    }
    put_party(&v, &c->caller, &info->dwCallerIDFlags, &info->dwCallerIDSize, &info->dwCallerIDOffset,
              &info->dwCallerIDNameSize, &info->dwCallerIDNameOffset);
    put_party(&v, &c->called, &info->dwCalledIDFlags, &info->dwCalledIDSize, &info->dwCalledIDOffset,
              &info->dwCalledIDNameSize, &info->dwCalledIDNameOffset);
    put_party(&v, &c->connected, &info->dwConnectedIDFlags, &info->dwConnectedIDSize, &info->dwConnectedIDOffset,
              &info->dwConnectedIDNameSize, &info->dwConnectedIDNameOffset);
    put_party(&v, &c->redirecting, &info->dwRedirectingIDFlags, &info->dwRedirectingIDSize, &info->dwRedirectingIDOffset,
              &info->dwRedirectingIDNameSize, &info->dwRedirectingIDNameOffset);
    info->dwRedirectionIDFlags = LINECALLPARTYID_UNKNOWN;
    if (c->origin == LINECALLORIGIN_OUTBOUND && g.apps[ch->app].name[0] && ch->privilege == LINECALLPRIVILEGE_OWNER)
      var_str(&v, &info->dwAppNameSize, &info->dwAppNameOffset, g.apps[ch->app].name);
    var_finish(&v);
    faults_corrupt_struct("lineGetCallInfoW", info);
    json_escape(callerJ, sizeof callerJ, (c->caller.flags & LINECALLPARTYID_ADDRESS) ? c->caller.number : "");
  }
  api_log("lineGetCallInfoW", rc, "\"hCall\":\"0x%08lx\",\"totalSize\":%lu,\"neededSize\":%lu,\"callerId\":\"%s\"",
          (unsigned long)hCall, info ? (unsigned long)info->dwTotalSize : 0ul,
          rc == 0 ? (unsigned long)info->dwNeededSize : 0ul, callerJ);
  LeaveCriticalSection(&g.lock);
  return rc;
}

static DWORD call_features(DWORD state, DWORD privilege) {
  if (privilege != LINECALLPRIVILEGE_OWNER || state == LINECALLSTATE_IDLE) return 0;
  if (state == LINECALLSTATE_OFFERING || state == LINECALLSTATE_ACCEPTED)
    return LINECALLFEATURE_ANSWER | LINECALLFEATURE_DROP;
  return LINECALLFEATURE_DROP;
}

LONG WINAPI lineGetCallStatus(HCALL hCall, LPLINECALLSTATUS status) {
  EnterCriticalSection(&g.lock);
  int h = handle_index(hCall);
  LONG rc = 0;
  DWORD fixed = 0;
  if (h < 0) rc = (LONG)LINEERR_INVALCALLHANDLE;
  else if (!status) rc = (LONG)LINEERR_INVALPOINTER;
  else {
    fixed = g.opens[g.handles[h].open].version < 0x00020000 ? offsetof(LINECALLSTATUS, dwCallFeatures2)
                                                             : sizeof(LINECALLSTATUS);
    if (status->dwTotalSize < fixed) rc = (LONG)LINEERR_STRUCTURETOOSMALL;
  }
  if (rc == 0) rc = sync_fail("lineGetCallStatus");
  if (rc == 0) {
    CallHandle *ch = &g.handles[h];
    Call *c = &g.calls[ch->call];
    VarCtx v;
    var_init(&v, status, fixed);
    status->dwCallState = c->state;
    status->dwCallStateMode = c->mode;
    status->dwCallPrivilege = ch->privilege;
    status->dwCallFeatures = call_features(c->state, ch->privilege);
    if (fixed == sizeof(LINECALLSTATUS)) status->tStateEntryTime = c->stateTime;
    var_finish(&v);
    faults_corrupt_struct("lineGetCallStatus", status);
  }
  api_log("lineGetCallStatus", rc, "\"hCall\":\"0x%08lx\"", (unsigned long)hCall);
  LeaveCriticalSection(&g.lock);
  return rc;
}

LONG WINAPI lineSetCallPrivilege(HCALL hCall, DWORD dwCallPrivilege) {
  EnterCriticalSection(&g.lock);
  int h = handle_index(hCall);
  LONG rc = 0;
  if (h < 0) rc = (LONG)LINEERR_INVALCALLHANDLE;
  else if (dwCallPrivilege != LINECALLPRIVILEGE_OWNER && dwCallPrivilege != LINECALLPRIVILEGE_MONITOR)
    rc = (LONG)LINEERR_INVALCALLPRIVILEGE;
  if (rc == 0) rc = sync_fail("lineSetCallPrivilege");
  if (rc == 0) g.handles[h].privilege = dwCallPrivilege;
  api_log("lineSetCallPrivilege", rc, "\"hCall\":\"0x%08lx\",\"privilege\":%lu", (unsigned long)hCall,
          (unsigned long)dwCallPrivilege);
  LeaveCriticalSection(&g.lock);
  return rc;
}
