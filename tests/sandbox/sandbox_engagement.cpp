#include "tests/sandbox/sandbox_engagement.hpp"

#include <algorithm>

namespace herald {

Engagement engagement_after(std::int64_t elapsed_ms) {
  const std::int64_t s = std::max<std::int64_t>(elapsed_ms, 0) / 1000;
  return Engagement{.views = 10 * s,
                    .likes = s / 6,
                    .clicks = s / 15,
                    .shares = s / 30,
                    .saves = s / 45,
                    .quotes = s / 60,
                    .replies = s / 120};
}

}  // namespace herald
