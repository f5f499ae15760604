#include "config/channel_kind.hpp"
#include "config/text.hpp"

#include "config/settings.hpp"  // the fields the keys fill; it includes this header, hence here

#include <algorithm>
#include <cstdlib>

namespace herald {

using namespace std::chrono_literals;

namespace {

// The setters the rows name their field by.
template <auto field>
void set(ChannelSettings& c, const std::string& value) {
  c.*field = value;
}
// Only after KeyCheck::count passed: at most seven digits.
template <auto field>
void set_count(ChannelSettings& c, const std::string& value) {
  c.*field = std::stoul(value);
}

// Each key once: its check, the example its error message quotes, and the
// field it fills.
const std::vector<ChannelKey> kKeys = {
    {"account", KeyCheck::text, "example_nl", set<&ChannelSettings::account>},
    {"page_id", KeyCheck::text, "1234567890", set<&ChannelSettings::page_id>},
    {"site", KeyCheck::http_url, "https://blog.example.nl", set<&ChannelSettings::site>},
    {"dir", KeyCheck::text, "/srv/www/news", set<&ChannelSettings::dir>},
    {"after", KeyCheck::text, "hugo --minify", set<&ChannelSettings::after>},
    {"url", KeyCheck::url_with_post, "https://example.nl/news/{post}/", set<&ChannelSettings::url>},
    {"author", KeyCheck::linkedin_author, "urn:li:organization:123", set<&ChannelSettings::author>},
    {"account_id", KeyCheck::digits, "17841400000000000", set<&ChannelSettings::account_id>},
    {"credentials", KeyCheck::file_name, "x", set<&ChannelSettings::credentials>},
    {"api_base", KeyCheck::http_url, "http://127.0.0.1:8080", set<&ChannelSettings::api_base>},
    {"api_version", KeyCheck::api_version, "v21.0", set<&ChannelSettings::api_version>},
    {"instance", KeyCheck::http_url, "https://mastodon.social", set<&ChannelSettings::instance>},
    {"visibility", KeyCheck::visibility, "public", set<&ChannelSettings::visibility>},
    {"language", KeyCheck::language, "nl", set<&ChannelSettings::language>},
    {"max_characters", KeyCheck::count, "500", set_count<&ChannelSettings::max_characters>},
    {"handle", KeyCheck::domain_handle, "example.bsky.social", set<&ChannelSettings::handle>},
    {"pds", KeyCheck::http_url, "https://bsky.social", set<&ChannelSettings::pds>},
    {"card", KeyCheck::card, "fetch", set<&ChannelSettings::card>},
};

// LinkedIn's versioned APIs answer a version for about a year after its
// release (learn.microsoft.com "LinkedIn Marketing API Versioning"): the
// default is a recent month, to be moved on with each herald release; a
// channel's api_version pins another.
const std::vector<ChannelKindInfo> kKinds = {
    {ChannelKind::x, "x", {"twitter"}, {"account", "credentials", "api_base"}, {"account"}, true, {}, {}, {"thread"},
     // GET /2/tweets: per-user windows of 15 minutes (developer.x.com "rate limits"); one a minute.
     60s, FirstComment::reply, {}},
    {ChannelKind::facebook, "facebook", {}, {"page_id", "credentials", "api_base", "api_version"}, {"page_id"}, true,
     "v21.0", {}, {"link"},
     // Graph API: about 200 calls per user per hour (developers.facebook.com "Rate Limiting").
     20s, FirstComment::comment, {}},
    {ChannelKind::youtube, "youtube", {}, {"credentials", "api_base"}, {}, true, {}, {},
     {"video", "privacy", "description", "file"},
     // videos.list costs 1 of the project's 10,000 daily quota units (developers.google.com "Quota Calculator").
     // A comment can be posted (commentThreads.insert) but not pinned: the
     // Data API has no pinning (developers.google.com, YouTube Data API, CommentThreads).
     30s, FirstComment::none,
     "YouTube's API cannot pin a comment, so a first comment would not stay first; it is not posted"},
    {ChannelKind::wordpress, "wordpress", {}, {"site", "credentials", "api_base"}, {"site"}, true, {}, {},
     {"excerpt", "categories", "tags"}, 1s, FirstComment::none,
     "a blog post has no first comment herald posts; put the words in the post"},
    {ChannelKind::static_site, "static", {}, {"dir", "after", "url"}, {"dir"}, false, {}, {},
     {"excerpt", "categories", "tags"}, 0s, FirstComment::none, "a static site has no comments"},
    {ChannelKind::linkedin, "linkedin", {}, {"author", "credentials", "api_base", "api_version"}, {"author"}, true,
     "202611", {}, {"link"},
     // Community Management APIs: daily member and application limits (learn.microsoft.com "Rate Limits").
     60s, FirstComment::comment, {}},
    // Instagram: 50 API-published posts per 24 hours per account
    // (developers.facebook.com, Instagram Platform, Content Publishing, "Limitations").
    {ChannelKind::instagram, "instagram", {}, {"account_id", "credentials", "api_base", "api_version"},
     {"account_id"}, true, "v21.0", std::pair<int, std::chrono::seconds>{50, 24h}, {},
     // Graph API: about 200 calls per user per hour, as Facebook's.
     20s, FirstComment::comment, {}},
    // Mastodon: the instance's own limit (max_characters) when the instance
    // allows more than 500 (docs.joinmastodon.org, "instance" entity).
    {ChannelKind::mastodon, "mastodon", {}, {"instance", "account", "credentials", "api_base", "visibility",
     "language", "max_characters"}, {"instance"}, true, {}, {}, {"visibility", "spoiler_text", "language"},
     // 300 requests per account per 5 minutes (docs.joinmastodon.org "Rate limits").
     2s, FirstComment::reply, {}},
    {ChannelKind::bluesky, "bluesky", {}, {"handle", "pds", "credentials", "api_base", "language", "card"},
     {"handle"}, true, {}, {}, {"link", "excerpt", "language"},
     // 3,000 requests per 5 minutes (docs.bsky.app "Rate Limits").
     1s, FirstComment::reply, {}},
};

}  // namespace

std::span<const ChannelKindInfo> channel_kinds() { return kKinds; }

const ChannelKindInfo& kind_info(ChannelKind kind) {
  for (const auto& k : kKinds)
    if (k.kind == kind) return k;
  std::abort();  // every enumerator has a row
}

std::span<const ChannelKey> channel_keys() { return kKeys; }

const ChannelKey* channel_key(std::string_view name) {
  for (const auto& k : kKeys)
    if (k.name == name) return &k;
  return nullptr;
}

std::string_view to_string(ChannelKind kind) { return kind_info(kind).name; }

std::optional<ChannelKind> parse_channel_kind(std::string_view text) {
  for (const auto& k : kKinds) {
    if (k.name == text) return k.kind;
    for (auto alias : k.aliases)
      if (alias == text) return k.kind;
  }
  return std::nullopt;
}

std::string a_kind(ChannelKind kind) {
  const std::string_view name = to_string(kind);
  const bool vowel = !name.empty() && std::string_view("aeiox").find(name.front()) != std::string_view::npos;
  return (vowel ? "an " : "a ") + std::string(name);
}

std::string kind_names(std::string_view last_separator) {
  std::string out;
  for (std::size_t i = 0; i < kKinds.size(); ++i) {
    if (i > 0) out += i + 1 == kKinds.size() ? std::string(last_separator) : std::string(", ");
    out += kKinds[i].name;
  }
  return out;
}

namespace {
bool ascii_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool ascii_alnum(char c) { return ascii_alpha(c) || (c >= '0' && c <= '9'); }
}  // namespace

bool valid_language(std::string_view code) {
  std::size_t i = 0;
  while (i < code.size() && code[i] >= 'a' && code[i] <= 'z') ++i;
  if (i < 2 || i > 3) return false;
  while (i < code.size()) {
    if (code[i] != '-') return false;
    std::size_t j = ++i;
    while (j < code.size() && ascii_alnum(code[j])) ++j;
    if (j - i < 2 || j - i > 8) return false;
    i = j;
  }
  return true;
}

bool valid_handle(std::string_view handle) {
  if (handle.empty() || handle.size() > 253) return false;
  std::size_t labels = 0;
  for (const std::string_view label : split(handle, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!ascii_alnum(c) && c != '-') return false;
    ++labels;
  }
  // The last label (the top-level domain) does not start with a digit.
  const auto last = handle.substr(handle.rfind('.') == std::string_view::npos ? 0 : handle.rfind('.') + 1);
  return labels >= 2 && !last.empty() && ascii_alpha(last.front());
}

bool override_field_allowed(std::string_view field, ChannelKind kind) {
  if (field == "text" || field == "title" || field == "media") return true;
  const auto& fields = kind_info(kind).override_fields;
  return std::find(fields.begin(), fields.end(), field) != fields.end();
}

}  // namespace herald
