#include "connectors/bluesky/open_graph.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <map>
#include <optional>

// A scanner of <meta> tags rather than an HTML parser: herald needs three
// attributes of the page's own head, from a page on the team's own domain,
// and a card that cannot be made falls back to the post's title and excerpt.
// A parser (Debian has gumbo and lexbor) would be a dependency for that;
// this reads tags and attributes as the HTML standard's tokenizer does
// (quoted or unquoted values, any case, references decoded) and stops at
// <body>, which is enough for what publishing tools write (ogp.me).

namespace herald {
namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool starts_with_ci(std::string_view s, std::size_t at, std::string_view word) {
  if (at + word.size() > s.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (lower(s[at + i]) != word[i]) return false;
  return true;
}

std::string lowered(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Numeric references and the named ones that occur in titles; any other
// '&' stays as written.
std::string decode_references(std::string_view in) {
  static const std::map<std::string_view, std::string_view> kNamed{
      {"amp", "&"},       {"lt", "<"},        {"gt", ">"},       {"quot", "\""},     {"apos", "'"},
      {"nbsp", "\xC2\xA0"}, {"ndash", "\xE2\x80\x93"}, {"mdash", "\xE2\x80\x94"}, {"hellip", "\xE2\x80\xA6"},
      {"rsquo", "\xE2\x80\x99"}, {"lsquo", "\xE2\x80\x98"}, {"rdquo", "\xE2\x80\x9D"}, {"ldquo", "\xE2\x80\x9C"}};
  std::string out;
  for (std::size_t i = 0; i < in.size();) {
    if (in[i] == '&') {
      const auto semi = in.find(';', i + 1);
      if (semi != std::string_view::npos && semi - i <= 10) {
        const std::string_view name = in.substr(i + 1, semi - i - 1);
        if (name.size() > 1 && name[0] == '#') {
          const bool hex = name[1] == 'x' || name[1] == 'X';
          const std::string_view digits = name.substr(hex ? 2 : 1);
          std::uint32_t cp = 0;
          auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
          if (!digits.empty() && ec == std::errc{} && end == digits.data() + digits.size()) {
            append_utf8(out, cp);
            i = semi + 1;
            continue;
          }
        } else if (auto it = kNamed.find(name); it != kNamed.end()) {
          out += it->second;
          i = semi + 1;
          continue;
        }
      }
    }
    out += in[i++];
  }
  return out;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// The attributes of the tag whose name ends at `at`; `at` ends past its '>'.
std::map<std::string, std::string> attributes(std::string_view html, std::size_t& at) {
  std::map<std::string, std::string> out;
  while (at < html.size()) {
    while (at < html.size() && (is_space(html[at]) || html[at] == '/')) ++at;
    if (at >= html.size() || html[at] == '>') break;
    const std::size_t name_start = at;
    while (at < html.size() && !is_space(html[at]) && html[at] != '=' && html[at] != '>' && html[at] != '/') ++at;
    std::string name = lowered(html.substr(name_start, at - name_start));
    while (at < html.size() && is_space(html[at])) ++at;
    std::string value;
    if (at < html.size() && html[at] == '=') {
      ++at;
      while (at < html.size() && is_space(html[at])) ++at;
      if (at < html.size() && (html[at] == '"' || html[at] == '\'')) {
        const char quote = html[at++];
        const auto end = html.find(quote, at);
        const std::size_t stop = end == std::string_view::npos ? html.size() : end;
        value = decode_references(html.substr(at, stop - at));
        at = stop == html.size() ? stop : stop + 1;
      } else {
        const std::size_t start = at;
        while (at < html.size() && !is_space(html[at]) && html[at] != '>') ++at;
        value = decode_references(html.substr(start, at - start));
      }
    }
    if (!name.empty()) out.emplace(std::move(name), std::move(value));  // the first of a name wins
  }
  if (at < html.size()) ++at;  // past '>'
  return out;
}

std::string trimmed(std::string s) {
  while (!s.empty() && is_space(s.back())) s.pop_back();
  std::size_t start = 0;
  while (start < s.size() && is_space(s[start])) ++start;
  return s.substr(start);
}

}  // namespace

OpenGraph read_open_graph(std::string_view html) {
  OpenGraph out;
  for (std::size_t at = 0; at < html.size();) {
    const auto open = html.find('<', at);
    if (open == std::string_view::npos) break;
    at = open + 1;
    if (starts_with_ci(html, at, "!--")) {
      const auto close = html.find("-->", at + 3);
      at = close == std::string_view::npos ? html.size() : close + 3;
      continue;
    }
    if (starts_with_ci(html, at, "body") || starts_with_ci(html, at, "/head")) break;
    // Script and style bodies are not markup: skip to their end tag.
    bool skipped = false;
    for (std::string_view raw : {std::string_view("script"), std::string_view("style")}) {
      if (starts_with_ci(html, at, raw) && at + raw.size() < html.size() &&
          (is_space(html[at + raw.size()]) || html[at + raw.size()] == '>')) {
        std::size_t end = at;
        while ((end = html.find("</", end)) != std::string_view::npos && !starts_with_ci(html, end + 2, raw)) end += 2;
        at = end == std::string_view::npos ? html.size() : end + 2 + raw.size();
        skipped = true;
        break;
      }
    }
    if (skipped) continue;
    if (!starts_with_ci(html, at, "meta") || at + 4 >= html.size() || !(is_space(html[at + 4]) || html[at + 4] == '/'))
      continue;
    at += 4;
    auto attrs = attributes(html, at);
    std::string key = lowered(attrs.count("property") ? attrs["property"] : attrs["name"]);
    auto content = attrs.find("content");
    if (content == attrs.end()) continue;
    std::string* field = key == "og:title"         ? &out.title
                         : key == "og:description" ? &out.description
                         : key == "og:image" || key == "og:image:url" || key == "og:image:secure_url" ? &out.image
                                                                                                      : nullptr;
    if (field && field->empty()) *field = trimmed(content->second);
  }
  return out;
}

}  // namespace herald
