// Fuzzes the UTM rewriter (compose/utm.hpp): any bytes as a post's text,
// tagged with the example settings' template for own domains. Tagging twice
// equals tagging once, keeps the number of links, and tag_url on the whole
// text never crashes.
#include "compose/links.hpp"
#include "compose/utm.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const herald::UtmTemplate utm{{{"source", "{channel}"},
                                        {"medium", "social"},
                                        {"campaign", "{campaign}"},
                                        {"content", "{post}-{channel}"}}};
  static const std::vector<std::string> own{"example.nl", "fietsen.example", "xn--fsq.example."};
  static const herald::UtmContext ctx{"x", "lente 2027", "spring-blog"};

  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string once = herald::tag_links(text, utm, ctx, own);
  const std::string twice = herald::tag_links(once, utm, ctx, own);
  if (once != twice) std::abort();  // idempotent, as utm.hpp promises
  // Tagging never makes a link appear, vanish or swallow another.
  if (herald::extract_links(once).size() != herald::extract_links(text).size()) std::abort();

  const std::string url = herald::tag_url(text, utm, ctx, own);
  if (herald::tag_url(url, utm, ctx, own) != url) std::abort();
  (void)herald::is_own_host(text, own);
  (void)herald::fill_utm_value(text, ctx);
  return 0;
}
