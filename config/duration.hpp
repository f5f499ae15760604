#pragma once
// Durations as users write them: "30s", "15m", "1h30m", "3d".

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

/// Parses a duration of one or more `<integer><unit>` parts, units d, h, m, s,
/// each unit at most once and in that order ("1h30m"). No sign, no spaces,
/// zero allowed ("0s"). Returns nullopt on anything else or on overflow past 10 years.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

/// Renders a duration in the same form, largest units first ("1h30m", "0s").
std::string format_duration(std::chrono::seconds d);

}  // namespace herald
