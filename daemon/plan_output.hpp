#pragma once
// How `herald plan` shows deliveries: a table for people, JSON lines for tools.

#include "scheduler/check.hpp"
#include "scheduler/plan.hpp"

#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace herald {

/// What plan shows for one delivery.
struct PlanRow {
  const Delivery* delivery = nullptr;
  std::string text;                      ///< what the channel receives (composed, links resolved to previews)
  std::string summary;                   ///< one line for the table: the title for blogs, else the text
  std::size_t length = 0;                ///< the main part's measured length
  std::optional<std::size_t> limit;      ///< the channel's limit, if it has one
  std::vector<std::string> depends_on;   ///< delivery keys it waits for
  bool waiting = false;                  ///< a dependency is planned later than this delivery
  bool draft = false;                    ///< its post is a draft: shown, never published
  std::vector<std::string> warnings;
};

/// Instants at which POST@CHANNEL keys are planned (the first occurrence).
using PlannedAt = std::map<std::string, Instant>;

/// Builds the rows: each delivery composed for its channel with preview URLs
/// for cross-post links, its measured length and limit, dependencies (and
/// whether one is planned later), DST notes and lint findings as warnings.
std::vector<PlanRow> plan_rows(const std::vector<Delivery>& deliveries, const Calendar& calendar,
                               const Settings& settings, const CheckReport& report, const PlannedAt& planned_at);

/// One JSON object per line, fields as in DESIGN.md.
void write_plan_json(std::ostream& out, const std::vector<PlanRow>& rows, const Settings& settings);

/// A readable table: local time, UTC, channel, key, first line of the text.
void write_plan_table(std::ostream& out, const std::vector<PlanRow>& rows, const Settings& settings);

/// Number of Unicode code points in UTF-8 text (invalid bytes count one each).
std::size_t code_points(std::string_view utf8);

/// The first line of a text, cut to at most `max` code points with "…".
std::string first_line(std::string_view text, std::size_t max);

}  // namespace herald
