#pragma once
// Recurring posts: the readable `every:` form and RFC 5545 `rrule:`, expanded
// in local wall time so a weekly 09:00 post stays at 09:00 across DST.

#include "config/local_time.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

/// A BYDAY entry with an ordinal: 1MO (first Monday), -1FR (last Friday).
struct NthWeekday {
  int nth = 1;                           ///< 1..5 / -5..-1 in a month, up to +-53 in a year
  date::weekday day = date::Monday;
  bool operator==(const NthWeekday&) const = default;
};

/// A recurrence rule; both `every:` and `rrule:` parse into this.
struct Recurrence {
  enum class Freq { daily, weekly, monthly, yearly };
  Freq freq = Freq::daily;
  int interval = 1;                      ///< INTERVAL, >= 1
  std::vector<date::weekday> by_day;     ///< BYDAY (plain weekdays; no ordinal prefixes)
  /// BYDAY with ordinals; MONTHLY (within the month) and YEARLY (within each
  /// BYMONTH month, else within the year) only.
  std::vector<NthWeekday> by_day_nth;
  std::vector<int> by_month_day;         ///< BYMONTHDAY, 1..31 or -31..-1
  std::vector<int> by_month;             ///< BYMONTH, 1..12
  std::vector<int> by_hour;              ///< BYHOUR, 0..23; empty means 00 unless `every:` set it
  std::vector<int> by_minute;            ///< BYMINUTE, 0..59
  /// Exact times of day (sorted), for `every: daily 09:00,17:30` whose times
  /// are not a BYHOUR x BYMINUTE product; when non-empty it replaces both.
  std::vector<std::chrono::minutes> times;
  date::weekday week_start = date::Monday;  ///< WKST: phase of weekly INTERVAL > 1
  std::optional<int> count;              ///< COUNT
  std::optional<WallTime> until;         ///< UNTIL, as a wall time in the post's zone (inclusive)

  /// True when the rule can produce more than one occurrence per local day.
  bool several_per_day() const {
    if (!times.empty()) return times.size() > 1;
    // An empty BYHOUR/BYMINUTE still means one value (00).
    return std::max<std::size_t>(by_hour.size(), 1) * std::max<std::size_t>(by_minute.size(), 1) > 1;
  }

  bool operator==(const Recurrence&) const = default;
};

/// Parses `daily HH:MM`, `weekly mon,thu HH:MM` (also ranges `mon-fri`),
/// `monthly 1 HH:MM` (day of month; several `1,15`; `-1` for the last day).
/// On failure returns nullopt and sets `error` to a reason naming the bad part.
std::optional<Recurrence> parse_every(std::string_view text, std::string& error);

/// Parses an RFC 5545 RRULE value (with or without the `RRULE:` prefix):
/// FREQ (DAILY/WEEKLY/MONTHLY/YEARLY), INTERVAL, BYDAY, BYMONTHDAY, BYMONTH,
/// BYHOUR, BYMINUTE, COUNT, UNTIL (date or date-time, `Z` form read as UTC and
/// converted with `zone`; a date alone means the end of that day), WKST.
/// COUNT and UNTIL together are an error, as RFC 5545 says.
std::optional<Recurrence> parse_rrule(std::string_view text, const date::time_zone& zone,
                                      std::string& error);

/// Expands a rule into wall times, in order, starting from `start` (DTSTART:
/// the first day the rule may produce, its phase for INTERVAL and the start of
/// COUNT), stopping after `to` (exclusive), the rule's UNTIL/COUNT, or `limit`
/// occurrences. Occurrences before `from` are skipped but still counted for COUNT.
/// Days that do not exist (BYMONTHDAY=31 in April) are skipped, as RFC 5545 says.
/// The search gives up after 400 years without an occurrence (a rule that can
/// never match, like BYMONTH=2;BYMONTHDAY=31) and after the year 9999.
std::vector<WallTime> expand(const Recurrence& rule, date::local_days start, WallTime from,
                             WallTime to, std::size_t limit = 100000);

}  // namespace herald
