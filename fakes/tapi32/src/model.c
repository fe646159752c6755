/* The in-memory TAPI model: lines, apps, opened lines, calls, call handles, message queues and the
 * worker thread that completes asynchronous requests. Every function expects g.lock to be held. */
#include "fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

FakeState g;
static int s_closeDrop = 1;

void model_set_closedrop(int on) { s_closeDrop = on; }

int app_index(HLINEAPP h) {
  for (int i = 0; i < MAX_APPS; ++i)
    if (g.apps[i].used && g.apps[i].alive && g.apps[i].handle == h) return i;
  return -1;
}

int open_index(HLINE h) {
  for (int i = 0; i < MAX_OPEN; ++i)
    if (g.opens[i].used && g.opens[i].handle == h && g.apps[g.opens[i].app].alive) return i;
  return -1;
}

int handle_index(HCALL h) {
  if (h == 0) return -1;
  for (int i = 0; i < MAX_HANDLES; ++i)
    if (g.handles[i].used && g.handles[i].handle == h && g.apps[g.handles[i].app].alive) return i;
  return -1;
}

int find_line(const char *key) {
  if (!key || !*key) return -1;
  if (key[0] == '#') {
    int id = atoi(key + 1);
    return (id >= 0 && id < g.numLines) ? id : -1;
  }
  for (int i = 0; i < g.numLines; ++i)
    if (strcmp(g.lines[i].name, key) == 0) return i;
  for (int i = 0; i < g.numLines; ++i)
    if (strcmp(g.lines[i].address, key) == 0) return i;
  return -1;
}

int add_line(const char *name, const char *address, DWORD maxVersion, const char *provider) {
  if (g.numLines >= MAX_LINES) return -1;
  int i = g.numLines++;
  FakeLine *l = &g.lines[i];
  memset(l, 0, sizeof *l);
  l->used = 1;
  lstrcpynA(l->name, name ? name : "", STR_MAX);
  lstrcpynA(l->address, address ? address : "", STR_MAX);
  lstrcpynA(l->provider, (provider && *provider) ? provider : "Wildix TAPI (fake)", STR_MAX);
  l->maxVersion = maxVersion ? maxVersion : 0x00030001;
  l->permanentId = g.nextPermanentId++;
  char n[STR_MAX * 2], a[STR_MAX * 2], p[STR_MAX * 2];
  json_escape(n, sizeof n, l->name);
  json_escape(a, sizeof a, l->address);
  json_escape(p, sizeof p, l->provider);
  log_json("\"ev\":\"line\",\"dev\":%d,\"name\":\"%s\",\"address\":\"%s\",\"provider\":\"%s\",\"permanentId\":%lu,"
           "\"maxVersion\":\"0x%08lx\"",
           i, n, a, p, (unsigned long)l->permanentId, (unsigned long)l->maxVersion);
  return i;
}

void queue_msg(int app, DWORD hDevice, DWORD msg, DWORD_PTR inst, DWORD_PTR p1, DWORD_PTR p2, DWORD_PTR p3) {
  FakeApp *a = &g.apps[app];
  if (!a->used || !a->alive) return;
  LINEMESSAGE m;
  m.hDevice = hDevice;
  m.dwMessageID = msg;
  m.dwCallbackInstance = inst;
  m.dwParam1 = p1;
  m.dwParam2 = p2;
  m.dwParam3 = p3;
  char extra[96] = "";
  if (msg == LINE_CALLSTATE) snprintf(extra, sizeof extra, ",\"state\":\"%s\"", callstate_name((DWORD)p1));
  log_json("\"ev\":\"msg\",\"app\":\"0x%08lx\",\"msg\":\"%s\",\"hDevice\":\"0x%08lx\",\"inst\":%llu,\"p1\":\"0x%08llx\","
           "\"p2\":\"0x%08llx\",\"p3\":\"0x%08llx\"%s",
           (unsigned long)a->handle, msg_name(msg), (unsigned long)hDevice, (unsigned long long)inst,
           (unsigned long long)p1, (unsigned long long)p2, (unsigned long long)p3, extra);
  if (a->options == LINEINITIALIZEEXOPTION_USECOMPLETIONPORT) {
    LINEMESSAGE *copy = (LINEMESSAGE *)LocalAlloc(LPTR, sizeof(LINEMESSAGE));
    if (!copy) return;
    *copy = m;
    PostQueuedCompletionStatus(a->port, sizeof(LINEMESSAGE), a->completionKey, (LPOVERLAPPED)copy);
    return;
  }
  if (a->qlen == a->qcap) {
    int cap = a->qcap ? a->qcap * 2 : 64;
    LINEMESSAGE *q = (LINEMESSAGE *)realloc(a->queue, (size_t)cap * sizeof(LINEMESSAGE));
    if (!q) return;
    a->queue = q;
    a->qcap = cap;
  }
  a->queue[a->qlen++] = m;
  SetEvent(a->event);
}

int new_call(int dev) {
  for (int i = 0; i < MAX_CALLS; ++i) {
    if (g.calls[i].used) continue;
    Call *c = &g.calls[i];
    memset(c, 0, sizeof *c);
    c->used = 1;
    c->dev = dev;
    c->callId = g.nextCallId++;
    c->reason = LINECALLREASON_DIRECT;
    c->origin = LINECALLORIGIN_UNKNOWN;
    GetLocalTime(&c->stateTime);
    g.lastCallIndex = i;
    log_json("\"ev\":\"call_created\",\"call\":%lu,\"dev\":%d", (unsigned long)c->callId, dev);
    return i;
  }
  return -1;
}

int new_handle(int call, int app, int open, DWORD privilege) {
  for (int i = 0; i < MAX_HANDLES; ++i) {
    if (g.handles[i].used) continue;
    CallHandle *h = &g.handles[i];
    h->used = 1;
    h->handle = g.nextCall++;
    h->call = call;
    h->app = app;
    h->open = open;
    h->privilege = privilege;
    g.calls[call].handedOut = 1;
    log_json("\"ev\":\"handle\",\"app\":\"0x%08lx\",\"hCall\":\"0x%08lx\",\"call\":%lu,\"privilege\":%lu",
             (unsigned long)g.apps[app].handle, (unsigned long)h->handle, (unsigned long)g.calls[call].callId,
             (unsigned long)privilege);
    return i;
  }
  return -1;
}

static int app_handle_for(int call, int app) {
  for (int i = 0; i < MAX_HANDLES; ++i)
    if (g.handles[i].used && g.handles[i].call == call && g.handles[i].app == app) return i;
  return -1;
}

static int owner_exists(int call) {
  for (int i = 0; i < MAX_HANDLES; ++i)
    if (g.handles[i].used && g.handles[i].call == call && g.handles[i].privilege == LINECALLPRIVILEGE_OWNER)
      return 1;
  return 0;
}

/* Gives every app that has the call's line open (and no handle yet) a handle: LINE_APPNEWCALL
 * immediately followed by LINE_CALLSTATE with the privilege in dwParam3. */
void announce_call(int call) {
  Call *c = &g.calls[call];
  if (!c->used || c->state == 0 || c->state == LINECALLSTATE_IDLE) return;
  for (int o = 0; o < MAX_OPEN; ++o) {
    OpenLine *ol = &g.opens[o];
    if (!ol->used || ol->dev != c->dev || !g.apps[ol->app].alive) continue;
    if (app_handle_for(call, ol->app) >= 0) continue;
    DWORD priv = 0;
    if ((ol->privileges & LINECALLPRIVILEGE_OWNER) && !owner_exists(call))
      priv = LINECALLPRIVILEGE_OWNER;
    else if (ol->privileges & (LINECALLPRIVILEGE_MONITOR | LINECALLPRIVILEGE_OWNER))
      priv = LINECALLPRIVILEGE_MONITOR;
    if (!priv) continue;
    int h = new_handle(call, ol->app, o, priv);
    if (h < 0) continue;
    DWORD hc = g.handles[h].handle;
    if (ol->version >= 0x00020000)
      queue_msg(ol->app, ol->handle, LINE_APPNEWCALL, ol->inst, c->addressId, hc, priv);
    queue_msg(ol->app, hc, LINE_CALLSTATE, ol->inst, c->state, c->mode, priv);
  }
}

void set_call_state(int call, DWORD state, DWORD mode, const char *by) {
  Call *c = &g.calls[call];
  c->state = state;
  c->mode = mode;
  GetLocalTime(&c->stateTime);
  log_json("\"ev\":\"state\",\"call\":%lu,\"state\":\"%s\",\"mode\":\"0x%08lx\",\"by\":\"%s\"", (unsigned long)c->callId,
           callstate_name(state), (unsigned long)mode, by);
  for (int i = 0; i < MAX_HANDLES; ++i) {
    CallHandle *h = &g.handles[i];
    if (!h->used || h->call != call) continue;
    queue_msg(h->app, h->handle, LINE_CALLSTATE, g.opens[h->open].inst, state, mode, 0);
  }
  announce_call(call);
  maybe_free_call(call);
}

void send_callinfo(int call, DWORD changed) {
  Call *c = &g.calls[call];
  if (c->state == LINECALLSTATE_IDLE) return; /* no LINE_CALLINFO after IDLE */
  for (int i = 0; i < MAX_HANDLES; ++i) {
    CallHandle *h = &g.handles[i];
    if (!h->used || h->call != call) continue;
    queue_msg(h->app, h->handle, LINE_CALLINFO, g.opens[h->open].inst, changed, 0, 0);
  }
}

/* A call goes when no handle and no request refers to it any more: after IDLE, or — as TAPI does when
 * the last application deallocates (TSPI_lineCloseCall) — in any state once it was handed out. */
void maybe_free_call(int call) {
  Call *c = &g.calls[call];
  if (!c->used) return;
  if (c->state != LINECALLSTATE_IDLE && !c->handedOut) return;
  for (int i = 0; i < MAX_HANDLES; ++i)
    if (g.handles[i].used && g.handles[i].call == call) return;
  for (int r = 0; r < MAX_REQUESTS; ++r)
    if (g.requests[r].used && g.requests[r].call == call) return;
  log_json("\"ev\":\"call_gone\",\"call\":%lu", (unsigned long)c->callId);
  c->used = 0;
}

void free_handle(int h) {
  CallHandle *ch = &g.handles[h];
  int call = ch->call;
  log_json("\"ev\":\"handle_freed\",\"hCall\":\"0x%08lx\",\"call\":%lu", (unsigned long)ch->handle,
           (unsigned long)g.calls[call].callId);
  ch->used = 0;
  maybe_free_call(call);
}

static int sole_owner(int h) {
  CallHandle *ch = &g.handles[h];
  if (ch->privilege != LINECALLPRIVILEGE_OWNER) return 0;
  for (int i = 0; i < MAX_HANDLES; ++i)
    if (i != h && g.handles[i].used && g.handles[i].call == ch->call &&
        g.handles[i].privilege == LINECALLPRIVILEGE_OWNER)
      return 0;
  return 1;
}

static void cancel_requests(int app, int open) {
  for (int r = 0; r < MAX_REQUESTS; ++r) {
    Request *rq = &g.requests[r];
    if (!rq->used) continue;
    if (rq->app != app || (open >= 0 && rq->open != open)) continue;
    log_json("\"ev\":\"reply_suppressed\",\"fn\":\"%s\",\"id\":%lu", rq->fn, (unsigned long)rq->id);
    rq->used = 0;
    int call = rq->call;
    if (rq->kind == REQ_MAKECALL && call >= 0 && g.calls[call].used && g.calls[call].state == 0) {
      log_json("\"ev\":\"call_gone\",\"call\":%lu", (unsigned long)g.calls[call].callId);
      g.calls[call].used = 0;
    } else if (call >= 0) {
      maybe_free_call(call);
    }
  }
}

/* lineClose / forced LINE_CLOSE / lineShutdown: drops calls the app solely owns (CLOSEDROP),
 * suppresses pending replies and invalidates the line's call handles. */
void close_open_line(int o, int notify) {
  OpenLine *ol = &g.opens[o];
  int drop[MAX_HANDLES];
  int ndrop = 0;
  for (int i = 0; i < MAX_HANDLES; ++i) {
    CallHandle *h = &g.handles[i];
    if (!h->used || h->open != o) continue;
    if (s_closeDrop && sole_owner(i) && g.calls[h->call].state != LINECALLSTATE_IDLE) drop[ndrop++] = h->call;
  }
  for (int i = 0; i < MAX_HANDLES; ++i)
    if (g.handles[i].used && g.handles[i].open == o) free_handle(i);
  cancel_requests(ol->app, o);
  if (notify) queue_msg(ol->app, ol->handle, LINE_CLOSE, ol->inst, 0, 0, 0);
  log_json("\"ev\":\"line_closed\",\"hLine\":\"0x%08lx\",\"dev\":%d,\"forced\":%d", (unsigned long)ol->handle, ol->dev,
           notify);
  ol->used = 0;
  for (int k = 0; k < ndrop; ++k)
    if (g.calls[drop[k]].used) set_call_state(drop[k], LINECALLSTATE_IDLE, 0, "closedrop");
}

void shutdown_app(int a) {
  FakeApp *ap = &g.apps[a];
  for (int o = 0; o < MAX_OPEN; ++o)
    if (g.opens[o].used && g.opens[o].app == a) close_open_line(o, 0);
  cancel_requests(a, -1);
  for (int i = 0; i < MAX_HANDLES; ++i)
    if (g.handles[i].used && g.handles[i].app == a) free_handle(i);
  ap->alive = 0;
  ap->qlen = 0;
  worker_wake(); /* it ends when this was the last app */
  if (ap->event) {
    SetEvent(ap->event); /* wakes threads blocked in lineGetMessage: they return INVALAPPHANDLE */
    if (ap->waiters == 0) {
      CloseHandle(ap->event);
      ap->event = NULL;
    }
  }
  if (ap->waiters == 0) {
    free(ap->queue);
    ap->queue = NULL;
    ap->qcap = 0;
    ap->used = 0;
  }
}

void reset_model(void) {
  for (int a = 0; a < MAX_APPS; ++a)
    if (g.apps[a].used && g.apps[a].alive) return;
  memset(g.lines, 0, sizeof g.lines);
  memset(g.opens, 0, sizeof g.opens);
  memset(g.calls, 0, sizeof g.calls);
  memset(g.handles, 0, sizeof g.handles);
  memset(g.requests, 0, sizeof g.requests);
  memset(g.fails, 0, sizeof g.fails);
  faults_reset();
  g.numLines = 0;
  g.nextCallId = FIRST_CALL_ID;
  g.nextPermanentId = FIRST_PERMANENT_ID;
  g.lastCallIndex = -1;
  g.replyDelayMs = 5;
  g.devcapsStringFormat = 0;
  g.ready = 0;
  ResetEvent(g.readyEvent);
  log_json("\"ev\":\"reset\"");
}

LONG take_fail(const char *fn, int async, int *found) {
  *found = 0;
  for (int i = 0; i < MAX_FAILS; ++i) {
    FailRule *f = &g.fails[i];
    if (!f->used || f->async != async || _stricmp(f->fn, fn) != 0) continue;
    f->used = 0;
    *found = 1;
    log_json("\"ev\":\"fail_used\",\"fn\":\"%s\",\"how\":\"%s\",\"code\":%ld", fn,
             async == 2 ? "never" : async ? "async" : "sync", (long)f->code);
    return f->code;
  }
  return 0;
}

DWORD new_request(int kind, const char *fn, int app, int open, int call, int handle, LONG result, LPHCALL lph) {
  for (int r = 0; r < MAX_REQUESTS; ++r) {
    Request *rq = &g.requests[r];
    if (rq->used) continue;
    memset(rq, 0, sizeof *rq);
    rq->used = 1;
    rq->id = g.nextRequest++;
    if (g.nextRequest >= 0x7FFFFFF0u) g.nextRequest = 0x101;
    rq->kind = kind;
    rq->app = app;
    rq->open = open;
    rq->call = call;
    rq->handle = handle;
    rq->result = result;
    rq->lphCall = lph;
    rq->due = GetTickCount() + g.replyDelayMs;
    lstrcpynA(rq->fn, fn, sizeof rq->fn);
    worker_wake();
    return rq->id;
  }
  return 0;
}

static void complete_request(Request *rq) {
  Request r = *rq;
  rq->used = 0;
  OpenLine *ol = &g.opens[r.open];
  DWORD_PTR inst = ol->used ? ol->inst : 0;
  Call *c = r.call >= 0 ? &g.calls[r.call] : NULL;
  const char *err = r.result ? lineerr_name(r.result) : NULL;
  log_json("\"ev\":\"reply\",\"fn\":\"%s\",\"id\":%lu,\"call\":%lu,\"result\":%ld%s%s%s", r.fn, (unsigned long)r.id,
           c ? (unsigned long)c->callId : 0ul, (long)r.result, err ? ",\"err\":\"" : "", err ? err : "",
           err ? "\"" : "");
  if (r.kind == REQ_MAKECALL) {
    if (r.result == 0) {
      int h = new_handle(r.call, r.app, r.open, LINECALLPRIVILEGE_OWNER);
      if (h < 0) {
        queue_msg(r.app, 0, LINE_REPLY, inst, r.id, (DWORD)LINEERR_RESOURCEUNAVAIL, 0);
        c->used = 0;
        return;
      }
      *r.lphCall = g.handles[h].handle; /* written at reply time, as TAPI does */
      queue_msg(r.app, 0, LINE_REPLY, inst, r.id, 0, 0);
      if (c->called.number[0]) {
        set_call_state(r.call, LINECALLSTATE_DIALING, 0, "makecall");
        set_call_state(r.call, LINECALLSTATE_PROCEEDING, 0, "makecall");
      } else {
        set_call_state(r.call, LINECALLSTATE_DIALTONE, LINEDIALTONEMODE_NORMAL, "makecall");
      }
    } else {
      queue_msg(r.app, 0, LINE_REPLY, inst, r.id, (DWORD)r.result, 0);
      log_json("\"ev\":\"call_gone\",\"call\":%lu", (unsigned long)c->callId);
      c->used = 0;
    }
    return;
  }
  queue_msg(r.app, 0, LINE_REPLY, inst, r.id, (DWORD)r.result, 0);
  if (r.result != 0 || !c || !c->used) return;
  if (r.kind == REQ_ANSWER) {
    if (c->state == LINECALLSTATE_OFFERING || c->state == LINECALLSTATE_ACCEPTED)
      set_call_state(r.call, LINECALLSTATE_CONNECTED, LINECONNECTEDMODE_ACTIVE, "local-answer");
  } else if (r.kind == REQ_DROP) {
    if (c->state != LINECALLSTATE_IDLE) set_call_state(r.call, LINECALLSTATE_IDLE, 0, "local-drop");
  }
}

/* Needed while an app is initialised or a request is pending (g.lock held). */
static int worker_needed(void) {
  for (int a = 0; a < MAX_APPS; ++a)
    if (g.apps[a].used && g.apps[a].alive) return 1;
  for (int r = 0; r < MAX_REQUESTS; ++r)
    if (g.requests[r].used) return 1;
  return 0;
}

/* Completes asynchronous requests when they are due. Runs only while it is needed and holds a
 * reference to the DLL (see init.c), so a client may FreeLibrary the DLL after lineShutdown even
 * while this thread is still in a timed wait for a reply that lineShutdown cancelled. */
static DWORD WINAPI worker_thread(LPVOID arg) {
  (void)arg;
  for (;;) {
    DWORD wait = INFINITE;
    EnterCriticalSection(&g.lock);
    DWORD now = GetTickCount();
    for (int r = 0; r < MAX_REQUESTS; ++r) {
      Request *rq = &g.requests[r];
      if (!rq->used || rq->due == 0xFFFFFFFFu) continue; /* "never" replies */
      LONG left = (LONG)(rq->due - now);
      if (left <= 0) {
        complete_request(rq);
        now = GetTickCount();
        r = -1; /* restart: completing may change the table */
        continue;
      }
      if ((DWORD)left < wait) wait = (DWORD)left;
    }
    if (!worker_needed()) {
      g.workerRunning = 0; /* under g.lock: the next lineInitializeExW starts a new worker */
      LeaveCriticalSection(&g.lock);
      fake_thread_exit();
    }
    LeaveCriticalSection(&g.lock);
    WaitForSingleObject(g.workerWake, wait);
  }
}

/* Called by lineInitializeExW with g.lock held, after the new app exists (so a worker that is just
 * deciding whether it is still needed cannot miss it). */
void worker_start(void) {
  if (g.workerRunning || !fake_module_ref()) return;
  HANDLE t = CreateThread(NULL, 0, worker_thread, NULL, 0, NULL);
  if (!t) {
    fake_module_unref();
    log_json("\"ev\":\"error\",\"what\":\"cannot start the worker thread (error %lu)\"", (unsigned long)GetLastError());
    return;
  }
  CloseHandle(t);
  g.workerRunning = 1;
}

void worker_wake(void) { SetEvent(g.workerWake); }

void dump_state(void) {
  for (int i = 0; i < g.numLines; ++i) {
    FakeLine *l = &g.lines[i];
    char n[STR_MAX * 2];
    json_escape(n, sizeof n, l->name);
    log_json("\"ev\":\"dump_line\",\"dev\":%d,\"name\":\"%s\",\"removed\":%d", i, n, l->removed);
  }
  for (int a = 0; a < MAX_APPS; ++a)
    if (g.apps[a].used)
      log_json("\"ev\":\"dump_app\",\"app\":\"0x%08lx\",\"alive\":%d,\"queued\":%d", (unsigned long)g.apps[a].handle,
               g.apps[a].alive, g.apps[a].qlen);
  for (int o = 0; o < MAX_OPEN; ++o)
    if (g.opens[o].used)
      log_json("\"ev\":\"dump_open\",\"hLine\":\"0x%08lx\",\"dev\":%d,\"privileges\":%lu",
               (unsigned long)g.opens[o].handle, g.opens[o].dev, (unsigned long)g.opens[o].privileges);
  for (int c = 0; c < MAX_CALLS; ++c)
    if (g.calls[c].used)
      log_json("\"ev\":\"dump_call\",\"call\":%lu,\"dev\":%d,\"state\":\"%s\"", (unsigned long)g.calls[c].callId,
               g.calls[c].dev, callstate_name(g.calls[c].state));
  for (int h = 0; h < MAX_HANDLES; ++h)
    if (g.handles[h].used)
      log_json("\"ev\":\"dump_handle\",\"hCall\":\"0x%08lx\",\"call\":%lu,\"privilege\":%lu",
               (unsigned long)g.handles[h].handle, (unsigned long)g.calls[g.handles[h].call].callId,
               (unsigned long)g.handles[h].privilege);
}
