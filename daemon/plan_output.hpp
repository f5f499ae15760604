#pragma once
// How `herald plan` shows deliveries: a table for people, JSON lines for tools.

#include "scheduler/plan.hpp"

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace herald {

/// What plan shows for one delivery.
struct PlanRow {
  const Delivery* delivery = nullptr;
  std::string text;                      ///< the text the channel will receive
  std::size_t length = 0;                ///< its measured length
  std::optional<std::size_t> limit;      ///< the channel's limit, if it has one
  std::vector<std::string> depends_on;   ///< delivery keys it waits for
  std::vector<std::string> warnings;
};

/// Builds the rows for deliveries: the raw text of each post on its channel,
/// its length in Unicode code points, and DST notes as warnings.
std::vector<PlanRow> plan_rows(const std::vector<Delivery>& deliveries, const Settings& settings);

/// One JSON object per line, fields as in DESIGN.md.
void write_plan_json(std::ostream& out, const std::vector<PlanRow>& rows, const Settings& settings);

/// A readable table: local time, UTC, channel, key, first line of the text.
void write_plan_table(std::ostream& out, const std::vector<PlanRow>& rows, const Settings& settings);

/// Number of Unicode code points in UTF-8 text (invalid bytes count one each).
std::size_t code_points(std::string_view utf8);

/// The first line of a text, cut to at most `max` code points with "…".
std::string first_line(std::string_view text, std::size_t max);

}  // namespace herald
