#pragma once
// Where the scheduler's one-line-per-change log goes. The daemon writes to
// stderr with journald priority prefixes; tests collect lines.

#include <string>
#include <vector>

namespace herald {

/// syslog priorities as journald reads them from a "<N>" prefix.
enum class Priority { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };

/// A sink for log lines. Never given a secret.
class Logger {
 public:
  virtual ~Logger() = default;
  virtual void log(Priority p, const std::string& line) = 0;
  void error(const std::string& line) { log(Priority::error, line); }
  void warning(const std::string& line) { log(Priority::warning, line); }
  void info(const std::string& line) { log(Priority::info, line); }
};

/// Keeps lines in memory (tests).
class MemoryLogger : public Logger {
 public:
  void log(Priority p, const std::string& line) override { lines.push_back({p, line}); }
  struct Line {
    Priority priority;
    std::string text;
  };
  std::vector<Line> lines;
};

}  // namespace herald
