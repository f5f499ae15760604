#include "compose/graphemes.hpp"

#include <utf8proc.h>

namespace herald {

std::size_t grapheme_count(std::string_view utf8) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(utf8.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(utf8.size());
  std::size_t count = 0;
  utf8proc_int32_t previous = -1;
  utf8proc_int32_t state = 0;
  while (left > 0) {
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) {  // an invalid byte: its own cluster, and the state starts over
      ++count;
      previous = -1;
      state = 0;
      ++p;
      --left;
      continue;
    }
    if (previous < 0 || utf8proc_grapheme_break_stateful(previous, cp, &state)) ++count;
    previous = cp;
    p += n;
    left -= n;
  }
  return count;
}

}  // namespace herald
