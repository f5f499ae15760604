#include "connectors/html_text.hpp"
#include "config/text.hpp"

#include <charconv>
#include <cstdint>
#include <utility>

namespace herald {

std::size_t decode_character_reference(std::string_view html, std::size_t at, std::string& out) {
  const auto semi = html.find(';', at + 1);
  if (semi == std::string_view::npos || semi - at > 12) return 0;
  const std::string_view name = html.substr(at + 1, semi - at - 1);
  if (name.size() > 1 && name[0] == '#') {
    const bool hex = name[1] == 'x' || name[1] == 'X';
    const std::string_view digits = name.substr(hex ? 2 : 1);
    std::uint32_t cp = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size()) return 0;
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    append_utf8(out, cp);
    return semi - at + 1;
  }
  static constexpr std::pair<std::string_view, std::string_view> kNamed[] = {
      {"amp", "&"},
      {"lt", "<"},
      {"gt", ">"},
      {"quot", "\""},
      {"apos", "'"},
      {"nbsp", "\xC2\xA0"},
      {"ndash", "\xE2\x80\x93"},
      {"mdash", "\xE2\x80\x94"},
      {"hellip", "\xE2\x80\xA6"},
      {"lsquo", "\xE2\x80\x98"},
      {"rsquo", "\xE2\x80\x99"},
      {"ldquo", "\xE2\x80\x9C"},
      {"rdquo", "\xE2\x80\x9D"},
  };
  for (const auto& [n, text] : kNamed) {
    if (name == n) {
      out.append(text);
      return semi - at + 1;
    }
  }
  return 0;
}

std::string decode_html_entities(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '&') {
      if (const std::size_t used = decode_character_reference(text, i, out)) {
        i += used;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

}  // namespace herald
