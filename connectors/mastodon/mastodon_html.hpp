#pragma once
// Reading a Mastodon status's `content` back as the text herald sent. The
// API answers a status as HTML (entities/Status: "content: String (HTML).
// HTML-encoded status content"), made by Mastodon's TextFormatter from the
// text: paragraphs at blank lines, <br /> at single line breaks, every
// character escaped, each link as an <a> whose text is split into spans (an
// "invisible" scheme, a visible part of 30 characters, an "invisible" rest),
// hashtags and mentions as links. Pure, so the lookup's comparison is tested
// without a server.

#include <string>
#include <string_view>

namespace herald {

/// The plain text of a status's HTML content: tags dropped (the text inside
/// them kept, so a link's spans give the whole URL again), <br> as a line
/// break, a new paragraph as a blank line, character references decoded.
std::string mastodon_plain_text(std::string_view html);

/// The form two status texts are compared in: whitespace runs as one space,
/// trimmed, and each remote mention @user@domain as @user (Mastodon shows a
/// mentioned account it knows by its username alone).
std::string mastodon_comparable_text(std::string_view text);

/// Whether a status's HTML `content` shows `text` (herald's composed status).
bool mastodon_content_matches(std::string_view html, std::string_view text);

}  // namespace herald
