/* DLL entry: global state set-up, and the logging stub every unimplemented export jumps to. */
#include "fake.h"

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved) {
  (void)inst;
  (void)reserved;
  if (reason == DLL_PROCESS_ATTACH) {
    InitializeCriticalSection(&g.lock);
    g.workerWake = CreateEventW(NULL, FALSE, FALSE, NULL);
    g.readyEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    g.startTick = GetTickCount();
    g.nextApp = HANDLE_BASE_APP + 1;
    g.nextLine = HANDLE_BASE_LINE + 1;
    g.nextCall = HANDLE_BASE_CALL + 1;
    g.nextCallId = FIRST_CALL_ID;
    g.nextRequest = 0x101;
    g.nextPermanentId = FIRST_PERMANENT_ID;
    g.replyDelayMs = 5;
    g.lastCallIndex = -1;
  }
  return TRUE;
}

LONG fake_unimplemented(const char *fn) {
  log_json("\"ev\":\"unimplemented\",\"fn\":\"%s\"", fn);
  return (LONG)LINEERR_OPERATIONUNAVAIL;
}
