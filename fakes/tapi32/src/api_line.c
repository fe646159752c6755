/* Exported TAPI functions on opened lines: lineOpenW, lineClose, lineSetStatusMessages, lineGetNewCalls. */
#include "api_common.h"

#include <string.h>

#define SUPPORTED_MEDIA (LINEMEDIAMODE_INTERACTIVEVOICE | LINEMEDIAMODE_UNKNOWN | LINEMEDIAMODE_AUTOMATEDVOICE)

LONG WINAPI lineOpenW(HLINEAPP hLineApp, DWORD dwDeviceID, LPHLINE lphLine, DWORD dwAPIVersion, DWORD dwExtVersion,
                      DWORD_PTR dwCallbackInstance, DWORD dwPrivileges, DWORD dwMediaModes,
                      LPLINECALLPARAMS const lpCallParams) {
  (void)dwExtVersion;
  (void)lpCallParams;
  EnterCriticalSection(&g.lock);
  int a = app_index(hLineApp);
  LONG rc = 0;
  if (a < 0) rc = (LONG)LINEERR_INVALAPPHANDLE;
  else if (dwDeviceID >= (DWORD)g.numLines) rc = (LONG)LINEERR_BADDEVICEID;
  else if (g.lines[dwDeviceID].removed) rc = (LONG)LINEERR_NODEVICE;
  else if (!lphLine) rc = (LONG)LINEERR_INVALPOINTER;
  else if (dwAPIVersion < 0x00010003 || dwAPIVersion > g.lines[dwDeviceID].maxVersion)
    rc = (LONG)LINEERR_INCOMPATIBLEAPIVERSION;
  else if (dwPrivileges != LINECALLPRIVILEGE_NONE && dwPrivileges != LINECALLPRIVILEGE_MONITOR &&
           dwPrivileges != LINECALLPRIVILEGE_OWNER &&
           dwPrivileges != (LINECALLPRIVILEGE_OWNER | LINECALLPRIVILEGE_MONITOR))
    rc = (LONG)LINEERR_INVALPRIVSELECT;
  else if ((dwPrivileges & LINECALLPRIVILEGE_OWNER) && (dwMediaModes == 0 || (dwMediaModes & ~SUPPORTED_MEDIA)))
    rc = (LONG)LINEERR_INVALMEDIAMODE;
  if (rc == 0) rc = sync_fail("lineOpenW");
  int o = -1;
  if (rc == 0) {
    for (int i = 0; i < MAX_OPEN; ++i)
      if (!g.opens[i].used) {
        o = i;
        break;
      }
    if (o < 0) rc = (LONG)LINEERR_RESOURCEUNAVAIL;
  }
  if (rc == 0) {
    OpenLine *ol = &g.opens[o];
    memset(ol, 0, sizeof *ol);
    ol->used = 1;
    ol->handle = g.nextLine++;
    ol->app = a;
    ol->dev = (int)dwDeviceID;
    ol->version = dwAPIVersion;
    ol->inst = dwCallbackInstance;
    ol->privileges = dwPrivileges;
    ol->mediaModes = dwMediaModes;
    *lphLine = ol->handle;
  }
  api_log("lineOpenW", rc,
          "\"dev\":%lu,\"version\":\"0x%08lx\",\"privileges\":%lu,\"mediaModes\":%lu,\"inst\":%llu,\"hLine\":\"0x%08lx\"",
          (unsigned long)dwDeviceID, (unsigned long)dwAPIVersion, (unsigned long)dwPrivileges,
          (unsigned long)dwMediaModes, (unsigned long long)dwCallbackInstance,
          rc == 0 ? (unsigned long)g.opens[o].handle : 0ul);
  LeaveCriticalSection(&g.lock);
  return rc;
}

LONG WINAPI lineClose(HLINE hLine) {
  faults_maybe_hang("lineClose");
  EnterCriticalSection(&g.lock);
  int o = open_index(hLine);
  LONG rc = o < 0 ? (LONG)LINEERR_INVALLINEHANDLE : sync_fail("lineClose");
  api_log("lineClose", rc, "\"hLine\":\"0x%08lx\"", (unsigned long)hLine);
  if (rc == 0) close_open_line(o, 0);
  LeaveCriticalSection(&g.lock);
  return rc;
}

LONG WINAPI lineSetStatusMessages(HLINE hLine, DWORD dwLineStates, DWORD dwAddressStates) {
  EnterCriticalSection(&g.lock);
  int o = open_index(hLine);
  LONG rc = o < 0 ? (LONG)LINEERR_INVALLINEHANDLE : sync_fail("lineSetStatusMessages");
  if (rc == 0) g.opens[o].lineStates = dwLineStates;
  api_log("lineSetStatusMessages", rc, "\"hLine\":\"0x%08lx\",\"lineStates\":\"0x%08lx\",\"addressStates\":\"0x%08lx\"",
          (unsigned long)hLine, (unsigned long)dwLineStates, (unsigned long)dwAddressStates);
  LeaveCriticalSection(&g.lock);
  return rc;
}

static int app_has_handle(int call, int app) {
  for (int i = 0; i < MAX_HANDLES; ++i)
    if (g.handles[i].used && g.handles[i].call == call && g.handles[i].app == app) return 1;
  return 0;
}

/* Calls on the line for which the app has no handle yet get a MONITOR handle (no messages). If the
 * list does not fit, nothing is created and dwNeededSize says how much room the retry needs. */
LONG WINAPI lineGetNewCalls(HLINE hLine, DWORD dwAddressID, DWORD dwSelect, LPLINECALLLIST list) {
  EnterCriticalSection(&g.lock);
  int o = open_index(hLine);
  LONG rc = 0;
  int count = 0;
  if (o < 0) rc = (LONG)LINEERR_INVALLINEHANDLE;
  else if (dwSelect != LINECALLSELECT_LINE && dwSelect != LINECALLSELECT_ADDRESS) rc = (LONG)LINEERR_INVALCALLSELECT;
  else if (dwSelect == LINECALLSELECT_ADDRESS && dwAddressID != 0) rc = (LONG)LINEERR_INVALADDRESSID;
  else if (!list) rc = (LONG)LINEERR_INVALPOINTER;
  else if (list->dwTotalSize < sizeof(LINECALLLIST)) rc = (LONG)LINEERR_STRUCTURETOOSMALL;
  if (rc == 0) rc = sync_fail("lineGetNewCalls");
  if (rc == 0) {
    OpenLine *ol = &g.opens[o];
    int pending[MAX_CALLS];
    for (int c = 0; c < MAX_CALLS; ++c) {
      Call *call = &g.calls[c];
      if (!call->used || call->dev != ol->dev || call->state == 0 || call->state == LINECALLSTATE_IDLE) continue;
      if (app_has_handle(c, ol->app)) continue;
      pending[count++] = c;
    }
    DWORD needed = (DWORD)sizeof(LINECALLLIST) + (DWORD)count * (DWORD)sizeof(HCALL);
    VarCtx v;
    var_init(&v, list, sizeof(LINECALLLIST));
    v.needed = needed;
    if (needed <= list->dwTotalSize) {
      HCALL *out = (HCALL *)((BYTE *)list + sizeof(LINECALLLIST));
      for (int i = 0; i < count; ++i) {
        int h = new_handle(pending[i], ol->app, o, LINECALLPRIVILEGE_MONITOR);
        out[i] = h >= 0 ? g.handles[h].handle : 0;
      }
      list->dwCallsNumEntries = (DWORD)count;
      list->dwCallsSize = (DWORD)count * (DWORD)sizeof(HCALL);
      list->dwCallsOffset = count ? (DWORD)sizeof(LINECALLLIST) : 0;
      v.used = needed;
    }
    var_finish(&v);
    faults_corrupt_struct("lineGetNewCalls", list);
  }
  api_log("lineGetNewCalls", rc, "\"hLine\":\"0x%08lx\",\"select\":%lu,\"calls\":%d,\"totalSize\":%lu",
          (unsigned long)hLine, (unsigned long)dwSelect, count, list ? (unsigned long)list->dwTotalSize : 0ul);
  LeaveCriticalSection(&g.lock);
  return rc;
}
