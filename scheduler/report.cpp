#include "scheduler/report.hpp"

#include <algorithm>

namespace herald {

namespace {

constexpr std::pair<ReportBy, std::string_view> kBy[] = {
    {ReportBy::channel, "channel"}, {ReportBy::campaign, "campaign"}, {ReportBy::kind, "kind"}, {ReportBy::post, "post"}};

std::string group_of(const ReportPost& p, ReportBy by) {
  switch (by) {
    case ReportBy::channel: return p.channel;
    case ReportBy::campaign: return p.campaign.empty() ? "(no campaign)" : p.campaign;
    case ReportBy::kind: return p.kind.empty() ? "(not in the calendar)" : p.kind;
    case ReportBy::post: return p.post;
  }
  return {};
}

// The samples of one read, by key (they come ordered by key).
std::map<std::string, std::vector<EngagementSample>> by_key(std::vector<EngagementSample> samples) {
  std::map<std::string, std::vector<EngagementSample>> out;
  for (auto& s : samples) out[s.key].push_back(std::move(s));
  return out;
}

std::int64_t replies_in(const std::vector<EngagementSample>& samples) {
  std::int64_t n = 0;
  for (const auto& s : samples)
    if (s.common == "replies") n += s.value;
  return n;
}

}  // namespace

std::int64_t engagement_of(const ReportTotals& totals) {
  std::int64_t n = 0;
  for (const char* word : {"likes", "shares", "replies", "clicks"}) {
    if (auto it = totals.find(word); it != totals.end()) n += it->second;
  }
  return n;
}

std::string_view to_string(ReportBy by) {
  for (const auto& [b, name] : kBy)
    if (b == by) return name;
  return "channel";
}

std::optional<ReportBy> parse_report_by(std::string_view text) {
  for (const auto& [b, name] : kBy)
    if (name == text) return b;
  return std::nullopt;
}

Report build_report(Store& store, const Calendar* calendar, const ReportQuery& query) {
  Report r;
  r.query = query;
  r.since = query.since ? *query.since : store.last_look().value_or(query.from);

  const auto latest = by_key(store.latest_engagement(query.to));
  const auto before = by_key(store.latest_engagement(r.since));
  std::vector<ReportPost> posts;
  for (const auto& c : store.published_between(query.from, query.to)) {
    ReportPost p;
    p.key = c.key;
    p.post = c.key.substr(0, c.key.find('@'));
    p.channel = c.channel;
    p.url = c.url;
    p.published_at = c.published_at;
    if (const Post* post = calendar ? calendar->find(p.post) : nullptr) {
      p.campaign = post->campaign;
      p.kind = std::string(to_string(post->kind));
    }
    if (auto it = latest.find(c.key); it != latest.end()) {
      p.counters = it->second;
      p.read_at = it->second.front().at;
      for (const auto& s : it->second)
        if (!s.common.empty()) p.totals[s.common] += s.value;
      p.engagement = engagement_of(p.totals);
      // Conversations: replies that came after the look (all of them for a
      // post that went out after it).
      const auto then = before.find(c.key);
      const std::int64_t now_replies = replies_in(it->second);
      const std::int64_t was = then == before.end() ? 0 : replies_in(then->second);
      if (*p.read_at > r.since && now_replies > was)
        r.conversations.push_back({p.key, p.channel, p.url, now_replies, now_replies - was, *p.read_at});
    }
    posts.push_back(std::move(p));
  }

  std::map<std::string, ReportGroup> groups;
  for (const auto& p : posts) {
    ReportGroup& g = groups[group_of(p, query.by)];
    g.name = group_of(p, query.by);
    ++g.posts;
    if (p.read_at) ++g.read;
    for (const auto& [word, n] : p.totals) g.totals[word] += n;
    g.engagement += p.engagement;
  }
  for (auto& [name, g] : groups) r.groups.push_back(std::move(g));

  std::vector<ReportPost> read;
  for (const auto& p : posts)
    if (p.read_at) read.push_back(p);
  // Ties go to the earlier post, then the key: the same history gives the same report.
  auto more = [](const ReportPost& a, const ReportPost& b) {
    if (a.engagement != b.engagement) return a.engagement > b.engagement;
    if (a.published_at != b.published_at) return a.published_at < b.published_at;
    return a.key < b.key;
  };
  std::sort(read.begin(), read.end(), more);
  const std::size_t n = std::min<std::size_t>(read.size(), static_cast<std::size_t>(std::max(query.top, 0)));
  r.top.assign(read.begin(), read.begin() + static_cast<std::ptrdiff_t>(n));
  r.bottom.assign(read.rbegin(), read.rbegin() + static_cast<std::ptrdiff_t>(n));
  std::stable_sort(r.conversations.begin(), r.conversations.end(),
                   [](const Conversation& a, const Conversation& b) { return a.new_replies > b.new_replies; });
  return r;
}

}  // namespace herald
