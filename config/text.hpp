#pragma once
// Small text helpers every layer uses (header names, file extensions,
// keywords, form values, comma lists): one home instead of a copy per file.

#include <string>
#include <string_view>
#include <vector>

namespace herald {

/// `s` with A-Z made a-z; every other byte (UTF-8 included) unchanged.
std::string ascii_lower(std::string_view s);

/// `s` without leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r).
std::string_view trim(std::string_view s);

/// The pieces of `s` between each `sep`, in order, empty ones kept (so a
/// caller can report or skip them): "a,,b" is {"a", "", "b"}, "" is {""}.
/// The views point into `s`.
std::vector<std::string_view> split(std::string_view s, char sep);

}  // namespace herald
