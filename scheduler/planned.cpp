#include "scheduler/planned.hpp"

#include "compose/composer.hpp"
#include "config/text.hpp"
#include "scheduler/plan.hpp"

#include <cstdint>
#include <algorithm>
#include <cstdio>
#include <optional>

namespace herald {

namespace {

// The store's content hash of a delivery: what it says, then when.
std::string content_hash(std::uint64_t fingerprint, Instant at) {
  const std::uint64_t h = fnv1a(fingerprint, std::to_string(at.time_since_epoch().count()));
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace

std::uint64_t composed_fingerprint(const Composed& c) {
  std::uint64_t h = kFnvStart;
  const auto mix = [&](std::string_view s) { h = fnv1a(h, s); };
  mix(c.text);
  for (const auto& t : c.thread) mix(t);
  mix(c.title);
  mix(c.link);
  mix(c.excerpt);
  for (const auto& m : c.media) mix(m.string());
  mix(c.video);
  mix(c.video_file);
  mix(c.privacy);
  for (const auto& t : c.tags) mix(t);
  for (const auto& t : c.categories) mix(t);
  // Fields of the later networks, mixed in only when set, so the hash of a
  // delivery that has none of them stays what it was before they existed.
  auto mix_set = [&](std::string_view name, std::string_view value) {
    if (value.empty()) return;
    mix(name);
    mix(value);
  };
  mix_set("spoiler_text", c.spoiler_text);
  mix_set("visibility", c.visibility);
  mix_set("language", c.language);
  for (std::size_t i = 0; i < c.media_alt.size(); ++i) mix_set("alt" + std::to_string(i), c.media_alt[i]);
  return h;
}

std::vector<PlannedDelivery> planned_deliveries(const LoadedCalendar& cal, Instant now, Instant from, Instant to,
                                                const std::map<std::string, Instant>& pinned) {
  PlanRequest req{now, from, to, {}, {}};
  req.pinned = pinned;
  Diagnostics ignored;
  const auto deliveries = plan(cal.calendar, cal.settings, req, ignored);
  const UrlLookup previews = preview_urls(cal.calendar, cal.settings);
  std::vector<PlannedDelivery> out;
  out.reserve(deliveries.size());
  for (const auto& d : deliveries) {
    // A draft is planned and shown, never stored to go out: making a post a
    // draft again cancels what was pending of it, as removing it would.
    if (d.source->draft) continue;
    // Composed once per reload: check's fingerprint when it left one.
    std::optional<std::uint64_t> fingerprint;
    const std::size_t post = d.post_index;
    if (d.comment) {
      fingerprint = composed_fingerprint(
          compose_first_comment(*d.source, *cal.settings.channel(d.channel), cal.settings, cal.calendar, previews));
    } else if (post < cal.fingerprints.size()) {
      const auto& channels = d.source->channels;
      const auto at = std::find(channels.begin(), channels.end(), d.channel);
      if (at != channels.end() && static_cast<std::size_t>(at - channels.begin()) < cal.fingerprints[post].size())
        fingerprint = cal.fingerprints[post][static_cast<std::size_t>(at - channels.begin())];
    }
    if (!fingerprint) {
      const ChannelSettings* cs = cal.settings.channel(d.channel);
      fingerprint = composed_fingerprint(compose(*d.source, *cs, cal.settings, cal.calendar, previews));
    }
    out.push_back({d.key, d.post, d.channel, d.at, content_hash(*fingerprint, d.at), d.queued});
  }
  return out;
}

std::optional<std::string> delivery_content_hash(const LoadedCalendar& cal, const std::string& post,
                                                 const std::string& channel, Instant at, bool comment) {
  std::optional<std::size_t> found;
  if (cal.calendar.by_id.size() == cal.calendar.posts.size()) {
    if (const auto it = cal.calendar.by_id.find(post); it != cal.calendar.by_id.end()) found = it->second;
  } else {
    for (std::size_t i = 0; i < cal.calendar.posts.size() && !found; ++i)
      if (cal.calendar.posts[i].id == post) found = i;
  }
  if (!found) return std::nullopt;
  const std::size_t index = *found;
  const Post& p = cal.calendar.posts[index];
  const auto it = std::find(p.channels.begin(), p.channels.end(), channel);
  if (it == p.channels.end()) return std::nullopt;
  const auto position = static_cast<std::size_t>(it - p.channels.begin());
  if (comment) {
    const ChannelSettings* cs = cal.settings.channel(channel);
    if (!cs || p.first_comment.empty() || kind_info(cs->kind).first_comment == FirstComment::none) return std::nullopt;
    return content_hash(composed_fingerprint(compose_first_comment(p, *cs, cal.settings, cal.calendar,
                                                                   preview_urls(cal.calendar, cal.settings))),
                        at);
  }
  if (index < cal.fingerprints.size() && position < cal.fingerprints[index].size())
    return content_hash(cal.fingerprints[index][position], at);
  const ChannelSettings* cs = cal.settings.channel(channel);
  if (!cs) return std::nullopt;
  return content_hash(composed_fingerprint(compose(p, *cs, cal.settings, cal.calendar,
                                                   preview_urls(cal.calendar, cal.settings))),
                      at);
}

}  // namespace herald
