#pragma once
// Errors and warnings about the files a user wrote, each tied to file:line:col.

#include <string>
#include <vector>

namespace herald {

/// A place in a file the user wrote; line and column are 1-based, 0 when unknown.
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
};

enum class Severity { error, warning };

/// One message about the user's files.
struct Diagnostic {
  Severity severity = Severity::error;
  Location where;
  std::string message;
};

/// Formats a diagnostic as `file:line:col: error|warning: message`.
std::string format(const Diagnostic& d);

/// Collects every diagnostic of a run, so a user sees all errors at once.
class Diagnostics {
 public:
  void error(Location where, std::string message);
  void warning(Location where, std::string message);
  void add(Diagnostic d);
  void append(const Diagnostics& other);

  bool has_errors() const { return errors_ > 0; }
  int error_count() const { return errors_; }
  int warning_count() const { return static_cast<int>(items_.size()) - errors_; }
  const std::vector<Diagnostic>& items() const { return items_; }

  /// Items ordered by file, line, column, keeping insertion order for ties.
  std::vector<Diagnostic> sorted() const;

 private:
  std::vector<Diagnostic> items_;
  int errors_ = 0;
};

}  // namespace herald
