#include "scheduler/plan.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string_view>
#include <unordered_set>
#include <variant>

namespace herald {

namespace {

struct Planned {
  Delivery delivery;
  std::size_t post_index = 0;
  std::size_t channel_index = 0;
};


// Occurrences of a recurring post whose instants fall in [from, to).
std::vector<std::pair<WallTime, Resolved>> occurrences(const Post& post, const Repeating& rep, Instant from,
                                                       Instant to) {
  const auto& zone = *post.zone;
  // Widen by a day on each side in wall time: offsets are under a day, so no
  // occurrence whose instant is in the window is missed; the exact filter follows.
  const WallTime wall_from = to_wall(zone, from) - date::days{1};
  const WallTime wall_to = to_wall(zone, to) + date::days{1};
  WallTime end = wall_to;
  if (rep.until && *rep.until + std::chrono::seconds{1} < end) end = *rep.until + std::chrono::seconds{1};
  Recurrence rule = rep.rule;
  if (rep.until) rule.until = rule.until ? std::min(*rule.until, *rep.until) : *rep.until;
  const date::local_days start = rep.from ? *rep.from : date::floor<date::days>(wall_from);
  std::vector<std::pair<WallTime, Resolved>> out;
  if (end <= wall_from) return out;
  for (WallTime w : expand(rule, start, wall_from, end)) {
    Resolved r = resolve(zone, w);
    if (r.instant >= from && r.instant < to) out.emplace_back(w, r);
  }
  return out;
}

// Whether `slot` keeps clear of every delivery already on the channel: never
// the same instant, and never closer than min_spacing.
bool slot_free(const std::set<Instant>& taken, Instant slot, std::chrono::seconds spacing) {
  const std::chrono::seconds gap = std::max(spacing, std::chrono::seconds{1});
  auto it = taken.lower_bound(slot - gap + std::chrono::seconds{1});
  return it == taken.end() || *it >= slot + gap;
}

Location rule_location(const Post& post) {
  return post.location(post.where.has("every") ? "every" : "rrule");
}

}  // namespace

std::string delivery_key(const Post& post, const std::string& channel, const WallTime* occurrence) {
  std::string key = post.id + "@" + channel;
  if (occurrence) {
    key += "#" + format_date(date::floor<date::days>(*occurrence));
    if (const auto* rep = std::get_if<Repeating>(&post.timing); rep && rep->rule.several_per_day())
      key += "T" + format_hhmm(*occurrence);
  }
  return key;
}

std::vector<Delivery> plan(const Calendar& calendar, const Settings& settings, const PlanRequest& request,
                           Diagnostics& warnings) {
  std::vector<Planned> planned;
  const Instant queue_start = request.now;
  Instant queue_end = queue_start + kSlotSearchHorizon;
  for (const auto& post : calendar.posts)
    if (const auto* q = std::get_if<Queued>(&post.timing); q && q->from)
      queue_end = std::max(queue_end, resolve(*settings.zone, WallTime{*q->from}).instant + kSlotSearchHorizon);
  // Every fixed and recurring delivery per channel from the queue start on, so
  // queued posts keep clear of them even beyond the requested window.
  std::map<std::string, std::set<Instant>> taken;
  const Instant fixed_from = std::min(request.from, queue_start);
  // Two days past the last slot a queued post may take, so a fixed post just
  // after it still keeps that slot clear (min_spacing is at most a day).
  const Instant fixed_to = std::max(request.to, queue_end + date::days{2});

  auto wanted = [&](const std::string& channel) { return request.channel.empty() || request.channel == channel; };
  // Only a channel some queued post goes to needs the times its fixed and
  // recurring deliveries take beyond the window: the rest are planned in
  // the window alone.
  std::unordered_set<std::string_view> queue_channels;
  for (const auto& post : calendar.posts)
    if (std::holds_alternative<Queued>(post.timing))
      for (const auto& channel : post.channels) queue_channels.insert(channel);
  auto slots_matter = [&](const std::string& channel) { return queue_channels.count(channel) > 0; };

  for (std::size_t pi = 0; pi < calendar.posts.size(); ++pi) {
    const Post& post = calendar.posts[pi];
    if (const auto* fixed = std::get_if<FixedTime>(&post.timing)) {
      const Instant at = fixed->resolved.instant;
      // As written, so a DST-adjusted time can be shown next to where it went.
      const auto* written = std::get_if<WallTime>(&fixed->written);
      const WallTime local = written ? *written : to_wall(*post.zone, at);
      for (std::size_t ci = 0; ci < post.channels.size(); ++ci) {
        const auto& channel = post.channels[ci];
        if (slots_matter(channel)) taken[channel].insert(at);
        if (at < request.from || at >= request.to || !wanted(channel)) continue;
        Delivery d{delivery_key(post, channel, nullptr), post.id, channel, at, local, fixed->resolved.fit, false, &post};
        planned.push_back({std::move(d), pi, ci});
      }
    } else if (const auto* rep = std::get_if<Repeating>(&post.timing)) {
      bool warned_gap = false, warned_repeat = false;
      const bool beyond = std::any_of(post.channels.begin(), post.channels.end(), slots_matter);
      const auto each = beyond ? occurrences(post, *rep, fixed_from, fixed_to)
                               : occurrences(post, *rep, request.from, request.to);
      for (const auto& [wall, res] : each) {
        const bool in_window = res.instant >= request.from && res.instant < request.to;
        if (in_window && res.fit == WallFit::gap && !warned_gap) {
          warned_gap = true;
          warnings.warning(rule_location(post),
                           "post '" + post.id + "': the occurrence at " + format_date(date::floor<date::days>(wall)) +
                               " " + format_hhmm(wall) + " does not exist in " + post.zone_name +
                               " (clocks go forward); it is published at " + format_hhmm(wall + res.shift));
        }
        if (in_window && res.fit == WallFit::repeated && !warned_repeat) {
          warned_repeat = true;
 warnings.warning(rule_location(post), "post '" + post.id + "': the occurrence at " +
                                                       format_date(date::floor<date::days>(wall)) + " " + format_hhmm(wall) +
                                                       " occurs twice in " + post.zone_name +
                                                       " (clocks go back); the first is used");
        }
        for (std::size_t ci = 0; ci < post.channels.size(); ++ci) {
          const auto& channel = post.channels[ci];
          if (slots_matter(channel)) taken[channel].insert(res.instant);
          if (!in_window || !wanted(channel)) continue;
          Delivery d{delivery_key(post, channel, &wall), post.id, channel, res.instant, wall, res.fit, false, &post};
          planned.push_back({std::move(d), pi, ci});
        }
      }
    }
  }

  // Queued posts, in calendar order, each take the first free slot of each of
  // their channels at or after max(now, the post's `from`). Slots are
  // generated a few weeks at a time, as far as a post needs them.
  struct ChannelSlots {
    std::vector<Instant> slots;  // sorted
    Instant generated_to;
  };
  std::map<std::string, ChannelSlots> slot_lists;
  const auto chunk = date::days{28};
  for (const auto& [key, at] : request.pinned) {
    const auto at_sign = key.find('@');
    if (at_sign != std::string::npos) taken[key.substr(at_sign + 1)].insert(at);
  }
  for (std::size_t pi = 0; pi < calendar.posts.size(); ++pi) {
    const Post& post = calendar.posts[pi];
    const auto* queued = std::get_if<Queued>(&post.timing);
    if (!queued) continue;
    Instant post_start = queue_start;
    if (queued->from) post_start = std::max(post_start, resolve(*settings.zone, WallTime{*queued->from}).instant);
    const Instant search_end = post_start + kSlotSearchHorizon;
    for (std::size_t ci = 0; ci < post.channels.size(); ++ci) {
      const auto& channel = post.channels[ci];
      const ChannelSettings* cs = settings.channel(channel);
      if (auto pin = request.pinned.find(delivery_key(post, channel, nullptr)); pin != request.pinned.end()) {
        if (pin->second >= request.from && pin->second < request.to && wanted(channel)) {
          Delivery d{pin->first, post.id, channel, pin->second, to_wall(*settings.zone, pin->second), WallFit::exact,
                     true, &post};
          planned.push_back({std::move(d), pi, ci});
        }
        continue;
      }
      if (!cs || cs->slots.empty()) {
        warnings.warning(post.location("queue"), "post '" + post.id + "' is queued but channel '" + channel +
                                                     "' has no slots; it is not planned there");
        continue;
      }
      auto [it, fresh] = slot_lists.try_emplace(channel);
      ChannelSlots& list = it->second;
      if (fresh) list.generated_to = queue_start;
      auto& used = taken[channel];
      std::optional<Instant> found;
      std::size_t i = std::lower_bound(list.slots.begin(), list.slots.end(), post_start) - list.slots.begin();
      while (!found) {
        if (i == list.slots.size()) {
          if (list.generated_to >= search_end) break;
          const Instant next_to = std::min(list.generated_to + chunk, search_end);
          for (Instant t : slot_instants(cs->slots, *settings.zone, list.generated_to, next_to)) list.slots.push_back(t);
          list.generated_to = next_to;
          continue;
        }
        const Instant slot = list.slots[i++];
        if (slot >= post_start && slot < search_end && slot_free(used, slot, cs->min_spacing)) found = slot;
      }
      if (!found) {
        warnings.warning(post.location("queue"), "post '" + post.id + "' finds no free slot on channel '" + channel +
                                                     "' within " + std::to_string(kSlotSearchHorizon.count()) +
                                                     " days; it is not planned there");
        continue;
      }
      used.insert(*found);
      if (*found < request.from || *found >= request.to || !wanted(channel)) continue;
      Delivery d{delivery_key(post, channel, nullptr), post.id, channel, *found, to_wall(*settings.zone, *found),
                 WallFit::exact, true, &post};
      planned.push_back({std::move(d), pi, ci});
    }
  }

  std::stable_sort(planned.begin(), planned.end(), [](const Planned& a, const Planned& b) {
    if (a.delivery.at != b.delivery.at) return a.delivery.at < b.delivery.at;
    if (a.post_index != b.post_index) return a.post_index < b.post_index;
    return a.channel_index < b.channel_index;
  });
  std::vector<Delivery> out;
  out.reserve(planned.size());
  for (auto& p : planned) {
    p.delivery.post_index = p.post_index;
    // A first comment follows its post, on the networks that have one.
    const ChannelSettings* cs = settings.channel(p.delivery.channel);
    const bool commented = !p.delivery.source->first_comment.empty() && cs &&
                           kind_info(cs->kind).first_comment != FirstComment::none;
    out.push_back(std::move(p.delivery));
    if (commented) {
      Delivery c = out.back();
      c.key = comment_key(c.key);
      c.queued = false;
      c.comment = true;
      out.push_back(std::move(c));
    }
  }
  return out;
}

namespace {
constexpr std::string_view kCommentSuffix = "+comment";
}  // namespace

std::string comment_key(const std::string& parent) { return parent + std::string(kCommentSuffix); }

std::optional<std::string> comment_parent(std::string_view key) {
  if (key.size() <= kCommentSuffix.size() || !key.ends_with(kCommentSuffix)) return std::nullopt;
  return std::string(key.substr(0, key.size() - kCommentSuffix.size()));
}

std::vector<Delivery> planned_drafts(const Calendar& calendar, const Settings& settings, Instant now, Instant from,
                                     Instant to) {
  if (std::none_of(calendar.posts.begin(), calendar.posts.end(), [](const Post& p) { return p.draft; })) return {};
  Diagnostics ignored;
  auto out = plan(calendar, settings, {now, from, to, {}, {}}, ignored);
  std::erase_if(out, [](const Delivery& d) { return !d.source->draft; });
  return out;
}

}  // namespace herald
