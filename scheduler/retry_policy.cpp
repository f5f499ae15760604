#include "scheduler/retry_policy.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace herald {

namespace {

// backoff * 2^(failed_attempts - 1), capped at `cap`, without ever computing
// a power that overflows: once doubling would pass the cap, the cap it is.
std::chrono::seconds capped_exponential(std::chrono::seconds backoff, std::chrono::seconds cap, int failed_attempts) {
  const std::int64_t limit = std::max<std::int64_t>(cap.count(), 0);
  std::int64_t d = std::clamp<std::int64_t>(backoff.count(), 0, limit);
  for (int i = 1; i < failed_attempts && d > 0 && d < limit; ++i) d = d > limit / 2 ? limit : d * 2;
  return std::chrono::seconds{d};
}

}  // namespace

RetryPolicy RetryPolicy::from(const RetrySettings& s) {
  RetryPolicy p;
  p.attempts = s.attempts;
  p.backoff = s.backoff;
  p.max_backoff = s.max_backoff;
  p.jitter = true;
  return p;
}

std::optional<std::chrono::seconds> RetryPolicy::delay(int failed_attempts, double random01,
                                                      std::optional<std::chrono::seconds> platform_hint) const {
  // The hint only sets the earliest time; the number of attempts is ours.
  if (failed_attempts >= attempts) return std::nullopt;
  const std::chrono::seconds cap = capped_exponential(backoff, max_backoff, std::max(failed_attempts, 1));
  std::chrono::seconds d = cap;
  if (jitter) {
    // Full jitter (uniform in [0, cap]) spreads retries of many deliveries
    // that failed together; a bad random number must not leave the range.
    const double r = std::isfinite(random01) ? std::clamp(random01, 0.0, 1.0) : 0.0;
    const auto scaled = static_cast<std::int64_t>(std::floor(r * static_cast<double>(cap.count())));
    d = std::chrono::seconds{std::clamp<std::int64_t>(scaled, 0, cap.count())};
  }
  if (platform_hint && *platform_hint > d) d = *platform_hint;
  return d;
}

}  // namespace herald
