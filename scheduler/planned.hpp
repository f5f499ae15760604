#pragma once
// The calendar as the scheduler holds it, and the plan of the coming days as
// the store's sync wants it.

#include "compose/composer.hpp"
#include "compose/references.hpp"
#include "config/calendar.hpp"
#include "config/settings.hpp"
#include "scheduler/store.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace herald {

/// The calendar as the dispatcher needs it: kept alive together, replaced whole on reload.
struct LoadedCalendar {
  Settings settings;
  Calendar calendar;
  ReferenceGraph references;
  /// What check composed: by post index, then in the order of the post's
  /// channels, composed_fingerprint() of each. Empty when check did not run.
  std::vector<std::vector<std::uint64_t>> fingerprints;
};

/// A stable hash of what a composed delivery says (FNV-1a over its fields).
std::uint64_t composed_fingerprint(const Composed& c);

/// The plan of the coming days as the store's sync wants it: each delivery
/// with a hash of what it will say, queued deliveries pinned to the times
/// already stored for them. Drafts are left out: they never go out.
std::vector<PlannedDelivery> planned_deliveries(const LoadedCalendar& cal, Instant now, Instant from, Instant to,
                                                const std::map<std::string, Instant>& pinned);

/// The content hash `cal` gives the delivery of post `post` to `channel` at
/// `at` (what Store::sync writes as its content_hash); nullopt when the
/// calendar has no such post or the post does not go to that channel. A
/// delivery in the store whose hash is this was planned from the same text.
/// `comment`: the hash of the post's first comment there (KEY+comment).
std::optional<std::string> delivery_content_hash(const LoadedCalendar& cal, const std::string& post,
                                                 const std::string& channel, Instant at, bool comment = false);

}  // namespace herald
