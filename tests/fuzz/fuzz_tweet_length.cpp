// Fuzzes X's weighted length (compose/tweet_length.hpp) the way the composer
// uses it: NFC first, then the links, then parse_tweet. NFC is idempotent,
// and the counts stay in range.
#include "compose/links.hpp"
#include "compose/tweet_length.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string nfc = herald::to_nfc(text);
  if (herald::to_nfc(nfc) != nfc) std::abort();

  std::vector<herald::ByteSpan> urls;
  for (const auto& link : herald::extract_links(nfc)) urls.push_back({link.begin, link.end});
  const auto length = herald::parse_tweet(nfc, urls);
  if (length.weighted_length < 0 || length.permillage < 0) std::abort();
  if (length.valid_range_end > nfc.size()) std::abort();
  if (length.valid && (length.weighted_length == 0 || length.weighted_length > herald::kMaxWeightedTweetLength))
    std::abort();
  if (length.weighted_length <= herald::kMaxWeightedTweetLength && length.valid_range_end != nfc.size() &&
      length.valid)
    std::abort();
  return 0;
}
