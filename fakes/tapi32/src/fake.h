/*
 * Fake tapi32.dll for tests under Wine: shared declarations.
 *
 * The DLL keeps a small in-memory TAPI 2.x model (line devices, app instances, opened lines,
 * physical calls and per-app call handles). A test scripts it over loopback TCP (FAKE_TAPI_PORT)
 * and reads a JSON-lines log of every TAPI request and every queued message back.
 * See fakes/tapi32/README.md for the script protocol.
 */
#ifndef FAKE_TAPI_H
#define FAKE_TAPI_H

#define WIN32_LEAN_AND_MEAN
#include <winsock2.h>
#include <windows.h>
#include <tapi.h>

#define MAX_LINES 32
#define MAX_APPS 16
#define MAX_OPEN 64
#define MAX_CALLS 256
#define MAX_HANDLES 1024
#define MAX_REQUESTS 256
#define MAX_FAILS 32
#define STR_MAX 256

#define HANDLE_BASE_APP 0x00010000u
#define HANDLE_BASE_LINE 0x00020000u
#define HANDLE_BASE_CALL 0x00030000u
#define FIRST_CALL_ID 1001u
#define FIRST_PERMANENT_ID 0x1000u

typedef struct {
  char number[STR_MAX]; /* UTF-8 */
  char name[STR_MAX];   /* UTF-8 */
  DWORD flags;          /* LINECALLPARTYID_* */
} Party;

typedef struct {
  int used;
  int removed; /* LINE_REMOVE sent: NODEVICE from now on */
  char name[STR_MAX];
  char address[STR_MAX];
  char provider[STR_MAX];
  DWORD maxVersion;
  DWORD permanentId;
} FakeLine;

typedef struct {
  int used;
  int alive; /* cleared by lineShutdown */
  DWORD handle;
  DWORD options; /* LINEINITIALIZEEXOPTION_* */
  HANDLE event;  /* USEEVENT: manual-reset, set while the queue is non-empty */
  HANDLE port;   /* USECOMPLETIONPORT */
  DWORD completionKey;
  int waiters; /* threads blocked in lineGetMessage */
  LINEMESSAGE *queue;
  int qlen, qcap;
  char name[STR_MAX];
} FakeApp;

typedef struct {
  int used;
  DWORD handle;
  int app;
  int dev;
  DWORD version;
  DWORD_PTR inst;
  DWORD privileges;
  DWORD mediaModes;
  DWORD lineStates; /* lineSetStatusMessages */
} OpenLine;

typedef struct {
  int used;
  DWORD callId;
  int dev;
  DWORD addressId;
  DWORD state; /* 0 = not yet announced (makecall before its reply) */
  DWORD mode;
  DWORD origin;
  DWORD reason;
  Party caller, called, connected, redirecting;
  SYSTEMTIME stateTime;
  int handedOut; /* an application had a handle for it: it goes when the last one is deallocated */
} Call;

typedef struct {
  int used;
  DWORD handle;
  int call;
  int app;
  int open; /* the opened line the handle belongs to */
  DWORD privilege;
} CallHandle;

enum RequestKind { REQ_MAKECALL = 1, REQ_ANSWER, REQ_DROP };

typedef struct {
  int used;
  DWORD id;
  int kind;
  int app;
  int open;
  int call;
  int handle; /* for answer/drop: the caller's handle index */
  LONG result;
  DWORD due; /* GetTickCount() */
  LPHCALL lphCall;
  char fn[48];
} Request;

typedef struct {
  int used;
  char fn[64];
  int async;
  LONG code;
} FailRule;

typedef struct {
  CRITICAL_SECTION lock;
  FakeLine lines[MAX_LINES];
  int numLines;
  FakeApp apps[MAX_APPS];
  OpenLine opens[MAX_OPEN];
  Call calls[MAX_CALLS];
  CallHandle handles[MAX_HANDLES];
  Request requests[MAX_REQUESTS];
  FailRule fails[MAX_FAILS];
  DWORD nextApp, nextLine, nextCall, nextCallId, nextRequest, nextPermanentId;
  DWORD replyDelayMs;
  DWORD devcapsStringFormat; /* what LINEDEVCAPS.dwStringFormat says (0: STRINGFORMAT_UNICODE); the strings stay UTF-16 */
  int logEmptyGetMessage;
  int lastCallIndex;
  HANDLE workerWake;
  int workerRunning; /* a worker thread exists (it clears this under g.lock when it ends) */
  HANDLE readyEvent;
  int ready;
  DWORD startTick;
  DWORD attachCount; /* how often this DLL was loaded into the process (1 = first time) */
} FakeState;

extern FakeState g;

/* init.c
 * Module lifetime: every thread the DLL starts holds a reference to the DLL (fake_module_ref before
 * CreateThread, released by the creator if CreateThread fails) and ends with fake_thread_exit
 * (FreeLibraryAndExitThread). A client's FreeLibrary therefore never unmaps code a thread of ours is
 * still running; the DLL goes away after the last of its threads has left it. */
void fake_ensure_init(void);
int fake_module_ref(void);             /* 1: one more reference to this DLL taken */
void fake_module_unref(void);          /* drops a reference taken by fake_module_ref (never the last) */
DECLSPEC_NORETURN void fake_thread_exit(void); /* releases the thread's reference and ends the thread */

/* channel.c: TCP control channel + JSON log */
int channel_connect_if_configured(void); /* 1 if connected now */
int channel_is_connected(void);
void channel_send_line(const char *line);
void channel_disconnect(void); /* after "bye": the next lineInitializeExW connects again */
/* Sends a line and disconnects atomically: whoever sees the line can rely on the channel being closed. */
void channel_send_last_line(const char *line);
void channel_cleanup(void); /* DLL unload: socket, log file, lock */
void log_json_last(const char *fmt, ...);
void log_json(const char *fmt, ...); /* fmt yields the inner fields: "\"ev\":\"x\",..." */
void json_escape(char *out, size_t outSize, const char *in);

/* names.c */
const char *lineerr_name(LONG code);      /* "LINEERR_X" or NULL */
int lineerr_parse(const char *s, LONG *out); /* name with/without prefix, hex or decimal */
const char *callstate_name(DWORD state);
int callstate_parse(const char *s, DWORD *out);
int devstate_parse(const char *s, DWORD *out);
int disconnectmode_parse(const char *s, DWORD *out);
const char *msg_name(DWORD msg);

/* strings.c */
void utf16_to_utf8(const WCHAR *in, char *out, size_t outSize);
DWORD utf8_to_utf16_bytes(const char *in); /* byte size including the NUL */
void utf8_to_utf16(const char *in, WCHAR *out, DWORD outBytes);

/* model.c (all called with g.lock held) */
int app_index(HLINEAPP h); /* -1 if invalid/dead */
int open_index(HLINE h);
int handle_index(HCALL h);
int find_line(const char *key); /* name, address or #devId */
int add_line(const char *name, const char *address, DWORD maxVersion, const char *provider);
void queue_msg(int app, DWORD hDevice, DWORD msg, DWORD_PTR inst, DWORD_PTR p1, DWORD_PTR p2, DWORD_PTR p3);
int new_call(int dev);
int new_handle(int call, int app, int open, DWORD privilege);
void set_call_state(int call, DWORD state, DWORD mode, const char *by);
void announce_call(int call);
void send_callinfo(int call, DWORD changed);
void free_handle(int h);
void maybe_free_call(int call);
void close_open_line(int o, int notify);
void model_set_closedrop(int on);
LONG fake_unimplemented(const char *fn);
void shutdown_app(int a);
void reset_model(void);
LONG take_fail(const char *fn, int async, int *found);
DWORD new_request(int kind, const char *fn, int app, int open, int call, int handle, LONG result, LPHCALL lph);
void worker_start(void); /* g.lock held; after the app was created (see model.c) */
void worker_wake(void);  /* g.lock held: the worker re-checks its table and whether it is still needed */
void dump_state(void);

/* script.c */
void script_execute(char *line);

/* Answer of one script command (see script.c). */
typedef struct {
  const char *error;
  long call; /* -1: none */
  long dev;  /* -1: none */
} Ack;

/* faults.c: a misbehaving TSP (hangs, corrupt variable-size structures); see faults.c */
void faults_reset(void);                                  /* g.lock held */
const char *faults_hang_command(const char *fn, const char *ms); /* g.lock held; error text or NULL */
void faults_unhang(void);                                 /* g.lock held */
void faults_maybe_hang(const char *fn);                   /* WITHOUT g.lock, at the top of an export */
void faults_corrupt_command(char **a, int n, Ack *ack);   /* g.lock held */
void faults_corrupt_struct(const char *fn, void *s);      /* g.lock held, after a successful fill */

#endif
