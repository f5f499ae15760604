#include "config/slots.hpp"
#include "config/text.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>

namespace herald {
namespace {

// Indexed by date::weekday::c_encoding() (0 = Sunday).
constexpr std::array<std::string_view, 7> kWeekdayNames{
    "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};

bool is_space(char c) { return c == ' ' || c == '\t'; }

// Splits on runs of spaces/tabs, dropping empty pieces.
std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && is_space(text[pos])) ++pos;
    const std::size_t start = pos;
    while (pos < text.size() && !is_space(text[pos])) ++pos;
    if (pos > start) out.push_back(text.substr(start, pos - start));
  }
  return out;
}

// One list item: a weekday or a range `a-b`, which wraps past Sunday when b < a.
bool add_days(std::string_view item, std::bitset<7>& days, std::string& error) {
  const std::size_t dash = item.find('-');
  const std::string_view first_text = item.substr(0, dash);
  const auto first = parse_weekday(first_text);
  if (!first) {
    error = "unknown weekday '" + std::string(first_text) + "'";
    return false;
  }
  if (dash == std::string_view::npos) {
    days.set(first->c_encoding());
    return true;
  }
  const std::string_view last_text = item.substr(dash + 1);
  const auto last = parse_weekday(last_text);
  if (!last) {
    error = "unknown weekday '" + std::string(last_text) + "'";
    return false;
  }
  if (*first == *last) {
    // "mon-mon" could mean one day or the whole week; make the user say which.
    error = "day range '" + std::string(item) + "' starts and ends on the same day";
    return false;
  }
  for (date::weekday day = *first;; ++day) {
    days.set(day.c_encoding());
    if (day == *last) break;
  }
  return true;
}

}  // namespace

std::optional<date::weekday> parse_weekday(std::string_view text) {
  if (text.size() < 3) return std::nullopt;
  const std::string name = ascii_lower(text);
  for (unsigned i = 0; i < kWeekdayNames.size(); ++i) {
    if (kWeekdayNames[i].substr(0, name.size()) == name) return date::weekday{i};
  }
  return std::nullopt;
}

std::optional<Slot> parse_slot(std::string_view text, std::string& error) {
  const std::vector<std::string_view> parts = words(text);
  if (parts.size() != 2) {
    error = "expected a slot 'DAYS HH:MM', like 'mon-fri 09:15'";
    return std::nullopt;
  }
  Slot slot;
  if (ascii_lower(parts[0]) == "daily") {
    slot.days.set();
  } else {
    for (const std::string_view item : split(parts[0], ',')) {
      if (item.empty()) {
        error = "empty day in '" + std::string(parts[0]) + "'";
        return std::nullopt;
      }
      if (!add_days(item, slot.days, error)) return std::nullopt;
    }
  }
  const auto time = parse_time_of_day(parts[1]);
  if (!time) {
    error = "invalid time '" + std::string(parts[1]) + "', expected HH:MM from 00:00 to 23:59";
    return std::nullopt;
  }
  slot.time_of_day = *time;
  return slot;
}

std::vector<Instant> slot_instants(const std::vector<Slot>& slots, const date::time_zone& zone,
                                   Instant from, Instant to) {
  std::vector<Instant> out;
  if (slots.empty() || from >= to) return out;
  // One extra local day on each side: a slot in a gap that spans midnight
  // resolves onto the next day, and in a repeated hour that spans midnight the
  // wall clock of `to` can read an earlier day than slot instants before it.
  // The range check below drops whatever the extra days add.
  const date::local_days first_day = date::floor<date::days>(to_wall(zone, from)) - date::days{1};
  const date::local_days last_day = date::floor<date::days>(to_wall(zone, to)) + date::days{1};
  for (date::local_days day = first_day; day <= last_day; day += date::days{1}) {
    const unsigned weekday = date::weekday{day}.c_encoding();
    for (const Slot& slot : slots) {
      if (!slot.days.test(weekday)) continue;
      const Instant at = resolve(zone, day + slot.time_of_day).instant;
      if (at >= from && at < to) out.push_back(at);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace herald
