#pragma once
// The one type a credential value travels in, so that it cannot reach a log,
// an error message or a test snapshot by accident.

#include <ostream>
#include <string>
#include <utility>

namespace herald {

/// A credential value that never prints: operator<< writes "[redacted]" and
/// there is no implicit conversion to a string; reveal() is the one way out.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  /// The value itself, for the one place that must send it.
  [[nodiscard]] const std::string& reveal() const { return value_; }
  [[nodiscard]] bool empty() const { return value_.empty(); }
  friend bool operator==(const Secret&, const Secret&) = default;
  friend std::ostream& operator<<(std::ostream& out, const Secret&) { return out << "[redacted]"; }

 private:
  std::string value_;
};

}  // namespace herald
