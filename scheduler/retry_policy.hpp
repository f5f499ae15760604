#pragma once
// Retry timing as a value (STYLE.md 4): exponential backoff with full jitter,
// honouring a time the platform asked for.

#include "config/settings.hpp"

#include <chrono>
#include <optional>

namespace herald {

/// How transient failures are retried.
struct RetryPolicy {
  int attempts = 5;                        ///< total attempts, the first included
  std::chrono::seconds backoff{30};        ///< base delay
  std::chrono::seconds max_backoff{1800};  ///< cap on the exponential part
  bool jitter = true;                      ///< full jitter: uniform in [0, capped exponential]

  static RetryPolicy from(const RetrySettings& s);

  /// The delay before the next attempt after `failed_attempts` (>= 1) have
  /// failed, or nullopt when no attempt is left. `random01` is a uniform
  /// number in [0, 1) (injected, so tests are exact). A platform's own time
  /// (`Retry-After`, `x-rate-limit-reset`) is a floor: never retry earlier.
  std::optional<std::chrono::seconds> delay(int failed_attempts, double random01,
                                           std::optional<std::chrono::seconds> platform_hint = {}) const;
};

}  // namespace herald
