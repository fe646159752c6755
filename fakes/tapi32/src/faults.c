/* Faults of a misbehaving TSP, scripted by the test (see ../README.md):
 *   hang <fn> [ms]        the next call of <fn> (lineClose, lineShutdown, ...) blocks inside the DLL, without
 *                         holding the model lock, for ms milliseconds or (no ms / 0) until `unhang`
 *   unhang                every call hanging now returns (and goes on as if nothing happened)
 *   corrupt <fn> used|needed <value>                 every later call of <fn> reports this dwUsedSize/dwNeededSize
 *   corrupt <fn> part <Name> <offset> <size>         ... and this Offset/Size pair for the variable part <Name>
 *   corrupt <fn> count <n>                           ... and dwCallsNumEntries = n (lineGetNewCalls)
 *   corrupt <fn> off                                 forget the rules of <fn>
 * Corruption is applied after the structure was filled, only to fields inside dwTotalSize (the fake
 * itself never writes past the caller's buffer); what the caller then reads is its own business. */
#include "fake.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HANGS 8
#define MAX_CORRUPT 32

typedef struct {
  int used;
  char fn[64];
  DWORD ms; /* 0 = until unhang */
} HangRule;

enum CorruptKind { CORRUPT_DWORD = 1, CORRUPT_PART };

typedef struct {
  int used;
  char fn[64];
  int kind;
  DWORD at;      /* byte offset of the (Size) field */
  DWORD at2;     /* CORRUPT_PART: byte offset of the Offset field */
  DWORD value;   /* DWORD value, or the part's size */
  DWORD value2;  /* CORRUPT_PART: the part's offset */
  char what[48]; /* for the log */
} CorruptRule;

static HangRule s_hangs[MAX_HANGS];
static CorruptRule s_corrupt[MAX_CORRUPT];
static volatile LONG s_unhangGeneration = 0;

/* Variable parts the tests can corrupt: function, part name, offsetof Size, offsetof Offset. */
typedef struct {
  const char *fn;
  const char *name;
  DWORD sizeAt, offsetAt;
} PartField;

#define PART(fn, type, name) {fn, #name, (DWORD)offsetof(type, dw##name##Size), (DWORD)offsetof(type, dw##name##Offset)}
static const PartField k_parts[] = {
    PART("lineGetDevCapsW", LINEDEVCAPS, ProviderInfo),
    PART("lineGetDevCapsW", LINEDEVCAPS, SwitchInfo),
    PART("lineGetDevCapsW", LINEDEVCAPS, LineName),
    PART("lineGetDevCapsW", LINEDEVCAPS, DevSpecific),
    PART("lineGetAddressCapsW", LINEADDRESSCAPS, Address),
    PART("lineGetAddressCapsW", LINEADDRESSCAPS, DevSpecific),
    PART("lineGetCallInfoW", LINECALLINFO, CallerID),
    PART("lineGetCallInfoW", LINECALLINFO, CallerIDName),
    PART("lineGetCallInfoW", LINECALLINFO, CalledID),
    PART("lineGetCallInfoW", LINECALLINFO, CalledIDName),
    PART("lineGetCallInfoW", LINECALLINFO, ConnectedID),
    PART("lineGetCallInfoW", LINECALLINFO, ConnectedIDName),
    PART("lineGetCallInfoW", LINECALLINFO, RedirectingID),
    PART("lineGetCallInfoW", LINECALLINFO, RedirectingIDName),
    PART("lineGetCallInfoW", LINECALLINFO, AppName),
    PART("lineGetNewCalls", LINECALLLIST, Calls),
};

void faults_reset(void) {
  memset(s_hangs, 0, sizeof s_hangs);
  memset(s_corrupt, 0, sizeof s_corrupt);
  InterlockedIncrement(&s_unhangGeneration);
}

const char *faults_hang_command(const char *fn, const char *ms) {
  if (!fn || !*fn) return "usage: hang <function> [ms]";
  for (int i = 0; i < MAX_HANGS; ++i) {
    if (s_hangs[i].used) continue;
    s_hangs[i].used = 1;
    lstrcpynA(s_hangs[i].fn, fn, sizeof s_hangs[i].fn);
    s_hangs[i].ms = ms && *ms ? (DWORD)strtoul(ms, NULL, 0) : 0;
    return NULL;
  }
  return "too many hang rules";
}

void faults_unhang(void) {
  InterlockedIncrement(&s_unhangGeneration);
  memset(s_hangs, 0, sizeof s_hangs);
}

/* Called at the top of an exported function, WITHOUT g.lock: blocks there when a rule says so. */
void faults_maybe_hang(const char *fn) {
  EnterCriticalSection(&g.lock);
  DWORD ms = 0;
  int found = 0;
  for (int i = 0; i < MAX_HANGS && !found; ++i) {
    if (!s_hangs[i].used || _stricmp(s_hangs[i].fn, fn) != 0) continue;
    found = 1;
    ms = s_hangs[i].ms;
    s_hangs[i].used = 0;
  }
  LONG generation = s_unhangGeneration;
  if (found) log_json("\"ev\":\"hang\",\"fn\":\"%s\",\"ms\":%lu,\"tid\":%lu", fn, (unsigned long)ms, (unsigned long)GetCurrentThreadId());
  LeaveCriticalSection(&g.lock);
  if (!found) return;
  DWORD start = GetTickCount();
  while (s_unhangGeneration == generation && (ms == 0 || GetTickCount() - start < ms)) Sleep(10);
  EnterCriticalSection(&g.lock);
  log_json("\"ev\":\"unhung\",\"fn\":\"%s\",\"after\":%lu", fn, (unsigned long)(GetTickCount() - start));
  LeaveCriticalSection(&g.lock);
}

static CorruptRule *new_rule(const char *fn, Ack *ack) {
  for (int i = 0; i < MAX_CORRUPT; ++i) {
    if (s_corrupt[i].used) continue;
    memset(&s_corrupt[i], 0, sizeof s_corrupt[i]);
    s_corrupt[i].used = 1;
    lstrcpynA(s_corrupt[i].fn, fn, sizeof s_corrupt[i].fn);
    return &s_corrupt[i];
  }
  ack->error = "too many corrupt rules";
  return NULL;
}

void faults_corrupt_command(char **a, int n, Ack *ack) {
  const char *usage = "usage: corrupt <fn> used|needed <value> | part <Name> <offset> <size> | count <n> | off";
  if (n < 3) {
    ack->error = usage;
    return;
  }
  const char *fn = a[1], *what = a[2];
  if (_stricmp(what, "off") == 0) {
    for (int i = 0; i < MAX_CORRUPT; ++i)
      if (s_corrupt[i].used && _stricmp(s_corrupt[i].fn, fn) == 0) s_corrupt[i].used = 0;
    return;
  }
  if ((_stricmp(what, "used") == 0 || _stricmp(what, "needed") == 0 || _stricmp(what, "count") == 0) && n >= 4) {
    CorruptRule *r = new_rule(fn, ack);
    if (!r) return;
    r->kind = CORRUPT_DWORD;
    r->at = _stricmp(what, "used") == 0 ? 8 : _stricmp(what, "needed") == 0 ? 4 : (DWORD)offsetof(LINECALLLIST, dwCallsNumEntries);
    r->value = (DWORD)strtoul(a[3], NULL, 0);
    lstrcpynA(r->what, what, sizeof r->what);
    return;
  }
  if (_stricmp(what, "part") == 0 && n >= 6) {
    for (size_t i = 0; i < sizeof k_parts / sizeof k_parts[0]; ++i) {
      if (_stricmp(k_parts[i].fn, fn) != 0 || _stricmp(k_parts[i].name, a[3]) != 0) continue;
      CorruptRule *r = new_rule(fn, ack);
      if (!r) return;
      r->kind = CORRUPT_PART;
      r->at = k_parts[i].sizeAt;
      r->at2 = k_parts[i].offsetAt;
      r->value2 = (DWORD)strtoul(a[4], NULL, 0);
      r->value = (DWORD)strtoul(a[5], NULL, 0);
      lstrcpynA(r->what, k_parts[i].name, sizeof r->what);
      return;
    }
    ack->error = "unknown part for this function";
    return;
  }
  ack->error = usage;
}

static void put(BYTE *s, DWORD at, DWORD value, DWORD total) {
  if (at + sizeof(DWORD) <= total) memcpy(s + at, &value, sizeof value);
}

/* Called with g.lock held after a successful fill of the structure `s` (first DWORD = dwTotalSize). */
void faults_corrupt_struct(const char *fn, void *s) {
  if (!s) return;
  BYTE *b = (BYTE *)s;
  DWORD total;
  memcpy(&total, b, sizeof total);
  for (int i = 0; i < MAX_CORRUPT; ++i) {
    CorruptRule *r = &s_corrupt[i];
    if (!r->used || _stricmp(r->fn, fn) != 0) continue;
    put(b, r->at, r->value, total);
    if (r->kind == CORRUPT_PART) put(b, r->at2, r->value2, total);
    log_json("\"ev\":\"corrupted\",\"fn\":\"%s\",\"what\":\"%s\",\"value\":\"0x%08lx\",\"offset\":\"0x%08lx\"", fn, r->what,
             (unsigned long)r->value, (unsigned long)r->value2);
  }
}
