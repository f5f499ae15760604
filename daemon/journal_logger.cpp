#include "daemon/journal_logger.hpp"

#include <unistd.h>

namespace herald {

void JournalLogger::log(Priority p, const std::string& line) {
  std::string out = "<" + std::to_string(static_cast<int>(p)) + ">";
  // A line break inside a message would start a new journal entry without a priority.
  for (char c : line) out += (c == '\n' || c == '\r') ? ' ' : c;
  out += '\n';
  const char* data = out.data();
  std::size_t left = out.size();
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, data, left);
    if (n <= 0) return;
    data += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace herald
