#pragma once
// Log lines to stderr with "<N>" priority prefixes, which journald reads
// (sd-daemon(3)); one write per line so lines from threads never interleave.

#include "scheduler/logger.hpp"

namespace herald {

class JournalLogger : public Logger {
 public:
  void log(Priority p, const std::string& line) override;
};

}  // namespace herald
