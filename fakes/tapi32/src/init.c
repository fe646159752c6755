/* DLL entry: global state set-up and tear-down, the module references of the DLL's own threads, and
 * the logging stub every unimplemented export jumps to. */
#include "fake.h"

#include <stdio.h>
#include <stdlib.h>

static HMODULE s_self;

/* Counts the loads of this DLL in the process in an environment variable (it survives an unload), so
 * a test can tell "still the same DLL" (the hello event's "attach") from "unloaded and loaded again". */
static DWORD count_attach(void) {
  char buf[16];
  DWORD n = GetEnvironmentVariableA("FAKE_TAPI_ATTACH_COUNT", buf, sizeof buf);
  DWORD count = (n > 0 && n < sizeof buf ? (DWORD)strtoul(buf, NULL, 10) : 0) + 1;
  snprintf(buf, sizeof buf, "%lu", (unsigned long)count);
  SetEnvironmentVariableA("FAKE_TAPI_ATTACH_COUNT", buf);
  return count;
}

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved) {
  if (reason == DLL_PROCESS_ATTACH) {
    s_self = (HMODULE)inst;
    InitializeCriticalSection(&g.lock);
    g.workerWake = CreateEventW(NULL, FALSE, FALSE, NULL);
    g.readyEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    g.startTick = GetTickCount();
    g.attachCount = count_attach();
    g.nextApp = HANDLE_BASE_APP + 1;
    g.nextLine = HANDLE_BASE_LINE + 1;
    g.nextCall = HANDLE_BASE_CALL + 1;
    g.nextCallId = FIRST_CALL_ID;
    g.nextRequest = 0x101;
    g.nextPermanentId = FIRST_PERMANENT_ID;
    g.replyDelayMs = 5;
    g.lastCallIndex = -1;
  } else if (reason == DLL_PROCESS_DETACH && reserved == NULL) {
    /* FreeLibrary (not process exit): none of our threads is left, each held a reference. Message
     * queues of apps the client never shut down are not freed (the client broke the TAPI rules). */
    channel_cleanup();
    CloseHandle(g.workerWake);
    CloseHandle(g.readyEvent);
    DeleteCriticalSection(&g.lock);
  }
  return TRUE;
}

int fake_module_ref(void) {
  HMODULE h = NULL;
  return GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS, (LPCWSTR)(void *)fake_module_ref, &h) && h;
}

void fake_module_unref(void) { FreeLibrary(s_self); }

void fake_thread_exit(void) { FreeLibraryAndExitThread(s_self, 0); }

LONG fake_unimplemented(const char *fn) {
  log_json("\"ev\":\"unimplemented\",\"fn\":\"%s\"", fn);
  return (LONG)LINEERR_OPERATIONUNAVAIL;
}
