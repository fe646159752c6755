// native-probe.exe: runs the addon's own native code (native/ui, native/tapi, native/tray, native/win, the COM thread)
// in a plain Windows process under Wine, where a test can do what JS cannot: block a dialog thread at
// an exact point, hand the window procedure a pointer (WM_DPICHANGED), and make any allocation fail.
// Built only as a test tool (fakes/ and test/ tools, WILDIX_BUILD_TEST_TOOLS); driven by
// test/wine/native.wine.test.ts. Prints JSON lines; exit code 0 = done, 1 = usage/setup error,
// 99 = std::terminate (an exception escaped a boundary: the line before says where).
//
//   native-probe.exe race           a click handled after close() was requested -> the outcome
//   native-probe.exe dpi            a dialog created by a DPI-unaware process: its DPI awareness,
//                                   DPI and sizes; then WM_DPICHANGED to twice that DPI: sizes again
//   native-probe.exe pump           a COM apartment's PumpUntil while a message posts the next one for 3 s:
//                                   it must return at its timeout, not when the stream stops
//   native-probe.exe start          a COM thread whose start is held up (another thread holds the loader
//                                   lock for 3 s): Start gives up at its bound, the thread ends by itself
//   native-probe.exe sweep <what> [persistent]
//                                   <what> = tapi | dialog | tray | session: runs the scenario once to
//                                   count its allocations, then once per allocation N with the N-th
//                                   operator new throwing std::bad_alloc (persistent: every one from N
//                                   on), checking that nothing escapes and every command is answered
#include <windows.h>

#include <cstdio>
#include <cstring>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <functional>
#include <cstdlib>
#include <exception>
#include <malloc.h>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "com/sta_thread.h"
#include "tapi/tapi_thread.h"
#include "tray/tray_window.h"
#include "ui/dialog_state.h"
#include "ui/dialog_window.h"
#include "win/dpi.h"
#include "win/session_watch.h"
#include "win/thread.h"
#include "win/window_threads.h"

// ---- allocation failure injection -----------------------------------------------------------------

namespace {
std::atomic<bool> g_armed{false};
std::atomic<long> g_countdown{0};  // the allocation that reaches 0 throws
std::atomic<bool> g_persistent{false};
std::atomic<long> g_allocations{0};
std::atomic<long> g_injected{0};

// PROBE_TRACE=1: the call stack of every failing allocation (module offsets, for addr2line on an
// unstripped build) goes to stderr.
void TraceFailure() {
  static const bool on = [] {
    char v[8] = "";
    return GetEnvironmentVariableA("PROBE_TRACE", v, sizeof v) > 0 && v[0] == '1';
  }();
  if (!on) return;
  void* frames[24];
  const USHORT n = RtlCaptureStackBackTrace(2, 24, frames, nullptr);
  const auto base = reinterpret_cast<uintptr_t>(GetModuleHandleW(nullptr));
  char line[1024];
  int len = snprintf(line, sizeof line, "failing allocation, thread %lu:", GetCurrentThreadId());
  for (USHORT i = 0; i < n && len < 1000; ++i) len += snprintf(line + len, sizeof line - len, " 0x%llx", static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(frames[i]) - base + 0x140000000ull));
  snprintf(line + len, sizeof line - len, "\n");
  DWORD written = 0;
  WriteFile(GetStdHandle(STD_ERROR_HANDLE), line, static_cast<DWORD>(strlen(line)), &written, nullptr);
}

bool ShouldFail() {
  if (!g_armed.load()) return false;
  g_allocations.fetch_add(1);
  const long left = g_countdown.fetch_sub(1) - 1;
  if (left == 0 || (g_persistent.load() && left < 0)) {
    g_injected.fetch_add(1);
    TraceFailure();
    return true;
  }
  return false;
}

void Arm(long n, bool persistent) {
  g_allocations = 0;
  g_injected = 0;
  g_persistent = persistent;
  g_countdown = n;
  g_armed = true;
}

long Disarm() {
  g_armed = false;
  return g_allocations.load();
}
}  // namespace

void* operator new(size_t n) {
  if (ShouldFail()) throw std::bad_alloc();
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  if (ShouldFail()) return nullptr;
  return std::malloc(n ? n : 1);
}
void* operator new[](size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void* operator new(size_t n, std::align_val_t a) {
  if (ShouldFail()) throw std::bad_alloc();
  if (void* p = _aligned_malloc(n ? n : 1, static_cast<size_t>(a))) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { _aligned_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { _aligned_free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { _aligned_free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { _aligned_free(p); }

namespace {

using wildix::ui::ButtonSpec;
using wildix::ui::CloseReason;
using wildix::ui::CloseReasonName;
using wildix::ui::DialogOutcome;
using wildix::ui::DialogSpec;
using wildix::ui::DialogState;

char g_where[160] = "start";  // what the probe was doing (printed when std::terminate is called)

void Out(const char* fmt, ...) {
  char line[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  DWORD written = 0;
  WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), line, static_cast<DWORD>(strlen(line)), &written, nullptr);
  WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), "\n", 1, &written, nullptr);
}

[[noreturn]] void OnTerminate() {
  g_armed = false;
  Out("{\"terminate\":true,\"where\":\"%s\"}", g_where);
  ExitProcess(99);
}

void Where(const char* fmt, long n) { snprintf(g_where, sizeof g_where, fmt, n); }

// ---- dialogs --------------------------------------------------------------------------------------

DialogSpec Incoming() {
  DialogSpec spec;
  spec.title = L"Wildix CTI \u2013 Probe";
  spec.heading = L"M\u00fcller & S\u00f6hne GmbH";
  spec.text = L"+49 89 1234567\nDATEV-Nr. 4711";
  spec.buttons.push_back(ButtonSpec{"answer", L"Annehmen", true});
  spec.buttons.push_back(ButtonSpec{"reject", L"Ablehnen", true});
  return spec;
}

struct DialogRun {
  std::shared_ptr<DialogState> state;
  DialogSpec spec;
  HANDLE shown = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  HANDLE proceed = CreateEventW(nullptr, TRUE, TRUE, nullptr);  // on_shown waits for it
  HANDLE done = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  std::atomic<HWND> hwnd{nullptr};
  bool ok = false;
  bool threw_in_loop = false;  // an exception left RunDialog after "shown": it came through the message loop
  bool threw_before = false;
  bool window_left = false;    // RunDialog threw but left its window behind
  DialogOutcome outcome;
  winx::Thread thread;
  ~DialogRun() {
    CloseHandle(shown);
    CloseHandle(proceed);
    CloseHandle(done);
  }
};

HWND FindDialog(const DialogSpec& spec) { return FindWindowW(L"WildixCtiDialog", spec.title.c_str()); }

// Runs RunDialog on a thread of its own, as native/ui does (the probe's catch plays DialogThread's).
bool StartDialog(DialogRun* run) {
  return run->thread.Start(
      [run] {
        bool in_loop = false;
        std::string error;
        try {
          run->ok = wildix::ui::RunDialog(
              run->state, run->spec,
              [run, &in_loop] {
                run->hwnd = FindDialog(run->spec);
                SetEvent(run->shown);
                WaitForSingleObject(run->proceed, INFINITE);
                in_loop = true;
              },
              &run->outcome, &error);
        } catch (...) {
          if (in_loop) run->threw_in_loop = true;
          else run->threw_before = true;
          if (FindDialog(run->spec)) run->window_left = true;
        }
        SetEvent(run->done);
      },
      "probe dialog thread");
}

std::string RectJson(HWND hwnd) {
  RECT r{};
  GetWindowRect(hwnd, &r);
  char buf[96];
  snprintf(buf, sizeof buf, "[%ld,%ld,%ld,%ld]", r.left, r.top, r.right, r.bottom);
  return buf;
}

int Awareness(HWND hwnd) {
  HMODULE user32 = GetModuleHandleW(L"user32.dll");
  using GetContext = HANDLE(WINAPI*)(HWND);
  using GetAwareness = int(WINAPI*)(HANDLE);
  auto get_context = reinterpret_cast<GetContext>(reinterpret_cast<void*>(GetProcAddress(user32, "GetWindowDpiAwarenessContext")));
  auto get_awareness =
      reinterpret_cast<GetAwareness>(reinterpret_cast<void*>(GetProcAddress(user32, "GetAwarenessFromDpiAwarenessContext")));
  if (!get_context || !get_awareness) return -1;
  return get_awareness(get_context(hwnd));
}

void PrintLayout(const char* stage, HWND hwnd) {
  std::string buttons, texts;
  for (HWND c = GetWindow(hwnd, GW_CHILD); c; c = GetWindow(c, GW_HWNDNEXT)) {
    wchar_t cls[32] = {};
    GetClassNameW(c, cls, 32);
    std::string& list = _wcsicmp(cls, L"Button") == 0 ? buttons : texts;
    list += (list.empty() ? "" : ",") + RectJson(c);
  }
  LOGFONTW font{};
  HFONT hfont = reinterpret_cast<HFONT>(SendMessageW(GetWindow(hwnd, GW_CHILD), WM_GETFONT, 0, 0));
  if (hfont) GetObjectW(hfont, sizeof font, &font);
  Out("{\"stage\":\"%s\",\"awareness\":%d,\"dpi\":%u,\"rect\":%s,\"texts\":[%s],\"buttons\":[%s],\"headingFontHeight\":%ld}", stage,
      Awareness(hwnd), winx::DpiForWindow(hwnd), RectJson(hwnd).c_str(), texts.c_str(), buttons.c_str(), font.lfHeight);
}

int Race() {
  DialogRun run;
  run.state = std::make_shared<DialogState>(1);
  run.spec = Incoming();
  ResetEvent(run.proceed);  // the dialog thread stops in on_shown: nothing is handled meanwhile
  if (!StartDialog(&run)) return 1;
  if (WaitForSingleObject(run.shown, 10000) != WAIT_OBJECT_0 || !run.hwnd) {
    Out("{\"error\":\"dialog not shown\"}");
    return 1;
  }
  HWND hwnd = run.hwnd;
  HWND answer = GetDlgItem(hwnd, 1000);
  // The user's click is queued first, then the program asks to close: the click is handled first.
  PostMessageW(hwnd, WM_COMMAND, MAKEWPARAM(1000, BN_CLICKED), reinterpret_cast<LPARAM>(answer));
  const bool requested = run.state->RequestClose();
  SetEvent(run.proceed);
  WaitForSingleObject(run.done, 10000);
  Out("{\"closeRequested\":%s,\"reason\":\"%s\",\"choice\":\"%s\"}", requested ? "true" : "false",
      CloseReasonName(run.outcome.reason), run.outcome.choice.c_str());
  return 0;
}

int Dpi() {
  DialogRun run;
  run.state = std::make_shared<DialogState>(2);
  run.spec = Incoming();
  if (!StartDialog(&run)) return 1;
  if (WaitForSingleObject(run.shown, 10000) != WAIT_OBJECT_0 || !run.hwnd) {
    Out("{\"error\":\"dialog not shown\"}");
    return 1;
  }
  HWND hwnd = run.hwnd;
  Sleep(0);
  PrintLayout("created", hwnd);
  const UINT dpi = winx::DpiForWindow(hwnd);
  RECT now{};
  GetWindowRect(hwnd, &now);
  RECT suggested = {now.left - 100, now.top - 100, now.left - 100 + 2 * (now.right - now.left),
                    now.top - 100 + 2 * (now.bottom - now.top)};
  // As Windows does when the window moves to a monitor with twice the DPI (same process: the RECT
  // pointer is valid in the window procedure).
  SendMessageW(hwnd, winx::kWmDpiChanged, MAKEWPARAM(2 * dpi, 2 * dpi), reinterpret_cast<LPARAM>(&suggested));
  PrintLayout("dpichanged", hwnd);
  Out("{\"suggestedTopLeft\":[%ld,%ld]}", suggested.left, suggested.top);
  run.state->RequestClose();
  WaitForSingleObject(run.done, 10000);
  return 0;
}

// ---- sweeps ---------------------------------------------------------------------------------------

// A callback that came after its Stop returned (the contract says: never).
std::atomic<bool>& late_callback_flag() {
  static std::atomic<bool> flag{false};
  return flag;
}

struct Totals {
  long iterations = 0, injected = 0, failed_commands = 0, lost = 0, not_started = 0, problems = 0;
  long left_windows = 0, loop_escapes = 0, late_callbacks = 0;
};

// TAPI: initialize, list, open, make a call, get its info, close the line, shut down, stop.
struct TapiRecorder {
  std::atomic<int> answers[16];
  std::atomic<int> failures[16];
  std::atomic<uint32_t> numbers[16];
  std::atomic<int> exits{0};
  HANDLE answered = CreateEventW(nullptr, FALSE, FALSE, nullptr);
  TapiRecorder() {
    for (int i = 0; i < 16; ++i) answers[i] = failures[i] = 0, numbers[i] = 0;
  }
  ~TapiRecorder() { CloseHandle(answered); }
};

void SweepTapiOnce(long n, bool persistent, Totals* t) {
  TapiRecorder rec;
  std::shared_ptr<tapi::TapiThread> thread;
  tapi::TapiThread::ResultSink results = [&rec](uint32_t id, tapi::Outcome o) {  // allocation-free
    if (id < 16) {
      rec.answers[id]++;
      if (!o.ok) rec.failures[id]++;
      if (o.kind == tapi::Outcome::Kind::kNumber) rec.numbers[id] = o.number;
    }
    SetEvent(rec.answered);
  };
  tapi::TapiThread::EventSink events = [](tapi::EventData) {};
  tapi::TapiThread::ExitSink exit = [&rec] { rec.exits++; };
  Arm(n, persistent);
  try {
    thread = tapi::TapiThread::Create(results, events, exit, 1000);
  } catch (...) {
    Disarm();
    t->not_started++;
    return;
  }
  if (!thread->Start()) {
    Disarm();
    t->not_started++;
    return;
  }
  bool posted[16] = {};
  auto run = [&](uint32_t id, bool ok) {
    posted[id] = ok;
    if (!ok) return;
    const DWORD end = GetTickCount() + 10000;
    while (rec.answers[id] == 0 && GetTickCount() < end) WaitForSingleObject(rec.answered, 100);
  };
  // The arguments are made here, as JS does: their own allocations failing is the caller's business.
  auto call = [&](uint32_t id, auto post) {
    bool ok = false;
    try {
      ok = post();
    } catch (...) {
    }
    run(id, ok);
  };
  call(1, [&] { return thread->Initialize(1, L"probe"); });
  call(2, [&] { return thread->ListLines(2); });
  call(3, [&] { return thread->OpenLine(3, 0, 0x00020002); });
  const uint32_t hLine = rec.numbers[3];
  call(4, [&] { return thread->MakeCall(4, hLine ? hLine : 1, std::wstring(L"+4930123")); });
  call(5, [&] { return thread->CloseLine(5, hLine ? hLine : 1); });
  call(6, [&] { return thread->Shutdown(6); });
  const bool stopped = thread->Stop(5000);
  Disarm();
  for (int id = 1; id <= 6; ++id) {
    if (!posted[id]) continue;
    if (rec.answers[id] != 1) t->lost++;
    t->failed_commands += rec.failures[id];
  }
  if (rec.exits != 1 || !stopped) t->problems++;
}

void SweepDialogOnce(long n, bool persistent, Totals* t) {
  auto run = std::make_unique<DialogRun>();
  run->spec = Incoming();
  Arm(n, persistent);
  bool started = false;
  try {
    run->state = std::make_shared<DialogState>(3);
    started = StartDialog(run.get());
  } catch (...) {
  }
  if (!started) {
    Disarm();
    t->not_started++;
    return;
  }
  HANDLE either[2] = {run->shown, run->done};
  WaitForMultipleObjects(2, either, FALSE, 10000);
  HWND hwnd = run->hwnd;
  if (hwnd) {
    // What JS does to an open dialog (its own allocations may fail: the caller's business), then a
    // DPI change and the user's click, each handled by the window procedure.
    try {
      run->state->RequestUpdate(L"Verbunden mit M\u00fcller & S\u00f6hne GmbH", L"Dauer 00:05 \u2013 ein l\u00e4ngerer Text, der umbricht");
    } catch (...) {
    }
    try {
      run->state->RequestButtonEnabled("reject", false);
    } catch (...) {
    }
    RECT r{};
    GetWindowRect(hwnd, &r);
    SendMessageW(hwnd, winx::kWmDpiChanged, MAKEWPARAM(144, 144), reinterpret_cast<LPARAM>(&r));
    PostMessageW(hwnd, WM_COMMAND, MAKEWPARAM(1000, BN_CLICKED), reinterpret_cast<LPARAM>(GetDlgItem(hwnd, 1000)));
  }
  if (WaitForSingleObject(run->done, 10000) != WAIT_OBJECT_0) {
    t->problems++;  // the dialog did not end: leave it (and this run) to the process exit
    Disarm();
    run.release();
    return;
  }
  run->thread.Wait(5000);
  Disarm();
  if (run->threw_in_loop) t->loop_escapes++;
  if (run->window_left || FindDialog(run->spec)) t->left_windows++;
}

void SweepTrayOnce(long n, bool persistent, Totals* t) {
  static std::atomic<int> commands{0};
  static std::atomic<bool> stopped{false};
  commands = 0;
  stopped = false;
  Arm(n, persistent);
  unsigned long error = 0;
  tray::TrayStart r = tray::TrayStart::kFailed;
  try {
    r = tray::StartTray(
        [](tray::TrayCommand) {
          if (stopped) late_callback_flag() = true;
          // allocates like native/tray's hand-over to a ThreadSafeFunction (NonBlockingCall)
          auto handed_over = std::make_unique<std::function<void()>>([] {});
          commands++;
        },
        [](bool) {
          if (stopped) late_callback_flag() = true;
          auto handed_over = std::make_unique<std::function<void()>>([] {});
        },
        L"Wildix CTI \u2013 bereit", false, &error);
  } catch (...) {
  }
  if (r == tray::TrayStart::kStarted) {
    try {
      tray::SetTrayStatus(L"Wildix CTI \u2013 Leitung fehlt", true);
    } catch (...) {
    }
    HWND hwnd = FindWindowW(tray::kTrayWindowClass, nullptr);
    if (hwnd) {
      SendMessageW(hwnd, WM_COMMAND, MAKEWPARAM(tray::kCommandStatus, 0), 0);
      SendMessageW(hwnd, WM_APP + 1, 1, WM_LBUTTONDBLCLK);
      PostMessageW(hwnd, WM_COMMAND, MAKEWPARAM(tray::kCommandQuit, 0), 0);
    }
    tray::StopTray();
    stopped = true;
  } else {
    t->not_started++;
  }
  Disarm();
  if (FindWindowW(tray::kTrayWindowClass, nullptr)) t->left_windows++;
  if (late_callback_flag()) t->late_callbacks++;
  late_callback_flag() = false;
}

void SweepSessionOnce(long n, bool persistent, Totals* t) {
  static std::atomic<int> ends{0};
  static std::atomic<bool> stopped{false};
  ends = 0;
  stopped = false;
  Arm(n, persistent);
  bool ok = false;
  try {
    ok = winx::StartSessionWatch(
        [](winx::SessionEnd) {
          if (stopped) late_callback_flag() = true;
          auto handed_over = std::make_unique<std::function<void()>>([] {});  // as native/win's NonBlockingCall
          ends++;
        },
        100);
  } catch (...) {
  }
  if (ok) {
    HWND hwnd = FindWindowW(winx::kSessionWatchClass, nullptr);
    if (hwnd) SendMessageW(hwnd, WM_CLOSE, 0, 0);  // a stop request from outside
    winx::StopSessionWatch();
    stopped = true;
  } else {
    t->not_started++;
  }
  Disarm();
  if (FindWindowW(winx::kSessionWatchClass, nullptr)) t->left_windows++;
  if (late_callback_flag()) t->late_callbacks++;
  late_callback_flag() = false;
}

int Sweep(const std::wstring& what, bool persistent) {
  void (*once)(long, bool, Totals*) = nullptr;
  if (what == L"tapi") once = SweepTapiOnce;
  else if (what == L"dialog") once = SweepDialogOnce;
  else if (what == L"tray") once = SweepTrayOnce;
  else if (what == L"session") once = SweepSessionOnce;
  if (!once) return 1;
  Totals dry;
  Where("dry run", 0);
  once(-1, false, &dry);  // -1: never fails; counts the allocations
  const long count = g_allocations.load();
  if (dry.lost || dry.problems || dry.not_started || dry.left_windows || dry.loop_escapes || dry.failed_commands) {
    Out("{\"error\":\"the scenario fails without any injected failure\",\"lost\":%ld,\"problems\":%ld,\"notStarted\":%ld,"
        "\"failedCommands\":%ld}",
        dry.lost, dry.problems, dry.not_started, dry.failed_commands);
    return 1;
  }
  Totals t;
  for (long n = 1; n <= count; ++n) {
    snprintf(g_where, sizeof g_where, "%ls: allocation %ld of %ld failing%s", what.c_str(), n, count,
             persistent ? " (and every one after it)" : "");
    once(n, persistent, &t);
    t.iterations++;
    t.injected += g_injected.load();
  }
  Out("{\"sweep\":\"%ls\",\"persistent\":%s,\"allocations\":%ld,\"iterations\":%ld,\"injected\":%ld,\"failedCommands\":%ld,"
      "\"lost\":%ld,\"notStarted\":%ld,\"problems\":%ld,\"leftWindows\":%ld,\"loopEscapes\":%ld,\"lateCallbacks\":%ld}",
      what.c_str(), persistent ? "true" : "false", count, t.iterations, t.injected, t.failed_commands, t.lost, t.not_started,
      t.problems, t.left_windows, t.loop_escapes, t.late_callbacks);
  return 0;
}

// WindowThreads: a job that leaves a WM_QUIT behind (a window destroyed after its loop ended) must not
// end the next job's loop on the same thread; consecutive jobs share the thread.
int Reuse() {
  winx::WindowThreads threads("probe window thread", 1, 60000);
  HANDLE done = CreateEventW(nullptr, FALSE, FALSE, nullptr);
  std::atomic<DWORD> first{0}, second{0};
  std::atomic<bool> stale_quit{true};
  bool ran_a = threads.Run([&] {
    first = GetCurrentThreadId();
    PostQuitMessage(0);
    SetEvent(done);
  });
  bool a_done = ran_a && WaitForSingleObject(done, 10000) == WAIT_OBJECT_0;
  Sleep(300);  // the thread is back in the idle list
  bool ran_b = threads.Run([&] {
    second = GetCurrentThreadId();
    MSG msg;
    stale_quit = PeekMessageW(&msg, nullptr, WM_QUIT, WM_QUIT, PM_REMOVE) != FALSE;
    SetEvent(done);
  });
  bool b_done = ran_b && WaitForSingleObject(done, 10000) == WAIT_OBJECT_0;
  CloseHandle(done);
  Out("{\"reuse\":true,\"ran\":%s,\"sameThread\":%s,\"staleQuit\":%s}", a_done && b_done ? "true" : "false",
      first.load() != 0 && first.load() == second.load() ? "true" : "false", stale_quit.load() ? "true" : "false");
  return 0;
}

// A message-only window whose message posts the next one until g_echo_until: the thread's queue is
// never empty meanwhile.
constexpr UINT kEcho = WM_APP + 51;
std::atomic<ULONGLONG> g_echo_until{0};

LRESULT CALLBACK Echo(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp) {
  if (msg != kEcho) return DefWindowProcW(hwnd, msg, wp, lp);
  if (GetTickCount64() < g_echo_until.load()) PostMessageW(hwnd, kEcho, 0, 0);
  return 0;
}

int Pump() {
  auto sta = std::make_shared<datev::StaThread>("probe COM thread");
  if (FAILED(sta->Start([] {}, nullptr))) {
    Out("{\"error\":\"the COM thread did not start\"}");
    return 1;
  }
  HANDLE done = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  std::atomic<bool> returned_done{true};
  std::atomic<long long> elapsed{-1};
  const bool posted = sta->Post([&] {
    WNDCLASSW wc = {};
    wc.lpfnWndProc = Echo;
    wc.hInstance = GetModuleHandleW(nullptr);
    wc.lpszClassName = L"WildixProbeEcho";
    RegisterClassW(&wc);
    HWND echo = CreateWindowW(L"WildixProbeEcho", L"", 0, 0, 0, 0, 0, HWND_MESSAGE, nullptr, wc.hInstance, nullptr);
    g_echo_until = GetTickCount64() + 3000;
    PostMessageW(echo, kEcho, 0, 0);
    const ULONGLONG t0 = GetTickCount64();
    returned_done = sta->PumpUntil([] { return false; }, 200);
    elapsed = static_cast<long long>(GetTickCount64() - t0);
    g_echo_until = 0;
    DestroyWindow(echo);
    SetEvent(done);
  });
  const bool finished = posted && WaitForSingleObject(done, 15000) == WAIT_OBJECT_0;
  CloseHandle(done);
  sta->Stop(5000);
  Out("{\"pump\":true,\"finished\":%s,\"returnedDone\":%s,\"elapsedMs\":%lld}", finished ? "true" : "false",
      returned_done.load() ? "true" : "false", elapsed.load());
  return 0;
}

int StartHeldUp() {
  using LockFn = LONG(NTAPI*)(ULONG, ULONG*, ULONG_PTR*);
  using UnlockFn = LONG(NTAPI*)(ULONG, ULONG_PTR);
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  auto lock = reinterpret_cast<LockFn>(reinterpret_cast<void*>(GetProcAddress(ntdll, "LdrLockLoaderLock")));
  auto unlock = reinterpret_cast<UnlockFn>(reinterpret_cast<void*>(GetProcAddress(ntdll, "LdrUnlockLoaderLock")));
  if (!lock || !unlock) {
    Out("{\"error\":\"LdrLockLoaderLock is not available\"}");
    return 1;
  }
  HANDLE locked = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  HANDLE released = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  HANDLE kept_released = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  std::atomic<bool> exit_ran{false};
  // a new thread cannot start (attach to the DLLs) while another thread holds the loader lock
  std::thread holder([&] {
    ULONG_PTR cookie = 0;
    lock(0, nullptr, &cookie);
    SetEvent(locked);
    Sleep(3000);
    unlock(0, cookie);
    SetEvent(released);
  });
  WaitForSingleObject(locked, 5000);
  auto sta = std::make_shared<datev::StaThread>("probe COM thread");
  std::shared_ptr<void> keep(nullptr, [kept_released](void*) { SetEvent(kept_released); });
  const ULONGLONG t0 = GetTickCount64();
  const HRESULT hr = sta->Start([&exit_ran] { exit_ran = true; }, keep, 300);
  const long long elapsed = static_cast<long long>(GetTickCount64() - t0);
  keep.reset();  // the thread's own reference is the last one
  const bool lock_released = WaitForSingleObject(released, 10000) == WAIT_OBJECT_0;
  // once it can run, the given-up thread ends by itself (its exit job runs, it lets go of keepAlive)
  const bool thread_ended = WaitForSingleObject(kept_released, 10000) == WAIT_OBJECT_0;
  const bool posted = sta->Post([] {});
  holder.join();
  Out("{\"start\":true,\"hr\":%ld,\"elapsedMs\":%lld,\"lockReleased\":%s,\"threadEnded\":%s,\"exitRan\":%s,"
      "\"postAfter\":%s}",
      static_cast<long>(hr), elapsed, lock_released ? "true" : "false", thread_ended ? "true" : "false",
      exit_ran.load() ? "true" : "false", posted ? "true" : "false");
  CloseHandle(locked);
  CloseHandle(released);
  CloseHandle(kept_released);
  return 0;
}

}  // namespace

int wmain(int argc, wchar_t** argv) {
  std::set_terminate(OnTerminate);
  SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
  const std::wstring cmd = argc > 1 ? argv[1] : L"";
  if (cmd == L"race" && argc == 2) return Race();
  if (cmd == L"dpi" && argc == 2) return Dpi();
  if (cmd == L"reuse" && argc == 2) return Reuse();
  if (cmd == L"pump" && argc == 2) return Pump();
  if (cmd == L"start" && argc == 2) return StartHeldUp();
  if (cmd == L"sweep" && (argc == 3 || argc == 4)) return Sweep(argv[2], argc == 4 && std::wstring(argv[3]) == L"persistent");
  Out("usage: native-probe.exe race | dpi | reuse | pump | start | sweep tapi|dialog|tray|session [persistent]");
  return 1;
}
