#pragma once
// How a post gathers engagement in herald-sandbox: every counter a platform
// keeps is a deterministic function of the time since the post was made, on
// the sandbox's own clock, so a test reads a post's counters, advances the
// clock and reads them grown, without waiting. Views grow fastest, replies
// slowest. Each platform module answers these under its own names.

#include <cstdint>

namespace herald {

/// A post's counters, in the sandbox's words.
struct Engagement {
  std::int64_t views = 0;    ///< impressions, views, reach: 10 a second
  std::int64_t likes = 0;    ///< likes, favourites, reactions: one per 6 seconds
  std::int64_t clicks = 0;   ///< link clicks: one per 15 seconds
  std::int64_t shares = 0;   ///< reposts, reblogs, shares: one per 30 seconds
  std::int64_t saves = 0;    ///< bookmarks, saves: one per 45 seconds
  std::int64_t quotes = 0;   ///< quote posts: one per 60 seconds
  std::int64_t replies = 0;  ///< replies, comments: one per 120 seconds
};

/// The engagement of a post made `elapsed_ms` ago (nothing before it was made).
Engagement engagement_after(std::int64_t elapsed_ms);

}  // namespace herald
