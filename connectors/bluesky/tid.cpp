#include "connectors/bluesky/tid.hpp"

#include "connectors/digest.hpp"

namespace herald {
namespace {

constexpr std::string_view kAlphabet = "234567abcdefghijklmnopqrstuvwxyz";
constexpr std::uint64_t kMicrosMask = (std::uint64_t{1} << 53) - 1;

}  // namespace

std::string encode_tid(std::uint64_t micros, unsigned clock_id) {
  std::uint64_t value = ((micros & kMicrosMask) << 10) | (clock_id & 0x3FFu);
  std::string out(13, '2');
  for (int i = 12; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kAlphabet[value & 0x1F];
    value >>= 5;
  }
  return out;
}

std::optional<TidParts> parse_tid(std::string_view tid) {
  if (tid.size() != 13) return std::nullopt;
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < tid.size(); ++i) {
    const auto digit = kAlphabet.find(tid[i]);
    if (digit == std::string_view::npos) return std::nullopt;
    // 13 digits of 5 bits are 65 bits: the first digit may carry only 4,
    // and with the top bit 0 only 3 (2 to j).
    if (i == 0 && digit >= 16) return std::nullopt;
    value = (value << 5) | digit;
  }
  return TidParts{value >> 10, static_cast<unsigned>(value & 0x3FF)};
}

std::string delivery_tid(Instant planned, std::string_view delivery_key) {
  const std::string digest = sha256(delivery_key);
  std::uint64_t h = 0;
  for (std::size_t i = 0; i < 8 && i < digest.size(); ++i) h = (h << 8) | static_cast<unsigned char>(digest[i]);
  const auto seconds = planned.time_since_epoch().count();
  const std::uint64_t micros =
      static_cast<std::uint64_t>(seconds < 0 ? 0 : seconds) * 1'000'000u + (h % 1'000'000u);
  return encode_tid(micros, static_cast<unsigned>((h >> 40) & 0x3FF));
}

}  // namespace herald
