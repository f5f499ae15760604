#pragma once
// Link extraction as a platform sees it: the links X (twitter-text v3,
// extractUrlsWithIndices with extractUrlsWithoutProtocol on) would find in a
// text. The UTM rewriting and the X weighted length build on it.

#include <cstddef>
#include <string_view>
#include <vector>

namespace herald {

/// One link found in a text: byte offsets [begin, end) into the UTF-8 text.
struct Link {
  std::size_t begin = 0;
  std::size_t end = 0;
  bool has_scheme = false;  ///< starts with http:// or https:// (any case)

  friend bool operator==(const Link&, const Link&) = default;
};

/// The links in `utf8`, in text order, found by twitter-text v3's rules:
/// http(s) URLs, protocol-less links on known top-level domains, trailing
/// punctuation left out, balanced parentheses kept. Linear in the text's size;
/// invalid UTF-8 bytes are read as U+FFFD. Throws std::length_error for a
/// text of 2^32 - 1 code points or more.
std::vector<Link> extract_links(std::string_view utf8);

/// The text of `link` within `text` (the text it was extracted from).
std::string_view link_text(std::string_view text, const Link& link);

/// Whether `label` is a known top-level domain (ASCII case-insensitive, plus
/// the simple case pairs of the scripts that occur in TLDs), e.g. "nl", "рф".
bool is_known_tld(std::string_view label);

}  // namespace herald
