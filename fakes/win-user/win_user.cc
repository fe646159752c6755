// win-user.exe: plays the user in front of the screen for the Wine tests (DialogUser).
//   win-user.exe list                 JSON array of visible top-level windows titled "Wildix CTI…":
//                                     [{"id":n,"kind":"dialog|messagebox|other","title":"…",
//                                       "texts":["…"],"buttons":[{"label":"…","enabled":true}],
//                                       "rect":[l,t,r,b],"textRects":[[l,t,r,b],…],"buttonRects":[…],
//                                       "topmost":bool,"noActivate":bool,"dpi":n,"dpiAwareness":n}]
//                                     (dpi: GetDpiForWindow; dpiAwareness of the window's thread:
//                                     0 unaware, 1 system aware, 2 per monitor, -1 unknown)
//                                     (rects in physical screen pixels: this program is DPI aware)
//   win-user.exe editor <title>       a window of "the program the user is typing in": top-level
//                                     window <title> with an EDIT control that takes the keyboard
//                                     focus; prints {"ok":true} once it is in front, then runs until
//                                     it gets WM_CLOSE (win-user.exe close <title>)
//   win-user.exe close <title>        WM_CLOSE to the top-level window with exactly this title
//   win-user.exe foreground           {"title":"…","class":"…","focusClass":"…","focusTitle":"…"}:
//                                     the foreground window and the control with the keyboard focus
//   win-user.exe click <id> <label>   press the button (BM_CLICK) as a user would: a disabled
//                                     button is not pressed ({"ok":false,"reason":"disabled"})
//   win-user.exe dismiss <id>         close the window like its X button (WM_CLOSE)
//   win-user.exe command <class> <n>  post WM_COMMAND n to the (hidden) top-level window of that class,
//                                     as a menu click does (e.g. the tray: WildixCtiTray 1002 = "Beenden")
//   win-user.exe post <class> <msg> <wparam> <lparam>
//                                     post any message (decimal numbers) to that window, e.g. the tray
//                                     icon's mouse notification (WM_APP+1 = 32769, lparam 515 =
//                                     WM_LBUTTONDBLCLK): {"ok":true} or not-found (exit 2)
// Dialog ids come from the window property "WildixCtiDialogId" set by native/ui.
// Output is UTF-8 JSON on stdout; exit code 0 = done, 2 = window/button not found, 1 = usage.
#include <windows.h>

#include <cstdio>
#include <cwchar>
#include <string>
#include <vector>

#ifndef DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE_V2
#define DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE_V2 ((HANDLE)-4)
#endif

namespace {

constexpr wchar_t kDialogIdProperty[] = L"WildixCtiDialogId";
constexpr wchar_t kTitlePrefix[] = L"Wildix CTI";

std::string Utf8(const std::wstring& w) {
  if (w.empty()) return std::string();
  int n = WideCharToMultiByte(CP_UTF8, 0, w.c_str(), static_cast<int>(w.size()), nullptr, 0, nullptr, nullptr);
  std::string s(static_cast<size_t>(n), '\0');
  WideCharToMultiByte(CP_UTF8, 0, w.c_str(), static_cast<int>(w.size()), &s[0], n, nullptr, nullptr);
  return s;
}

std::string JsonString(const std::wstring& w) {
  std::string in = Utf8(w), out = "\"";
  for (unsigned char c : in) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

void Print(const std::string& s) {
  DWORD written = 0;
  HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
  WriteFile(out, s.data(), static_cast<DWORD>(s.size()), &written, nullptr);
}

std::wstring WindowText(HWND hwnd) {
  int len = GetWindowTextLengthW(hwnd);
  std::wstring s(static_cast<size_t>(len) + 1, L'\0');
  len = GetWindowTextW(hwnd, &s[0], len + 1);
  s.resize(static_cast<size_t>(len > 0 ? len : 0));
  return s;
}

std::wstring ClassOf(HWND hwnd) {
  wchar_t name[128] = {};
  GetClassNameW(hwnd, name, 128);
  return name;
}

struct Found {
  HWND hwnd;
  long long id;
};

BOOL CALLBACK CollectTop(HWND hwnd, LPARAM param) {
  if (!IsWindowVisible(hwnd)) return TRUE;
  std::wstring title = WindowText(hwnd);
  if (title.compare(0, wcslen(kTitlePrefix), kTitlePrefix) != 0) return TRUE;
  auto* list = reinterpret_cast<std::vector<Found>*>(param);
  list->push_back({hwnd, static_cast<long long>(reinterpret_cast<uintptr_t>(GetPropW(hwnd, kDialogIdProperty)))});
  return TRUE;
}

std::vector<Found> TopWindows() {
  std::vector<Found> list;
  EnumWindows(&CollectTop, reinterpret_cast<LPARAM>(&list));
  return list;
}

BOOL CALLBACK CollectChildren(HWND hwnd, LPARAM param) {
  reinterpret_cast<std::vector<HWND>*>(param)->push_back(hwnd);
  return TRUE;
}

std::vector<HWND> Children(HWND hwnd) {
  std::vector<HWND> list;
  EnumChildWindows(hwnd, &CollectChildren, reinterpret_cast<LPARAM>(&list));
  return list;
}

bool IsPushButton(HWND child) {
  if (_wcsicmp(ClassOf(child).c_str(), L"Button") != 0) return false;
  LONG_PTR type = GetWindowLongPtrW(child, GWL_STYLE) & BS_TYPEMASK;
  return type == BS_PUSHBUTTON || type == BS_DEFPUSHBUTTON;
}

std::string RectJson(HWND hwnd) {
  RECT r{};
  GetWindowRect(hwnd, &r);
  return "[" + std::to_string(r.left) + "," + std::to_string(r.top) + "," + std::to_string(r.right) + "," +
         std::to_string(r.bottom) + "]";
}

// GetDpiForWindow and the window's DPI awareness, when user32 has them (Windows 10 1607+, Wine 4+).
int WindowDpi(HWND hwnd) {
  using Fn = UINT(WINAPI*)(HWND);
  static auto fn = reinterpret_cast<Fn>(reinterpret_cast<void*>(GetProcAddress(GetModuleHandleW(L"user32.dll"), "GetDpiForWindow")));
  return fn ? static_cast<int>(fn(hwnd)) : -1;
}

int WindowDpiAwareness(HWND hwnd) {
  using GetContext = HANDLE(WINAPI*)(HWND);
  using GetAwareness = int(WINAPI*)(HANDLE);
  HMODULE user32 = GetModuleHandleW(L"user32.dll");
  static auto get_context = reinterpret_cast<GetContext>(reinterpret_cast<void*>(GetProcAddress(user32, "GetWindowDpiAwarenessContext")));
  static auto get_awareness =
      reinterpret_cast<GetAwareness>(reinterpret_cast<void*>(GetProcAddress(user32, "GetAwarenessFromDpiAwarenessContext")));
  if (!get_context || !get_awareness) return -1;
  HANDLE context = get_context(hwnd);
  return context ? get_awareness(context) : -1;
}

int List() {
  std::string json = "[";
  bool first = true;
  for (const Found& w : TopWindows()) {
    std::wstring cls = ClassOf(w.hwnd);
    const char* kind = cls == L"WildixCtiDialog" ? "dialog" : cls == L"#32770" ? "messagebox" : "other";
    std::string texts, buttons, text_rects, button_rects;
    for (HWND child : Children(w.hwnd)) {
      if (!IsWindowVisible(child)) continue;
      std::wstring text = WindowText(child);
      if (_wcsicmp(ClassOf(child).c_str(), L"Static") == 0) {
        if (text.empty()) continue;  // icons, empty headings
        texts += (texts.empty() ? "" : ",") + JsonString(text);
        text_rects += (text_rects.empty() ? "" : ",") + RectJson(child);
      } else if (IsPushButton(child)) {
        buttons += std::string(buttons.empty() ? "" : ",") + "{\"label\":" + JsonString(text) +
                   ",\"enabled\":" + (IsWindowEnabled(child) ? "true" : "false") + "}";
        button_rects += (button_rects.empty() ? "" : ",") + RectJson(child);
      }
    }
    const LONG_PTR ex = GetWindowLongPtrW(w.hwnd, GWL_EXSTYLE);
    json += std::string(first ? "" : ",") + "{\"id\":" + std::to_string(w.id) + ",\"kind\":\"" + kind +
            "\",\"title\":" + JsonString(WindowText(w.hwnd)) + ",\"texts\":[" + texts + "],\"buttons\":[" + buttons +
            "],\"rect\":" + RectJson(w.hwnd) + ",\"textRects\":[" + text_rects + "],\"buttonRects\":[" +
            button_rects + "],\"topmost\":" + ((ex & WS_EX_TOPMOST) ? "true" : "false") +
            ",\"noActivate\":" + ((ex & WS_EX_NOACTIVATE) ? "true" : "false") + ",\"dpi\":" +
            std::to_string(WindowDpi(w.hwnd)) + ",\"dpiAwareness\":" + std::to_string(WindowDpiAwareness(w.hwnd)) + "}";
    first = false;
  }
  Print(json + "]\n");
  return 0;
}

HWND FindById(long long id) {
  for (const Found& w : TopWindows()) {
    if (w.id == id) return w.hwnd;
  }
  return nullptr;
}

int NotFound(const std::string& what) {
  Print("{\"ok\":false,\"reason\":\"not-found\",\"what\":" + JsonString(std::wstring(what.begin(), what.end())) + "}\n");
  return 2;
}

int Click(long long id, const std::wstring& label) {
  HWND hwnd = FindById(id);
  if (!hwnd) return NotFound("window");
  for (HWND child : Children(hwnd)) {
    if (!IsPushButton(child) || !IsWindowVisible(child) || WindowText(child) != label) continue;
    if (!IsWindowEnabled(child)) {
      Print("{\"ok\":false,\"reason\":\"disabled\"}\n");
      return 0;
    }
    DWORD_PTR ignored = 0;
    SendMessageTimeoutW(child, BM_CLICK, 0, 0, SMTO_ABORTIFHUNG, 5000, &ignored);
    Print("{\"ok\":true}\n");
    return 0;
  }
  return NotFound("button");
}

int Dismiss(long long id) {
  HWND hwnd = FindById(id);
  if (!hwnd) return NotFound("window");
  PostMessageW(hwnd, WM_CLOSE, 0, 0);
  Print("{\"ok\":true}\n");
  return 0;
}

int Post(const std::wstring& cls, UINT msg, WPARAM wp, LPARAM lp) {
  HWND hwnd = FindWindowW(cls.c_str(), nullptr);
  if (!hwnd) return NotFound("window");
  if (!PostMessageW(hwnd, msg, wp, lp)) return NotFound("window");
  Print("{\"ok\":true}\n");
  return 0;
}

int Command(const std::wstring& cls, unsigned long id) {
  return Post(cls, WM_COMMAND, MAKEWPARAM(static_cast<WORD>(id), 0), 0);
}

LRESULT CALLBACK EditorProc(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp) {
  switch (msg) {
    case WM_SIZE: {
      HWND edit = GetWindow(hwnd, GW_CHILD);
      if (edit) MoveWindow(edit, 0, 0, LOWORD(lp), HIWORD(lp), TRUE);
      return 0;
    }
    case WM_SETFOCUS: {  // the edit control keeps the keyboard focus whenever the window is active
      HWND edit = GetWindow(hwnd, GW_CHILD);
      if (edit) SetFocus(edit);
      return 0;
    }
    case WM_DESTROY:
      PostQuitMessage(0);
      return 0;
    default:
      return DefWindowProcW(hwnd, msg, wp, lp);
  }
}

int Editor(const std::wstring& title) {
  HINSTANCE instance = GetModuleHandleW(nullptr);
  WNDCLASSEXW wc{};
  wc.cbSize = sizeof(wc);
  wc.lpfnWndProc = EditorProc;
  wc.hInstance = instance;
  wc.hCursor = LoadCursorW(nullptr, MAKEINTRESOURCEW(32512));
  wc.lpszClassName = L"WinUserEditor";
  RegisterClassExW(&wc);
  HWND hwnd = CreateWindowExW(0, L"WinUserEditor", title.c_str(), WS_OVERLAPPEDWINDOW, 40, 40, 500, 300, nullptr,
                              nullptr, instance, nullptr);
  if (!hwnd) return NotFound("window");
  HWND edit = CreateWindowExW(WS_EX_CLIENTEDGE, L"EDIT", L"", WS_CHILD | WS_VISIBLE | ES_MULTILINE, 0, 0, 500, 300, hwnd,
                              nullptr, instance, nullptr);
  ShowWindow(hwnd, SW_SHOWNORMAL);
  SetForegroundWindow(hwnd);
  SetActiveWindow(hwnd);
  SetFocus(edit);
  UpdateWindow(hwnd);
  Print("{\"ok\":true}\n");
  MSG msg;
  while (GetMessageW(&msg, nullptr, 0, 0) > 0) {
    TranslateMessage(&msg);
    DispatchMessageW(&msg);
  }
  return 0;
}

int CloseTitled(const std::wstring& title) {
  HWND hwnd = FindWindowW(nullptr, title.c_str());
  if (!hwnd) return NotFound("window");
  PostMessageW(hwnd, WM_CLOSE, 0, 0);
  Print("{\"ok\":true}\n");
  return 0;
}

int Foreground() {
  HWND fg = GetForegroundWindow();
  GUITHREADINFO gti{};
  gti.cbSize = sizeof(gti);
  HWND focus = nullptr;
  if (fg && GetGUIThreadInfo(GetWindowThreadProcessId(fg, nullptr), &gti)) focus = gti.hwndFocus;
  Print("{\"title\":" + JsonString(fg ? WindowText(fg) : L"") + ",\"class\":" + JsonString(fg ? ClassOf(fg) : L"") +
        ",\"focusClass\":" + JsonString(focus ? ClassOf(focus) : L"") + ",\"focusTitle\":" +
        JsonString(focus ? WindowText(focus) : L"") + "}\n");
  return 0;
}

// Physical pixels for every coordinate this program reads or prints, whatever the system DPI.
void BecomeDpiAware() {
  HMODULE user32 = GetModuleHandleW(L"user32.dll");
  if (!user32) return;
  using SetContext = BOOL(WINAPI*)(HANDLE);
  auto set_context = reinterpret_cast<SetContext>(reinterpret_cast<void*>(GetProcAddress(user32, "SetProcessDpiAwarenessContext")));
  if (set_context && set_context(DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE_V2)) return;
  using SetAware = BOOL(WINAPI*)();
  auto set_aware = reinterpret_cast<SetAware>(reinterpret_cast<void*>(GetProcAddress(user32, "SetProcessDPIAware")));
  if (set_aware) set_aware();
}

}  // namespace

int wmain(int argc, wchar_t** argv) {
  BecomeDpiAware();
  std::wstring cmd = argc > 1 ? argv[1] : L"";
  if (cmd == L"editor" && argc == 3) return Editor(argv[2]);
  if (cmd == L"close" && argc == 3) return CloseTitled(argv[2]);
  if (cmd == L"foreground" && argc == 2) return Foreground();
  if (cmd == L"list" && argc == 2) return List();
  if (cmd == L"click" && argc == 4) return Click(std::wcstoll(argv[2], nullptr, 10), argv[3]);
  if (cmd == L"dismiss" && argc == 3) return Dismiss(std::wcstoll(argv[2], nullptr, 10));
  if (cmd == L"command" && argc == 4) return Command(argv[2], std::wcstoul(argv[3], nullptr, 10));
  if (cmd == L"post" && argc == 6) {
    return Post(argv[2], static_cast<UINT>(std::wcstoul(argv[3], nullptr, 10)),
                static_cast<WPARAM>(std::wcstoull(argv[4], nullptr, 10)), static_cast<LPARAM>(std::wcstoll(argv[5], nullptr, 10)));
  }
  Print("usage: win-user.exe list | click <id> <label> | dismiss <id> | command <class> <id> | post <class> <msg> <wparam> <lparam>"
        " | editor <title> | close <title> | foreground\n");
  return 1;
}
