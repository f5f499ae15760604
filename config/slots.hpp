#pragma once
// Queue slots of a channel: "mon-fri 09:15", "sat,sun 11:00", "daily 08:00".

#include "config/local_time.hpp"

#include <bitset>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

/// A weekly posting slot: on these weekdays at this local time.
struct Slot {
  std::bitset<7> days;                 ///< index = date::weekday::c_encoding() (0 = Sunday)
  std::chrono::minutes time_of_day{0};
};

/// Parses one slot. Days: `mon`..`sun`, lists `sat,sun`, ranges `mon-fri`
/// (wrapping `fri-mon` allowed), or `daily`. Sets `error` on failure.
std::optional<Slot> parse_slot(std::string_view text, std::string& error);

/// Parses a weekday name (`mon`, `Monday`, case-insensitive, 3+ letters).
std::optional<date::weekday> parse_weekday(std::string_view text);

/// The slot instants of a channel in [from, to), in order, resolved in `zone`
/// with the DST rules of local_time.hpp; each instant appears once even when
/// two slots name the same time.
std::vector<Instant> slot_instants(const std::vector<Slot>& slots, const date::time_zone& zone,
                                   Instant from, Instant to);

}  // namespace herald
