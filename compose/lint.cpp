#include "compose/lint.hpp"

#include "compose/references.hpp"
#include "config/duration.hpp"

#include <utf8proc.h>

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <map>
#include <set>

namespace herald {

namespace {

// Decodes UTF-8 into code points, invalid bytes as U+FFFD.
std::vector<std::int32_t> decode(std::string_view s) {
  std::vector<std::int32_t> out;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(s.size());
  while (left > 0) {
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) {
      cp = 0xFFFD;
      n = 1;
    }
    out.push_back(cp);
    p += n;
    left -= n;
  }
  return out;
}

bool word_char(std::int32_t cp) {
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC:
      return true;
    default:
      return cp == '_';
  }
}

// Code points, lower-cased, for comparing without case.
std::vector<std::int32_t> folded(std::string_view s) {
  auto v = decode(s);
  for (auto& c : v) c = utf8proc_tolower(c);
  return v;
}

// Whether `n` occurs in `t` as a whole word (both folded).
bool mentions_folded(const std::vector<std::int32_t>& t, const std::vector<std::int32_t>& n) {
  if (n.empty() || n.size() > t.size()) return false;
  for (std::size_t i = 0; i + n.size() <= t.size(); ++i) {
    if (!std::equal(n.begin(), n.end(), t.begin() + static_cast<std::ptrdiff_t>(i))) continue;
    const bool start_ok = i == 0 || !word_char(t[i - 1]) || !word_char(n.front());
    const bool end_ok = i + n.size() == t.size() || !word_char(t[i + n.size()]) || !word_char(n.back());
    if (start_ok && end_ok) return true;
  }
  return false;
}

std::string local(const Settings& s, Instant at) {
  const std::string rfc = format_local(*s.zone, at);  // 2027-03-02T10:00:00+01:00
  return rfc.substr(0, 10) + " " + rfc.substr(11, 5);
}

std::string names(const std::vector<const LintItem*>& items) {
  std::string out;
  for (const auto* i : items) out += (out.empty() ? "" : ", ") + i->key;
  return out;
}

// One pass: the 7 days from each delivery are a window sliding over the
// channel's deliveries, with a running count of its promos.
void promo_share(const std::vector<const LintItem*>& items, const Settings& settings, std::vector<LintWarning>& out) {
  const auto week = std::chrono::hours(24 * 7);
  auto promo = [](const LintItem* item) { return item->post->kind == PostKind::promo; };
  std::size_t reported_until = 0, j = 0, promos_in = 0;  // the window is [i, j)
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0 && promo(items[i - 1])) --promos_in;
    for (; j < items.size() && items[j]->at < items[i]->at + week; ++j)
      if (promo(items[j])) ++promos_in;
    if (i < reported_until || promos_in == 0) continue;
    const std::size_t total = j - i;
    const double share = static_cast<double>(promos_in) / static_cast<double>(total);
    if (share <= settings.lint.promo_share + 1e-9) continue;
    std::vector<const LintItem*> promos;
    std::copy_if(items.begin() + static_cast<std::ptrdiff_t>(i), items.begin() + static_cast<std::ptrdiff_t>(j),
                 std::back_inserter(promos), promo);
    LintWarning w;
    w.where = promos.front()->post->location("kind");
    w.message = "channel '" + items[i]->channel + "': " + std::to_string(promos.size()) + " of " +
                std::to_string(total) + " posts in the 7 days from " + local(settings, items[i]->at) + " are promos (" +
                std::to_string(static_cast<int>(share * 100 + 0.5)) + "%, more than " +
                std::to_string(static_cast<int>(settings.lint.promo_share * 100 + 0.5)) + "%): " + names(promos) +
                "; help more than you sell";
    for (const auto* p : promos) w.keys.push_back(p->key);
    out.push_back(std::move(w));
    reported_until = j;
  }
}

void gaps_and_spacing(const std::vector<const LintItem*>& items, const Settings& settings,
                      std::vector<LintWarning>& out) {
  if (items.empty()) return;
  const ChannelSettings* cs = settings.channel(items.front()->channel);
  const auto max_gap = cs && cs->max_gap ? *cs->max_gap : settings.lint.max_gap;
  std::set<std::string> spacing_pairs;
  // Gaps between the same two posts (a repeating post and itself, say) are
  // reported once, with how often they recur.
  std::map<std::string, std::size_t> gap_index;
  std::map<std::string, std::pair<int, Instant>> gap_repeats;
  for (std::size_t i = 1; i < items.size(); ++i) {
    const LintItem& a = *items[i - 1];
    const LintItem& b = *items[i];
    const auto gap = b.at - a.at;
    if (gap > max_gap) {
      const std::string pair = a.post->id + " " + b.post->id;
      if (gap_index.count(pair)) {
        auto& [times, last] = gap_repeats[pair];
        ++times;
        last = b.at;
        out[gap_index[pair]].keys.push_back(b.key);
      } else {
        LintWarning w;
        w.where = b.post->location("post");
        w.message = "channel '" + a.channel + "' is silent for " +
                    format_duration(std::chrono::duration_cast<std::chrono::seconds>(gap)) + " (more than " +
                    format_duration(max_gap) + ") from " + local(settings, a.at) + " (" + a.key + ") to " +
                    local(settings, b.at) + " (" + b.key + "); stay consistent";
        w.keys = {a.key, b.key};
        gap_index[pair] = out.size();
        out.push_back(std::move(w));
      }
    }
    if (cs && cs->min_spacing.count() > 0 && gap < cs->min_spacing) {
      const std::string pair = a.post->id + " " + b.post->id;
      if (!spacing_pairs.insert(pair).second) continue;
      LintWarning w;
      w.where = b.post->location("post");
      w.message = "channel '" + a.channel + "': " + a.key + " at " + local(settings, a.at) + " and " + b.key + " at " +
                  local(settings, b.at) + " are " + format_duration(std::chrono::duration_cast<std::chrono::seconds>(gap)) +
                  " apart, closer than min_spacing " + format_duration(cs->min_spacing) + "; do not flood";
      w.keys = {a.key, b.key};
      out.push_back(std::move(w));
    }
  }
  for (const auto& [pair, repeat] : gap_repeats)
    out[gap_index[pair]].message += " (and " + std::to_string(repeat.first) + " more time" +
                                    (repeat.first == 1 ? "" : "s") + " until " + local(settings, repeat.second) + ")";
}

void competitors(const std::vector<LintItem>& all, const Settings& settings, std::vector<LintWarning>& out) {
  if (settings.lint.competitors.empty()) return;
  std::vector<std::vector<std::int32_t>> names;
  for (const auto& name : settings.lint.competitors) names.push_back(folded(name));
  std::set<std::string> seen;  // post@channel, so a repeating post is checked once
  for (const auto& item : all) {
    if (!seen.insert(item.post->id + "@" + item.channel).second) continue;
    auto texts = channel_texts(*item.post, item.channel);
    texts.emplace_back("title", item.post->title);
    std::vector<std::vector<std::int32_t>> folded_texts;
    for (const auto& [field, text] : texts) folded_texts.push_back(folded(text));
    for (std::size_t n = 0; n < names.size(); ++n) {
      for (std::size_t f = 0; f < texts.size(); ++f) {
        if (!mentions_folded(folded_texts[f], names[n])) continue;
        LintWarning w;
        w.where = item.post->location(texts[f].first);
        w.message = "post '" + item.post->id + "' on " + item.channel + " names competitor '" +
                    settings.lint.competitors[n] + "'; talk about your own work, not theirs";
        w.keys = {item.key};
        out.push_back(std::move(w));
        break;
      }
    }
  }
}

}  // namespace

bool mentions(std::string_view text, std::string_view name) { return mentions_folded(folded(text), folded(name)); }

std::vector<LintWarning> lint(const std::vector<LintItem>& items, const Settings& settings) {
  std::vector<LintWarning> out;
  std::map<std::string, std::vector<const LintItem*>> by_channel;
  for (const auto& i : items) by_channel[i.channel].push_back(&i);
  for (auto& [channel, list] : by_channel) {
    std::stable_sort(list.begin(), list.end(), [](const LintItem* a, const LintItem* b) { return a->at < b->at; });
    promo_share(list, settings, out);
    gaps_and_spacing(list, settings, out);
  }
  competitors(items, settings, out);
  return out;
}

}  // namespace herald
