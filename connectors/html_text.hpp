#pragma once
// Reading text back out of HTML that platforms return: a WordPress title,
// a Mastodon status's content, a page's og: tags. Only character
// references are decoded here; each caller knows its own markup.

#include <cstddef>
#include <string>
#include <string_view>

namespace herald {

/// The character reference at html[at] (an '&'): appends what it stands for
/// and returns how many bytes it took, or 0 when it is none (the '&' is then
/// text). Numeric references (&#39; &#x2014;) of a Unicode scalar value, and
/// the named ones platforms use in titles and text (amp, lt, gt, quot,
/// apos, nbsp, ndash, mdash, hellip and the curly quotes).
std::size_t decode_character_reference(std::string_view html, std::size_t at, std::string& out);

/// `text` with every character reference decoded; anything else, an unknown
/// or malformed reference included, stays as written.
std::string decode_html_entities(std::string_view text);

}  // namespace herald
