#pragma once
// Counting what a reader sees as one character: extended grapheme clusters
// (Unicode UAX #29, through utf8proc), as Bluesky (300 graphemes) and
// Mastodon (each_grapheme_cluster in its StatusLengthValidator) count.

#include <cstddef>
#include <string_view>

namespace herald {

/// The number of extended grapheme clusters in a UTF-8 text: a flag (two
/// regional indicators), a ZWJ family, an "e" with a combining accent each
/// count one. Invalid bytes count one each.
std::size_t grapheme_count(std::string_view utf8);

}  // namespace herald
