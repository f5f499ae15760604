#pragma once
// The content calendar (calendar.yaml or a directory of them), typed.

#include "config/diagnostics.hpp"
#include "config/local_time.hpp"
#include "config/recurrence.hpp"
#include "config/settings.hpp"

#include <boost/iterator/indirect_iterator.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

namespace herald {

enum class PostKind { other, promo, help, tip, news };
std::string_view to_string(PostKind kind);

/// What a post says on one channel when it differs from the post's defaults.
/// Every field is optional; unset fields fall back to the post.
struct ChannelOverride {
  std::optional<std::string> text;
  std::optional<std::string> title;
  std::optional<std::vector<std::string>> thread;  ///< x: a thread of replies
  std::optional<std::string> link;                 ///< facebook: the link preview URL
  std::optional<std::vector<std::string>> media;
  std::optional<std::string> excerpt;
  std::optional<std::vector<std::string>> categories;
  std::optional<std::vector<std::string>> tags;
  std::optional<std::string> video;                ///< youtube: id of an uploaded video
  std::optional<std::string> privacy;              ///< youtube: public | unlisted | private
  std::optional<std::string> description;          ///< youtube: description (default: text)
  std::optional<std::string> file;                 ///< youtube: a video file to upload
  std::optional<std::string> visibility;           ///< mastodon: public | unlisted | private | direct
  std::optional<std::string> spoiler_text;         ///< mastodon: the content warning shown before the text
  std::optional<std::string> language;             ///< mastodon, bluesky: ISO 639 code of the text
};

/// A post at one fixed time.
struct FixedTime {
  Timestamp written;   ///< as the editor wrote it
  Resolved resolved;   ///< its instant, with how DST affected it
};
/// A post that takes the next free slot of each channel, from now on (or
/// from the first day given, whichever is later).
struct Queued {
  std::optional<date::local_days> from;
};
/// A post that repeats.
struct Repeating {
  Recurrence rule;
  std::string source;                         ///< the `every:` or `rrule:` text
  std::optional<date::local_days> from;       ///< first day (DTSTART); default: no lower bound
  std::optional<WallTime> until;              ///< last wall time, inclusive
};
using Timing = std::variant<FixedTime, Queued, Repeating>;

/// Where the fields of one post were written, in its file: a short list
/// (a post has a dozen fields), not a map of full locations, so a calendar
/// of 100,000 posts does not hold a million copies of its file's name.
class FieldPlaces {
 public:
  /// Records (or moves) a field's place; `at.file` is the post's file.
  void set(std::string field, const Location& at);
  bool has(std::string_view field) const { return find(field) != nullptr; }
  /// Line and column of a field; nullptr when it was not written.
  const std::pair<int, int>* find(std::string_view field) const;

 private:
  std::vector<std::pair<std::string, std::pair<int, int>>> places_;
};

struct Post {
  std::string id;
  Timing timing = Queued{};
  std::vector<std::string> channels;
  std::string campaign;                ///< empty: none (the UTM campaign falls back to id)
  PostKind kind = PostKind::other;
  std::string title;
  std::string text;
  std::vector<std::string> thread;
  std::vector<std::string> media;      ///< as written (relative to the file)
  /// Alt text of media, by the file as written (`media: [{file: a.jpg, alt: "..."}]`),
  /// from the post's list and its channel overrides' lists.
  std::map<std::string, std::string> alt;
  std::string link;
  std::string excerpt;
  std::vector<std::string> categories;
  std::vector<std::string> tags;
  std::map<std::string, ChannelOverride> overrides;  ///< by channel name
  /// `draft: true`: checked, planned and shown, never published; removing
  /// the flag is the approval (DESIGN.md "Editors' workflow additions").
  bool draft = false;
  /// Posted after the post as its first comment or reply, where the channel's
  /// kind has one (FirstComment): its own delivery POST@CHANNEL+comment.
  std::string first_comment;

  std::filesystem::path file;          ///< the calendar file it came from
  /// fnv1a of its file, its zone and its text as written: equal sources
  /// read to equal posts (check's cache of what it composed keys on it).
  std::uint64_t source = 0;
  std::string zone_name;               ///< the zone its wall times are read in
  const date::time_zone* zone = nullptr;
  /// Where each field was written: "post" (the list item), "id", "at", "text",
  /// "x.text" (an override's field), "channels[1]", ... Used by later checks.
  FieldPlaces where;

  Location location(const std::string& field) const;  ///< falls back to "post"
  /// The post's value of a field on a channel, override first.
  const std::string& text_for(const std::string& channel) const;
};

/// The posts of a calendar, in file order, held in blocks that never change
/// once added: each file's posts as read are one block. A reload shares the
/// blocks of the files that did not change with the calendar running
/// instead of copying their posts, so a post keeps its address for as long
/// as a calendar holding its block lives.
class PostList {
 public:
  using Block = std::shared_ptr<const std::vector<Post>>;
  using const_iterator = boost::indirect_iterator<std::vector<const Post*>::const_iterator>;

  std::size_t size() const { return index_.size(); }
  bool empty() const { return index_.empty(); }
  const Post& operator[](std::size_t i) const { return *index_[i]; }
  const Post& front() const { return *index_.front(); }
  const Post& back() const { return *index_.back(); }
  const_iterator begin() const { return const_iterator(index_.begin()); }
  const_iterator end() const { return const_iterator(index_.end()); }

  /// Adds a block after the posts already here (an empty one adds nothing).
  void append(Block block);
  void append(std::vector<Post> posts) { append(std::make_shared<const std::vector<Post>>(std::move(posts))); }
  /// Shares every block of `other`, after the posts already here.
  void append(const PostList& other);
  void push_back(Post post);
  /// The block holding exactly the posts [first, first + count), to share;
  /// nullptr when no block does.
  Block block(std::size_t first, std::size_t count) const;

 private:
  std::vector<std::pair<std::size_t, Block>> blocks_;  ///< index of its first post, block
  std::vector<const Post*> index_;
};

/// One file of a calendar as it was read: what a later load may reuse when
/// the file's text and the settings are the same.
struct CalendarFile {
  std::filesystem::path path;
  std::uint64_t text = 0;           ///< fnv1a of its bytes
  std::size_t first_post = 0, post_count = 0;
  Diagnostics diags;                ///< its warnings
};

struct Calendar {
  PostList posts;                              ///< in file order, files in name order
  std::vector<std::filesystem::path> files;    ///< the files read
  std::vector<CalendarFile> read;              ///< by file, as load_calendar read them
  std::uint64_t settings_source = 0;           ///< Settings::source of the settings it was read with
  /// Post index by id (a view of the post's own id), kept by the loader;
  /// find() scans when it is out of date.
  std::unordered_map<std::string_view, std::size_t> by_id;
  const Post* find(std::string_view id) const;
};

/// The calendar's fingerprint: 16 hex digits of FNV-1a over each file's
/// path relative to `root` (the settings' `calendar:`, a file or a
/// directory) and its bytes. Two checkouts of the same calendar agree
/// wherever they are; any edit, added or removed file changes it. The
/// settings are not in it (each host has its own listen address, state
/// directory and credentials).
std::string calendar_fingerprint(const Calendar& calendar, const std::filesystem::path& root);

/// Limits on what the loader reads, so a hostile file fails cleanly.
struct LoadLimits {
  std::uintmax_t max_file_bytes = 64ull << 20;  ///< per file
  std::size_t max_files = 10000;                ///< in a calendar directory
  std::size_t max_posts = 1000000;
};

/// Loads the calendar named by the settings (a file or a directory of
/// *.yaml/*.yml read in name order). All errors of all files go to `diags`;
/// returns nullopt if there was any error, so a calendar is accepted whole or not at all.
/// With `previous` (the calendar accepted last, read with the same
/// settings), a file whose text is unchanged is not parsed again: its posts
/// and warnings are taken from `previous`, which is what parsing gives.
std::optional<Calendar> load_calendar(const Settings& settings, Diagnostics& diags,
                                      const LoadLimits& limits = {}, const Calendar* previous = nullptr);

/// Loads one calendar document from text (`file` names it in diagnostics).
/// Posts are appended to `into`; duplicate ids are checked against what is already there.
bool load_calendar_text(const std::string& text, const std::filesystem::path& file,
                        const Settings& settings, Calendar& into, Diagnostics& diags);

}  // namespace herald
