#pragma once
// The X (Twitter) weighted tweet length, as twitter-text v3's parseTweet
// computes it (version 3.1.0, its default "v3" configuration), plus the NFC
// normalization that it applies first. Pure functions; offsets are UTF-8 bytes
// where twitter-text uses UTF-16 code units.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

/// The weighted length above which X rejects a tweet (twitter-text v3).
inline constexpr int kMaxWeightedTweetLength = 280;

/// Unicode NFC of a UTF-8 text; ill-formed UTF-8 is first repaired by
/// replacing each maximal ill-formed subpart with U+FFFD (as browsers decode).
std::string to_nfc(std::string_view utf8);

/// A byte range [begin, end) in a UTF-8 text.
struct ByteSpan {
  std::size_t begin = 0, end = 0;
};

/// What twitter-text's parseTweet says about a text.
struct TweetLength {
  int weighted_length = 0;          ///< characters as X counts them (URL 23, CJK/emoji 2, Latin 1)
  bool valid = false;               ///< non-empty, at most 280 and without U+FFFE, U+FEFF, U+FFFF
  int permillage = 0;               ///< weighted_length / 280 in thousandths, rounded down
  std::size_t valid_range_end = 0;  ///< bytes of the text that fit (from the start, whole characters)
};

/// Weighs an NFC text by the twitter-text v3 rules; `urls` are the byte spans
/// of the links in it (from the link extractor), each weighing 23.
TweetLength parse_tweet(std::string_view nfc_text, const std::vector<ByteSpan>& urls);

}  // namespace herald
