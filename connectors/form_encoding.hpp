#pragma once
// RFC 3986 percent-encoding and application/x-www-form-urlencoded bodies,
// as OAuth 1.0a signs them and every form-posting connector sends them.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald {

/// Name/value pairs, raw (not encoded), in request order; names may repeat.
using Params = std::vector<std::pair<std::string, std::string>>;

/// RFC 3986 percent-encoding: keeps A-Z a-z 0-9 - . _ ~, writes every other
/// byte as %XX with uppercase hex (so ' ' is %20, never '+').
std::string percent_encode(std::string_view raw);

/// An application/x-www-form-urlencoded body, encoded exactly as the
/// OAuth 1.0a signature sees it (percent_encode on names and values, joined
/// by & and =).
std::string form_urlencode(const Params& params);

}  // namespace herald
