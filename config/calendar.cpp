#include "config/calendar.hpp"

#include "config/text.hpp"

#include "config/yaml_reader.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

namespace herald {

namespace {

constexpr std::size_t kMaxIdLength = 100;

bool valid_post_id(const std::string& id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (!alnum(id.front())) return false;
  return std::all_of(id.begin(), id.end(), [&](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

std::optional<PostKind> parse_post_kind(std::string_view s) {
  if (s == "promo") return PostKind::promo;
  if (s == "help") return PostKind::help;
  if (s == "tip") return PostKind::tip;
  if (s == "news") return PostKind::news;
  if (s == "other") return PostKind::other;
  return std::nullopt;
}

std::string describe_offset(std::chrono::seconds off) {
  auto total = off.count();
  char sign = total < 0 ? '-' : '+';
  if (total < 0) total = -total;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%c%02lld:%02lld", sign, static_cast<long long>(total / 3600),
                static_cast<long long>((total % 3600) / 60));
  return buf;
}


class PostReader {
 public:
  PostReader(YamlReader& r, const Settings& settings, const std::string& zone_name, const date::time_zone* zone)
      : r_(r), settings_(settings), zone_name_(zone_name), zone_(zone) {}

  std::optional<Post> read(const YamlNode& node, std::size_t index) {
    Post p;
    p.file = r_.file();
    p.zone_name = zone_name_;
    p.zone = zone_;
    p.where.set("post", r_.at(node));
    const std::string item = "post " + std::to_string(index + 1);
    const int errors_before = r_.diags().error_count();
    std::optional<YamlNode> at, queue, every, rrule, from, until;
    bool has_id = false;
    std::vector<std::pair<std::string, YamlNode>> override_nodes;

    bool is_map = r_.each_entry(
        node, item,
        {"id", "at", "queue", "every", "rrule", "from", "until", "channels", "campaign", "kind", "title", "text",
         "thread", "media", "link", "excerpt", "categories", "tags", "draft", "first_comment"},
        [&](const std::string& k) { return settings_.channel(k) != nullptr; },
        [&](const std::string& k, const YamlNode& key, const YamlNode& v) {
          p.where.set(k, r_.at(v));
          if (settings_.channel(k)) {
            p.where.set(k, r_.at(key));
            override_nodes.emplace_back(k, v);
          } else if (k == "id") {
            if (auto s = r_.text(v, "id")) {
              if (!valid_post_id(*s))
                r_.error(v, "post id '" + *s +
                                "' must start with a letter or digit and use only letters, digits, '-', '_' and '.' "
                                "(at most 100)");
              else {
                p.id = *s;
                has_id = true;
              }
            }
          } else if (k == "at") at.emplace(v);
          else if (k == "queue") queue.emplace(v);
          else if (k == "every") every.emplace(v);
          else if (k == "rrule") rrule.emplace(v);
          else if (k == "from") from.emplace(v);
          else if (k == "until") until.emplace(v);
          else if (k == "channels") read_channels(v, p);
          else if (k == "campaign") {
            if (auto s = r_.text(v, "campaign")) p.campaign = *s;
          } else if (k == "kind") {
            if (auto s = r_.string(v, "kind")) {
              if (auto kind = parse_post_kind(*s)) p.kind = *kind;
              else r_.error(v, "unknown post kind '" + *s + "' (expected promo, help, tip, news or other)");
            }
          } else if (k == "title") {
            if (auto s = r_.text(v, "title")) p.title = *s;
          } else if (k == "text") {
            if (auto s = r_.text(v, "text")) p.text = *s;
          } else if (k == "thread") {
            if (auto l = r_.string_list(v, "thread")) p.thread = *l;
          } else if (k == "media") {
            if (auto l = media_list(v, "media", p)) p.media = *l;
          } else if (k == "link") {
            if (auto s = r_.text(v, "link")) p.link = *s;
          } else if (k == "excerpt") {
            if (auto s = r_.text(v, "excerpt")) p.excerpt = *s;
          } else if (k == "categories") {
            if (auto l = r_.string_list(v, "categories")) p.categories = *l;
          } else if (k == "tags") {
            if (auto l = r_.string_list(v, "tags")) p.tags = *l;
          } else if (k == "draft") {
            if (auto b = r_.boolean(v, "draft")) p.draft = *b;
          } else if (k == "first_comment") {
            if (auto s = r_.text(v, "first_comment")) p.first_comment = *s;
          }
        });
    if (!is_map) return std::nullopt;
    if (!has_id && !p.where.has("id")) r_.error(node, item + " has no id");
    const std::string name = has_id ? "post '" + p.id + "'" : item;
    if (!p.where.has("channels")) r_.error(node, name + " has no channels");

    const YamlNode none;
    auto or_none = [&](const std::optional<YamlNode>& n) -> const YamlNode& { return n ? *n : none; };
    read_timing(node, name, or_none(at), or_none(queue), or_none(every), or_none(rrule), or_none(from), or_none(until),
                p);
    for (const auto& [channel, v] : override_nodes) read_override(channel, v, name, p);
    check_content(node, name, p);
    if (r_.diags().error_count() != errors_before) return std::nullopt;
    return p;
  }

 private:
  void read_channels(const YamlNode& v, Post& p) {
    auto list = r_.string_list(v, "channels");
    if (!list) return;
    if (list->empty()) r_.error(v, "channels must name at least one channel");
    std::set<std::string> seen;
    for (std::size_t i = 0; i < list->size(); ++i) {
      const std::string& c = (*list)[i];
      p.where.set("channels[" + std::to_string(i) + "]", r_.at(v[i]));
      if (!settings_.channel(c)) {
        std::string known;
        for (const auto& ch : settings_.channels) known += (known.empty() ? "" : ", ") + ch.name;
        r_.error(v[i], "unknown channel '" + c + "' (the settings define: " + known + ")");
      } else if (!seen.insert(c).second) {
        r_.error(v[i], "channel '" + c + "' is listed twice");
      } else {
        p.channels.push_back(c);
      }
    }
  }

  void read_timing(const YamlNode& node, const std::string& name, const YamlNode& at, const YamlNode& queue,
                   const YamlNode& every, const YamlNode& rrule, const YamlNode& from, const YamlNode& until,
                   Post& p) {
    bool is_queued = false;
    if (queue.defined()) {
      if (auto b = r_.boolean(queue, "queue")) {
        is_queued = *b;
        if (!*b) {
          r_.error(queue, "queue: false means nothing; give 'at', 'every' or 'rrule' instead");
          return;
        }
      } else {
        return;
      }
    }
    const int timings = int(at.defined()) + int(queue.defined()) + int(every.defined()) + int(rrule.defined());
    if (timings == 0) {
      r_.error(node, name + " needs a time: 'at', 'queue: true', 'every' or 'rrule'");
      return;
    }
    if (timings > 1) {
      r_.error(node, name + " has more than one of 'at', 'queue', 'every' and 'rrule'; give exactly one");
      return;
    }
    if (!every.defined() && !rrule.defined()) {
      if (from.defined() && !is_queued) r_.error(from, "'from' applies only to queued, 'every' or 'rrule' posts");
      if (until.defined()) r_.error(until, "'until' applies only to 'every' or 'rrule' posts");
    }
    std::string err;
    std::optional<date::local_days> first_day;
    if (from.defined()) {
      if (auto f = r_.string(from, "from")) {
        if (auto d = parse_date(*f, err)) first_day = *d;
        else r_.error(from, "invalid date '" + *f + "': " + err);
      }
    }
    if (is_queued) {
      p.timing = Queued{first_day};
      return;
    }
    if (at.defined()) {
      auto s = r_.string(at, "at");
      if (!s) return;
      auto ts = parse_timestamp(*s, err);
      if (!ts) {
        r_.error(at, "invalid time '" + *s + "': " + err);
        return;
      }
      FixedTime fixed{*ts, {}};
      if (auto* wall = std::get_if<WallTime>(&*ts)) {
        fixed.resolved = resolve(*zone_, *wall);
        warn_dst(at, name, *wall, fixed.resolved);
      } else {
        fixed.resolved = Resolved{std::get<Instant>(*ts), WallFit::exact, {}};
      }
      p.timing = fixed;
      return;
    }
    Repeating rep;
    rep.from = first_day;
    const YamlNode& src = every.defined() ? every : rrule;
    auto s = r_.string(src, every.defined() ? "every" : "rrule");
    if (!s) return;
    auto rule = every.defined() ? parse_every(*s, err) : parse_rrule(*s, *zone_, err);
    if (!rule) {
      r_.error(src, std::string(every.defined() ? "invalid every '" : "invalid rrule '") + *s + "': " + err);
      return;
    }
    rep.rule = *rule;
    rep.source = *s;
    if (until.defined()) {
      if (auto u = r_.string(until, "until")) {
        std::string derr;
        if (auto d = parse_date(*u, derr)) {
          rep.until = WallTime{*d} + std::chrono::hours(24) - std::chrono::seconds(1);
        } else if (auto ts = parse_timestamp(*u, err)) {
          if (auto* wall = std::get_if<WallTime>(&*ts)) rep.until = *wall;
          else rep.until = to_wall(*zone_, std::get<Instant>(*ts));
        } else {
          r_.error(until, "invalid until '" + *u + "': expected a date (2027-06-30) or a time (2027-06-30 18:00)");
        }
      }
      if (rule->until || rule->count)
        r_.error(until, "the rrule already has " + std::string(rule->until ? "UNTIL" : "COUNT") +
                            "; give the end once");
    }
    if (rep.rule.count && !rep.from)
      r_.error(src, "COUNT needs 'from' (the first day), so the occurrences can be counted");
    const auto& rr = rep.rule;
    const bool no_days = rr.by_day.empty() && rr.by_day_nth.empty() && rr.by_month_day.empty();
    const bool needs_start = (rr.freq == Recurrence::Freq::weekly && rr.by_day.empty() && rr.by_day_nth.empty()) ||
                             ((rr.freq == Recurrence::Freq::monthly || rr.freq == Recurrence::Freq::yearly) && no_days);
    if (needs_start && !rep.from)
      r_.error(src, "this rule names no day (BYDAY or BYMONTHDAY), so it needs 'from' (the first day) to know which");
    if (rep.rule.interval > 1 && !rep.from)
      r_.error(src, "INTERVAL needs 'from' (the first day), so the rule knows which weeks or months count");
    if (rep.from && rep.until && WallTime{*rep.from} > *rep.until)
      r_.error(until, "'until' is before 'from'");
    p.timing = rep;
  }

  void warn_dst(const YamlNode& at, const std::string& name, WallTime wall, const Resolved& res) {
    if (res.fit == WallFit::gap) {
      r_.warning(at, name + ": " + format_wall(wall) + " does not exist in " + zone_name_ +
                         " (clocks go forward); it is published at " + format_wall(wall + res.shift));
    } else if (res.fit == WallFit::repeated) {
      auto info = zone_->get_info(res.instant);
      r_.warning(at, name + ": " + format_wall(wall) + " occurs twice in " + zone_name_ +
                         " (clocks go back); the first, at UTC" + describe_offset(info.offset) + ", is used");
    }
  }

  void read_override(const std::string& channel, const YamlNode& v, const std::string& name, Post& p) {
    const ChannelSettings* cs = settings_.channel(channel);
    if (std::find(p.channels.begin(), p.channels.end(), channel) == p.channels.end() &&
        p.where.has("channels")) {
      r_.error(v, name + " has settings for channel '" + channel + "' but does not list it in channels");
    }
    ChannelOverride o;
    const std::string what = name + " " + channel;
    r_.each_entry(
        v, what,
        {"text", "title", "thread", "link", "media", "excerpt", "categories", "tags", "video", "privacy", "description",
         "file", "visibility", "spoiler_text", "language"},
        nullptr, [&](const std::string& k, const YamlNode& key, const YamlNode& fv) {
          p.where.set(channel + "." + k, r_.at(fv));
          if (!override_field_allowed(k, cs->kind)) {
            r_.error(key, "'" + k + "' does not apply to " + a_kind(cs->kind) + " channel");
            return;
          }
          const std::string field = channel + "." + k;
          if (k == "text") o.text = r_.text(fv, field);
          else if (k == "title") o.title = r_.text(fv, field);
          else if (k == "thread") o.thread = r_.string_list(fv, field);
          else if (k == "link") o.link = r_.text(fv, field);
          else if (k == "media") o.media = media_list(fv, field, p);
          else if (k == "excerpt") o.excerpt = r_.text(fv, field);
          else if (k == "categories") o.categories = r_.string_list(fv, field);
          else if (k == "tags") o.tags = r_.string_list(fv, field);
          else if (k == "video") {
            o.video = r_.text(fv, field);
            if (o.video && (o.video->size() != 11 ||
                            !std::all_of(o.video->begin(), o.video->end(), [](char c) {
                              return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
                            }))) {
              r_.error(fv, field + " '" + *o.video + "' is not a YouTube video id (11 characters of A-Z a-z 0-9 - _)");
            }
          } else if (k == "privacy") {
            o.privacy = r_.text(fv, field);
            if (o.privacy && *o.privacy != "public" && *o.privacy != "unlisted" && *o.privacy != "private")
              r_.error(fv, field + " must be public, unlisted or private, not '" + *o.privacy + "'");
          } else if (k == "description") o.description = r_.text(fv, field);
          else if (k == "file") o.file = r_.text(fv, field);
          else if (k == "visibility") {
            o.visibility = r_.text(fv, field);
            if (o.visibility && *o.visibility != "public" && *o.visibility != "unlisted" &&
                *o.visibility != "private" && *o.visibility != "direct")
              r_.error(fv, field + " must be public, unlisted, private or direct, not '" + *o.visibility + "'");
          } else if (k == "spoiler_text") o.spoiler_text = r_.text(fv, field);
          else if (k == "language") {
            o.language = r_.text(fv, field);
            if (o.language && !valid_language(*o.language))
              r_.error(fv, field + " must be an ISO 639 language code such as nl, en or pt-BR, not '" + *o.language +
                               "'");
          }
        });
    if (o.video && o.file) r_.error(v, what + ": give 'video' (already uploaded) or 'file' (to upload), not both");
    p.overrides[channel] = std::move(o);
  }

  // A `media:` list: each item a file name, or {file: NAME, alt: TEXT}
  // (the alt text Mastodon and Bluesky show to screen readers).
  std::optional<std::vector<std::string>> media_list(const YamlNode& node, const std::string& what, Post& p) {
    if (!node.is_list()) {
      r_.error(node, what + " must be a list such as [photo.jpg, {file: chart.png, alt: \"...\"}], not " +
                         describe(node));
      return std::nullopt;
    }
    std::vector<std::string> out;
    bool ok = true;
    for (const auto& item : node) {
      if (!item.is_map()) {
        if (auto s = r_.text(item, what + " item")) out.push_back(*s);
        else ok = false;
        continue;
      }
      std::optional<std::string> file, alt;
      r_.each_entry(item, what + " item", {"file", "alt"}, nullptr,
                    [&](const std::string& k, const YamlNode&, const YamlNode& v) {
                      if (k == "file") file = r_.text(v, what + " file");
                      else alt = r_.text(v, what + " alt");
                    });
      if (!file) {
        if (!item["file"].defined()) r_.error(item, what + " item has no file (give {file: NAME, alt: TEXT})");
        ok = false;
        continue;
      }
      if (alt) {
        auto [at, fresh] = p.alt.emplace(*file, *alt);
        if (!fresh && at->second != *alt)
          r_.error(item, what + ": " + *file + " has two different alt texts in this post");
      }
      out.push_back(*file);
    }
    if (!ok) return std::nullopt;
    return out;
  }

  // Whether each channel will have something to publish.
  void check_content(const YamlNode& node, const std::string& name, const Post& p) {
    for (const auto& channel : p.channels) {
      const ChannelSettings* cs = settings_.channel(channel);
      auto ov = p.overrides.find(channel);
      const ChannelOverride* o = ov == p.overrides.end() ? nullptr : &ov->second;
      const bool has_text = !p.text.empty() || !p.thread.empty() || (o && (o->text || o->thread));
      switch (cs->kind) {
        case ChannelKind::youtube:
          if (!o || (!o->video && !o->file))
            r_.error(node, name + " on youtube channel '" + channel +
                               "' needs '" + channel + ": {video: ID}' (an uploaded video) or '" + channel +
                               ": {file: PATH}'");
          if (o && o->file && p.title.empty() && !o->title)
            r_.error(node, name + " uploads a video to '" + channel + "' and needs a title");
          break;
        case ChannelKind::wordpress:
        case ChannelKind::static_site:
          if (p.title.empty() && !(o && o->title))
            r_.error(node, name + " on " + std::string(to_string(cs->kind)) + " channel '" + channel +
                               "' needs a title");
          if (!has_text) r_.error(node, name + " has no text for channel '" + channel + "'");
          break;
        case ChannelKind::instagram:
          // Every Instagram post is an image, a carousel or a Reel
          // (Content Publishing: a container needs image_url or video_url).
          if ((o && o->media) ? o->media->empty() : p.media.empty())
            r_.error(node, name + " on instagram channel '" + channel +
                               "' needs media: an image, 2 to 10 for a carousel, or a video for a Reel");
          break;
        case ChannelKind::x:
        case ChannelKind::facebook:
        case ChannelKind::linkedin:
        case ChannelKind::mastodon:
        case ChannelKind::bluesky:
          if (!has_text && !(o && o->media) && p.media.empty())
            r_.error(node, name + " has no text for channel '" + channel + "'");
          break;
      }
    }
  }

  YamlReader& r_;
  const Settings& settings_;
  const std::string& zone_name_;
  const date::time_zone* zone_;
};

}  // namespace

std::string_view to_string(PostKind kind) {
  switch (kind) {
    case PostKind::promo: return "promo";
    case PostKind::help: return "help";
    case PostKind::tip: return "tip";
    case PostKind::news: return "news";
    case PostKind::other: return "other";
  }
  return "other";
}

void FieldPlaces::set(std::string field, const Location& at) {
  for (auto& [name, place] : places_) {
    if (name == field) {
      place = {at.line, at.column};
      return;
    }
  }
  places_.emplace_back(std::move(field), std::pair{at.line, at.column});
}

const std::pair<int, int>* FieldPlaces::find(std::string_view field) const {
  for (const auto& [name, place] : places_)
    if (name == field) return &place;
  return nullptr;
}

Location Post::location(const std::string& field) const {
  if (const auto* at = where.find(field)) return {file.string(), at->first, at->second};
  // "thread[2]" or "x.thread[0]": the list's place.
  if (auto bracket = field.find('['); bracket != std::string::npos) return location(field.substr(0, bracket));
  if (const auto* at = where.find("post")) return {file.string(), at->first, at->second};
  return {file.string(), 0, 0};
}

const std::string& Post::text_for(const std::string& channel) const {
  if (auto it = overrides.find(channel); it != overrides.end() && it->second.text) return *it->second.text;
  return text;
}

void PostList::append(Block block) {
  if (!block || block->empty()) return;
  blocks_.emplace_back(index_.size(), block);
  index_.reserve(index_.size() + block->size());
  for (const Post& p : *block) index_.push_back(&p);
}

void PostList::append(const PostList& other) {
  for (const auto& [first, block] : other.blocks_) append(block);
}

void PostList::push_back(Post post) {
  std::vector<Post> one;
  one.push_back(std::move(post));
  append(std::move(one));
}

PostList::Block PostList::block(std::size_t first, std::size_t count) const {
  if (count == 0) return std::make_shared<const std::vector<Post>>();
  auto it = std::lower_bound(blocks_.begin(), blocks_.end(), first,
                             [](const auto& held, std::size_t at) { return held.first < at; });
  if (it == blocks_.end() || it->first != first || it->second->size() != count) return nullptr;
  return it->second;
}

std::string calendar_fingerprint(const Calendar& calendar, const std::filesystem::path& root) {
  std::uint64_t hash = kFnvStart;
  for (const CalendarFile& file : calendar.read) {
    const std::filesystem::path relative =
        file.path == root ? file.path.filename() : file.path.lexically_relative(root);
    hash = fnv1a(hash, relative.generic_string());
    hash = fnv1a(hash, std::string_view("\0", 1));
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(file.text));
    hash = fnv1a(hash, std::string_view(text, 16));
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(hash));
  return out;
}

const Post* Calendar::find(std::string_view id) const {
  if (by_id.size() == posts.size()) {
    auto it = by_id.find(id);
    return it == by_id.end() ? nullptr : &posts[it->second];
  }
  for (const auto& p : posts)
    if (p.id == id) return &p;
  return nullptr;
}

namespace {

// A time zone as a calendar file names it.
struct Zone {
  std::string name;  ///< as written
  const date::time_zone* tz = nullptr;
  bool operator==(const Zone& o) const { return tz == o.tz; }
};

struct FileRead {
  bool ok = false;  ///< the text is YAML
  std::vector<Post> posts;
  Diagnostics diags;
  /// The zone the posts were read in, and the one the file says it is in
  /// (the same unless its `timezone:` comes after its posts).
  Zone read_in, file_zone;
};

// The posts of one file, read as the parser completes each (YamlStream), so
// the file never exists as one tree. Their times are read in the zone the
// file names before its posts, else in the settings' zone.
FileRead read_file(const std::string& text, const std::filesystem::path& file, const Settings& settings,
                   std::size_t posts_before, const std::optional<Zone>& forced) {
  FileRead out;
  YamlReader r(file, out.diags);
  const Zone settings_zone{settings.timezone, settings.zone};
  // The zone a `timezone:` value names; none (reported when `report`) if it names none.
  const auto zone_named = [&](const YamlNode& v, bool report) -> Zone {
    auto z = report ? r.text(v, "timezone") : v.is_scalar() ? std::optional(v.scalar()) : std::nullopt;
    if (!z) return {};
    const date::time_zone* found = find_zone(*z);
    if (!found && report) r.error(v, "unknown time zone '" + *z + "' (expected an IANA name such as Europe/Amsterdam)");
    return {*z, found};
  };
  std::optional<PostReader> reader;
  std::size_t index = 0;
  bool too_many = false;
  const YamlStream stream{"posts", [&](const YamlNode& item, const YamlNode& root, std::string_view item_text) {
                            if (!reader) {
                              out.read_in = forced                         ? *forced
                                            : root["timezone"].defined() ? zone_named(root["timezone"], false)
                                                                         : settings_zone;
                              reader.emplace(r, settings, out.read_in.name, out.read_in.tz);
                            }
                            const std::size_t i = index++;
                            if (!out.read_in.tz || too_many) return;
                            if (posts_before + out.posts.size() >= LoadLimits{}.max_posts) {
                              r.error(item, "more than " + std::to_string(LoadLimits{}.max_posts) + " posts");
                              too_many = true;
                              return;
                            }
                            if (auto p = reader->read(item, i)) {
                              p->source = fnv1a(fnv1a(fnv1a(kFnvStart, file.string()), out.read_in.name), item_text);
                              out.posts.push_back(std::move(*p));
                            }
                          }};
  Diagnostics syntax;
  auto doc = parse_yaml(text, file, syntax, LoadLimits{}.max_file_bytes, &stream);
  if (!doc.ok) {
    // A file that is not YAML says only that: what its posts before the
    // error said is left out, as when the posts were read after the parse.
    out.diags = std::move(syntax);
    out.posts.clear();
    return out;
  }
  out.ok = true;
  out.file_zone = settings_zone;
  if (!doc.root.defined() || doc.root.is_null()) {
    out.diags.warning({file.string(), 1, 1}, "calendar file is empty");
    return out;
  }
  r.each_entry(doc.root, "calendar", {"timezone", "posts"}, nullptr,
               [&](const std::string& k, const YamlNode&, const YamlNode& v) {
                 if (k == "timezone") out.file_zone = zone_named(v, true);
                 else if (!v.is_null() && !v.is_list())
                   r.error(v, "posts must be a list of posts (each starting with '- id: ...'), not " + describe(v));
               });
  if (!reader) out.read_in = out.file_zone;
  return out;
}

// Adds one file's posts to the calendar after checking their ids against
// the posts before them; false (nothing added) when the file has errors.
// `shared`: the file's posts as an earlier load read them (read.posts is
// then empty).
bool append_file(FileRead read, PostList::Block shared, const std::filesystem::path& file, std::uint64_t text_hash,
                 Calendar& into, Diagnostics& diags) {
  Diagnostics& local = read.diags;
  const PostList::Block block = shared ? std::move(shared) : std::make_shared<const std::vector<Post>>(std::move(read.posts));
  const std::vector<Post>& posts = *block;
  // Duplicate ids, within this file and against files read before (through
  // the calendar's index, so a directory of files loads in linear time).
  if (into.by_id.size() != into.posts.size()) {
    into.by_id.clear();
    for (std::size_t i = 0; i < into.posts.size(); ++i) into.by_id.emplace(into.posts[i].id, i);
  }
  std::unordered_map<std::string, Location> ids;  // first definitions within this file
  for (const auto& p : posts) {
    std::optional<Location> first_at;
    if (const auto earlier = into.by_id.find(p.id); earlier != into.by_id.end())
      first_at = into.posts[earlier->second].location("id");
    else if (auto [it, fresh] = ids.emplace(p.id, p.location("id")); !fresh)
      first_at = it->second;
    if (first_at) {
      const auto& first = *first_at;
      local.error(p.location("id"), "duplicate post id '" + p.id + "' (first defined at " + first.file + ":" +
                                        std::to_string(first.line) + ":" + std::to_string(first.column) + ")");
    }
  }
  diags.append(local);
  if (local.has_errors() || !read.ok) return false;
  into.files.push_back(file);
  into.read.push_back({file, text_hash, into.posts.size(), posts.size(), std::move(local)});
  for (std::size_t i = 0; i < posts.size(); ++i) into.by_id.emplace(posts[i].id, into.posts.size() + i);
  into.posts.append(block);
  return true;
}

// Reads a file's text, in the zone its `timezone:` names even when that
// comes after its posts.
FileRead read_text(const std::string& text, const std::filesystem::path& file, const Settings& settings,
                   std::size_t posts_before) {
  FileRead read = read_file(text, file, settings, posts_before, std::nullopt);
  // A `timezone:` after the posts: read them again in it (rare; the
  // calendar guide puts it first).
  if (read.ok && read.file_zone.tz && !(read.read_in == read.file_zone))
    read = read_file(text, file, settings, posts_before, read.file_zone);
  return read;
}

// The file as `previous` read it, when its text is the same.
const CalendarFile* unchanged(const Calendar* previous, const Settings& settings, const std::filesystem::path& file,
                              std::uint64_t text_hash) {
  if (!previous || previous->settings_source != settings.source || settings.source == 0) return nullptr;
  for (const auto& f : previous->read)
    if (f.path == file) return f.text == text_hash ? &f : nullptr;
  return nullptr;
}

}  // namespace

bool load_calendar_text(const std::string& text, const std::filesystem::path& file, const Settings& settings,
                        Calendar& into, Diagnostics& diags) {
  return append_file(read_text(text, file, settings, into.posts.size()), nullptr, file, fnv1a(kFnvStart, text), into,
                     diags);
}

std::optional<Calendar> load_calendar(const Settings& settings, Diagnostics& diags, const LoadLimits& limits,
                                      const Calendar* previous) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  std::error_code ec;
  const fs::path& path = settings.calendar;
  if (fs::is_directory(path, ec)) {
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      const auto name = entry.path().filename().string();
      const auto ext = entry.path().extension();
      // Hidden files are editors' temporaries (.calendar.yaml.swp, .#x.yaml).
      if (name.empty() || name.front() == '.') continue;
      if ((ext == ".yaml" || ext == ".yml") && entry.is_regular_file(ec)) files.push_back(entry.path());
    }
    if (ec) {
      diags.error({path.string(), 0, 0}, "cannot list calendar directory: " + ec.message());
      return std::nullopt;
    }
    std::sort(files.begin(), files.end());
    if (files.size() > limits.max_files) {
      diags.error({path.string(), 0, 0}, "more than " + std::to_string(limits.max_files) + " calendar files");
      return std::nullopt;
    }
    if (files.empty()) diags.warning({path.string(), 0, 0}, "calendar directory has no *.yaml or *.yml files");
  } else if (fs::exists(path, ec)) {
    files.push_back(path);
  } else {
    diags.error({path.string(), 0, 0}, "calendar not found");
    return std::nullopt;
  }

  Calendar calendar;
  calendar.settings_source = settings.source;
  bool ok = true;
  for (const auto& file : files) {
    auto size = fs::file_size(file, ec);
    if (ec) {
      diags.error({file.string(), 0, 0}, "cannot read: " + ec.message());
      ok = false;
      continue;
    }
    if (size > limits.max_file_bytes) {
      diags.error({file.string(), 0, 0}, "file is " + std::to_string(size) + " bytes, more than the limit of " +
                                             std::to_string(limits.max_file_bytes));
      ok = false;
      continue;
    }
    std::ifstream in(file, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    if (!in && !in.eof()) {
      diags.error({file.string(), 0, 0}, "cannot read file");
      ok = false;
      continue;
    }
    // Keep going after a bad file so one run reports the errors of every file.
    const std::string text = std::move(ss).str();
    const std::uint64_t text_hash = fnv1a(kFnvStart, text);
    FileRead read;
    PostList::Block shared;  // its posts as `previous` holds them, not copied
    if (const CalendarFile* same = unchanged(previous, settings, file, text_hash);
        same && calendar.posts.size() + same->post_count < LoadLimits{}.max_posts &&
        (shared = previous->posts.block(same->first_post, same->post_count))) {
      read.ok = true;
      read.diags = same->diags;
    } else {
      read = read_text(text, file, settings, calendar.posts.size());
    }
    ok = append_file(std::move(read), std::move(shared), file, text_hash, calendar, diags) && ok;
  }
  if (!ok) return std::nullopt;
  return calendar;
}

}  // namespace herald
