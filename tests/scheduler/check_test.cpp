#include "scheduler/check.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

using namespace date::literals;
using namespace std::chrono_literals;

const Instant kNow = date::sys_days{2027_y / date::February / 1};

std::vector<std::string> check(const std::string& posts, CheckReport* report = nullptr) {
  Diagnostics d;
  Settings s = *load_settings_text(R"(calendar: calendar.yaml
timezone: Europe/Amsterdam
lint: {max_gap: 365d}
channels:
  x: {kind: x, account: example_nl, credentials: x}
  youtube: {kind: youtube, credentials: y}
)",
                                   "/cal/herald.yaml", {}, d);
  Calendar cal;
  EXPECT_TRUE(load_calendar_text(posts, "/cal/calendar.yaml", s, cal, d));
  Diagnostics out;
  auto r = check_calendar(cal, s, kNow, out);
  if (report) *report = r;
  std::vector<std::string> msgs;
  for (const auto& m : out.sorted()) msgs.push_back(format(m));
  return msgs;
}

TEST(Check, OverLongTweetIsAnErrorWithItsWeightedLength) {
  std::string text;
  for (int i = 0; i < 140; ++i) text += "\xE6\x98\xA5";  // 140 CJK = 280
  EXPECT_TRUE(check("posts:\n  - {id: ok, at: 2027-03-02 10:00, channels: [x], text: \"" + text + "\"}\n").empty());
  EXPECT_EQ(check("posts:\n  - {id: long, at: 2027-03-02 10:00, channels: [x], text: \"" + text + "!\"}\n"),
            std::vector<std::string>{"/cal/calendar.yaml:2:59: error: post 'long' on x: tweet is 281 weighted "
                                     "characters, more than the 280 x allows"});
}

TEST(Check, OverrideTextIsReportedAtTheOverride) {
  auto msgs = check("posts:\n  - id: p\n    at: 2027-03-02 10:00\n    channels: [x]\n    text: short\n    x: {text: \"" +
                    std::string(300, 'a') + "\"}\n");
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0], "/cal/calendar.yaml:6:15: error: post 'p' on x: tweet is 300 weighted characters, more than "
                     "the 280 x allows");
}

// A first comment (issue 18) is checked as any text, at its own field; on
// YouTube, whose API cannot pin a comment, check says it is not posted.
TEST(Check, FirstCommentsAreMeasuredAndYoutubeSaysItTakesNone) {
  std::string text;
  for (int i = 0; i < 141; ++i) text += "\xE6\x98\xA5";  // 141 CJK = 282
  CheckReport report;
  auto msgs = check("posts:\n  - {id: p, at: 2027-03-02 10:00, channels: [x, youtube], text: hi, youtube: {video: "
                    "dQw4w9WgXcQ},\n     first_comment: \"" + text + "\"}\n",
                    &report);
  EXPECT_EQ(msgs, (std::vector<std::string>{
                      "/cal/calendar.yaml:3:21: error: post 'p' on x: first comment is 282 weighted characters, more "
                      "than the 280 x allows",
                      "/cal/calendar.yaml:3:21: warning: post 'p' on youtube: no first comment: YouTube's API cannot "
                      "pin a comment, so a first comment would not stay first; it is not posted"}));
  EXPECT_EQ(report.deliveries, 3u) << "the post on x and youtube, and its comment on x";
  EXPECT_TRUE(check("posts:\n  - {id: p, at: 2027-03-02 10:00, channels: [x], text: hi, first_comment: fine}\n").empty());
}

TEST(Check, ReferencesAndYoutubeRules) {
  CheckReport report;
  auto msgs = check(R"(posts:
  - {id: v, at: 2027-03-02 10:00, channels: [youtube], text: "a > b", youtube: {video: dQw4w9WgXcQ}}
  - {id: t, at: 2027-03-01 10:00, channels: [x], text: "{link v} {link gone}"}
)",
                    &report);
  EXPECT_EQ(msgs, (std::vector<std::string>{
                      "/cal/calendar.yaml:2:62: error: post 'v' on youtube: YouTube does not accept '<' or '>' in a description",
                      "/cal/calendar.yaml:3:56: error: post 't': {link gone} names no post in the calendar"}));
  EXPECT_EQ(report.references.of("t@x"), std::vector<std::string>{"v@youtube"});
}

TEST(Check, LintWarningsAreWarningsOnly) {
  auto msgs = check(R"(posts:
  - {id: p, at: 2027-03-02 10:00, channels: [x], kind: promo, text: "buy"}
)");
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_NE(msgs[0].find("warning: channel 'x': 1 of 1 posts"), std::string::npos) << msgs[0];
}

}  // namespace
}  // namespace herald
