#pragma once
// Everything `herald check` verifies beyond loading, in one place, so the
// command and the daemon's reload accept or reject a calendar the same way.

#include "compose/lint.hpp"
#include "compose/references.hpp"
#include "config/calendar.hpp"
#include "config/diagnostics.hpp"
#include "config/settings.hpp"
#include "scheduler/plan.hpp"

#include <vector>

namespace herald {

/// How far ahead check plans for warnings about recurring and queued posts and the lint.
inline constexpr date::days kCheckHorizon{366};

/// What a check found besides diagnostics, for plan to show.
struct CheckReport {
  ReferenceGraph references;
  std::vector<LintWarning> lint;
  std::size_t deliveries = 0;   ///< planned in [now, now + kCheckHorizon)
};

/// Checks a loaded calendar: cross-post links (unknown, ambiguous, cycles),
/// every post composed for every channel against the platform's limits and
/// rules, media files, DST adjustments and queue placement in the coming
/// year, and the content lint. Errors and warnings go to `diags`.
CheckReport check_calendar(const Calendar& calendar, const Settings& settings, Instant now, Diagnostics& diags);

}  // namespace herald
