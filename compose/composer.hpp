#pragma once
// Per-channel composing: from a post to exactly what one channel receives,
// with cross-post links resolved, own links UTM-tagged, and each part
// measured against the platform's limit. Pure.

#include "compose/bluesky_text.hpp"
#include "compose/mastodon_text.hpp"
#include "compose/utm.hpp"
#include "config/calendar.hpp"
#include "config/settings.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace herald {

/// One measured part of a composed delivery ("tweet", "tweet 2 of 3",
/// "message", "description", "title").
struct Measure {
  std::string part;
  std::size_t length = 0;
  std::size_t limit = 0;
  std::string unit;          ///< "weighted characters", "characters", "bytes"
  bool over() const { return length > limit; }
};

/// What one channel receives for one delivery.
struct Composed {
  ChannelKind kind = ChannelKind::x;
  std::string text;                    ///< x: first tweet; facebook: message; youtube: description;
                                       ///< wordpress: HTML body; static: the whole Markdown file;
                                       ///< linkedin: the commentary in little text format (escaped);
                                       ///< instagram: the caption; mastodon: the status;
                                       ///< bluesky: the post text, links shortened for display
  std::vector<std::string> thread;     ///< x: the replies after the first tweet
  std::string title;                   ///< youtube, wordpress, static; linkedin: the article card's
                                       ///< title (never empty when `link` is set)
  std::string link;                    ///< facebook: the link preview; linkedin, bluesky: the card
  std::string excerpt;                 ///< wordpress; bluesky: the card's description
  std::vector<std::string> categories; ///< wordpress, static
  std::vector<std::string> tags;       ///< wordpress, static
  std::vector<std::filesystem::path> media;  ///< absolute paths
  /// instagram: the public URL of each of `media`, in order: the settings'
  /// media_url and the file's path in the calendar's directory. Empty when
  /// media_url is not set (check reports that).
  std::vector<std::string> media_urls;
  /// mastodon, bluesky: the alt text of each of `media`, in order ("" where
  /// the calendar gives none).
  std::vector<std::string> media_alt;
  std::vector<Facet> facets;           ///< bluesky: links and #tags, UTF-8 byte ranges of `text`
  std::string visibility;              ///< mastodon: public | unlisted | private | direct
  std::string spoiler_text;            ///< mastodon: the content warning
  std::string language;                ///< mastodon, bluesky: ISO 639, empty when unsaid
  std::string video;                   ///< youtube: id of an uploaded video to publish
  std::string video_file;              ///< youtube: a file to upload
  std::string privacy;                 ///< youtube: public | unlisted | private
  std::vector<std::string> waiting_for;  ///< cross-post targets whose URL is not known yet
  std::vector<Measure> measures;       ///< every part with a limit
  std::vector<std::string> problems;   ///< content the platform would reject (besides lengths)
  std::vector<std::string> notes;      ///< content that goes out but not as the editor may think

  /// The first part over its limit, if any.
  const Measure* over_limit() const;
  /// The main part's measure (the first), if the channel has a limit.
  const Measure* main_measure() const;
};

/// Looks up the URL of a delivery by POST@CHANNEL key; nullopt while unknown.
using UrlLookup = std::function<std::optional<std::string>(const std::string& key)>;

/// Limits, from the platforms' documentation.
inline constexpr std::size_t kTweetLimit = 280;            ///< weighted, twitter-text v3
inline constexpr std::size_t kFacebookMessageLimit = 63206;  ///< characters
inline constexpr std::size_t kYoutubeDescriptionLimit = 5000;  ///< bytes
inline constexpr std::size_t kYoutubeTitleLimit = 100;     ///< characters
inline constexpr std::size_t kLinkedinCommentaryLimit = 3000;  ///< characters of the commentary as sent
inline constexpr std::size_t kInstagramCaptionLimit = 2200;  ///< characters
inline constexpr std::size_t kInstagramHashtagLimit = 30;

/// Composes `post` for `channel`. `url_of` gives published URLs; a
/// placeholder without one stays as written and is listed in `waiting_for`.
/// `local_time` is the delivery's local time, RFC 3339, for the static front matter.
Composed compose(const Post& post, const ChannelSettings& channel, const Settings& settings, const Calendar& calendar,
                 const UrlLookup& url_of, const std::string& local_time = {});

/// Composes a post's `first_comment` for `channel`, as any text (cross-post
/// links, UTM tags, the network's limits, measured as "first comment"),
/// without the post's media, thread or title: what goes out as the first
/// comment on, or reply to, the published post (FirstComment).
Composed compose_first_comment(const Post& post, const ChannelSettings& channel, const Settings& settings,
                               const Calendar& calendar, const UrlLookup& url_of);

/// A UrlLookup answering every key with its preview_url (for plan and check).
UrlLookup preview_urls(const Calendar& calendar, const Settings& settings);

/// The X weighted length of one tweet text (NFC, URLs 23, weights, emoji 2).
std::size_t tweet_weighted_length(std::string_view text);

/// Text to HTML for a blog body: escaped, paragraphs at blank lines, <br> at
/// single line breaks, links made into anchors.
std::string text_to_html(std::string_view text);

}  // namespace herald
