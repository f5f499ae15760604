#pragma once
// Planning: calendar + settings + a time window -> the deliveries, in order.
// Pure: "now" is a parameter, nothing is read from clocks or files.

#include "config/calendar.hpp"
#include "config/diagnostics.hpp"
#include "config/settings.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

/// One post on one channel at one instant; its key is its identity.
struct Delivery {
  std::string key;         ///< POST@CHANNEL, or POST@CHANNEL#YYYY-MM-DD for a recurrence
  std::string post;        ///< the post id
  std::string channel;     ///< the channel name
  Instant at;              ///< when it is due (UTC)
  WallTime local;          ///< the wall time it was written as, in the post's zone
  WallFit fit = WallFit::exact;
  bool queued = false;     ///< placed in a queue slot
  const Post* source = nullptr;  ///< the post in the calendar it was planned from
  std::size_t post_index = 0;    ///< source's index in the calendar's posts
  /// The post's first comment (KEY+comment): due with the post, it waits
  /// until the post is out and goes under it (FirstComment).
  bool comment = false;
};

/// What to plan.
struct PlanRequest {
  Instant now;             ///< queued posts take slots from now on, whatever the window
  Instant from;            ///< window start (inclusive)
  Instant to;              ///< window end (exclusive)
  std::string channel;     ///< only this channel, if not empty
  /// Queued deliveries that already have a time (the daemon's store): they
  /// keep it, and other queued posts go around them.
  std::map<std::string, Instant> pinned;
};

/// How far ahead a queued post may look for a free slot.
inline constexpr std::chrono::days kSlotSearchHorizon{366};

/// The deliveries due in [from, to), sorted by instant, then calendar order.
/// Warnings (DST adjustments of recurring posts, queued posts without a
/// free slot) go to `warnings`, one per post and kind.
std::vector<Delivery> plan(const Calendar& calendar, const Settings& settings, const PlanRequest& request,
                           Diagnostics& warnings);

/// The key of a delivery's first comment: KEY+comment.
std::string comment_key(const std::string& parent);
/// The delivery a first comment goes under; nullopt for any other key.
std::optional<std::string> comment_parent(std::string_view key);

/// The deliveries of drafts (`draft: true`) due in [from, to), planned as
/// any other but never published: what the status lists as awaiting
/// approval and `herald check --strict` refuses when due soon.
std::vector<Delivery> planned_drafts(const Calendar& calendar, const Settings& settings, Instant now, Instant from,
                                     Instant to);

/// The key of a delivery: POST@CHANNEL, with #YYYY-MM-DD (or #YYYY-MM-DDTHH:MM when
/// the rule can repeat within a day) for an occurrence of a recurring post.
std::string delivery_key(const Post& post, const std::string& channel, const WallTime* occurrence);

}  // namespace herald
