#pragma once
// The daemon's settings file (herald.yaml), typed.

#include "config/channel_kind.hpp"
#include "config/diagnostics.hpp"
#include "config/slots.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace herald {

/// At most `count` posts per `per`.
struct Rate {
  int count = 0;
  std::chrono::seconds per{0};
};

/// Retry timing for transient publish failures.
struct RetrySettings {
  int attempts = 5;
  std::chrono::seconds backoff{30};
  std::chrono::seconds max_backoff{30 * 60};
};

/// UTM parameters to add to own links; values may use {channel}, {campaign}, {post}.
/// Ordered as utm_source, utm_medium, utm_campaign, utm_term, utm_content.
struct UtmTemplate {
  std::vector<std::pair<std::string, std::string>> params;  ///< e.g. {"source", "{channel}"}
};

struct ChannelSettings {
  std::string name;           ///< the key under `channels:` (x, facebook, ...)
  ChannelKind kind = ChannelKind::x;
  std::string account;        ///< x: the account name, for URLs
  std::string page_id;        ///< facebook
  std::string site;           ///< wordpress: https://blog.example.nl
  std::filesystem::path dir;  ///< static: where Markdown files go
  std::string after;          ///< static: command run after writing
  std::string url;            ///< static: public URL of a post, with {post} for its id
  std::string author;         ///< linkedin: urn:li:organization:123 or urn:li:person:ID
  std::string account_id;     ///< instagram: the professional account's Instagram user id
  std::string instance;       ///< mastodon: https://mastodon.social
  std::string visibility = "public";  ///< mastodon: public, unlisted, private or direct
  std::string language;       ///< mastodon, bluesky: the posts' language (ISO 639), empty: unsaid
  /// mastodon: the limit check measures against (the instance's
  /// configuration.statuses.max_characters; 500 unless the instance allows more).
  std::size_t max_characters = 500;
  std::string handle;         ///< bluesky: example.bsky.social
  std::string pds = "https://bsky.social";  ///< bluesky: the account's PDS
  std::string card = "post";  ///< bluesky: the link card from the post (post) or the page's og: tags (fetch)
  std::string credentials;    ///< credential file name; empty for static
  std::string api_base;       ///< platform base URL override (sandbox, tests)
  /// facebook, instagram: the Graph API version (v21.0); linkedin: the
  /// LinkedIn-Version header (YYYYMM). The kind's default when not set.
  std::string api_version = "v21.0";
  std::vector<Slot> slots;
  std::chrono::seconds min_spacing{0};
  std::optional<Rate> rate;
  bool paused = false;
  std::optional<std::chrono::seconds> late_window;  ///< overrides publishing.late_window
  std::optional<UtmTemplate> utm;                   ///< overrides links.utm
  std::optional<std::chrono::seconds> max_gap;      ///< overrides lint.max_gap
  Location where;             ///< the channel's key in the settings file
};

struct StatusSettings {
  std::string listen = "127.0.0.1:8787";  ///< host:port or unix:/path
  std::string token = "status-token";     ///< credential name
  bool allow_remote = false;               ///< must be true to bind a non-loopback address
};

struct PublishingSettings {
  std::chrono::seconds late_window{15 * 60};
  RetrySettings retry;
  /// How long herald waits for a platform's answer to one HTTP request.
  std::chrono::seconds request_timeout{30};
  /// Overrides each platform's settle margin: how long after herald stopped
  /// waiting for a create the platform may still complete it.
  std::optional<std::chrono::seconds> settle_margin;
  /// Worker threads for connector calls (read at start).
  int workers = 4;
  /// The most requests of one platform (channel kind) in flight at once;
  /// unset: `workers` shared among the kinds of the channels, at least one each.
  std::optional<int> max_in_flight;
};

/// How the daemon takes in a calendar edit (docs/daemon.md, "Reload").
struct ReloadSettings {
  /// A burst of writes is applied this long after its first change at the
  /// latest, even if writes go on.
  std::chrono::seconds max_delay{5};
  /// A reload that would cancel more than this share of the pending
  /// deliveries, and at least `hold_min` of them, is held until a person
  /// accepts it (herald reload --accept-cancellations).
  double hold_share = 0.25;
  int hold_min = 10;
};

struct LinkSettings {
  std::vector<std::string> own_domains;
  UtmTemplate utm;
};

struct LintSettings {
  double promo_share = 0.2;
  std::chrono::seconds max_gap{3 * 24 * 3600};
  std::vector<std::string> competitors;
};

/// Where the queue is kept (DESIGN.md "The store beyond one host").
struct StoreSettings {
  /// A libpq URI (postgresql://herald@db.example.nl/herald) without a
  /// password; empty: SQLite in state_dir, the default.
  std::string postgresql;
  /// The credential file whose `password` key is the PostgreSQL password.
  std::string password;
  /// How long the active instance's lease lasts (renewed every third of it):
  /// a standby takes over this long after the active instance stopped.
  std::chrono::seconds lease{15};
  /// This host's name among the instances sharing the store (the host name
  /// when empty); each instance is "<instance>/<pid>". An instance that
  /// starts where one of the same name held the lease last restarts: it
  /// applies its calendar. One taking over from another keeps the store's
  /// plan unless its calendar is the same (herald run --take-over-with-my-calendar).
  std::string instance;
};

/// Engagement collection (issue 17; DESIGN.md "Editors' workflow additions":
/// `herald report`).
struct ReportSettings {
  /// How long after a delivery went out herald reads its counters on the
  /// platform, in increasing order; empty: never.
  std::vector<std::chrono::seconds> collect_after{std::chrono::hours(1), std::chrono::hours(24),
                                                  std::chrono::hours(7 * 24)};
};

/// Everything in herald.yaml, with defaults applied and paths made absolute.
struct Settings {
  std::filesystem::path file;             ///< the settings file itself
  std::uint64_t source = 0;               ///< fnv1a of its text as read (what check's cache keys on)
  std::filesystem::path calendar;         ///< a file or a directory
  std::filesystem::path state_dir;
  std::filesystem::path credentials_dir;
  /// Where the operator serves the calendar's directory on the web
  /// (https://media.example.nl/herald/): Instagram fetches media from there.
  std::string media_url;
  std::string timezone = "UTC";
  const date::time_zone* zone = nullptr;  ///< never null after a successful load
  StatusSettings status;
  PublishingSettings publishing;
  ReloadSettings reload;
  StoreSettings store;
  ReportSettings report;
  /// How often the daemon reads its whole state database on a fresh
  /// connection to find damage (PRAGMA quick_check).
  std::chrono::seconds state_check{60};
  LinkSettings links;
  LintSettings lint;
  std::vector<ChannelSettings> channels;  ///< in file order
  /// Position of each channel by name, built by the loader (index_channels);
  /// channel() verifies what it finds and scans when this is out of date.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::size_t, NameHash, std::equal_to<>> channel_index;

  /// The channel of that name, or null. Every post asks for its channels,
  /// so with a thousand channels this is a hash lookup, not a scan.
  const ChannelSettings* channel(std::string_view name) const;
  void index_channels();
  /// The effective late window and UTM template of a channel.
  std::chrono::seconds late_window(const ChannelSettings& c) const;
  const UtmTemplate& utm(const ChannelSettings& c) const;
};

/// Environment a settings load may consult ($STATE_DIRECTORY, $CREDENTIALS_DIRECTORY).
struct SettingsEnvironment {
  std::optional<std::string> state_directory;
  std::optional<std::string> credentials_directory;
  /// Reads the real process environment.
  static SettingsEnvironment from_process();
};

/// Loads and validates herald.yaml. Every problem goes to `diags` with its
/// file:line:col; returns nullopt if there was any error.
std::optional<Settings> load_settings(const std::filesystem::path& file, const SettingsEnvironment& env,
                                      Diagnostics& diags);

/// Same, from text already in memory (`file` names it in diagnostics and
/// anchors relative paths).
std::optional<Settings> load_settings_text(const std::string& text, const std::filesystem::path& file,
                                           const SettingsEnvironment& env, Diagnostics& diags);

/// Every key of herald.yaml, dotted (publishing.retry.backoff), in the order
/// of its table in settings.cpp.
std::vector<std::string_view> setting_paths();
/// The keys every channel takes, whatever its kind, besides `kind` and the
/// platform keys of its kind (channel_kind.hpp).
std::vector<std::string_view> every_channel_keys();

}  // namespace herald
