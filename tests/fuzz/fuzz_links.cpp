// Fuzzes the link extractor (compose/links.hpp): any bytes as a post's text.
// Links come in text order, do not overlap, lie inside the text, and a link
// with a scheme starts with http:// or https://.
#include "compose/links.hpp"

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto links = herald::extract_links(text);
  std::size_t previous_end = 0;
  for (const auto& link : links) {
    if (link.begin < previous_end || link.begin >= link.end || link.end > text.size()) std::abort();
    previous_end = link.end;
    const auto found = herald::link_text(text, link);
    const bool scheme = starts_with_nocase(found, "http://") || starts_with_nocase(found, "https://");
    if (link.has_scheme != scheme) std::abort();
  }
  // The TLD table lookup on the text's last dot-separated label.
  const auto dot = text.rfind('.');
  (void)herald::is_known_tld(dot == std::string_view::npos ? text : text.substr(dot + 1));
  return 0;
}
