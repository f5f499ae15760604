#include "config/settings.hpp"

#include "config/duration.hpp"
#include "config/text.hpp"
#include "config/yaml_reader.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace herald {

using namespace std::chrono_literals;

namespace {

// Bounds two rows share: a channel's override is bounded as the setting it
// overrides.
struct Bounds {
  std::chrono::seconds min, max;
};
constexpr Bounds kLateWindow{0s, 7 * 24h};
constexpr Bounds kMaxGap{1h, 365 * 24h};
// A channel's rate: COUNT/DURATION, in these bounds.
constexpr Bounds kRatePer{1min, 31 * 24h};
constexpr long long kMaxRateCount = 100000;

bool valid_channel_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// A Graph API version as it appears in the URL path: v<digits>.<digits>.
bool valid_api_version(const std::string& text) {
  const auto dot = text.find('.');
  if (text.size() < 4 || text[0] != 'v' || dot == std::string::npos || dot < 2 || dot + 1 == text.size()) return false;
  for (std::size_t i = 1; i < text.size(); ++i) {
    if (i != dot && !std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

// Post fields that a channel-name key in a post would shadow.
constexpr std::string_view kReservedNames[] = {
    "id",   "at",    "queue",    "every",      "rrule", "from",     "until",       "channels", "campaign", "kind",
    "title", "text", "thread",   "media",      "link",  "excerpt",  "categories",  "tags",     "video",    "privacy",
    "description", "file", "timezone", "posts"};

UtmTemplate default_utm() {
  return UtmTemplate{{{"source", "{channel}"}, {"medium", "social"}, {"campaign", "{campaign}"}, {"content", "{post}"}}};
}

std::optional<UtmTemplate> read_utm(YamlReader& r, const YamlNode& node, std::string_view what) {
  static constexpr std::string_view kOrder[] = {"source", "medium", "campaign", "term", "content"};
  std::map<std::string, std::string> values;
  bool ok = r.each_entry(node, what, {"source", "medium", "campaign", "term", "content"}, nullptr,
                         [&](const std::string& key, const YamlNode&, const YamlNode& value) {
                           if (auto s = r.text(value, std::string(what) + "." + key)) values[key] = *s;
                           else ok = false;
                         });
  if (!ok) return std::nullopt;
  UtmTemplate t;
  for (auto k : kOrder) {
    auto it = values.find(std::string(k));
    if (it != values.end()) t.params.emplace_back(it->first, it->second);
  }
  return t;
}

std::optional<Rate> read_rate(YamlReader& r, const YamlNode& node, std::string_view what) {
  // "50/24h": at most 50 posts in any 24 hours.
  if (node.is_scalar()) {
    const std::string& s = node.scalar();
    auto slash = s.find('/');
    if (slash != std::string::npos && slash > 0) {
      long long count = 0;
      bool digits = slash <= 6;
      for (std::size_t i = 0; i < slash && digits; ++i) {
        digits = s[i] >= '0' && s[i] <= '9';
        count = count * 10 + (s[i] - '0');
      }
      auto per = parse_duration(std::string_view(s).substr(slash + 1));
      if (digits && per && count >= 1 && count <= kMaxRateCount && *per >= kRatePer.min && *per <= kRatePer.max) {
        return Rate{static_cast<int>(count), *per};
      }
    }
  }
  r.error(node, std::string(what) + " must be COUNT/DURATION such as 50/24h (1 to " + std::to_string(kMaxRateCount) +
                    " per 1m to 31d), not " + describe(node));
  return std::nullopt;
}

bool loopback_listen(const std::string& listen) {
  if (listen.rfind("unix:", 0) == 0) return true;
  auto colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

std::optional<std::string> read_listen(YamlReader& r, const YamlNode& node, const std::string& what) {
  auto s = r.text(node, what);
  if (!s) return std::nullopt;
  if (s->rfind("unix:", 0) == 0) {
    if (s->size() < 7 || (*s)[5] != '/') {
      r.error(node, what + " unix socket must be an absolute path such as unix:/run/herald/status.sock");
      return std::nullopt;
    }
    return s;
  }
  auto colon = s->rfind(':');
  bool ok = colon != std::string::npos && colon > 0 && colon + 1 < s->size() && s->size() - colon - 1 <= 5;
  long port = 0;
  for (std::size_t i = colon + 1; ok && i < s->size(); ++i) {
    ok = (*s)[i] >= '0' && (*s)[i] <= '9';
    port = port * 10 + ((*s)[i] - '0');
  }
  // Port 0 asks for any free port; the daemon logs the one it got.
  if (!ok || port < 0 || port > 65535) {
    r.error(node, what + " must be HOST:PORT (port 0 to 65535) or unix:/PATH, not '" + *s + "'");
    return std::nullopt;
  }
  return s;
}

bool is_http_url(const std::string& s) { return s.rfind("https://", 0) == 0 || s.rfind("http://", 0) == 0; }

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

// What is wrong with the value of a platform key, if anything ("must be ...").
std::optional<std::string> check_channel_key(const ChannelKey& key, ChannelKind kind, const std::string& s) {
  const std::string example(key.example);
  switch (key.check) {
    case KeyCheck::text: break;
    case KeyCheck::http_url:
      if (!is_http_url(s)) return "must be an http(s) URL such as " + example;
      break;
    case KeyCheck::url_with_post:
      if (!is_http_url(s) || s.find("{post}") == std::string::npos)
        return "must be an http(s) URL containing {post}, such as " + example;
      break;
    case KeyCheck::file_name:
      if (s.find('/') != std::string::npos || s == "." || s == "..")
        return std::string("must be a file name in the credentials directory, not a path");
      break;
    case KeyCheck::linkedin_author: {
      // LinkedIn's URNs (learn.microsoft.com, "URNs and IDs"): an
      // organization by its number, a member by its id.
      constexpr std::string_view org = "urn:li:organization:", person = "urn:li:person:";
      const bool ok = (s.rfind(org, 0) == 0 && all_digits(std::string_view(s).substr(org.size()))) ||
                      (s.rfind(person, 0) == 0 && s.size() > person.size() &&
                       s.find_first_of(" /?#", person.size()) == std::string::npos);
      if (!ok) return "must be urn:li:organization:NUMBER or urn:li:person:ID, not '" + s + "'";
      break;
    }
    case KeyCheck::digits:
      if (!all_digits(s)) return "must be the account's numeric id such as " + example + ", not '" + s + "'";
      break;
    case KeyCheck::count:
      if (!all_digits(s) || s.size() > 7 || std::stoul(s) == 0)
        return "must be a whole number from 1 such as " + example + ", not '" + s + "'";
      break;
    case KeyCheck::visibility:
      // docs.joinmastodon.org, "statuses" POST: visibility.
      if (s != "public" && s != "unlisted" && s != "private" && s != "direct")
        return "must be public, unlisted, private or direct, not '" + s + "'";
      break;
    case KeyCheck::language:
      if (!valid_language(s)) return "must be an ISO 639 language code such as nl, en or pt-BR, not '" + s + "'";
      break;
    case KeyCheck::card:
      if (s != "post" && s != "fetch")
        return "must be post (the card from the post's title and excerpt) or fetch (from the page's og: tags), not '" +
               s + "'";
      break;
    case KeyCheck::domain_handle:
      // atproto.com, "Handle": a domain name of at least two labels.
      if (!valid_handle(s)) return "must be a handle such as " + example + " (without '@'), not '" + s + "'";
      break;
    case KeyCheck::api_version:
      if (kind == ChannelKind::linkedin) {
        if (s.size() != 6 || !all_digits(s) || s.substr(4) < "01" || s.substr(4) > "12")
          return "must be a LinkedIn API version YYYYMM such as 202611, not '" + s + "'";
      } else if (!valid_api_version(s)) {
        return "must be a Graph API version such as v21.0, not '" + s + "'";
      }
      break;
  }
  return std::nullopt;
}

// The readers of the rows below that YamlReader has no match for. Each
// returns the value to store, or nullopt after reporting why not.

// A path in the settings file is relative to the file's directory.
std::optional<std::filesystem::path> relative_path(YamlReader& r, const YamlNode& node, const std::string& what,
                                                   const Settings& s) {
  auto p = r.text(node, what);
  if (!p) return std::nullopt;
  return (s.file.parent_path() / *p).lexically_normal();
}

// Ends in '/', so a file name can be appended.
std::optional<std::string> read_media_url(YamlReader& r, const YamlNode& node, const std::string& what) {
  auto u = r.text(node, what);
  if (!u) return std::nullopt;
  if (!is_http_url(*u)) {
    r.error(node, what + " must be an http(s) URL such as https://media.example.nl/herald/");
    return std::nullopt;
  }
  return u->back() == '/' ? *u : *u + "/";
}

// A PostgreSQL URI (libpq's postgresql:// or postgres://) that holds no
// password: the password comes from a credential file (store.password), so
// it is never in the settings, the log or an error message.
std::optional<std::string> read_postgresql_url(YamlReader& r, const YamlNode& node, const std::string& what) {
  auto u = r.text(node, what);
  if (!u) return std::nullopt;
  const std::size_t scheme = u->find("://");
  const std::string name = scheme == std::string::npos ? "" : ascii_lower(u->substr(0, scheme));
  if (name != "postgresql" && name != "postgres") {
    r.error(node, what + " must be a PostgreSQL URL such as postgresql://herald@db.example.nl/herald");
    return std::nullopt;
  }
  const std::size_t host_from = scheme + 3;
  const std::string authority = u->substr(host_from, u->find_first_of("/?", host_from) - host_from);
  const std::size_t at = authority.rfind('@');
  const bool password_in_user = at != std::string::npos && authority.substr(0, at).find(':') != std::string::npos;
  const std::size_t query = u->find('?');
  const bool password_in_query =
      query != std::string::npos && ("&" + ascii_lower(u->substr(query + 1))).find("&password=") != std::string::npos;
  if (password_in_user || password_in_query) {
    r.error(node, what + " must not hold a password: put it in a credential file (key password) and name that "
                         "file in store.password");
    return std::nullopt;
  }
  return u;
}

// Domain names, compared in lower case.
std::optional<std::vector<std::string>> read_own_domains(YamlReader& r, const YamlNode& node,
                                                         const std::string& what) {
  auto list = r.string_list(node, what);
  if (!list) return std::nullopt;
  std::vector<std::string> domains;
  for (std::size_t i = 0; i < list->size(); ++i) {
    std::string d = ascii_lower((*list)[i]);
    if (d.find('/') != std::string::npos || d.find(':') != std::string::npos || d.find('.') == std::string::npos)
      r.error(node[i],
              what + ": '" + (*list)[i] + "' must be a domain name such as example.nl, without scheme or path");
    else domains.push_back(d);
  }
  if (domains.size() != list->size()) return std::nullopt;
  return domains;
}

// Each slot at its own place when it is wrong.
std::optional<std::vector<Slot>> read_slots(YamlReader& r, const YamlNode& node, const std::string& what) {
  auto list = r.string_list(node, what);
  if (!list) return std::nullopt;
  std::vector<Slot> slots;
  for (std::size_t i = 0; i < list->size(); ++i) {
    std::string err;
    if (auto slot = parse_slot((*list)[i], err)) slots.push_back(*slot);
    else r.error(node[i], what + ": " + err);
  }
  if (slots.size() != list->size()) return std::nullopt;
  return slots;
}

// The rows of one or other table, for a settings file and a channel.
template <class Read, class Field>
Option<Settings> setting(std::string_view path, Read read, Field field) {
  return option<Settings>(path, read, field);
}
template <class Read, class Field>
Option<ChannelSettings> every_channel(std::string_view path, Read read, Field field) {
  return option<ChannelSettings>(path, read, field);
}
template <class T>
Option<T> required(Option<T> row, std::string_view why) {
  row.needed = why;
  return row;
}

using namespace readers;

// The settings every channel takes, whatever its kind, after the platform
// keys of its kind (channel_kind.cpp), in the order messages list them.
const Option<ChannelSettings> kEveryChannel[] = {
    every_channel("slots", read_slots, [](ChannelSettings& c) -> auto& { return c.slots; }),
    every_channel("min_spacing", duration(0s, 24h), [](ChannelSettings& c) -> auto& { return c.min_spacing; }),
    every_channel("rate", read_rate, [](ChannelSettings& c) -> auto& { return c.rate; }),
    every_channel("paused", boolean(), [](ChannelSettings& c) -> auto& { return c.paused; }),
    every_channel("late_window", duration(kLateWindow.min, kLateWindow.max),
                  [](ChannelSettings& c) -> auto& { return c.late_window; }),
    every_channel("utm", read_utm, [](ChannelSettings& c) -> auto& { return c.utm; }),
    every_channel("max_gap", duration(kMaxGap.min, kMaxGap.max), [](ChannelSettings& c) -> auto& { return c.max_gap; }),
};

// A platform key as a row of a channel: checked and stored if the channel's
// kind takes it; otherwise known, and refused as a key of another kind.
Option<ChannelSettings> platform_row(const ChannelKey& key, bool taken) {
  if (!taken) {
    return {.path = key.name,
            .read = [](YamlReader& r, const YamlNode& k, const YamlNode&, const std::string&, ChannelSettings& c) {
              r.error(k, "'" + k.scalar() + "' is not a setting of " + a_kind(c.kind) + " channel");
              return false;
            },
            .listed = false};
  }
  return {.path = key.name, .read = [&key](YamlReader& r, const YamlNode&, const YamlNode& v,
                                          const std::string& what, ChannelSettings& c) {
            auto s = r.text(v, what);
            if (!s) return false;
            if (auto problem = check_channel_key(key, c.kind, *s)) {
              r.error(v, what + " " + *problem);
              return false;
            }
            key.store(c, *s);
            return true;
          }};
}

// The rows of a channel of this kind. Its kind is read first, as it decides
// the rest: the platform keys of the kind, in the order of its row, then
// those every channel takes, then the other kinds' keys, unlisted.
std::vector<Option<ChannelSettings>> channel_rows(const ChannelKindInfo& info) {
  std::vector<Option<ChannelSettings>> rows;
  rows.push_back({.path = "kind", .read = [](YamlReader&, const YamlNode&, const YamlNode&, const std::string&,
                                            ChannelSettings&) { return true; }});
  for (auto name : info.keys) rows.push_back(platform_row(*channel_key(name), true));
  rows.insert(rows.end(), std::begin(kEveryChannel), std::end(kEveryChannel));
  for (const auto& key : channel_keys()) {
    if (std::find(info.keys.begin(), info.keys.end(), key.name) == info.keys.end())
      rows.push_back(platform_row(key, false));
  }
  return rows;
}

std::optional<ChannelSettings> read_channel(YamlReader& r, const std::string& name, const YamlNode& key,
                                            const YamlNode& node, const Settings& settings) {
  ChannelSettings c;
  c.name = name;
  c.where = r.at(key);
  const std::string what = "channel '" + name + "'";
  if (!valid_channel_name(name)) {
    r.error(key, "channel name '" + name + "' may use only a-z, 0-9, '_' and '-'");
    return std::nullopt;
  }
  for (auto reserved : kReservedNames) {
    if (reserved == name) {
      r.error(key, "channel name '" + name + "' is reserved: it is a post field");
      return std::nullopt;
    }
  }
  if (!node.is_map()) {
    r.error(node, what + " must be a mapping such as {kind: x, ...}, not " + describe(node));
    return std::nullopt;
  }
  const YamlNode kind_node = node["kind"];
  if (!kind_node.defined()) {
    r.error(key, what + " has no kind (one of " + kind_names(", ") + ")");
    return std::nullopt;
  }
  auto kind_text = r.string(kind_node, what + " kind");
  if (!kind_text) return std::nullopt;
  auto kind = parse_channel_kind(*kind_text);
  if (!kind) {
    r.error(kind_node, "unknown channel kind '" + *kind_text + "' (expected " + kind_names() + ")");
    return std::nullopt;
  }
  c.kind = *kind;
  const ChannelKindInfo& info = kind_info(c.kind);
  if (!info.api_version.empty()) c.api_version = std::string(info.api_version);
  if (info.rate) c.rate = Rate{info.rate->first, info.rate->second};

  const auto rows = channel_rows(info);
  const auto found = read_options<ChannelSettings>(r, node, what, what + " ", rows, c);
  // A key that is given counts even with a bad value: that is its own error.
  auto require = [&](std::string_view k) {
    for (std::size_t i = 0; i < rows.size(); ++i)
      if (rows[i].path == k && found[i].value) return;
    r.error(key, what + " (kind " + std::string(info.name) + ") needs '" + std::string(k) + "'");
  };
  for (auto k : info.required) require(k);
  if (info.needs_credentials) require("credentials");
  if (!c.dir.empty() && c.dir.is_relative()) c.dir = settings.file.parent_path() / c.dir;
  return c;
}

// In file order; a channel with an error is left out (the load fails).
std::optional<std::vector<ChannelSettings>> read_channels(YamlReader& r, const YamlNode& node,
                                                          const std::string& what, const Settings& s) {
  std::vector<ChannelSettings> channels;
  bool mapping = r.each_entry(node, what, {}, [](const std::string&) { return true; },
                              [&](const std::string& name, const YamlNode& key, const YamlNode& value) {
                                if (auto c = read_channel(r, name, key, value, s)) channels.push_back(std::move(*c));
                              });
  if (!mapping) return std::nullopt;
  return channels;
}

// A list of increasing durations, each in [5s, 90d] (report.collect_after).
std::optional<std::vector<std::chrono::seconds>> read_collect_after(YamlReader& r, const YamlNode& node,
                                                                   const std::string& what) {
  if (!node.is_list()) {
    r.error(node, what + " must be a list of durations such as [1h, 24h, 7d], not " + describe(node));
    return std::nullopt;
  }
  std::vector<std::chrono::seconds> out;
  bool ok = true;
  for (const auto& item : node) {
    auto d = r.duration(item, what + " item", 5s, 90 * 24h);
    if (!d) {
      ok = false;
    } else if (!out.empty() && *d <= out.back()) {
      r.error(item, what + " must increase: " + format_duration(*d) + " comes after " + format_duration(out.back()));
      ok = false;
    } else {
      out.push_back(*d);
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

// The zone is looked up here, so an unknown one is an error at its name.
bool read_timezone(YamlReader& r, const YamlNode&, const YamlNode& node, const std::string& what, Settings& s) {
  auto name = r.text(node, what);
  if (!name) return false;
  s.timezone = *name;
  s.zone = find_zone(s.timezone);
  if (!s.zone) r.error(node, "unknown time zone '" + s.timezone + "' (expected an IANA name such as Europe/Amsterdam)");
  return true;  // given: an unknown zone is its own error, not a missing one
}

// Every key of herald.yaml, once (STYLE.md 15, after redis' config.c): its
// path, its reader with its bounds, and the field it fills. Adding a setting
// is a row here; its mapping, its place in "expected one of" and its name in
// messages follow from the path. The order is the one messages list keys in.
const Option<Settings> kSettings[] = {
    required(setting("calendar", relative_path, [](Settings& s) -> auto& { return s.calendar; }),
             "(a file or a directory of calendar files)"),
    setting("state_dir", relative_path, [](Settings& s) -> auto& { return s.state_dir; }),
    setting("credentials_dir", relative_path, [](Settings& s) -> auto& { return s.credentials_dir; }),
    required(Option<Settings>{.path = "timezone", .read = read_timezone},
             "(an IANA zone such as Europe/Amsterdam), so wall times are never read in a guessed zone"),
    setting("media_url", read_media_url, [](Settings& s) -> auto& { return s.media_url; }),
    setting("status.listen", read_listen, [](Settings& s) -> auto& { return s.status.listen; }),
    setting("status.token", text(), [](Settings& s) -> auto& { return s.status.token; }),
    setting("status.allow_remote", boolean(), [](Settings& s) -> auto& { return s.status.allow_remote; }),
    setting("publishing.late_window", duration(kLateWindow.min, kLateWindow.max),
            [](Settings& s) -> auto& { return s.publishing.late_window; }),
    setting("publishing.retry.attempts", integer<int>(1, 100),
            [](Settings& s) -> auto& { return s.publishing.retry.attempts; }),
    setting("publishing.retry.backoff", duration(1s, 24h),
            [](Settings& s) -> auto& { return s.publishing.retry.backoff; }),
    setting("publishing.retry.max_backoff", duration(1s, 7 * 24h),
            [](Settings& s) -> auto& { return s.publishing.retry.max_backoff; }),
    setting("publishing.request_timeout", duration(1s, 10min),
            [](Settings& s) -> auto& { return s.publishing.request_timeout; }),
    setting("publishing.settle_margin", duration(0s, 24h),
            [](Settings& s) -> auto& { return s.publishing.settle_margin; }),
    setting("publishing.workers", integer<int>(1, 64), [](Settings& s) -> auto& { return s.publishing.workers; }),
    setting("publishing.max_in_flight", integer<int>(1, 64),
            [](Settings& s) -> auto& { return s.publishing.max_in_flight; }),
    setting("reload.max_delay", duration(1s, 10min), [](Settings& s) -> auto& { return s.reload.max_delay; }),
    setting("reload.hold_cancellations.share", number(0.0, 1.0),
            [](Settings& s) -> auto& { return s.reload.hold_share; }),
    setting("reload.hold_cancellations.min", integer<int>(1, 1000000),
            [](Settings& s) -> auto& { return s.reload.hold_min; }),
    setting("store.postgresql", read_postgresql_url, [](Settings& s) -> auto& { return s.store.postgresql; }),
    setting("store.password", text(), [](Settings& s) -> auto& { return s.store.password; }),
    setting("store.lease", duration(2s, 10min), [](Settings& s) -> auto& { return s.store.lease; }),
    setting("store.instance", text(), [](Settings& s) -> auto& { return s.store.instance; }),
    setting("report.collect_after", read_collect_after,
            [](Settings& s) -> auto& { return s.report.collect_after; }),
    setting("state_check", duration(1s, 24h), [](Settings& s) -> auto& { return s.state_check; }),
    setting("links.own_domains", read_own_domains, [](Settings& s) -> auto& { return s.links.own_domains; }),
    setting("links.utm", read_utm, [](Settings& s) -> auto& { return s.links.utm; }),
    setting("lint.promo_share", number(0.0, 1.0), [](Settings& s) -> auto& { return s.lint.promo_share; }),
    setting("lint.max_gap", duration(kMaxGap.min, kMaxGap.max), [](Settings& s) -> auto& { return s.lint.max_gap; }),
    setting("lint.competitors", string_list(), [](Settings& s) -> auto& { return s.lint.competitors; }),
    setting("channels", read_channels, [](Settings& s) -> auto& { return s.channels; }),
};

}  // namespace

std::vector<std::string_view> setting_paths() {
  std::vector<std::string_view> paths;
  for (const auto& row : kSettings) paths.push_back(row.path);
  return paths;
}

std::vector<std::string_view> every_channel_keys() {
  std::vector<std::string_view> keys;
  for (const auto& row : kEveryChannel) keys.push_back(row.path);
  return keys;
}

const ChannelSettings* Settings::channel(std::string_view name) const {
  const auto it = channel_index.find(name);
  if (it != channel_index.end() && it->second < channels.size() && channels[it->second].name == name)
    return &channels[it->second];
  // A miss of a complete index is an answer (the loader asks about names
  // that are not channels, too); otherwise the channels were changed after
  // indexing (or never indexed): scan.
  if (it == channel_index.end() && channel_index.size() == channels.size()) return nullptr;
  for (const auto& c : channels)
    if (c.name == name) return &c;
  return nullptr;
}

void Settings::index_channels() {
  channel_index.clear();
  for (std::size_t i = 0; i < channels.size(); ++i) channel_index.emplace(channels[i].name, i);
}

std::chrono::seconds Settings::late_window(const ChannelSettings& c) const {
  return c.late_window.value_or(publishing.late_window);
}

const UtmTemplate& Settings::utm(const ChannelSettings& c) const { return c.utm ? *c.utm : links.utm; }

SettingsEnvironment SettingsEnvironment::from_process() {
  SettingsEnvironment env;
  if (const char* s = std::getenv("STATE_DIRECTORY"); s && *s) {
    // systemd may list several directories separated by ':'; the first is ours.
    std::string v = s;
    env.state_directory = v.substr(0, v.find(':'));
  }
  if (const char* c = std::getenv("CREDENTIALS_DIRECTORY"); c && *c) env.credentials_directory = c;
  return env;
}

std::optional<Settings> load_settings(const std::filesystem::path& file, const SettingsEnvironment& env,
                                      Diagnostics& diags) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    diags.error({file.string(), 0, 0}, "cannot read settings file");
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return load_settings_text(ss.str(), file, env, diags);
}
std::optional<Settings> load_settings_text(const std::string& text, const std::filesystem::path& file_in,
                                           const SettingsEnvironment& env, Diagnostics& diags) {
  const std::filesystem::path file = std::filesystem::absolute(file_in).lexically_normal();
  Diagnostics local;
  YamlReader r(file_in, local);
  auto doc = parse_yaml(text, file_in, local, 1 << 20);
  Settings s;
  s.file = file;
  s.source = fnv1a(fnv1a(kFnvStart, file.string()), text);
  s.links.utm = default_utm();
  if (doc.ok) {
    read_options<Settings>(r, doc.root, "settings", "", kSettings, s);
    // The checks between rows.
    const YamlNode& root = doc.root;
    const RetrySettings& retry = s.publishing.retry;
    if (retry.max_backoff < retry.backoff)
      r.error(root["publishing"]["retry"], "publishing.retry.max_backoff (" + format_duration(retry.max_backoff) +
                                               ") is shorter than backoff (" + format_duration(retry.backoff) + ")");
    if (s.channels.empty() && !local.has_errors()) r.error(doc.root, "settings define no channels");
    if (!s.store.password.empty() && s.store.postgresql.empty())
      r.error(root["store"]["password"], "store.password names the PostgreSQL password, but store.postgresql is "
                                         "not set (without it the store is SQLite in state_dir)");
    if (!s.status.allow_remote && !loopback_listen(s.status.listen))
      r.error(root["status"]["listen"],
              "status.listen '" + s.status.listen +
                  "' is not a loopback address; set status.allow_remote: true to expose the status endpoint");
  }
  const auto base = file.parent_path();
  if (s.state_dir.empty())
    s.state_dir = env.state_directory ? std::filesystem::path(*env.state_directory) : (base / "var");
  if (s.credentials_dir.empty())
    s.credentials_dir = env.credentials_directory ? std::filesystem::path(*env.credentials_directory)
                                                  : std::filesystem::path("/etc/herald/credentials");
  diags.append(local);
  if (local.has_errors() || !doc.ok) return std::nullopt;
  s.index_channels();
  return s;
}

}  // namespace herald
