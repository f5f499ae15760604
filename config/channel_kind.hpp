#pragma once
// The channel kinds, in one table (STYLE.md 15): each kind's settings
// spelling, the platform keys it takes and needs, whether it needs a
// credential file, its default API version and default rate, and the post
// fields a channel override of that kind may carry. Adding a kind is a row
// here, a composer rule in compose/, a connector and a sandbox module.
// The platform keys are a table too: each one's check, example and field;
// the settings every channel takes are rows of settings.cpp.

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

/// How a kind carries a post's `first_comment` (DESIGN.md "More networks").
enum class FirstComment {
  none,     ///< not at all: `no_first_comment` says why
  comment,  ///< the first comment on the post (Facebook, LinkedIn, Instagram)
  reply,    ///< a reply to the post (X, Mastodon, Bluesky)
};

enum class ChannelKind { x, facebook, youtube, wordpress, static_site, linkedin, instagram, mastodon, bluesky };

/// How the value of a platform key is checked.
enum class KeyCheck {
  text,              ///< any non-empty text
  http_url,          ///< an http(s) URL
  url_with_post,     ///< an http(s) URL containing {post}
  file_name,         ///< a file name in the credentials directory, not a path
  api_version,       ///< Graph (v21.0) or LinkedIn (YYYYMM), by the kind
  linkedin_author,   ///< urn:li:organization:DIGITS or urn:li:person:ID
  digits,            ///< an id of digits only
  count,             ///< a whole number of at least 1
  visibility,        ///< mastodon: public, unlisted, private or direct
  language,          ///< an ISO 639 language code (en, nl, pt-BR)
  card,              ///< bluesky: post (the card from the post) or fetch (from the page's og: tags)
  domain_handle,     ///< bluesky: a handle such as example.bsky.social
};

struct ChannelSettings;

/// A platform key of a channel: `page_id`, `site`, `author`, ...
struct ChannelKey {
  std::string_view name;
  KeyCheck check;
  std::string_view example;  ///< for the error message
  /// Stores a value that passed `check` in its field of the channel.
  void (*store)(ChannelSettings&, const std::string&);
};

struct ChannelKindInfo {
  ChannelKind kind;
  std::string_view name;                     ///< the settings spelling
  std::vector<std::string_view> aliases;     ///< other accepted spellings (twitter)
  std::vector<std::string_view> keys;        ///< the platform keys it takes
  std::vector<std::string_view> required;    ///< the keys it needs
  bool needs_credentials = true;
  std::string_view api_version;              ///< the default, when the kind has versions
  std::optional<std::pair<int, std::chrono::seconds>> rate;  ///< the platform's own limit, the default `rate`
  /// Post fields a channel override may carry besides text, title and media.
  std::vector<std::string_view> override_fields;
  /// The least time between two engagement reads on this platform (one
  /// read at a time per platform): well inside its documented read limits,
  /// so reading counters never spends what publishing needs. A platform's
  /// own "retry after" waits longer.
  std::chrono::seconds read_spacing{1};
  FirstComment first_comment = FirstComment::none;
  /// Why a kind takes no first comment, for check's warning.
  std::string_view no_first_comment;
};

/// Every kind, in the order the docs list them.
std::span<const ChannelKindInfo> channel_kinds();
const ChannelKindInfo& kind_info(ChannelKind kind);
/// Every platform key any kind takes, with its check.
std::span<const ChannelKey> channel_keys();
const ChannelKey* channel_key(std::string_view name);

/// The settings spelling of a kind (`x`, `facebook`, ..., `static`).
std::string_view to_string(ChannelKind kind);
std::optional<ChannelKind> parse_channel_kind(std::string_view text);
/// "a facebook", "an x", "an instagram".
std::string a_kind(ChannelKind kind);
/// "x, facebook, ..., linkedin or instagram".
std::string kind_names(std::string_view last_separator = " or ");
/// An ISO 639 language code, as Mastodon's `language` and Bluesky's `langs`
/// take it: two or three letters, optionally a region or script (pt-BR, zh-Hant).
bool valid_language(std::string_view code);
/// A Bluesky handle (atproto.com, "Handle"): two or more dot-separated
/// labels of letters, digits and '-', not starting or ending with '-'.
bool valid_handle(std::string_view handle);

/// Whether a channel override of this kind may carry `field`.
bool override_field_allowed(std::string_view field, ChannelKind kind);

}  // namespace herald
