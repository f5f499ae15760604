#include "compose/mastodon_text.hpp"

#include "compose/graphemes.hpp"
#include "compose/links.hpp"

#include <cctype>
#include <string>

namespace herald {

namespace {

bool word_byte(unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; }
bool user_byte(unsigned char c) { return std::isalnum(c) || c == '_' || c == '.' || c == '-'; }

// The text with each remote mention @user@domain shortened to @user, as
// Mastodon's Account::MENTION_RE rewrite does before counting.
std::string shorten_mentions(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const bool starts = s[i] == '@' && (i == 0 || (!word_byte(s[i - 1]) && s[i - 1] != '/'));
    if (!starts) {
      out += s[i++];
      continue;
    }
    std::size_t user_end = i + 1;
    while (user_end < s.size() && user_byte(static_cast<unsigned char>(s[user_end]))) ++user_end;
    // A username ends in a letter, digit or '_'.
    while (user_end > i + 1 && (s[user_end - 1] == '.' || s[user_end - 1] == '-')) --user_end;
    if (user_end == i + 1 || user_end >= s.size() || s[user_end] != '@') {
      out.append(s.substr(i, user_end - i));
      i = user_end;
      continue;
    }
    std::size_t domain_end = user_end + 1;
    while (domain_end < s.size() && (word_byte(static_cast<unsigned char>(s[domain_end])) || s[domain_end] == '.' ||
                                     s[domain_end] == '-'))
      ++domain_end;
    while (domain_end > user_end + 1 && (s[domain_end - 1] == '.' || s[domain_end - 1] == '-')) --domain_end;
    out.append(s.substr(i, user_end - i));
    i = domain_end > user_end + 1 ? domain_end : user_end;
  }
  return out;
}

}  // namespace

std::size_t mastodon_length(std::string_view text, std::string_view spoiler_text, std::size_t url_characters) {
  // URLs first (only with a scheme: Mastodon extracts without
  // extract_url_without_protocol), each replaced by nothing and counted apart.
  std::string rest;
  std::size_t urls = 0;
  std::size_t at = 0;
  for (const Link& link : extract_links(text)) {
    if (!link.has_scheme) continue;
    rest.append(text.substr(at, link.begin - at));
    at = link.end;
    ++urls;
  }
  rest.append(text.substr(at));
  return grapheme_count(spoiler_text) + grapheme_count(shorten_mentions(rest)) + urls * url_characters;
}

}  // namespace herald
