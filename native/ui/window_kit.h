// Shared pieces of the addon's own windows (dialogs, note, call list, contact chooser): fonts for a DPI,
// text measuring, keyboard mnemonics, placement, a window-procedure base that lets no C++ exception
// through, and the message loop with dialog keyboard handling.
#pragma once

#include <windows.h>

#include <string>
#include <vector>

namespace wildix::ui {

// An HFONT deleted when replaced or destroyed.
class Font {
 public:
  Font() = default;
  ~Font() { Reset(nullptr); }
  Font(const Font&) = delete;
  Font& operator=(const Font&) = delete;
  void Reset(HFONT font) {
    if (font_) DeleteObject(font_);
    font_ = font;
  }
  HFONT get() const { return font_; }

 private:
  HFONT font_ = nullptr;
};

// The message font for a DPI and a bold, larger one for headings (DEFAULT_GUI_FONT when unavailable).
class FontPair {
 public:
  void Create(UINT dpi);
  HFONT normal() const;
  HFONT bold() const;

 private:
  Font normal_;
  Font bold_;
};

inline int ScaleFor(UINT dpi, int px) { return MulDiv(px, static_cast<int>(dpi), 96); }

int TextWidth(HWND hwnd, HFONT font, const std::wstring& text);
// Height of `text` wrapped at `width` (0 for an empty text).
int TextHeight(HWND hwnd, HFONT font, const std::wstring& text, int width);

// The labels with a keyboard mnemonic each: '&' before the first letter that no earlier label of the
// set uses (Alt+letter presses the button or, for a label, focuses the control after it). A '&' that
// is part of a label is doubled so it is shown as it is. A label without a free letter gets none.
std::vector<std::wstring> WithMnemonics(const std::vector<std::wstring>& labels);
// A label without its mnemonic marks ("&Speichern" → "Speichern", "A && B" → "A & B").
std::wstring WithoutMnemonic(const std::wstring& label);

// Work area of the monitor the mouse pointer is on (where the user just clicked the tray).
RECT WorkAreaAtCursor();

// Registers comctl32's list view classes (InitCommonControlsEx). comctl32 is loaded here, by the first
// window that needs it, not with the addon: it is not needed to get the CTI object into the ROT, and
// loading it costs start-up time. Call inside the window thread's ScopedActivationContext (comctl32 v6).
bool InitListViewClasses();

// Base of a top-level window of its own thread. The window procedure forwards to Handle(); nothing
// thrown there (std::bad_alloc included) leaves it: the failure is reported and OnUncaught() decides
// what it means for the window (e.g. a click that could not be handled ends the window).
class ToolWindow {
 public:
  // `kind` names the window in the report of an uncaught failure ("call dialog", "note window", …).
  explicit ToolWindow(const char* kind) : kind_(kind) {}
  virtual ~ToolWindow() = default;
  ToolWindow(const ToolWindow&) = delete;
  ToolWindow& operator=(const ToolWindow&) = delete;
  HWND hwnd() const { return hwnd_; }

 protected:
  // Registers the class (once per process) and creates the hidden window; false with *error set.
  bool CreateTop(const wchar_t* window_class, DWORD ex_style, DWORD style, const std::wstring& title, const RECT& at,
                 std::string* error);
  HWND AddControl(const wchar_t* control_class, const std::wstring& text, DWORD style, int id, DWORD ex_style = 0);
  void SetFont(HWND control, HFONT font) { SendMessageW(control, WM_SETFONT, reinterpret_cast<WPARAM>(font), FALSE); }
  int Scale(int px) const { return ScaleFor(dpi_, px); }
  // The window's outer size for a client area of width x height (its current styles).
  void ResizeClient(int width, int height, int* outer_width, int* outer_height) const;
  // WM_DPICHANGED: takes the new DPI (HIWORD of wParam) and makes the fonts for it; false when there is
  // nothing to do (0 or the DPI the window already has).
  bool AdoptDpi(WPARAM wparam);
  // WM_DPICHANGED's suggested top-left (lParam), else the window's current one.
  POINT SuggestedTopLeft(LPARAM lparam) const;
  // WM_DESTROY of a window that has its thread's message loop to itself: removes its id property and
  // ends the loop.
  void EndOwnLoop() const;

  virtual LRESULT Handle(UINT msg, WPARAM wparam, LPARAM lparam) = 0;
  virtual void OnUncaught(UINT msg) noexcept = 0;

  HWND hwnd_ = nullptr;
  UINT dpi_ = 96;
  FontPair fonts_;

 private:
  static LRESULT CALLBACK Proc(HWND hwnd, UINT msg, WPARAM wparam, LPARAM lparam);
  const char* kind_;
};

// The thread's message loop until WM_QUIT, with IsDialogMessage for `hwnd` (Tab, Esc, Enter, Alt+letter).
void RunMessageLoop(HWND hwnd);

}  // namespace wildix::ui
