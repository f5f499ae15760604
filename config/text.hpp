#pragma once
// Small ASCII text helpers every layer uses (header names, file extensions,
// keywords, form values): one home instead of a copy per file.

#include <string>
#include <string_view>

namespace herald {

/// `s` with A-Z made a-z; every other byte (UTF-8 included) unchanged.
std::string ascii_lower(std::string_view s);

/// `s` without leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r).
std::string_view trim(std::string_view s);

}  // namespace herald
