#include "compose/little_text.hpp"

#include "compose/links.hpp"

#include <cctype>
#include <vector>

namespace herald {

namespace {

constexpr std::string_view kReserved = "\\|{}@[]()<>#*_~";

bool reserved(char c) { return kReserved.find(c) != std::string_view::npos; }

// A hashtag starts at `#` at the start or after whitespace and goes on with a
// letter, a digit or any non-ASCII byte (an accented letter).
bool hashtag_at(std::string_view s, std::size_t i) {
  if (s[i] != '#' || i + 1 >= s.size()) return false;
  if (i > 0 && !std::isspace(static_cast<unsigned char>(s[i - 1]))) return false;
  const auto next = static_cast<unsigned char>(s[i + 1]);
  return std::isalnum(next) || next >= 0x80;
}

std::size_t hashtag_end(std::string_view s, std::size_t i) {
  std::size_t j = i + 1;
  while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) ||
                          static_cast<unsigned char>(s[j]) >= 0x80))
    ++j;
  return j;
}

}  // namespace

std::string escape_little_text(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  const std::vector<Link> links = extract_links(text);
  std::size_t link = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (link < links.size() && links[link].begin == i) {
      out.append(text.substr(i, links[link].end - i));
      i = links[link].end;
      ++link;
      continue;
    }
    if (hashtag_at(text, i)) {
      const std::size_t end = hashtag_end(text, i);
      out.append(text.substr(i, end - i));
      i = end;
      continue;
    }
    if (reserved(text[i])) out += '\\';
    out += text[i];
    ++i;
  }
  return out;
}

LittleTextRendering render_little_text(std::string_view s) {
  LittleTextRendering r;
  const std::vector<Link> links = extract_links(s);
  std::size_t link = 0;
  for (std::size_t i = 0; i < s.size();) {
    while (link < links.size() && links[link].end <= i) ++link;
    if (link < links.size() && links[link].begin == i) {
      r.text.append(s.substr(i, links[link].end - i));
      i = links[link].end;
      continue;
    }
    const char c = s[i];
    if (c == '\\' && i + 1 < s.size() && reserved(s[i + 1])) {
      r.text += s[i + 1];
      i += 2;
      continue;
    }
    if (hashtag_at(s, i)) {
      const std::size_t end = hashtag_end(s, i);
      r.text.append(s.substr(i, end - i));
      i = end;
      continue;
    }
    if (c == '@' && i + 1 < s.size() && s[i + 1] == '[') {
      // @[Name](urn:li:...)
      const auto close = s.find("](", i + 2);
      const auto end = close == std::string_view::npos ? close : s.find(')', close + 2);
      if (end != std::string_view::npos) {
        r.text.append(s.substr(i + 2, close - i - 2));
        i = end + 1;
        continue;
      }
    }
    if (reserved(c)) {
      r.complete = false;
      return r;
    }
    r.text += c;
    ++i;
  }
  return r;
}

}  // namespace herald
