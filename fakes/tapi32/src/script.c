/* Script commands from the test (one per line, fields separated by TAB). Every command is answered
 * with {"ev":"ack","cmd":..,"error":null|"..."[,"call":id][,"dev":id]}. See ../README.md. */
#include "fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 8

static int find_call_arg(const char *s) {
  if (!s || !*s || strcmp(s, "last") == 0) {
    int i = g.lastCallIndex;
    return (i >= 0 && g.calls[i].used) ? i : -1;
  }
  DWORD id = (DWORD)strtoul(s, NULL, 10);
  for (int i = 0; i < MAX_CALLS; ++i)
    if (g.calls[i].used && g.calls[i].callId == id) return i;
  return -1;
}

static void set_party(Party *p, const char *number, const char *name) {
  memset(p, 0, sizeof *p);
  if (!number || !*number || _stricmp(number, "unknown") == 0) {
    p->flags = LINECALLPARTYID_UNKNOWN;
  } else if (_stricmp(number, "anonymous") == 0 || _stricmp(number, "blocked") == 0) {
    p->flags = LINECALLPARTYID_BLOCKED;
  } else {
    lstrcpynA(p->number, number, STR_MAX);
    p->flags = LINECALLPARTYID_ADDRESS;
  }
  if (name && *name) {
    lstrcpynA(p->name, name, STR_MAX);
    p->flags = (p->flags & ~LINECALLPARTYID_UNKNOWN) | LINECALLPARTYID_NAME;
  }
}

static void broadcast(DWORD msg, DWORD_PTR p1, DWORD_PTR p2, DWORD_PTR p3) {
  for (int a = 0; a < MAX_APPS; ++a)
    if (g.apps[a].used && g.apps[a].alive) queue_msg(a, 0, msg, 0, p1, p2, p3);
}

/* State transitions driven by the script; returns an error text or NULL. */
static const char *script_state(int call, DWORD state, DWORD mode, const char *by) {
  if (call < 0) return "no such call";
  if (g.calls[call].state == 0) return "call not yet announced (its LINE_REPLY is pending)";
  if (g.calls[call].state == LINECALLSTATE_IDLE) return "call is idle";
  set_call_state(call, state, mode, by);
  return NULL;
}

static void cmd_line(char **a, int n, Ack *ack) {
  if (n < 2 || !*a[1]) {
    ack->error = "usage: line <name> [address] [maxVersion] [provider]";
    return;
  }
  int dev = add_line(a[1], n > 2 ? a[2] : "", n > 3 && *a[3] ? (DWORD)strtoul(a[3], NULL, 0) : 0, n > 4 ? a[4] : "");
  if (dev < 0) {
    ack->error = "too many lines";
    return;
  }
  ack->dev = dev;
  if (g.ready) broadcast(LINE_CREATE, (DWORD)dev, 0, 0);
}

static void cmd_incoming(char **a, int n, Ack *ack, int outgoing) {
  if (n < 3) {
    ack->error = outgoing ? "usage: outgoing <line> <number>" : "usage: incoming <line> <number|anonymous> [name] [internal|external] [direct|transfer]";
    return;
  }
  int dev = find_line(a[1]);
  if (dev < 0 || g.lines[dev].removed) {
    ack->error = "no such line";
    return;
  }
  int call = new_call(dev);
  if (call < 0) {
    ack->error = "too many calls";
    return;
  }
  Call *c = &g.calls[call];
  Party line;
  set_party(&line, g.lines[dev].address, NULL);
  if (outgoing) {
    c->origin = LINECALLORIGIN_OUTBOUND;
    c->caller = line;
    set_party(&c->called, a[2], NULL);
    set_party(&c->connected, "unknown", NULL);
    set_party(&c->redirecting, "unknown", NULL);
    ack->call = (long)c->callId;
    set_call_state(call, LINECALLSTATE_DIALING, 0, "phone");
    set_call_state(call, LINECALLSTATE_PROCEEDING, 0, "phone");
    return;
  }
  c->origin = (n > 4 && _stricmp(a[4], "internal") == 0) ? LINECALLORIGIN_INTERNAL : LINECALLORIGIN_EXTERNAL;
  c->reason = (n > 5 && _stricmp(a[5], "transfer") == 0) ? LINECALLREASON_TRANSFER : LINECALLREASON_DIRECT;
  set_party(&c->caller, a[2], n > 3 ? a[3] : NULL);
  c->called = line;
  set_party(&c->connected, "unknown", NULL);
  set_party(&c->redirecting, "unknown", NULL);
  ack->call = (long)c->callId;
  set_call_state(call, LINECALLSTATE_OFFERING, LINEOFFERINGMODE_ACTIVE, "pbx");
}

static void cmd_party(char **a, int n, Ack *ack, int which) {
  int call = n > 1 ? find_call_arg(a[1]) : -1;
  if (call < 0 || n < 3) {
    ack->error = call < 0 ? "no such call" : "usage: callerid|calledid|connectedid|redirectingid <call> <number> [name]";
    return;
  }
  Call *c = &g.calls[call];
  Party *p = which == 0 ? &c->caller : which == 1 ? &c->called : which == 2 ? &c->connected : &c->redirecting;
  set_party(p, a[2], n > 3 ? a[3] : NULL);
  ack->call = (long)c->callId;
  send_callinfo(call, which == 0   ? LINECALLINFOSTATE_CALLERID
                      : which == 1 ? LINECALLINFOSTATE_CALLEDID
                      : which == 2 ? LINECALLINFOSTATE_CONNECTEDID
                                   : LINECALLINFOSTATE_REDIRECTINGID);
}

static void cmd_fail(char **a, int n, Ack *ack) {
  LONG code;
  if (n < 4 || !lineerr_parse(a[3], &code)) {
    ack->error = "usage: fail <function> sync|async|never <LINEERR_x|code>";
    return;
  }
  int how = _stricmp(a[2], "sync") == 0 ? 0 : _stricmp(a[2], "async") == 0 ? 1 : _stricmp(a[2], "never") == 0 ? 2 : -1;
  if (how < 0) {
    ack->error = "how must be sync, async or never";
    return;
  }
  for (int i = 0; i < MAX_FAILS; ++i) {
    if (g.fails[i].used) continue;
    g.fails[i].used = 1;
    lstrcpynA(g.fails[i].fn, a[1], sizeof g.fails[i].fn);
    g.fails[i].async = how;
    g.fails[i].code = code;
    return;
  }
  ack->error = "too many failure rules";
}

static void cmd_close_line(char **a, int n, Ack *ack, int remove) {
  int dev = n > 1 ? find_line(a[1]) : -1;
  if (dev < 0) {
    ack->error = "no such line";
    return;
  }
  ack->dev = dev;
  int closed = 0;
  for (int o = 0; o < MAX_OPEN; ++o)
    if (g.opens[o].used && g.opens[o].dev == dev && g.apps[g.opens[o].app].alive) {
      close_open_line(o, 1);
      closed++;
    }
  if (remove) {
    g.lines[dev].removed = 1;
    broadcast(LINE_REMOVE, (DWORD)dev, 0, 0);
  } else if (closed == 0) {
    ack->error = "line is not open";
  }
}

static void cmd_devstate(char **a, int n, Ack *ack) {
  DWORD state;
  int dev = n > 1 ? find_line(a[1]) : -1;
  if (dev < 0 || n < 3 || !devstate_parse(a[2], &state)) {
    ack->error = "usage: devstate <line> <LINEDEVSTATE_x> [param2] [param3]";
    return;
  }
  DWORD p2 = n > 3 ? (DWORD)strtoul(a[3], NULL, 0) : 0, p3 = n > 4 ? (DWORD)strtoul(a[4], NULL, 0) : 0;
  for (int o = 0; o < MAX_OPEN; ++o) {
    OpenLine *ol = &g.opens[o];
    if (ol->used && ol->dev == dev && (ol->lineStates & state))
      queue_msg(ol->app, ol->handle, LINE_LINEDEVSTATE, ol->inst, state, p2, p3);
  }
}

static void cmd_set(char **a, int n, Ack *ack) {
  if (n < 3) {
    ack->error = "usage: set reply_delay_ms|log_empty_getmessage|closedrop|stringformat <value>";
    return;
  }
  DWORD v = (DWORD)strtoul(a[2], NULL, 10);
  if (strcmp(a[1], "reply_delay_ms") == 0) g.replyDelayMs = v;
  else if (strcmp(a[1], "log_empty_getmessage") == 0) g.logEmptyGetMessage = v != 0;
  else if (strcmp(a[1], "closedrop") == 0) model_set_closedrop(v != 0);
  else if (strcmp(a[1], "stringformat") == 0) g.devcapsStringFormat = v;
  else ack->error = "unknown setting";
}

static const char *call_cmd(const char *cmd, char **a, int n, Ack *ack) {
  int call = n > 1 ? find_call_arg(a[1]) : find_call_arg(NULL);
  if (call >= 0) ack->call = (long)g.calls[call].callId;
  if (strcmp(cmd, "ringback") == 0) return script_state(call, LINECALLSTATE_RINGBACK, 0, "pbx");
  if (strcmp(cmd, "answer") == 0) return script_state(call, LINECALLSTATE_CONNECTED, LINECONNECTEDMODE_ACTIVE, "pbx");
  if (strcmp(cmd, "busy") == 0) return script_state(call, LINECALLSTATE_BUSY, LINEBUSYMODE_STATION, "pbx");
  if (strcmp(cmd, "idle") == 0) return script_state(call, LINECALLSTATE_IDLE, 0, "pbx");
  if (strcmp(cmd, "hangup") == 0) {
    DWORD mode = LINEDISCONNECTMODE_NORMAL;
    if (n > 2 && *a[2] && !disconnectmode_parse(a[2], &mode)) return "unknown disconnect mode";
    return script_state(call, LINECALLSTATE_DISCONNECTED, mode, "pbx");
  }
  if (strcmp(cmd, "state") == 0) {
    DWORD state, mode = 0;
    if (n < 3 || !callstate_parse(a[2], &state)) return "usage: state <call> <LINECALLSTATE_x> [mode]";
    if (n > 3) mode = (DWORD)strtoul(a[3], NULL, 0);
    return script_state(call, state, mode, "pbx");
  }
  return "unknown command";
}

void script_execute(char *line) {
  char *a[MAX_ARGS];
  int n = 0;
  char *p = line;
  while (n < MAX_ARGS) {
    a[n++] = p;
    char *tab = strchr(p, '\t');
    if (!tab) break;
    *tab = 0;
    p = tab + 1;
  }
  char cmd[64];
  lstrcpynA(cmd, a[0], sizeof cmd);
  Ack ack = {NULL, -1, -1};
  char token[256] = "";
  EnterCriticalSection(&g.lock);
  if (strcmp(cmd, "line") == 0) cmd_line(a, n, &ack);
  else if (strcmp(cmd, "ready") == 0) {
    g.ready = 1;
    SetEvent(g.readyEvent);
  } else if (strcmp(cmd, "reset") == 0) {
    int alive = 0;
    for (int i = 0; i < MAX_APPS; ++i) alive |= g.apps[i].used && g.apps[i].alive;
    if (alive) ack.error = "an app is still initialized";
    else reset_model();
  } else if (strcmp(cmd, "incoming") == 0) cmd_incoming(a, n, &ack, 0);
  else if (strcmp(cmd, "outgoing") == 0) cmd_incoming(a, n, &ack, 1);
  else if (strcmp(cmd, "callerid") == 0) cmd_party(a, n, &ack, 0);
  else if (strcmp(cmd, "calledid") == 0) cmd_party(a, n, &ack, 1);
  else if (strcmp(cmd, "connectedid") == 0) cmd_party(a, n, &ack, 2);
  else if (strcmp(cmd, "redirectingid") == 0) cmd_party(a, n, &ack, 3);
  else if (strcmp(cmd, "fail") == 0) cmd_fail(a, n, &ack);
  else if (strcmp(cmd, "close_line") == 0) cmd_close_line(a, n, &ack, 0);
  else if (strcmp(cmd, "remove_line") == 0) cmd_close_line(a, n, &ack, 1);
  else if (strcmp(cmd, "reinit") == 0) broadcast(LINE_LINEDEVSTATE, LINEDEVSTATE_REINIT, 0, 0);
  else if (strcmp(cmd, "kill_apps") == 0) {
    /* the Telephony service restarted: every app handle is dead (lineGetMessage: INVALAPPHANDLE) */
    for (int i = 0; i < MAX_APPS; ++i)
      if (g.apps[i].used && g.apps[i].alive) shutdown_app(i);
  }
  else if (strcmp(cmd, "devstate") == 0) cmd_devstate(a, n, &ack);
  else if (strcmp(cmd, "set") == 0) cmd_set(a, n, &ack);
  else if (strcmp(cmd, "dump") == 0) dump_state();
  else if (strcmp(cmd, "hang") == 0) ack.error = faults_hang_command(n > 1 ? a[1] : NULL, n > 2 ? a[2] : NULL);
  else if (strcmp(cmd, "unhang") == 0) faults_unhang();
  else if (strcmp(cmd, "corrupt") == 0) faults_corrupt_command(a, n, &ack);
  else if (strcmp(cmd, "bye") == 0) {
    /* the test session ends: the next lineInitializeExW connects again (and resets the model) */
  }
  else if (strcmp(cmd, "ping") == 0) json_escape(token, sizeof token, n > 1 ? a[1] : "");
  else ack.error = call_cmd(cmd, a, n, &ack);
  char cmdJ[128], errJ[256] = "";
  json_escape(cmdJ, sizeof cmdJ, cmd);
  if (ack.error) json_escape(errJ, sizeof errJ, ack.error);
  char extra[64] = "";
  if (ack.call >= 0) snprintf(extra, sizeof extra, ",\"call\":%ld", ack.call);
  if (ack.dev >= 0) snprintf(extra + strlen(extra), sizeof extra - strlen(extra), ",\"dev\":%ld", ack.dev);
  if (strcmp(cmd, "ping") == 0) log_json("\"ev\":\"pong\",\"token\":\"%s\"", token);
  if (strcmp(cmd, "bye") == 0) {
    g.ready = 0;
    ResetEvent(g.readyEvent);
    log_json_last("\"ev\":\"ack\",\"cmd\":\"bye\",\"error\":null");
  } else if (ack.error) {
    log_json("\"ev\":\"ack\",\"cmd\":\"%s\",\"error\":\"%s\"%s", cmdJ, errJ, extra);
  } else {
    log_json("\"ev\":\"ack\",\"cmd\":\"%s\",\"error\":null%s", cmdJ, extra);
  }
  LeaveCriticalSection(&g.lock);
}
