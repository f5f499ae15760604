// Fuzzes the recurrence parsers and expansion (config/recurrence.hpp).
// Input: the first line is the rule, read by parse_every when it starts with
// "every:" and by parse_rrule otherwise (an "rrule:" prefix is dropped);
// the first byte of the second line, if any, moves the window's start.
// A parsed rule is expanded over a bounded window (at most about 13 months,
// 5000 occurrences), so a valid rule cannot be slow by design; the
// occurrences must be in order, in the window and within COUNT and UNTIL.
#include "config/recurrence.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const date::time_zone* zone = date::locate_zone("Europe/Amsterdam");
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  std::string_view rule_text = input.substr(0, newline);
  const int shift = newline != std::string_view::npos && newline + 1 < input.size()
                        ? static_cast<unsigned char>(input[newline + 1])
                        : 0;

  std::string error;
  std::optional<herald::Recurrence> rule;
  if (rule_text.starts_with("every:")) {
    rule_text.remove_prefix(6);
    while (!rule_text.empty() && rule_text.front() == ' ') rule_text.remove_prefix(1);
    rule = herald::parse_every(rule_text, error);
  } else {
    if (rule_text.starts_with("rrule:")) rule_text.remove_prefix(6);
    rule = herald::parse_rrule(rule_text, *zone, error);
  }
  if (!rule) {
    if (error.empty()) std::abort();  // a refusal names its reason
    return 0;
  }

  using namespace date::literals;
  const date::local_days start{2027_y / date::January / 4};
  const herald::WallTime from{start + date::days{shift}};
  const herald::WallTime to = from + date::days{400};
  constexpr std::size_t limit = 5000;
  const auto out = herald::expand(*rule, start, from, to, limit);
  if (out.size() > limit) std::abort();
  if (rule->count && out.size() > static_cast<std::size_t>(*rule->count)) std::abort();
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] < from || out[i] >= to) std::abort();
    if (rule->until && out[i] > *rule->until) std::abort();
    if (i > 0 && !(out[i - 1] < out[i])) std::abort();
  }
  return 0;
}
