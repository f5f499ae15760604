#include "compose/lint.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>

namespace herald {
namespace {

using namespace std::chrono_literals;
using namespace date::literals;

struct Fixture {
  Settings settings;
  Calendar calendar;
  std::vector<LintItem> items;

  explicit Fixture(const std::string& posts) {
    Diagnostics d;
    settings = *load_settings_text(R"(calendar: c.yaml
timezone: Europe/Amsterdam
lint: {promo_share: 0.25, max_gap: 3d, competitors: [Fietsplaza, "Rijwiel Oost"]}
channels:
  x: {kind: x, account: a, credentials: x, min_spacing: 30m}
  facebook: {kind: facebook, page_id: "1", credentials: f}
)",
                                   "/cal/herald.yaml", {}, d);
    EXPECT_TRUE(load_calendar_text(posts, "/cal/calendar.yaml", settings, calendar, d)) << format(d.items().at(0));
    for (const auto& p : calendar.posts) {
      const auto& fixed = std::get<FixedTime>(p.timing);
      for (const auto& ch : p.channels) items.push_back({p.id + "@" + ch, &p, ch, fixed.resolved.instant});
    }
  }
  std::vector<std::string> run() const {
    std::vector<std::string> out;
    for (const auto& w : lint(items, settings)) out.push_back(format({Severity::warning, w.where, w.message}));
    return out;
  }
};

TEST(Lint, PromoShareInAnySevenDays) {
  Fixture f(R"(posts:
  - {id: tip1, at: 2027-03-01 09:00, channels: [x], kind: help, text: a}
  - {id: promo1, at: 2027-03-02 09:00, channels: [x], kind: promo, text: a}
  - {id: promo2, at: 2027-03-03 09:00, channels: [x], kind: promo, text: a}
  - {id: tip2, at: 2027-03-04 09:00, channels: [x], kind: help, text: a}
  - {id: tip3, at: 2027-03-06 09:00, channels: [x], kind: help, text: a}
  - {id: tip4, at: 2027-03-08 09:00, channels: [x], kind: help, text: a}
  - {id: tip5, at: 2027-03-09 09:00, channels: [x], kind: help, text: a}
  - {id: tip6, at: 2027-03-10 09:00, channels: [x], kind: help, text: a}
)");
  // The 7 days from 1 March hold 5 posts, 2 of them promos; the window from
  // 2 March (2 of 5) is part of the same finding and not reported again.
  EXPECT_EQ(f.run(), (std::vector<std::string>{
                         "/cal/calendar.yaml:3:61: warning: channel 'x': 2 of 5 posts in the 7 days from 2027-03-01 09:00 "
                         "are promos (40%, more than 25%): promo1@x, promo2@x; help more than you sell"}));
}

// The promo share is computed in one pass over a sliding window. On random
// channels it reports what looking at the 7 days from every delivery one by
// one reports: each window over the share, skipping those that begin inside
// the last one reported.
TEST(Lint, PromoShareSlidingWindowAgreesWithLookingAtEveryWindow) {
  std::mt19937 rng(15);
  int reported = 0;
  for (int round = 0; round < 40; ++round) {
    std::string yaml = "posts:\n";
    const int n = 20 + static_cast<int>(rng() % 120);
    const auto promo_in_10 = static_cast<unsigned>(1 + rng() % 6);
    for (int i = 0; i < n; ++i) {
      char line[160];
      const auto minute = static_cast<unsigned>(rng() % (60 * 24 * 50));  // within 50 days, equal times allowed
      std::snprintf(line, sizeof line, "  - {id: p%d, at: 2027-04-%02u %02u:%02u, channels: [facebook], kind: %s, text: a}\n",
                    i, 1 + minute / (60 * 24) % 30, minute / 60 % 24, minute % 60,
                    rng() % 10 < promo_in_10 ? "promo" : "help");
      yaml += line;
    }
    Fixture f(yaml);
    std::vector<std::pair<std::string, std::vector<std::string>>> got;
    for (const auto& w : lint(f.items, f.settings))
      if (w.message.find("are promos") != std::string::npos)
        got.emplace_back(w.message.substr(w.message.find(": ") + 2, w.message.find(" posts in") - w.message.find(": ") - 2),
                         w.keys);

    std::vector<const LintItem*> list;
    for (const auto& item : f.items) list.push_back(&item);
    std::stable_sort(list.begin(), list.end(), [](const LintItem* a, const LintItem* b) { return a->at < b->at; });
    std::vector<std::pair<std::string, std::vector<std::string>>> want;
    for (std::size_t i = 0, until = 0; i < list.size(); ++i) {
      std::size_t j = i;
      std::vector<std::string> promos;
      for (; j < list.size() && list[j]->at < list[i]->at + std::chrono::hours(24 * 7); ++j)
        if (list[j]->post->kind == PostKind::promo) promos.push_back(list[j]->key);
      if (i < until || promos.empty() || promos.size() * 4 <= j - i) continue;  // promo_share 0.25
      want.emplace_back(std::to_string(promos.size()) + " of " + std::to_string(j - i), promos);
      until = j;
    }
    ASSERT_EQ(got, want) << yaml;
    reported += want.empty() ? 0 : 1;
  }
  EXPECT_GT(reported, 10);
}

TEST(Lint, PromoShareAtTheLimitIsFine) {
  // Every 7 days from a post: 1 of 4 (25%), then no promo.
  Fixture f(R"(posts:
  - {id: promo1, at: 2027-03-01 09:00, channels: [x], kind: promo, text: a}
  - {id: tip1, at: 2027-03-02 09:00, channels: [x], kind: help, text: a}
  - {id: tip2, at: 2027-03-03 09:00, channels: [x], kind: help, text: a}
  - {id: tip3, at: 2027-03-04 09:00, channels: [x], kind: tip, text: a}
)");
  EXPECT_TRUE(f.run().empty()) << ::testing::PrintToString(f.run());
}

TEST(Lint, GapLongerThanMaxGap) {
  Fixture f(R"(posts:
  - {id: a, at: 2027-03-01 09:00, channels: [facebook], text: a}
  - {id: b, at: 2027-03-04 09:00, channels: [facebook], text: a}
  - {id: c, at: 2027-03-07 09:01, channels: [facebook], text: a}
)");
  EXPECT_EQ(f.run(), (std::vector<std::string>{
                         "/cal/calendar.yaml:4:5: warning: channel 'facebook' is silent for 3d1m (more than 3d) from "
                         "2027-03-04 09:00 (b@facebook) to 2027-03-07 09:01 (c@facebook); stay consistent"}));
}

TEST(Lint, RepeatedGapIsReportedOnceWithItsCount) {
  Fixture f(R"(posts:
  - {id: a, at: 2027-03-01 09:00, channels: [facebook], text: a}
  - {id: b, at: 2027-03-05 09:00, channels: [facebook], text: a}
)");
  // Simulate a weekly post: the same post id at several instants.
  const Post* weekly = &f.calendar.posts[1];
  f.items.push_back({"b@facebook#2", weekly, "facebook", f.items.back().at + std::chrono::hours(24 * 7)});
  f.items.push_back({"b@facebook#3", weekly, "facebook", f.items.back().at + std::chrono::hours(24 * 7)});
  auto got = f.run();
  ASSERT_EQ(got.size(), 2u) << ::testing::PrintToString(got);
  EXPECT_NE(got[0].find("silent for 4d"), std::string::npos) << got[0];
  EXPECT_NE(got[1].find("silent for 7d (more than 3d) from 2027-03-05 09:00 (b@facebook) to 2027-03-12 09:00 "
                        "(b@facebook#2); stay consistent (and 1 more time until 2027-03-19 09:00)"),
            std::string::npos)
      << got[1];
}

TEST(Lint, ChannelMaxGapOverridesTheDefault) {
  Fixture f(R"(posts:
  - {id: a, at: 2027-03-01 09:00, channels: [facebook], text: a}
  - {id: b, at: 2027-03-07 09:00, channels: [facebook], text: a}
)");
  ASSERT_EQ(f.run().size(), 1u);
  f.settings.channels[1].max_gap = std::chrono::hours(24 * 7);
  EXPECT_TRUE(f.run().empty());
}

TEST(Lint, MinSpacing) {
  Fixture f(R"(posts:
  - {id: a, at: 2027-03-01 09:00, channels: [x, facebook], text: a}
  - {id: b, at: 2027-03-01 09:20, channels: [x, facebook], text: a}
  - {id: c, at: 2027-03-01 09:50, channels: [x], text: a}
)");
  // Only x has min_spacing (30m); b-c are exactly 30m apart, which is fine.
  EXPECT_EQ(f.run(), (std::vector<std::string>{
                         "/cal/calendar.yaml:3:5: warning: channel 'x': a@x at 2027-03-01 09:00 and b@x at 2027-03-01 "
                         "09:20 are 20m apart, closer than min_spacing 30m; do not flood"}));
}

TEST(Lint, CompetitorsWholeWordCaseInsensitive) {
  Fixture f(R"(posts:
  - {id: a, at: 2027-03-01 09:00, channels: [x], text: "Goedkoper dan FIETSPLAZA!"}
  - {id: b, at: 2027-03-01 10:00, channels: [x], text: "fietsplazas en superfietsplaza tellen niet"}
  - {id: c, at: 2027-03-01 11:00, channels: [x], text: "beter dan rijwiel oost, echt"}
  - {id: d, at: 2027-03-01 12:00, channels: [x], text: "rijwiel oosten telt niet"}
)");
  EXPECT_EQ(f.run(), (std::vector<std::string>{
                         "/cal/calendar.yaml:2:56: warning: post 'a' on x names competitor 'Fietsplaza'; talk about "
                         "your own work, not theirs",
                         "/cal/calendar.yaml:4:56: warning: post 'c' on x names competitor 'Rijwiel Oost'; talk about "
                         "your own work, not theirs"}));
}

TEST(Lint, Mentions) {
  EXPECT_TRUE(mentions("Acme", "acme"));
  EXPECT_TRUE(mentions("(ACME)", "Acme"));
  EXPECT_FALSE(mentions("acmes", "acme"));
  EXPECT_FALSE(mentions("", "acme"));
  EXPECT_TRUE(mentions("Fietsen ÉÉN", "één"));
  EXPECT_FALSE(mentions("éénmaal", "één"));
}

}  // namespace
}  // namespace herald
