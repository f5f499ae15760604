#include "config/settings.hpp"

#include "config/duration.hpp"
#include "config/yaml_reader.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace herald {

using namespace std::chrono_literals;

namespace {

// Bounds of every numeric setting, in one table (as redis' config.c does), so
// a limit is changed in one place and every error message quotes it.
struct Bound {
  std::string_view key;
  std::chrono::seconds min;
  std::chrono::seconds max;
};
constexpr Bound kDurationBounds[] = {
    {"publishing.late_window", 0s, 7 * 24h},
    {"publishing.retry.backoff", 1s, 24h},
    {"publishing.retry.max_backoff", 1s, 7 * 24h},
    {"publishing.request_timeout", 1s, 10min},
    {"publishing.settle_margin", 0s, 24h},
    {"reload.max_delay", 1s, 10min},
    {"state_check", 1s, 24h},
    {"lint.max_gap", 1h, 365 * 24h},
    {"channel.min_spacing", 0s, 24h},
    {"channel.late_window", 0s, 7 * 24h},
    {"channel.rate.per", 1min, 31 * 24h},
};
constexpr long long kMaxRetryAttempts = 100;
constexpr long long kMaxRateCount = 100000;
constexpr long long kMaxHoldMin = 1000000;

const Bound& bound(std::string_view key) {
  for (const auto& b : kDurationBounds)
    if (b.key == key) return b;
  std::abort();  // a programming error: every key used below is in the table
}

std::optional<std::chrono::seconds> read_duration(YamlReader& r, const YAML::Node& n, std::string_view what,
                                                  std::string_view key) {
  const Bound& b = bound(key);
  return r.duration(n, what, b.min, b.max);
}

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

std::optional<UtmTemplate> read_utm(YamlReader& r, const YAML::Node& node, std::string_view what) {
  static constexpr std::string_view kOrder[] = {"source", "medium", "campaign", "term", "content"};
  std::map<std::string, std::string> values;
  bool ok = r.each_entry(node, what, {"source", "medium", "campaign", "term", "content"}, nullptr,
                         [&](const std::string& key, const YAML::Node&, const YAML::Node& value) {
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

std::optional<Rate> read_rate(YamlReader& r, const YAML::Node& node, std::string_view what) {
  // "50/24h": at most 50 posts in any 24 hours.
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    auto slash = s.find('/');
    if (slash != std::string::npos && slash > 0) {
      long long count = 0;
      bool digits = slash <= 6;
      for (std::size_t i = 0; i < slash && digits; ++i) {
        digits = s[i] >= '0' && s[i] <= '9';
        count = count * 10 + (s[i] - '0');
      }
      auto per = parse_duration(std::string_view(s).substr(slash + 1));
      const Bound& b = bound("channel.rate.per");
      if (digits && per && count >= 1 && count <= kMaxRateCount && *per >= b.min && *per <= b.max) {
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

std::optional<std::string> read_listen(YamlReader& r, const YAML::Node& node) {
  auto s = r.text(node, "status.listen");
  if (!s) return std::nullopt;
  if (s->rfind("unix:", 0) == 0) {
    if (s->size() < 7 || (*s)[5] != '/') {
      r.error(node, "status.listen unix socket must be an absolute path such as unix:/run/herald/status.sock");
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
    r.error(node, "status.listen must be HOST:PORT (port 0 to 65535) or unix:/PATH, not '" + *s + "'");
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

void set_channel_key(ChannelSettings& c, std::string_view k, const std::string& v) {
  if (k == "account") c.account = v;
  else if (k == "page_id") c.page_id = v;
  else if (k == "site") c.site = v;
  else if (k == "dir") c.dir = v;
  else if (k == "after") c.after = v;
  else if (k == "url") c.url = v;
  else if (k == "author") c.author = v;
  else if (k == "account_id") c.account_id = v;
  else if (k == "credentials") c.credentials = v;
  else if (k == "api_base") c.api_base = v;
  else if (k == "api_version") c.api_version = v;
  else if (k == "instance") c.instance = v;
  else if (k == "visibility") c.visibility = v;
  else if (k == "language") c.language = v;
  else if (k == "max_characters") c.max_characters = std::stoul(v);
  else if (k == "handle") c.handle = v;
  else if (k == "pds") c.pds = v;
  else if (k == "card") c.card = v;
  else std::abort();  // every key in channel_keys() is set here
}

void read_channel(YamlReader& r, const std::string& name, const YAML::Node& key, const YAML::Node& node,
                  Settings& settings) {
  ChannelSettings c;
  c.name = name;
  c.where = r.at(key);
  const std::string what = "channel '" + name + "'";
  if (!valid_channel_name(name)) {
    r.error(key, "channel name '" + name + "' may use only a-z, 0-9, '_' and '-'");
    return;
  }
  for (auto reserved : kReservedNames) {
    if (reserved == name) {
      r.error(key, "channel name '" + name + "' is reserved: it is a post field");
      return;
    }
  }
  if (!node.IsMap()) {
    r.error(node, what + " must be a mapping such as {kind: x, ...}, not " + describe(node));
    return;
  }
  const YAML::Node kind_node = node["kind"];
  if (!kind_node.IsDefined()) {
    r.error(key, what + " has no kind (one of " + kind_names(", ") + ")");
    return;
  }
  auto kind_text = r.string(kind_node, what + " kind");
  if (!kind_text) return;
  auto kind = parse_channel_kind(*kind_text);
  if (!kind) {
    r.error(kind_node, "unknown channel kind '" + *kind_text + "' (expected " + kind_names() + ")");
    return;
  }
  c.kind = *kind;
  const ChannelKindInfo& info = kind_info(c.kind);
  if (!info.api_version.empty()) c.api_version = std::string(info.api_version);
  if (info.rate) c.rate = Rate{info.rate->first, info.rate->second};

  // The keys this kind takes come first in the "expected one of" list; a
  // key of another kind is known, and reported as not a setting of this one.
  std::vector<std::string_view> keys{"kind"};
  keys.insert(keys.end(), info.keys.begin(), info.keys.end());
  for (auto k : {"slots", "min_spacing", "rate", "paused", "late_window", "utm", "max_gap"}) keys.emplace_back(k);
  std::vector<std::string> seen;
  r.each_entry(
      node, what, keys, [](const std::string& k) { return channel_key(k) != nullptr; }, [&](const std::string& k, const YAML::Node& knode, const YAML::Node& v) {
        const std::string field = what + " " + k;
        if (k == "kind") return;
        // A key meant for another platform is a mistake worth reporting.
        if (const ChannelKey* platform_key = channel_key(k)) {
          if (std::find(info.keys.begin(), info.keys.end(), k) == info.keys.end()) {
            r.error(knode, "'" + k + "' is not a setting of " + a_kind(c.kind) + " channel");
            return;
          }
          seen.push_back(k);  // present: a bad value is its own error, not a missing key
          auto s = r.text(v, field);
          if (!s) return;
          if (auto problem = check_channel_key(*platform_key, c.kind, *s)) {
            r.error(v, field + " " + *problem);
            return;
          }
          set_channel_key(c, k, *s);
          return;
        }
        if (k == "slots") {
          if (auto list = r.string_list(v, field)) {
            std::size_t i = 0;
            for (const auto& item : *list) {
              std::string err;
              if (auto slot = parse_slot(item, err)) c.slots.push_back(*slot);
              else r.error(v[i], field + ": " + err);
              ++i;
            }
          }
        } else if (k == "min_spacing") {
          if (auto d = read_duration(r, v, field, "channel.min_spacing")) c.min_spacing = *d;
        } else if (k == "rate") {
          c.rate = read_rate(r, v, field);
        } else if (k == "paused") {
          if (auto b = r.boolean(v, field)) c.paused = *b;
        } else if (k == "late_window") {
          c.late_window = read_duration(r, v, field, "channel.late_window");
        } else if (k == "utm") {
          c.utm = read_utm(r, v, field);
        } else if (k == "max_gap") {
          c.max_gap = read_duration(r, v, field, "lint.max_gap");
        }
      });

  auto has = [&](std::string_view k) { return std::find(seen.begin(), seen.end(), k) != seen.end(); };
  auto require = [&](std::string_view k) {
    if (!has(k)) r.error(key, what + " (kind " + std::string(info.name) + ") needs '" + std::string(k) + "'");
  };
  for (auto k : info.required) require(k);
  if (info.needs_credentials) require("credentials");
  if (!c.dir.empty() && c.dir.is_relative()) c.dir = settings.file.parent_path() / c.dir;
  settings.channels.push_back(std::move(c));
}

}  // namespace

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
  s.links.utm = default_utm();
  const auto base = file.parent_path();
  bool have_calendar = false, have_timezone = false;
  std::optional<YAML::Node> timezone_node;  // copy-constructed, never assigned (see calendar.cpp)
  if (doc.ok) {
    r.each_entry(
        doc.root, "settings",
        {"calendar", "state_dir", "credentials_dir", "timezone", "media_url", "status", "publishing", "reload",
         "state_check", "links", "lint", "channels"},
        nullptr, [&](const std::string& k, const YAML::Node&, const YAML::Node& v) {
          if (k == "calendar") {
            if (auto p = r.text(v, "calendar")) {
              s.calendar = (base / *p).lexically_normal();
              have_calendar = true;
            }
          } else if (k == "state_dir") {
            if (auto p = r.text(v, "state_dir")) s.state_dir = (base / *p).lexically_normal();
          } else if (k == "credentials_dir") {
            if (auto p = r.text(v, "credentials_dir")) s.credentials_dir = (base / *p).lexically_normal();
          } else if (k == "timezone") {
            if (auto z = r.text(v, "timezone")) {
              have_timezone = true;
              timezone_node.emplace(v);
              s.timezone = *z;
            }
          } else if (k == "media_url") {
            if (auto u = r.text(v, "media_url")) {
              if (!is_http_url(*u)) r.error(v, "media_url must be an http(s) URL such as https://media.example.nl/herald/");
              else s.media_url = u->back() == '/' ? *u : *u + "/";
            }
          } else if (k == "status") {
            r.each_entry(v, "status", {"listen", "token", "allow_remote"}, nullptr,
                         [&](const std::string& sk, const YAML::Node&, const YAML::Node& sv) {
                           if (sk == "listen") {
                             if (auto l = read_listen(r, sv)) s.status.listen = *l;
                           } else if (sk == "token") {
                             if (auto t = r.text(sv, "status.token")) s.status.token = *t;
                           } else if (sk == "allow_remote") {
                             if (auto b = r.boolean(sv, "status.allow_remote")) s.status.allow_remote = *b;
                           }
                         });
          } else if (k == "publishing") {
            r.each_entry(
                v, "publishing", {"late_window", "retry", "request_timeout", "settle_margin"}, nullptr,
                [&](const std::string& pk, const YAML::Node&, const YAML::Node& pv) {
                  if (pk == "late_window") {
                    if (auto d = read_duration(r, pv, "publishing.late_window", "publishing.late_window"))
                      s.publishing.late_window = *d;
                  } else if (pk == "request_timeout") {
                    if (auto d = read_duration(r, pv, "publishing.request_timeout", "publishing.request_timeout"))
                      s.publishing.request_timeout = *d;
                  } else if (pk == "settle_margin") {
                    s.publishing.settle_margin =
                        read_duration(r, pv, "publishing.settle_margin", "publishing.settle_margin");
                  } else {
                    r.each_entry(pv, "publishing.retry", {"attempts", "backoff", "max_backoff"}, nullptr,
                                 [&](const std::string& rk, const YAML::Node&, const YAML::Node& rv) {
                                   auto& retry = s.publishing.retry;
                                   const std::string name = "publishing.retry." + rk;
                                   if (rk == "attempts") {
                                     if (auto n = r.integer(rv, name, 1, kMaxRetryAttempts))
                                       retry.attempts = static_cast<int>(*n);
                                   } else if (auto d = read_duration(r, rv, name, name)) {
                                     (rk == "backoff" ? retry.backoff : retry.max_backoff) = *d;
                                   }
                                 });
                    if (s.publishing.retry.max_backoff < s.publishing.retry.backoff)
                      r.error(pv, "publishing.retry.max_backoff (" + format_duration(s.publishing.retry.max_backoff) +
                                      ") is shorter than backoff (" + format_duration(s.publishing.retry.backoff) +
                                      ")");
                  }
                });
          } else if (k == "reload") {
            r.each_entry(v, "reload", {"max_delay", "hold_cancellations"}, nullptr,
                         [&](const std::string& rk, const YAML::Node&, const YAML::Node& rv) {
                           if (rk == "max_delay") {
                             if (auto d = read_duration(r, rv, "reload.max_delay", "reload.max_delay"))
                               s.reload.max_delay = *d;
                             return;
                           }
                           r.each_entry(rv, "reload.hold_cancellations", {"share", "min"}, nullptr,
                                        [&](const std::string& hk, const YAML::Node&, const YAML::Node& hv) {
                                          if (hk == "share") {
                                            if (auto n = r.number(hv, "reload.hold_cancellations.share", 0.0, 1.0))
                                              s.reload.hold_share = *n;
                                          } else if (auto n = r.integer(hv, "reload.hold_cancellations.min", 1,
                                                                        kMaxHoldMin)) {
                                            s.reload.hold_min = static_cast<int>(*n);
                                          }
                                        });
                         });
          } else if (k == "state_check") {
            if (auto d = read_duration(r, v, "state_check", "state_check")) s.state_check = *d;
          } else if (k == "links") {
            r.each_entry(v, "links", {"own_domains", "utm"}, nullptr,
                         [&](const std::string& lk, const YAML::Node&, const YAML::Node& lv) {
                           if (lk == "own_domains") {
                             if (auto list = r.string_list(lv, "links.own_domains")) {
                               for (std::size_t i = 0; i < list->size(); ++i) {
                                 std::string d = (*list)[i];
                                 for (auto& ch : d) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                                 if (d.find('/') != std::string::npos || d.find(':') != std::string::npos ||
                                     d.find('.') == std::string::npos)
                                   r.error(lv[i], "links.own_domains: '" + (*list)[i] +
                                                      "' must be a domain name such as example.nl, without scheme or path");
                                 else s.links.own_domains.push_back(d);
                               }
                             }
                           } else if (auto t = read_utm(r, lv, "links.utm")) {
                             s.links.utm = *t;
                           }
                         });
          } else if (k == "lint") {
            r.each_entry(v, "lint", {"promo_share", "max_gap", "competitors"}, nullptr,
                         [&](const std::string& lk, const YAML::Node&, const YAML::Node& lv) {
                           if (lk == "promo_share") {
                             if (auto n = r.number(lv, "lint.promo_share", 0.0, 1.0)) s.lint.promo_share = *n;
                           } else if (lk == "max_gap") {
                             if (auto d = read_duration(r, lv, "lint.max_gap", "lint.max_gap")) s.lint.max_gap = *d;
                           } else if (auto list = r.string_list(lv, "lint.competitors")) {
                             s.lint.competitors = *list;
                           }
                         });
          } else if (k == "channels") {
            r.each_entry(v, "channels", {}, [](const std::string&) { return true; },
                         [&](const std::string& name, const YAML::Node& key, const YAML::Node& cv) {
                           read_channel(r, name, key, cv, s);
                         });
          }
        });
    if (!have_calendar) r.error(doc.root, "settings need 'calendar' (a file or a directory of calendar files)");
    if (!have_timezone) {
      r.error(doc.root,
              "settings need 'timezone' (an IANA zone such as Europe/Amsterdam), so wall times are never read in a "
              "guessed zone");
    } else {
      s.zone = find_zone(s.timezone);
      if (!s.zone) r.error(*timezone_node, "unknown time zone '" + s.timezone + "' (expected an IANA name such as Europe/Amsterdam)");
    }
    if (s.channels.empty() && !local.has_errors()) r.error(doc.root, "settings define no channels");
    if (!s.status.allow_remote && !loopback_listen(s.status.listen))
      r.error(doc.root["status"]["listen"],
              "status.listen '" + s.status.listen +
                  "' is not a loopback address; set status.allow_remote: true to expose the status endpoint");
  }
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
