#pragma once
// Small text helpers every layer uses (header names, file extensions,
// keywords, form values, comma lists, code points written as UTF-8): one
// home instead of a copy per file.

#include <cstddef>
#include <cstdint>
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

/// Writes `code_point` as UTF-8 into `out` and returns how many bytes it
/// took (1 to 4). One that is not a Unicode scalar value (a surrogate, or
/// above U+10FFFF) is written as U+FFFD.
std::size_t encode_utf8(char32_t code_point, char (&out)[4]);

/// Appends `code_point` as UTF-8, as encode_utf8 writes it.
void append_utf8(std::string& out, char32_t code_point);

/// FNV-1a (64 bits) of `bytes` continued from `hash`: stable across runs and
/// builds, so it can be stored. Each call also mixes an end marker, so
/// ("ab", "c") and ("a", "bc") differ.
inline constexpr std::uint64_t kFnvStart = 1469598103934665603ull;
std::uint64_t fnv1a(std::uint64_t hash, std::string_view bytes);

}  // namespace herald
