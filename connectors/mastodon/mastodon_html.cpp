#include "connectors/mastodon/mastodon_html.hpp"
#include "config/text.hpp"

#include "connectors/html_text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>

// What the HTML looks like: Mastodon's app/lib/text_formatter.rb (linked
// from docs.joinmastodon.org, entities/Status "content") escapes the text
// with ERB's h() (& < > " ' as &amp; &lt; &gt; &quot; &#39;), turns each URL
// into <a href="..."><span class="invisible">https://www.</span><span
// class="ellipsis">first 30 characters</span><span class="invisible">rest</span></a>,
// a hashtag into <a ... class="mention hashtag">#<span>tag</span></a>, a
// mention into <span class="h-card"><a ...>@<span>user</span></a></span>,
// and then runs Rails' simple_format: <p> per paragraph (split at blank
// lines), <br /> for a single line break, and every "\n" removed.

namespace herald {
namespace {

bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

bool word_byte(unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; }

}  // namespace

std::string mastodon_plain_text(std::string_view html) {
  std::string out;
  bool paragraph_seen = false;
  for (std::size_t i = 0; i < html.size();) {
    const char c = html[i];
    if (c == '<') {
      const auto close = html.find('>', i + 1);
      if (close == std::string_view::npos) {
        out.append(html.substr(i));
        break;
      }
      std::string tag = ascii_lower(html.substr(i + 1, close - i - 1));
      while (!tag.empty() && (tag.back() == '/' || is_space(static_cast<unsigned char>(tag.back())))) tag.pop_back();
      const std::string name = tag.substr(0, tag.find_first_of(" \t\n\r/"));
      if (name == "br") {
        out += '\n';
      } else if (name == "p") {
        // A paragraph after another is separated by a blank line, as the
        // text had it before simple_format split it there.
        if (paragraph_seen) out += "\n\n";
        paragraph_seen = true;
      }
      i = close + 1;
      continue;
    }
    if (c == '&') {
      if (const std::size_t used = decode_character_reference(html, i, out)) {
        i += used;
        continue;
      }
    }
    out += c;
    ++i;
  }
  return out;
}

std::string mastodon_comparable_text(std::string_view text) {
  // Whitespace: simple_format drops the newlines of blank-line runs and a
  // paragraph's edges, so only "is there space here" survives the trip.
  std::string spaced;
  bool pending_space = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    // U+00A0 (no-break space) counts as space too: &nbsp; may stand for one.
    const bool nbsp = c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xA0;
    if (is_space(c) || nbsp) {
      if (nbsp) ++i;
      pending_space = !spaced.empty();
      continue;
    }
    if (pending_space) spaced += ' ';
    pending_space = false;
    spaced += static_cast<char>(c);
  }
  // Remote mentions: @user@domain.tld becomes @user.
  std::string out;
  for (std::size_t i = 0; i < spaced.size();) {
    const bool starts = spaced[i] == '@' && (i == 0 || (!word_byte(static_cast<unsigned char>(spaced[i - 1])) &&
                                                        spaced[i - 1] != '/'));
    if (!starts) {
      out += spaced[i++];
      continue;
    }
    std::size_t user_end = i + 1;
    while (user_end < spaced.size() &&
           (std::isalnum(static_cast<unsigned char>(spaced[user_end])) || spaced[user_end] == '_' ||
            spaced[user_end] == '.' || spaced[user_end] == '-'))
      ++user_end;
    while (user_end > i + 1 && (spaced[user_end - 1] == '.' || spaced[user_end - 1] == '-')) --user_end;
    out.append(spaced, i, user_end - i);
    if (user_end > i + 1 && user_end < spaced.size() && spaced[user_end] == '@') {
      std::size_t domain_end = user_end + 1;
      while (domain_end < spaced.size() && (word_byte(static_cast<unsigned char>(spaced[domain_end])) ||
                                            spaced[domain_end] == '.' || spaced[domain_end] == '-'))
        ++domain_end;
      while (domain_end > user_end + 1 && (spaced[domain_end - 1] == '.' || spaced[domain_end - 1] == '-'))
        --domain_end;
      if (domain_end > user_end + 1) user_end = domain_end;  // the domain is dropped
    }
    i = user_end;
  }
  return out;
}

bool mastodon_content_matches(std::string_view html, std::string_view text) {
  return mastodon_comparable_text(mastodon_plain_text(html)) == mastodon_comparable_text(text);
}

}  // namespace herald
