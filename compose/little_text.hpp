#pragma once
// LinkedIn's "little text format", the commentary of the Posts API
// (learn.microsoft.com, LinkedIn Marketing, Community Management, Shares,
// "little text format"): plain text in which \ | { } @ [ ] ( ) < > # * _ ~
// are reserved for elements (mentions, hashtags, templates) and must be
// escaped with a backslash to be text; an unescaped one breaks the element
// parser and LinkedIn shows the text cut off there, or drops the character.
// Pure.

#include <string>
#include <string_view>

namespace herald {

/// Escapes `text` for a LinkedIn commentary, so that what arrives is what
/// was written. Two things stay as written because LinkedIn reads them
/// unescaped: a hashtag (`#` at the start or after a space, followed by a
/// letter or digit; it becomes a clickable hashtag showing the same text),
/// and a link (escaping inside it would break the URL, e.g. utm_source).
std::string escape_little_text(std::string_view text);

/// What a reader sees of a commentary: backslash escapes undone, a hashtag
/// element's text kept, a mention `@[Name](urn)` shown as Name. Stops at the
/// first reserved character that is neither escaped nor the start of an
/// element, as LinkedIn does; `complete` says whether it read to the end.
struct LittleTextRendering {
  std::string text;
  bool complete = true;
};
LittleTextRendering render_little_text(std::string_view commentary);

}  // namespace herald
