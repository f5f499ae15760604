#pragma once
// Calendar times: parsing what editors write, and turning wall times into UTC
// instants with the RFC 5545 rules for DST gaps and repeated hours.

#include <date/date.h>
#include <date/tz.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace herald {

using Instant = date::sys_seconds;      ///< a UTC instant, second precision
using WallTime = date::local_seconds;   ///< a wall-clock time in some zone

/// How a wall time mapped onto the zone's clock.
enum class WallFit {
  exact,      ///< the wall time occurs exactly once
  gap,        ///< it does not exist (spring forward); moved forward by the gap
  repeated,   ///< it occurs twice (fall back); the first occurrence was taken
};

/// A wall time resolved to an instant.
struct Resolved {
  Instant instant;
  WallFit fit = WallFit::exact;
  std::chrono::seconds shift{0};   ///< for `gap`: how far the wall time moved forward
};

/// Resolves a wall time in `zone` per RFC 5545 section 3.3.5: a nonexistent
/// time moves forward by the length of the gap (02:30 -> 03:30 for a 1h gap);
/// an ambiguous time is the first occurrence (the offset before the change).
Resolved resolve(const date::time_zone& zone, WallTime wall);

/// The wall time in `zone` of an instant.
WallTime to_wall(const date::time_zone& zone, Instant at);

/// A time as written in a calendar: either a wall time (zone from the file)
/// or an absolute instant (explicit offset or Z).
using Timestamp = std::variant<WallTime, Instant>;

/// Parses `YYYY-MM-DD HH:MM[:SS]`, `YYYY-MM-DDTHH:MM[:SS]` optionally followed
/// by `Z`, `z` or `+HH:MM`/`-HH:MM`. Rejects impossible dates (2027-02-30),
/// hours past 23, minutes/seconds past 59. On failure returns nullopt and sets
/// `error` to a short reason.
std::optional<Timestamp> parse_timestamp(std::string_view text, std::string& error);

/// Parses a date `YYYY-MM-DD` (checked for validity). Sets `error` on failure.
std::optional<date::local_days> parse_date(std::string_view text, std::string& error);

/// A command's time argument (--from, --now, --until): a date (its midnight
/// in `zone`), a wall time (in `zone`) or an instant. nullopt, with `error`
/// set, when it is none.
std::optional<Instant> parse_instant_arg(const std::string& text, const date::time_zone& zone, std::string& error);

/// Parses a wall clock time of day `HH:MM` (00:00 to 23:59).
std::optional<std::chrono::minutes> parse_time_of_day(std::string_view text);

/// Looks up an IANA zone in the system tzdata; nullptr if unknown.
const date::time_zone* find_zone(std::string_view name);

/// RFC 3339 in UTC: 2027-03-02T09:00:00Z.
std::string format_utc(Instant at);

/// Local wall time with its UTC offset: 2027-03-02T10:00:00+01:00.
std::string format_local(const date::time_zone& zone, Instant at);

/// `YYYY-MM-DD` of a day.
std::string format_date(date::local_days day);

/// `HH:MM` of a wall time.
std::string format_hhmm(WallTime w);

/// `YYYY-MM-DD HH:MM` of a wall time, as messages to editors show it.
std::string format_wall(WallTime w);

}  // namespace herald
