// One line per event on stdout ("<µs since 1970> <text>"), flushed: all the baseline CTI reports.
#pragma once

#include <cstdarg>
#include <cstdio>

#include "timing.h"  // fakes/datev-exe: the same clock as the fakes' timestamps

namespace baseline {

inline void Log(const char* fmt, ...) {
  char text[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  std::printf("%llu %s\n", fake::NowUs(), text);
  std::fflush(stdout);
}

}  // namespace baseline
