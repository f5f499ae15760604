#include "config/duration.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

namespace herald {
namespace {

struct Unit {
  char letter;
  std::int64_t seconds;
};

// Largest first: parsing requires this order and formatting emits it.
constexpr std::array<Unit, 4> kUnits{{{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}};

// The cap is checked while accumulating, so no intermediate value can overflow.
constexpr std::int64_t kMaxSeconds =
    std::chrono::duration_cast<std::chrono::seconds>(std::chrono::years{10}).count();

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::size_t next_unit = 0;  // index into kUnits of the smallest unit not yet ruled out
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::int64_t number = 0;
    const std::size_t digits_start = pos;
    while (pos < text.size() && is_digit(text[pos])) {
      number = number * 10 + (text[pos] - '0');
      if (number > kMaxSeconds) return std::nullopt;
      ++pos;
    }
    if (pos == digits_start || pos == text.size()) return std::nullopt;

    const char letter = text[pos++];
    std::size_t unit = next_unit;
    while (unit < kUnits.size() && kUnits[unit].letter != letter) ++unit;
    if (unit == kUnits.size()) return std::nullopt;  // unknown, repeated or out of order
    next_unit = unit + 1;

    if (number > (kMaxSeconds - total) / kUnits[unit].seconds) return std::nullopt;
    total += number * kUnits[unit].seconds;
  }
  return std::chrono::seconds{total};
}

std::string format_duration(std::chrono::seconds d) {
  std::string out;
  const std::int64_t count = d.count();
  // Unsigned magnitude so that even seconds::min() can be negated.
  std::uint64_t rest = static_cast<std::uint64_t>(count);
  if (count < 0) {
    out += '-';
    rest = 0 - rest;
  }
  for (const Unit& unit : kUnits) {
    const auto size = static_cast<std::uint64_t>(unit.seconds);
    if (rest >= size) {
      out += std::to_string(rest / size);
      out += unit.letter;
      rest %= size;
    }
  }
  if (count == 0) out = "0s";
  return out;
}

}  // namespace herald
