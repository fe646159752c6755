// win-user.exe: plays the user in front of the screen for the Wine tests (DialogUser).
//   win-user.exe list                 JSON array of visible top-level windows titled "Wildix CTI…":
//                                     [{"id":n,"kind":"dialog|messagebox|other","title":"…",
//                                       "texts":["…"],"buttons":[{"label":"…","enabled":true}]}]
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

int List() {
  std::string json = "[";
  bool first = true;
  for (const Found& w : TopWindows()) {
    std::wstring cls = ClassOf(w.hwnd);
    const char* kind = cls == L"WildixCtiDialog" ? "dialog" : cls == L"#32770" ? "messagebox" : "other";
    std::string texts, buttons;
    for (HWND child : Children(w.hwnd)) {
      if (!IsWindowVisible(child)) continue;
      std::wstring text = WindowText(child);
      if (_wcsicmp(ClassOf(child).c_str(), L"Static") == 0) {
        if (text.empty()) continue;  // icons, empty headings
        texts += (texts.empty() ? "" : ",") + JsonString(text);
      } else if (IsPushButton(child)) {
        buttons += std::string(buttons.empty() ? "" : ",") + "{\"label\":" + JsonString(text) +
                   ",\"enabled\":" + (IsWindowEnabled(child) ? "true" : "false") + "}";
      }
    }
    json += std::string(first ? "" : ",") + "{\"id\":" + std::to_string(w.id) + ",\"kind\":\"" + kind +
            "\",\"title\":" + JsonString(WindowText(w.hwnd)) + ",\"texts\":[" + texts + "],\"buttons\":[" + buttons +
            "]}";
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

}  // namespace

int wmain(int argc, wchar_t** argv) {
  std::wstring cmd = argc > 1 ? argv[1] : L"";
  if (cmd == L"list" && argc == 2) return List();
  if (cmd == L"click" && argc == 4) return Click(std::wcstoll(argv[2], nullptr, 10), argv[3]);
  if (cmd == L"dismiss" && argc == 3) return Dismiss(std::wcstoll(argv[2], nullptr, 10));
  if (cmd == L"command" && argc == 4) return Command(argv[2], std::wcstoul(argv[3], nullptr, 10));
  if (cmd == L"post" && argc == 6) {
    return Post(argv[2], static_cast<UINT>(std::wcstoul(argv[3], nullptr, 10)),
                static_cast<WPARAM>(std::wcstoull(argv[4], nullptr, 10)), static_cast<LPARAM>(std::wcstoll(argv[5], nullptr, 10)));
  }
  Print("usage: win-user.exe list | click <id> <label> | dismiss <id> | command <class> <id> | post <class> <msg> <wparam> <lparam>\n");
  return 1;
}
