#include "compose/bluesky_text.hpp"

#include "compose/graphemes.hpp"
#include "compose/links.hpp"

#include <algorithm>
#include <cctype>

namespace herald {

namespace {

bool ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Bytes of a UTF-8 text that end a tag: whitespace and the ideographic space.
std::size_t tag_end(std::string_view s, std::size_t from) {
  std::size_t i = from;
  while (i < s.size()) {
    if (ascii_space(s[i])) break;
    if (s.compare(i, 3, "\xE3\x80\x80") == 0) break;  // U+3000
    ++i;
  }
  return i;
}

// The #tags of a piece of text without links, at their byte offsets plus
// `base`: '#' at the start or after whitespace, then text up to the next
// whitespace without trailing punctuation; not digits only; at most 64
// graphemes (the Bluesky app's rule for what it makes a tag).
void find_tags(std::string_view s, std::size_t base, bool after_link, std::vector<Facet>& out) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '#') continue;
    const bool starts = i == 0 ? !after_link : ascii_space(s[i - 1]) || (i >= 3 && s.compare(i - 3, 3, "\xE3\x80\x80") == 0);
    if (!starts) continue;
    std::size_t end = tag_end(s, i + 1);
    while (end > i + 1 && std::string_view(".,;:!?'\")").find(s[end - 1]) != std::string_view::npos) --end;
    const std::string_view tag = s.substr(i + 1, end - i - 1);
    if (tag.empty() || tag.find('#') != std::string_view::npos) continue;
    if (std::all_of(tag.begin(), tag.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    if (grapheme_count(tag) > kBlueskyTagGraphemes) continue;
    out.push_back({base + i, base + end, Facet::Kind::tag, std::string(tag)});
    i = end - 1;
  }
}

}  // namespace

std::string short_url(std::string_view url) {
  std::string_view rest = url;
  for (std::string_view scheme : {"https://", "http://"}) {
    if (rest.size() >= scheme.size() &&
        std::equal(scheme.begin(), scheme.end(), rest.begin(),
                   [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); })) {
      rest.remove_prefix(scheme.size());
      break;
    }
  }
  const std::size_t slash = rest.find_first_of("/?#");
  if (slash == std::string_view::npos) return std::string(rest);
  std::string_view host = rest.substr(0, slash);
  std::string_view path = rest.substr(slash);
  if (path == "/") return std::string(host);
  if (path.size() <= 15) return std::string(rest);
  // Cut at 13 bytes, backing off to the start of a UTF-8 sequence.
  std::size_t cut = 13;
  while (cut > 0 && (static_cast<unsigned char>(path[cut]) & 0xC0) == 0x80) --cut;
  return std::string(host) + std::string(path.substr(0, cut)) + "...";
}

RichText bluesky_rich_text(std::string_view text) {
  RichText out;
  std::size_t at = 0;
  for (const Link& link : extract_links(text)) {
    const std::string_view before = text.substr(at, link.begin - at);
    find_tags(before, out.text.size(), at > 0, out.facets);
    out.text.append(before);
    const std::string_view written = link_text(text, link);
    const std::string uri = link.has_scheme ? std::string(written) : "https://" + std::string(written);
    const std::string shown = short_url(written);
    out.facets.push_back({out.text.size(), out.text.size() + shown.size(), Facet::Kind::link, uri});
    out.text += shown;
    at = link.end;
  }
  find_tags(text.substr(at), out.text.size(), at > 0, out.facets);
  out.text.append(text.substr(at));
  return out;
}

}  // namespace herald
