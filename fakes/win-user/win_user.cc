// win-user.exe: plays the user in front of the screen for the Wine tests (DialogUser, JournalWindowsUser).
//   win-user.exe list                 JSON array of visible top-level windows titled "Wildix CTI…":
//                                     [{"id":n,"kind":"dialog|messagebox|note|calllist|chooser|other",
//                                       "title":"…","texts":["…"],"buttons":[{"label":"…","enabled":true}],
//                                       "edits":["…"],"editRects":[…],"lists":[{"columns":["…"],"rows":[["…"]],"selected":n}],
//                                       "focused":bool,"rect":[l,t,r,b],"textRects":[[l,t,r,b],…],
//                                       "buttonRects":[…],"topmost":bool,"noActivate":bool,"dpi":n,
//                                       "dpiAwareness":n,"thread":n}]
//                                     (labels as a screen reader says them: mnemonic '&' removed;
//                                     lists: the ListViews, read from the window's process like a
//                                     screen reader does; selected -1 = none; focused: the keyboard
//                                     focus is in this window; dpi: GetDpiForWindow; dpiAwareness of
//                                     the window's thread: 0 unaware, 1 system aware, 2 per monitor,
//                                     -1 unknown; thread: the id of the window's thread; rects in
//                                     physical screen pixels: this program is DPI aware)
//   win-user.exe editor <title>       a window of "the program the user is typing in": top-level
//                                     window <title> with an EDIT control that takes the keyboard
//                                     focus; prints {"ok":true} once it is in front, then runs until
//                                     it gets WM_CLOSE (win-user.exe close <title>)
//   win-user.exe close <title>        WM_CLOSE to the top-level window with exactly this title
//   win-user.exe foreground           {"title":"…","class":"…","focusClass":"…","focusTitle":"…"}:
//                                     the foreground window and the control with the keyboard focus
//   win-user.exe click <id> <label>   press the button (BM_CLICK) as a user would: a disabled
//                                     button is not pressed ({"ok":false,"reason":"disabled"})
//   win-user.exe type <id> <hex>      type into the window's (first) Edit what <hex> (UTF-8, hex) says,
//                                     replacing its text (Ctrl+A, then one WM_CHAR per character through
//                                     the window's message queue, as typed keys arrive; a line break is
//                                     Enter), as far as the Edit takes it; returns once the Edit has
//                                     them: {"ok":true,"length":n} (n = the Edit's length afterwards)
//   win-user.exe select <id> <row>    select row <row> (0-based) of the window's (first) ListView,
//                                     as a click on it would ({"ok":true}; not-found for a bad row)
//   win-user.exe dismiss <id>         close the window like its X button (WM_CLOSE)
//   win-user.exe command <class> <n>  post WM_COMMAND n to the (hidden) top-level window of that class,
//                                     as a menu click does (e.g. the tray: WildixCtiTray 1002 = "Beenden")
//   win-user.exe post <class> <msg> <wparam> <lparam>
//                                     post any message (decimal numbers) to that window, e.g. the tray
//                                     icon's mouse notification (WM_APP+1 = 32769, lparam 515 =
//                                     WM_LBUTTONDBLCLK): {"ok":true} or not-found (exit 2)
// Window ids come from the window property "WildixCtiDialogId" set by native/ui.
// Output is UTF-8 JSON on stdout; exit code 0 = done, 2 = window/button/row not found, 1 = usage.
#include <windows.h>
#include <commctrl.h>

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

// A label as it is read out: "&Speichern" → "Speichern", "A && B" → "A & B".
std::wstring WithoutMnemonic(const std::wstring& label) {
  std::wstring out;
  for (size_t i = 0; i < label.size(); ++i) {
    if (label[i] == L'&' && i + 1 < label.size()) ++i;
    out.push_back(label[i]);
  }
  return out;
}

// The text of a STATIC as shown: without mnemonic marks unless it has SS_NOPREFIX.
std::wstring StaticText(HWND child) {
  std::wstring text = WindowText(child);
  return (GetWindowLongPtrW(child, GWL_STYLE) & SS_NOPREFIX) ? text : WithoutMnemonic(text);
}

LRESULT SendTimeout(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp);

// The text of an Edit in another process: GetWindowText would return its (unchanging) caption, so the
// control is asked itself (WM_GETTEXT, which Windows copies between the processes).
std::wstring EditText(HWND edit) {
  const LRESULT length = SendTimeout(edit, WM_GETTEXTLENGTH, 0, 0);
  if (length <= 0) return std::wstring();
  std::wstring text(static_cast<size_t>(length) + 1, L'\0');
  const LRESULT got = SendTimeout(edit, WM_GETTEXT, static_cast<WPARAM>(length + 1), reinterpret_cast<LPARAM>(&text[0]));
  text.resize(got > 0 ? static_cast<size_t>(got) : 0);
  return text;
}

bool IsClass(HWND hwnd, const wchar_t* name) { return _wcsicmp(ClassOf(hwnd).c_str(), name) == 0; }

// Memory in another process for the ListView messages that take pointers (LVM_GETITEMTEXTW, …): the
// pointer must be valid in the window's own process, as for every screen reader.
class RemoteBuffer {
 public:
  static constexpr SIZE_T kSize = 16384;
  explicit RemoteBuffer(HWND window) {
    DWORD pid = 0;
    GetWindowThreadProcessId(window, &pid);
    process_ = OpenProcess(PROCESS_VM_OPERATION | PROCESS_VM_READ | PROCESS_VM_WRITE | PROCESS_QUERY_INFORMATION, FALSE, pid);
    if (process_) memory_ = static_cast<char*>(VirtualAllocEx(process_, nullptr, kSize, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE));
  }
  ~RemoteBuffer() {
    if (memory_) VirtualFreeEx(process_, memory_, 0, MEM_RELEASE);
    if (process_) CloseHandle(process_);
  }
  RemoteBuffer(const RemoteBuffer&) = delete;
  RemoteBuffer& operator=(const RemoteBuffer&) = delete;
  bool ok() const { return memory_ != nullptr; }
  char* at(SIZE_T offset) const { return memory_ + offset; }
  bool Write(SIZE_T offset, const void* data, SIZE_T size) const {
    SIZE_T done = 0;
    return WriteProcessMemory(process_, memory_ + offset, data, size, &done) && done == size;
  }
  bool Read(SIZE_T offset, void* data, SIZE_T size) const {
    SIZE_T done = 0;
    return ReadProcessMemory(process_, memory_ + offset, data, size, &done) && done == size;
  }

 private:
  HANDLE process_ = nullptr;
  char* memory_ = nullptr;
};

constexpr SIZE_T kTextOffset = 1024;
constexpr int kTextChars = static_cast<int>((RemoteBuffer::kSize - kTextOffset) / sizeof(wchar_t));

LRESULT SendTimeout(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp) {
  DWORD_PTR result = 0;
  if (!SendMessageTimeoutW(hwnd, msg, wp, lp, SMTO_ABORTIFHUNG, 5000, &result)) return -1;
  return static_cast<LRESULT>(result);
}

// Reads the text the remote buffer holds at kTextOffset (up to `chars` characters).
std::wstring RemoteText(const RemoteBuffer& buffer, int chars) {
  if (chars <= 0) return std::wstring();
  if (chars > kTextChars - 1) chars = kTextChars - 1;
  std::wstring text(static_cast<size_t>(chars), L'\0');
  if (!buffer.Read(kTextOffset, &text[0], static_cast<SIZE_T>(chars) * sizeof(wchar_t))) return std::wstring();
  text.resize(wcsnlen(text.c_str(), text.size()));
  return text;
}

std::wstring ListCell(HWND list, const RemoteBuffer& buffer, int row, int column) {
  LVITEMW item{};
  item.iSubItem = column;
  item.pszText = reinterpret_cast<LPWSTR>(buffer.at(kTextOffset));
  item.cchTextMax = kTextChars;
  if (!buffer.Write(0, &item, sizeof(item))) return std::wstring();
  const LRESULT n = SendTimeout(list, LVM_GETITEMTEXTW, static_cast<WPARAM>(row), reinterpret_cast<LPARAM>(buffer.at(0)));
  return RemoteText(buffer, static_cast<int>(n));
}

std::wstring ListColumn(HWND list, const RemoteBuffer& buffer, int column) {
  LVCOLUMNW col{};
  col.mask = LVCF_TEXT;
  col.pszText = reinterpret_cast<LPWSTR>(buffer.at(kTextOffset));
  col.cchTextMax = kTextChars;
  if (!buffer.Write(0, &col, sizeof(col))) return std::wstring();
  wchar_t zero = 0;
  buffer.Write(kTextOffset, &zero, sizeof(zero));
  if (SendTimeout(list, LVM_GETCOLUMNW, static_cast<WPARAM>(column), reinterpret_cast<LPARAM>(buffer.at(0))) <= 0) return std::wstring();
  return RemoteText(buffer, kTextChars - 1);
}

// {"columns":[…],"rows":[[…],…],"selected":n} of a report-style ListView.
std::string ListJson(HWND list);

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

std::string ListJson(HWND list) {
  RemoteBuffer buffer(list);
  std::string columns, rows;
  HWND header = reinterpret_cast<HWND>(SendTimeout(list, LVM_GETHEADER, 0, 0));
  const int column_count = header ? static_cast<int>(SendTimeout(header, HDM_GETITEMCOUNT, 0, 0)) : 0;
  const int row_count = static_cast<int>(SendTimeout(list, LVM_GETITEMCOUNT, 0, 0));
  if (buffer.ok()) {
    for (int c = 0; c < column_count; ++c) columns += (c ? "," : "") + JsonString(ListColumn(list, buffer, c));
    for (int r = 0; r < row_count; ++r) {
      std::string cells;
      for (int c = 0; c < (column_count > 0 ? column_count : 1); ++c) cells += (c ? "," : "") + JsonString(ListCell(list, buffer, r, c));
      rows += std::string(r ? "," : "") + "[" + cells + "]";
    }
  }
  const LRESULT selected = SendTimeout(list, LVM_GETNEXTITEM, static_cast<WPARAM>(-1), LVNI_SELECTED);
  return "{\"columns\":[" + columns + "],\"rows\":[" + rows + "],\"selected\":" + std::to_string(static_cast<long long>(selected)) + "}";
}

// Whether the keyboard focus is in `top`: it is the foreground window, or the foreground thread's
// focus is one of its controls.
bool HasFocus(HWND top) {
  HWND fg = GetForegroundWindow();
  if (!fg) return false;
  if (fg == top) return true;
  GUITHREADINFO gti{};
  gti.cbSize = sizeof(gti);
  if (!GetGUIThreadInfo(GetWindowThreadProcessId(fg, nullptr), &gti) || !gti.hwndFocus) return false;
  return gti.hwndFocus == top || IsChild(top, gti.hwndFocus);
}

const char* KindOf(HWND hwnd) {
  const std::wstring cls = ClassOf(hwnd);
  if (cls == L"WildixCtiDialog") return "dialog";
  if (cls == L"#32770") return "messagebox";
  if (cls == L"WildixCtiNote") return "note";
  if (cls == L"WildixCtiCallList") return "calllist";
  if (cls == L"WildixCtiChooser") return "chooser";
  return "other";
}

int List() {
  std::string json = "[";
  bool first = true;
  for (const Found& w : TopWindows()) {
    const char* kind = KindOf(w.hwnd);
    std::string texts, buttons, text_rects, button_rects, edits, edit_rects, lists;
    for (HWND child : Children(w.hwnd)) {
      if (!IsWindowVisible(child)) continue;
      if (IsClass(child, L"Static")) {
        std::wstring text = StaticText(child);
        if (text.empty()) continue;  // icons, empty headings
        texts += (texts.empty() ? "" : ",") + JsonString(text);
        text_rects += (text_rects.empty() ? "" : ",") + RectJson(child);
      } else if (IsPushButton(child)) {
        buttons += std::string(buttons.empty() ? "" : ",") + "{\"label\":" + JsonString(WithoutMnemonic(WindowText(child))) +
                   ",\"enabled\":" + (IsWindowEnabled(child) ? "true" : "false") + "}";
        button_rects += (button_rects.empty() ? "" : ",") + RectJson(child);
      } else if (IsClass(child, L"Edit")) {
        edits += (edits.empty() ? "" : ",") + JsonString(EditText(child));
        edit_rects += (edit_rects.empty() ? "" : ",") + RectJson(child);
      } else if (IsClass(child, WC_LISTVIEWW)) {
        lists += (lists.empty() ? "" : ",") + ListJson(child);
      }
    }
    const LONG_PTR ex = GetWindowLongPtrW(w.hwnd, GWL_EXSTYLE);
    json += std::string(first ? "" : ",") + "{\"id\":" + std::to_string(w.id) + ",\"kind\":\"" + kind +
            "\",\"title\":" + JsonString(WindowText(w.hwnd)) + ",\"texts\":[" + texts + "],\"buttons\":[" + buttons +
            "],\"edits\":[" + edits + "],\"editRects\":[" + edit_rects + "],\"lists\":[" + lists + "],\"focused\":" + (HasFocus(w.hwnd) ? "true" : "false") +
            ",\"rect\":" + RectJson(w.hwnd) + ",\"textRects\":[" + text_rects + "],\"buttonRects\":[" +
            button_rects + "],\"topmost\":" + ((ex & WS_EX_TOPMOST) ? "true" : "false") +
            ",\"noActivate\":" + ((ex & WS_EX_NOACTIVATE) ? "true" : "false") + ",\"dpi\":" +
            std::to_string(WindowDpi(w.hwnd)) + ",\"dpiAwareness\":" + std::to_string(WindowDpiAwareness(w.hwnd)) +
            ",\"thread\":" + std::to_string(GetWindowThreadProcessId(w.hwnd, nullptr)) + "}";
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
    if (!IsPushButton(child) || !IsWindowVisible(child) || WithoutMnemonic(WindowText(child)) != label) continue;
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

HWND FirstChild(HWND hwnd, const wchar_t* cls) {
  for (HWND child : Children(hwnd)) {
    if (IsWindowVisible(child) && IsClass(child, cls)) return child;
  }
  return nullptr;
}

std::wstring FromHexUtf8(const std::wstring& hex) {
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(std::wcstoul(hex.substr(i, 2).c_str(), nullptr, 16)));
  }
  if (bytes.empty()) return std::wstring();
  int n = MultiByteToWideChar(CP_UTF8, 0, bytes.data(), static_cast<int>(bytes.size()), nullptr, 0);
  std::wstring w(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, bytes.data(), static_cast<int>(bytes.size()), &w[0], n);
  return w;
}

int Type(long long id, const std::wstring& hex) {
  HWND hwnd = FindById(id);
  if (!hwnd) return NotFound("window");
  HWND edit = FirstChild(hwnd, L"Edit");
  if (!edit) return NotFound("edit");
  const std::wstring text = FromHexUtf8(hex);
  SendTimeout(edit, EM_SETSEL, 0, -1);  // Ctrl+A: what is typed replaces the text
  if (text.empty()) SendTimeout(edit, WM_CHAR, VK_BACK, 0);
  // Keystrokes arrive through the window's message queue (as real ones do, after TranslateMessage),
  // in order; then wait until the Edit has taken them all (as far as its limit lets it).
  long long typed = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    wchar_t c = text[i];
    if (c == L'\r' && i + 1 < text.size() && text[i + 1] == L'\n') continue;  // CR LF is one Enter
    if (c == L'\n') c = L'\r';                                                  // Enter
    if (!PostMessageW(edit, WM_CHAR, c, 1)) return NotFound("edit");
    typed += c == L'\r' ? 2 : 1;  // Enter puts CR LF into a multi-line Edit
  }
  const long long limit = static_cast<long long>(SendTimeout(edit, EM_GETLIMITTEXT, 0, 0));
  const long long expected = limit > 0 && limit < typed ? limit : typed;
  long long length = -1;
  for (int waited = 0; waited < 10000; waited += 10) {
    length = static_cast<long long>(SendTimeout(edit, WM_GETTEXTLENGTH, 0, 0));
    if (length >= expected || length < 0) break;
    Sleep(10);
  }
  Print("{\"ok\":true,\"length\":" + std::to_string(length) + "}\n");
  return 0;
}

int Select(long long id, int row) {
  HWND hwnd = FindById(id);
  if (!hwnd) return NotFound("window");
  HWND list = FirstChild(hwnd, WC_LISTVIEWW);
  if (!list) return NotFound("list");
  const int count = static_cast<int>(SendTimeout(list, LVM_GETITEMCOUNT, 0, 0));
  if (row < 0 || row >= count) return NotFound("row");
  RemoteBuffer buffer(list);
  if (!buffer.ok()) return NotFound("process");
  LVITEMW state{};
  state.stateMask = LVIS_SELECTED | LVIS_FOCUSED;
  state.state = LVIS_SELECTED | LVIS_FOCUSED;
  if (!buffer.Write(0, &state, sizeof(state))) return NotFound("process");
  SendTimeout(list, LVM_SETITEMSTATE, static_cast<WPARAM>(row), reinterpret_cast<LPARAM>(buffer.at(0)));
  SendTimeout(list, LVM_ENSUREVISIBLE, static_cast<WPARAM>(row), FALSE);
  Print("{\"ok\":true}\n");
  return 0;
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
  if (cmd == L"type" && argc == 4) return Type(std::wcstoll(argv[2], nullptr, 10), argv[3]);
  if (cmd == L"type" && argc == 3) return Type(std::wcstoll(argv[2], nullptr, 10), L"");
  if (cmd == L"select" && argc == 4) return Select(std::wcstoll(argv[2], nullptr, 10), static_cast<int>(std::wcstol(argv[3], nullptr, 10)));
  if (cmd == L"dismiss" && argc == 3) return Dismiss(std::wcstoll(argv[2], nullptr, 10));
  if (cmd == L"command" && argc == 4) return Command(argv[2], std::wcstoul(argv[3], nullptr, 10));
  if (cmd == L"post" && argc == 6) {
    return Post(argv[2], static_cast<UINT>(std::wcstoul(argv[3], nullptr, 10)),
                static_cast<WPARAM>(std::wcstoull(argv[4], nullptr, 10)), static_cast<LPARAM>(std::wcstoll(argv[5], nullptr, 10)));
  }
  Print("usage: win-user.exe list | click <id> <label> | type <id> <hex> | select <id> <row> | dismiss <id> | command <class> <id> | post <class> <msg> <wparam> <lparam>"
        " | editor <title> | close <title> | foreground\n");
  return 1;
}
