#include "connectors/bluesky/open_graph.hpp"
#include "config/text.hpp"

#include "connectors/html_text.hpp"

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

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// The attributes of the tag whose name ends at `at`; `at` ends past its '>'.
std::map<std::string, std::string> attributes(std::string_view html, std::size_t& at) {
  std::map<std::string, std::string> out;
  while (at < html.size()) {
    while (at < html.size() && (is_space(html[at]) || html[at] == '/')) ++at;
    if (at >= html.size() || html[at] == '>') break;
    const std::size_t name_start = at;
    while (at < html.size() && !is_space(html[at]) && html[at] != '=' && html[at] != '>' && html[at] != '/') ++at;
    std::string name = ascii_lower(html.substr(name_start, at - name_start));
    while (at < html.size() && is_space(html[at])) ++at;
    std::string value;
    if (at < html.size() && html[at] == '=') {
      ++at;
      while (at < html.size() && is_space(html[at])) ++at;
      if (at < html.size() && (html[at] == '"' || html[at] == '\'')) {
        const char quote = html[at++];
        const auto end = html.find(quote, at);
        const std::size_t stop = end == std::string_view::npos ? html.size() : end;
        value = decode_html_entities(html.substr(at, stop - at));
        at = stop == html.size() ? stop : stop + 1;
      } else {
        const std::size_t start = at;
        while (at < html.size() && !is_space(html[at]) && html[at] != '>') ++at;
        value = decode_html_entities(html.substr(start, at - start));
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
    std::string key = ascii_lower(attrs.count("property") ? attrs["property"] : attrs["name"]);
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
