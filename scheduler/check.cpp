#include "scheduler/check.hpp"

#include "compose/composer.hpp"
#include "compose/media.hpp"
#include "config/text.hpp"
#include "scheduler/planned.hpp"

#include <set>

namespace herald {

namespace {

ComposeCache::Entry compose_entry(const Post& post, const ChannelSettings& cs, const Settings& settings,
                                  const Calendar& calendar, const UrlLookup& previews) {
  ComposeCache::Entry e;
  const UrlLookup recording = [&](const std::string& key) {
    auto answer = previews(key);
    e.lookups.emplace_back(key, answer);
    return answer;
  };
  Composed c = compose(post, cs, settings, calendar, recording);
  e.fingerprint = composed_fingerprint(c);
  for (auto& m : c.measures)
    if (m.over()) e.over.push_back(std::move(m));
  e.notes = std::move(c.notes);
  e.problems = std::move(c.problems);
  return e;
}

std::uint64_t entry_key(const Post& post, const std::string& channel) { return fnv1a(post.source, channel); }

// A post's first comment on one of its channels: composed and measured like
// any text where the network takes one, else a warning that says why not.
void check_first_comment(const Post& post, const ChannelSettings& cs, const Settings& settings,
                         const Calendar& calendar, const UrlLookup& previews, Diagnostics& diags) {
  const Location where = post.location("first_comment");
  const std::string name = "post '" + post.id + "' on " + cs.name + ": ";
  const ChannelKindInfo& kind = kind_info(cs.kind);
  if (kind.first_comment == FirstComment::none) {
    diags.warning(where, name + "no first comment: " + std::string(kind.no_first_comment));
    return;
  }
  const Composed c = compose_first_comment(post, cs, settings, calendar, previews);
  for (const auto& m : c.measures)
    if (m.over())
      diags.error(where, name + m.part + " is " + std::to_string(m.length) + " " + m.unit + ", more than the " +
                             std::to_string(m.limit) + " " + std::string(to_string(cs.kind)) + " allows");
  for (const auto& p : c.problems) diags.error(where, name + "first comment: " + p);
}

}  // namespace

const ComposeCache::Entry* ComposeCache::find(std::uint64_t key, const UrlLookup& url_of) {
  auto it = used_.find(key);
  if (it == used_.end()) {
    auto old = entries_.find(key);
    if (old == entries_.end()) return nullptr;
    it = used_.emplace(key, std::move(old->second)).first;
    entries_.erase(old);
  }
  for (const auto& [k, answer] : it->second.lookups)
    if (url_of(k) != answer) return nullptr;
  ++hits_;
  return &it->second;
}

void ComposeCache::begin(std::uint64_t settings_source) {
  if (settings_source != settings_) entries_.clear();
  settings_ = settings_source;
  used_.clear();
  hits_ = misses_ = 0;
}

void ComposeCache::keep(std::uint64_t key, Entry entry) {
  ++misses_;
  used_[key] = std::move(entry);
}

void ComposeCache::end() {
  entries_ = std::move(used_);
  used_ = {};
}

CheckReport check_calendar(const Calendar& calendar, const Settings& settings, Instant now, Diagnostics& diags,
                           ComposeCache* cache) {
  CheckReport report;
  report.references = check_references(calendar, settings, diags);
  check_media(calendar, settings, diags);

  // Each post on each channel, composed with the URLs its links will have.
  const UrlLookup previews = preview_urls(calendar, settings);
  if (cache) cache->begin(settings.source);
  report.fingerprints.resize(calendar.posts.size());
  for (std::size_t i = 0; i < calendar.posts.size(); ++i) {
    const Post& post = calendar.posts[i];
    report.fingerprints[i].resize(post.channels.size());
    for (std::size_t ci = 0; ci < post.channels.size(); ++ci) {
      const std::string& channel = post.channels[ci];
      const ChannelSettings* cs = settings.channel(channel);
      if (!cs) continue;
      const std::uint64_t key = cache ? entry_key(post, channel) : 0;
      const ComposeCache::Entry* cached = cache ? cache->find(key, previews) : nullptr;
      std::optional<ComposeCache::Entry> fresh;
      if (!cached) {
        fresh = compose_entry(post, *cs, settings, calendar, previews);
        cached = &*fresh;
      }
      const ComposeCache::Entry& c = *cached;
      report.fingerprints[i][ci] = c.fingerprint;
      const auto ov = post.overrides.find(channel);
      const bool own_text = ov != post.overrides.end() && (ov->second.text || ov->second.description);
      const Location where = post.location(own_text ? (ov->second.description ? channel + ".description" : channel + ".text")
                                                    : "text");
      for (const auto& m : c.over) {
        diags.error(m.part == "title" ? post.location("title") : where,
                    "post '" + post.id + "' on " + channel + ": " + m.part + " is " + std::to_string(m.length) + " " +
                        m.unit + ", more than the " + std::to_string(m.limit) + " " + std::string(to_string(cs->kind)) +
                        " allows");
      }
      for (const auto& n : c.notes) diags.warning(where, "post '" + post.id + "' on " + channel + ": " + n);
      for (const auto& p : c.problems)
        diags.error(p.find("title") != std::string::npos ? post.location(own_text ? channel + ".title" : "title") : where,
                    "post '" + post.id + "' on " + channel + ": " + p);
      if (cache && fresh) cache->keep(key, std::move(*fresh));
      if (!post.first_comment.empty()) check_first_comment(post, *cs, settings, calendar, previews, diags);
    }
  }
  if (cache) cache->end();

  PlanRequest req{now, now, now + kCheckHorizon, {}, {}};
  const auto deliveries = plan(calendar, settings, req, diags);
  report.deliveries = deliveries.size();
  std::vector<LintItem> items;
  items.reserve(deliveries.size());
  for (const auto& d : deliveries)
    if (!d.comment) items.push_back({d.key, d.source, d.channel, d.at});
  report.lint = lint(items, settings);
  for (const auto& w : report.lint) diags.warning(w.where, w.message);
  return report;
}

}  // namespace herald
