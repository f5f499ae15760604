#include "scheduler/plan.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald {
namespace {

using namespace std::chrono_literals;
using namespace date::literals;

const char* kSettings = R"(calendar: calendar.yaml
timezone: Europe/Amsterdam
channels:
  x:        {kind: x, account: a, credentials: x, slots: ["mon-fri 09:15", "mon-fri 17:30"], min_spacing: 20m}
  facebook: {kind: facebook, page_id: "1", credentials: f, slots: ["mon,wed,fri 12:00"]}
  blog:     {kind: wordpress, site: https://blog.example.nl, credentials: b}
)";

struct Fixture {
  Settings settings;
  Calendar calendar;
};

Fixture load(const std::string& calendar_text) {
  Diagnostics diags;
  Fixture f;
  f.settings = *load_settings_text(kSettings, "/cal/herald.yaml", {}, diags);
  EXPECT_TRUE(load_calendar_text(calendar_text, "/cal/calendar.yaml", f.settings, f.calendar, diags));
  EXPECT_FALSE(diags.has_errors());
  for (const auto& d : diags.items()) ADD_FAILURE() << format(d);
  return f;
}

Instant utc(date::year_month_day ymd, std::chrono::hours h, std::chrono::minutes m = 0min) {
  return date::sys_days{ymd} + h + m;
}

struct Planned {
  std::string key;
  Instant at;
  bool operator==(const Planned&) const = default;
};

void PrintTo(const Planned& p, std::ostream* os) { *os << p.key << " @ " << format_utc(p.at); }

std::vector<Planned> run(const Fixture& f, Instant now, Instant from, Instant to, std::string channel = {},
                         Diagnostics* warnings = nullptr) {
  Diagnostics local;
  auto ds = plan(f.calendar, f.settings, {now, from, to, std::move(channel), {}}, warnings ? *warnings : local);
  std::vector<Planned> out;
  for (const auto& d : ds) out.push_back({d.key, d.at});
  return out;
}

const Instant kMar1 = utc(2027_y / date::March / 1, 0h);

TEST(Plan, FixedPostsInInstantOrderThenCalendarOrder) {
  auto f = load(R"(posts:
  - {id: late, at: 2027-03-02 12:00, channels: [x], text: a}
  - {id: early, at: 2027-03-02 09:00, channels: [blog, x], title: t, text: a}
  - {id: utc, at: "2027-03-02T08:00:00Z", channels: [facebook], text: a}
)");
  EXPECT_EQ(run(f, kMar1, kMar1, kMar1 + date::days{7}),
            (std::vector<Planned>{{"early@blog", utc(2027_y / date::March / 2, 8h)},
                                  {"early@x", utc(2027_y / date::March / 2, 8h)},
                                  {"utc@facebook", utc(2027_y / date::March / 2, 8h)},
                                  {"late@x", utc(2027_y / date::March / 2, 11h)}}));
}

TEST(Plan, WindowIsHalfOpenAndChannelFilterApplies) {
  auto f = load(R"(posts:
  - {id: a, at: 2027-03-02 09:00, channels: [x, facebook], text: a}
  - {id: b, at: 2027-03-03 09:00, channels: [x], text: b}
)");
  const Instant a = utc(2027_y / date::March / 2, 8h);
  EXPECT_EQ(run(f, kMar1, a, a + 24h), (std::vector<Planned>{{"a@x", a}, {"a@facebook", a}}));
  EXPECT_EQ(run(f, kMar1, a + 1s, a + 24h + 1s),
            (std::vector<Planned>{{"b@x", utc(2027_y / date::March / 3, 8h)}}));
  EXPECT_EQ(run(f, kMar1, kMar1, kMar1 + date::days{7}, "facebook"), (std::vector<Planned>{{"a@facebook", a}}));
}

// A first comment (issue 18) is planned right after its post, at its time,
// as KEY+comment, on the networks that take one (not on a blog); a queued
// post's comment follows the slot its post takes; a recurrence's each day.
TEST(Plan, FirstCommentsFollowTheirPostWhereTheNetworkTakesOne) {
  auto f = load(R"(posts:
  - {id: a, at: 2027-03-02 09:00, channels: [blog, x, facebook], title: t, text: a, first_comment: "More"}
  - {id: q, queue: true, channels: [x], text: q, first_comment: "Q"}
  - {id: r, every: daily 10:00, from: 2027-03-02, until: 2027-03-03, channels: [facebook], text: r, first_comment: R}
)");
  const Instant a = utc(2027_y / date::March / 2, 8h);
  const Instant slot = utc(2027_y / date::March / 1, 8h, 15min);
  EXPECT_EQ(run(f, kMar1, kMar1, kMar1 + date::days{3}),
            (std::vector<Planned>{{"q@x", slot},
                                  {"q@x+comment", slot},
                                  {"a@blog", a},
                                  {"a@x", a},
                                  {"a@x+comment", a},
                                  {"a@facebook", a},
                                  {"a@facebook+comment", a},
                                  {"r@facebook#2027-03-02", a + 1h},
                                  {"r@facebook#2027-03-02+comment", a + 1h},
                                  {"r@facebook#2027-03-03", a + 25h},
                                  {"r@facebook#2027-03-03+comment", a + 25h}}));
  EXPECT_EQ(comment_parent("r@facebook#2027-03-02+comment"), "r@facebook#2027-03-02");
  EXPECT_EQ(comment_parent("a@x"), std::nullopt);
  EXPECT_EQ(comment_parent("+comment"), std::nullopt);
}

TEST(Plan, WeeklyRecurrenceKeepsWallTimeAcrossDst) {
  auto f = load(R"(posts:
  - {id: monday-tip, every: weekly mon 09:00, until: 2027-04-05, channels: [x], text: tip}
)");
  // 09:00 CET is 08:00 UTC until the change on 28 March, then 09:00 CEST is 07:00 UTC.
  EXPECT_EQ(run(f, kMar1, utc(2027_y / date::March / 20, 0h), utc(2027_y / date::April / 30, 0h)),
            (std::vector<Planned>{{"monday-tip@x#2027-03-22", utc(2027_y / date::March / 22, 8h)},
                                  {"monday-tip@x#2027-03-29", utc(2027_y / date::March / 29, 7h)},
                                  {"monday-tip@x#2027-04-05", utc(2027_y / date::April / 5, 7h)}}));
}

TEST(Plan, RecurrenceWithSeveralTimesADayKeysByTime) {
  auto f = load(R"(posts:
  - {id: twice, rrule: "FREQ=DAILY;BYHOUR=9,17;BYMINUTE=0", channels: [blog], title: t, text: a}
)");
  EXPECT_EQ(run(f, kMar1, kMar1, kMar1 + 24h),
            (std::vector<Planned>{{"twice@blog#2027-03-01T09:00", utc(2027_y / date::March / 1, 8h)},
                                  {"twice@blog#2027-03-01T17:00", utc(2027_y / date::March / 1, 16h)}}));
}

TEST(Plan, RecurrenceInDstGapMovesForwardAndWarnsOnce) {
  auto f = load(R"(posts:
  - {id: night, every: daily 02:30, from: 2027-03-27, until: 2027-03-29, channels: [blog], title: t, text: a}
)");
  Diagnostics warnings;
  auto got = run(f, kMar1, kMar1, kMar1 + date::days{60}, {}, &warnings);
  EXPECT_EQ(got, (std::vector<Planned>{{"night@blog#2027-03-27", utc(2027_y / date::March / 27, 1h, 30min)},
                                      {"night@blog#2027-03-28", utc(2027_y / date::March / 28, 1h, 30min)},
                                      {"night@blog#2027-03-29", utc(2027_y / date::March / 29, 0h, 30min)}}));
  ASSERT_EQ(warnings.items().size(), 1u);
  EXPECT_EQ(format(warnings.items()[0]),
            "/cal/calendar.yaml:2:24: warning: post 'night': the occurrence at 2027-03-28 02:30 does not exist in "
            "Europe/Amsterdam (clocks go forward); it is published at 03:30");
}

TEST(Plan, QueuedPostsTakeSuccessiveFreeSlotsInCalendarOrder) {
  auto f = load(R"(posts:
  - {id: q1, queue: true, channels: [x, facebook], text: a}
  - {id: q2, queue: true, channels: [x], text: b}
  - {id: q3, queue: true, channels: [x, facebook], text: c}
)");
  // Monday 1 March 2027; slots x: 09:15 and 17:30 on weekdays; facebook: 12:00 mon/wed/fri.
  EXPECT_EQ(run(f, kMar1, kMar1, kMar1 + date::days{7}),
            (std::vector<Planned>{{"q1@x", utc(2027_y / date::March / 1, 8h, 15min)},
                                  {"q1@facebook", utc(2027_y / date::March / 1, 11h)},
                                  {"q2@x", utc(2027_y / date::March / 1, 16h, 30min)},
                                  {"q3@x", utc(2027_y / date::March / 2, 8h, 15min)},
                                  {"q3@facebook", utc(2027_y / date::March / 3, 11h)}}));
}

TEST(Plan, QueuedPostsKeepMinSpacingFromFixedPosts) {
  auto f = load(R"(posts:
  - {id: fixed, at: 2027-03-01 09:00, channels: [x], text: a}
  - {id: exact, at: 2027-03-01 12:00, channels: [facebook], text: a}
  - {id: q, queue: true, channels: [x, facebook], text: b}
)");
  // x: 09:15 is 15 min after a fixed post (< 20m spacing) -> 17:30.
  // facebook: the 12:00 slot holds a fixed post at the same instant -> Wednesday.
  auto got = run(f, kMar1, kMar1, kMar1 + date::days{7});
  EXPECT_EQ(got, (std::vector<Planned>{{"fixed@x", utc(2027_y / date::March / 1, 8h)},
                                      {"exact@facebook", utc(2027_y / date::March / 1, 11h)},
                                      {"q@x", utc(2027_y / date::March / 1, 16h, 30min)},
                                      {"q@facebook", utc(2027_y / date::March / 3, 11h)}}));
}

TEST(Plan, QueuedPostsKeepClearOfRecurringPosts) {
  auto f = load(R"(posts:
  - {id: daily, every: daily 09:10, channels: [x], text: a}
  - {id: q, queue: true, channels: [x], text: b}
)");
  auto got = run(f, kMar1, kMar1, kMar1 + 24h, "x");
  EXPECT_EQ(got, (std::vector<Planned>{{"daily@x#2027-03-01", utc(2027_y / date::March / 1, 8h, 10min)},
                                      {"q@x", utc(2027_y / date::March / 1, 16h, 30min)}}));
}

TEST(Plan, QueuedPostWithFromWaitsForThatDay) {
  auto f = load(R"(posts:
  - {id: later, queue: true, from: 2027-03-03, channels: [x], text: a}
  - {id: sooner, queue: true, channels: [x], text: b}
)");
  EXPECT_EQ(run(f, kMar1, kMar1, kMar1 + date::days{7}, "x"),
            (std::vector<Planned>{{"sooner@x", utc(2027_y / date::March / 1, 8h, 15min)},
                                  {"later@x", utc(2027_y / date::March / 3, 8h, 15min)}}));
}

TEST(Plan, QueuedPlacementDoesNotDependOnTheWindow) {
  // A later window shows the same slots a plan from now would: the queue fills from now.
  auto f = load("posts:\n  - {id: q, queue: true, channels: [x], text: b}\n");
  const Instant week2 = kMar1 + date::days{7};
  EXPECT_TRUE(run(f, kMar1, week2, week2 + date::days{7}).empty());
  EXPECT_EQ(run(f, kMar1, kMar1, week2).size(), 1u);
}

TEST(Plan, QueuedPostsStartFromNowWhenNowIsLater) {
  auto f = load("posts:\n  - {id: q, queue: true, channels: [x], text: b}\n");
  const Instant now = utc(2027_y / date::March / 1, 10h);  // after the 09:15 slot (08:15 UTC)
  EXPECT_EQ(run(f, now, kMar1, kMar1 + date::days{2}),
            (std::vector<Planned>{{"q@x", utc(2027_y / date::March / 1, 16h, 30min)}}));
}

TEST(Plan, QueuedOnChannelWithoutSlotsWarns) {
  auto f = load("posts:\n  - {id: q, queue: true, channels: [blog], title: t, text: b}\n");
  Diagnostics warnings;
  EXPECT_TRUE(run(f, kMar1, kMar1, kMar1 + date::days{7}, {}, &warnings).empty());
  ASSERT_EQ(warnings.items().size(), 1u);
  EXPECT_EQ(format(warnings.items()[0]),
            "/cal/calendar.yaml:2:20: warning: post 'q' is queued but channel 'blog' has no slots; it is not planned "
            "there");
}

TEST(Plan, QueuedBeyondTheWindowStillConsumeSlots) {
  // Ten queued posts on facebook (3 slots a week): the window of the third week
  // shows exactly the posts that landed there, in order.
  std::string cal = "posts:\n";
  for (int i = 0; i < 10; ++i) cal += "  - {id: q" + std::to_string(i) + ", queue: true, channels: [facebook], text: t}\n";
  auto f = load(cal);
  const Instant week3 = kMar1 + date::days{14};
  EXPECT_EQ(run(f, kMar1, week3, week3 + date::days{7}, "facebook"),
            (std::vector<Planned>{{"q6@facebook", utc(2027_y / date::March / 15, 11h)},
                                  {"q7@facebook", utc(2027_y / date::March / 17, 11h)},
                                  {"q8@facebook", utc(2027_y / date::March / 19, 11h)}}));
}

TEST(Plan, DeliveryKeys) {
  auto f = load(R"(posts:
  - {id: once, at: 2027-03-01 09:00, channels: [x], text: a}
  - {id: weekly, every: weekly mon 09:00, channels: [x], text: a}
)");
  const WallTime occurrence = WallTime{date::local_days{2027_y / date::March / 8}} + 9h;
  EXPECT_EQ(delivery_key(f.calendar.posts[0], "x", nullptr), "once@x");
  EXPECT_EQ(delivery_key(f.calendar.posts[1], "x", &occurrence), "weekly@x#2027-03-08");
}

}  // namespace
}  // namespace herald

namespace herald {
namespace {

TEST(Plan, PinnedQueuedDeliveriesKeepTheirTimeAndOthersGoAround) {
  auto f = load(R"(posts:
  - {id: q1, queue: true, channels: [x], text: a}
  - {id: q2, queue: true, channels: [x], text: b}
)");
  // q2 was stored at the first slot earlier; q1 must not take that slot now.
  PlanRequest req{kMar1, kMar1, kMar1 + date::days{2}, {}, {}};
  req.pinned["q2@x"] = utc(2027_y / date::March / 1, 8h, 15min);
  Diagnostics w;
  auto ds = plan(f.calendar, f.settings, req, w);
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_EQ(ds[0].key, "q2@x");
  EXPECT_EQ(ds[0].at, utc(2027_y / date::March / 1, 8h, 15min));
  EXPECT_EQ(ds[1].key, "q1@x");
  EXPECT_EQ(ds[1].at, utc(2027_y / date::March / 1, 16h, 30min));
}

}  // namespace
}  // namespace herald
