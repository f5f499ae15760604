#pragma once
// A Bluesky post's text and its rich-text facets (app.bsky.richtext.facet,
// atproto.com "Links, mentions, and rich text"): Bluesky finds no links by
// itself, so every link and #tag must be sent as a facet whose index is a
// range of UTF-8 *bytes* of the text (byteStart inclusive, byteEnd exclusive).
//
// herald shows each link shortened as the Bluesky app does when you paste
// one (the host and at most 13 characters of the path, then "..."); the
// facet still points at the full URL, UTM parameters and all, and the
// 300-grapheme limit is measured on the shortened text.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

/// app.bsky.feed.post: text maxGraphemes 300, maxLength 3000 (bytes).
inline constexpr std::size_t kBlueskyGraphemeLimit = 300;
inline constexpr std::size_t kBlueskyByteLimit = 3000;
/// app.bsky.richtext.facet#tag: maxGraphemes 64 (without the '#').
inline constexpr std::size_t kBlueskyTagGraphemes = 64;

/// One facet: a byte range of the text and what it is.
struct Facet {
  enum class Kind { link, tag };
  std::size_t byte_start = 0;
  std::size_t byte_end = 0;
  Kind kind = Kind::link;
  std::string value;  ///< link: the full URI; tag: the tag without '#'

  friend bool operator==(const Facet&, const Facet&) = default;
};

struct RichText {
  std::string text;            ///< as posted: links shortened for display
  std::vector<Facet> facets;   ///< in text order
};

/// The display form of a URL: without the scheme, the path cut to 13
/// characters and "..." when it is longer than 15.
std::string short_url(std::string_view url);

/// The post text with its links shortened and every link and #tag faceted.
RichText bluesky_rich_text(std::string_view text);

}  // namespace herald
