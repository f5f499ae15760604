#pragma once
// UTM tagging of own links: adds utm_* parameters to URLs whose host is one
// of the team's own domains, so analytics see which post and channel brought
// a visitor. Pure functions.

#include "config/settings.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace herald {

/// The values the template's {channel}, {campaign} and {post} stand for.
struct UtmContext {
  std::string channel;
  std::string campaign;  ///< the post's campaign, else its id
  std::string post;
};

/// Whether `host` is one of `own_domains` or a subdomain of one
/// (case-insensitive; a trailing dot is ignored; "notexample.nl" is not "example.nl").
bool is_own_host(std::string_view host, const std::vector<std::string>& own_domains);

/// Fills {channel}, {campaign} and {post} in a template value.
std::string fill_utm_value(std::string_view value, const UtmContext& ctx);

/// Adds the template's parameters to one URL (with or without scheme) when its
/// host is own. Existing utm_* parameters are never overwritten; the fragment,
/// port, other parameters and their order are kept; the added parameters go at
/// the end of the query. Rewriting twice equals rewriting once. A URL that is
/// not own, or that cannot be parsed, is returned unchanged.
std::string tag_url(std::string_view url, const UtmTemplate& utm, const UtmContext& ctx,
                    const std::vector<std::string>& own_domains);

/// Tags every link in a text (as found by extract_links), leaving the rest
/// of the text byte for byte as it was. A link whose tagged form would not be
/// found again as the same link (it would end sooner, run on into the text
/// after it, or grow past 4096 characters) is left as written.
std::string tag_links(std::string_view text, const UtmTemplate& utm, const UtmContext& ctx,
                      const std::vector<std::string>& own_domains);

}  // namespace herald
