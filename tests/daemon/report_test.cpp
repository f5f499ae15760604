// `herald report` for a known history (issue 17): a real SQLite store with
// deliveries published and their counters read at known times, a calendar
// with campaigns and kinds; the report built from them, and its JSON
// (GET /api/v1/report), table and CSV pinned as goldens.
#include "daemon/control.hpp"
#include "daemon/status_json.hpp"
#include "scheduler/report.hpp"

#include "config/calendar.hpp"
#include "config/diagnostics.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

namespace herald {
namespace {

using namespace std::chrono_literals;
using namespace date::literals;

const Instant T0 = date::sys_days{2027_y / date::March / 1} + 8h;  // 09:00 in Amsterdam

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("herald-report-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    store_ = Store::open(dir_);
    Diagnostics d;
    settings_ = *load_settings_text(
        "calendar: c.yaml\ntimezone: Europe/Amsterdam\nchannels:\n"
        "  x: {kind: x, account: a, credentials: x}\n"
        "  m: {kind: mastodon, instance: \"https://m.example\", credentials: m}\n",
        dir_ / "herald.yaml", {}, d);
    ASSERT_TRUE(load_calendar_text("posts:\n"
                                   "  - {id: launch, at: 2027-03-01 09:00, channels: [x, m], kind: promo,"
                                   " campaign: spring, text: Buy}\n"
                                   "  - {id: howto, at: 2027-03-02 09:00, channels: [x, m], kind: help,"
                                   " campaign: spring, text: How}\n"
                                   "  - {id: tip, at: 2027-03-03 09:00, channels: [m], kind: tip, text: Tip}\n",
                                   dir_ / "c.yaml", settings_, calendar_, d));
    ASSERT_FALSE(d.has_errors());
    // What went out, when, and what the platforms counted afterwards.
    out("launch@x", T0);
    out("launch@m", T0);
    out("howto@x", T0 + 24h);
    out("howto@m", T0 + 24h);
    out("tip@m", T0 + 48h);
    read("launch@x", T0 + 1h, {{"impression_count", "views", 500}, {"like_count", "likes", 4},
                               {"retweet_count", "shares", 1}, {"reply_count", "replies", 0}});
    read("launch@x", T0 + 24h, {{"impression_count", "views", 900}, {"like_count", "likes", 6},
                                {"retweet_count", "shares", 1}, {"reply_count", "replies", 1}});
    read("launch@m", T0 + 1h, {{"favourites_count", "likes", 2}, {"reblogs_count", "shares", 0},
                               {"replies_count", "replies", 0}});
    read("howto@x", T0 + 25h, {{"impression_count", "views", 1500}, {"like_count", "likes", 20},
                               {"retweet_count", "shares", 5}, {"quote_count", "shares", 2},
                               {"reply_count", "replies", 3}, {"bookmark_count", "", 9}});
    read("howto@m", T0 + 25h, {{"favourites_count", "likes", 8}, {"reblogs_count", "shares", 4},
                               {"replies_count", "replies", 2}});
    // tip@m was not read yet.
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void out(const std::string& key, Instant at) {
    const std::string post = key.substr(0, key.find('@')), channel = key.substr(key.find('@') + 1);
    store_->sync({PlannedDelivery{key, post, channel, at, "h", false}}, at - 1h, at + 1h, at - 1h);
    ASSERT_EQ(store_->apply(key, Event::start_send, Effects{.sent_text = "t"}, at), Applied::done);
    ASSERT_EQ(store_->apply(key, Event::sent, Effects{.remote_id = "r-" + key, .url = "https://example.test/" + key}, at),
              Applied::done);
  }
  void read(const std::string& key, Instant at, std::vector<std::tuple<std::string, std::string, int>> counters) {
    ReadRecord r;
    for (const auto& [name, common, value] : counters) r.samples.push_back({key, at, name, common, value});
    r.reads = 1;
    r.next_read = at + 24h;
    store_->record_read(key, r, at);
  }
  Report build(ReportBy by, std::optional<Instant> since = std::nullopt) {
    return build_report(*store_, &calendar_, ReportQuery{T0 - 24h, T0 + date::days{7}, by, since, 2});
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  Settings settings_;
  Calendar calendar_;
};

TEST_F(ReportTest, TheJsonOfAKnownHistory) {
  const Report r = build(ReportBy::kind, T0 + 12h);
  EXPECT_EQ(status_json::serialize(status_json::report(r)),
            R"({"from":"2027-02-28T08:00:00Z","to":"2027-03-08T08:00:00Z","by":"kind","since":"2027-03-01T20:00:00Z",)"
            R"("groups":[)"
            R"({"name":"help","posts":2,"read":2,"views":1500,"likes":28,"shares":11,"replies":5,"clicks":null,"engagement":44},)"
            R"({"name":"promo","posts":2,"read":2,"views":900,"likes":8,"shares":1,"replies":1,"clicks":null,"engagement":10},)"
            R"({"name":"tip","posts":1,"read":0,"views":null,"likes":null,"shares":null,"replies":null,"clicks":null,"engagement":0}],)"
            R"("top":[)"
            R"({"key":"howto@x","post":"howto","channel":"x","campaign":"spring","kind":"help","url":"https://example.test/howto@x",)"
            R"("published_at":"2027-03-02T08:00:00Z","read_at":"2027-03-02T09:00:00Z","views":1500,"likes":20,"shares":7,)"
            R"("replies":3,"clicks":null,"engagement":30,"counters":{"bookmark_count":9,"impression_count":1500,)"
            R"("like_count":20,"quote_count":2,"reply_count":3,"retweet_count":5}},)"
            R"({"key":"howto@m","post":"howto","channel":"m","campaign":"spring","kind":"help","url":"https://example.test/howto@m",)"
            R"("published_at":"2027-03-02T08:00:00Z","read_at":"2027-03-02T09:00:00Z","views":null,"likes":8,"shares":4,)"
            R"("replies":2,"clicks":null,"engagement":14,"counters":{"favourites_count":8,"reblogs_count":4,"replies_count":2}}],)"
            R"("bottom":[)"
            R"({"key":"launch@m","post":"launch","channel":"m","campaign":"spring","kind":"promo","url":"https://example.test/launch@m",)"
            R"("published_at":"2027-03-01T08:00:00Z","read_at":"2027-03-01T09:00:00Z","views":null,"likes":2,"shares":0,)"
            R"("replies":0,"clicks":null,"engagement":2,"counters":{"favourites_count":2,"reblogs_count":0,"replies_count":0}},)"
            R"({"key":"launch@x","post":"launch","channel":"x","campaign":"spring","kind":"promo","url":"https://example.test/launch@x",)"
            R"("published_at":"2027-03-01T08:00:00Z","read_at":"2027-03-02T08:00:00Z","views":900,"likes":6,"shares":1,)"
            R"("replies":1,"clicks":null,"engagement":8,"counters":{"impression_count":900,"like_count":6,"reply_count":1,)"
            R"("retweet_count":1}}],)"
            R"("conversations":[)"
            R"({"key":"howto@x","channel":"x","url":"https://example.test/howto@x","replies":3,"new_replies":3,"read_at":"2027-03-02T09:00:00Z"},)"
            R"({"key":"howto@m","channel":"m","url":"https://example.test/howto@m","replies":2,"new_replies":2,"read_at":"2027-03-02T09:00:00Z"},)"
            R"({"key":"launch@x","channel":"x","url":"https://example.test/launch@x","replies":1,"new_replies":1,"read_at":"2027-03-02T08:00:00Z"}]})");
}

TEST_F(ReportTest, TheTableOfAKnownHistory) {
  const Report r = build(ReportBy::channel, T0 + 12h);
  std::ostringstream out;
  write_report_table(out, status_json::report(r), *settings_.zone);
  EXPECT_EQ(out.str(),
            "Published 2027-02-28 09:00 +01:00 to 2027-03-08 09:00 +01:00, by channel\n"
            "CHANNEL  POSTS  READ  VIEWS  LIKES  SHARES  REPLIES  CLICKS  ENGAGEMENT  PER POST\n"
            "m            3     2      -     10       4        2       -          16       8.0\n"
            "x            2     2   2400     26       8        4       -          38      19.0\n"
            "(engagement: likes + shares + replies + clicks; per post: of the posts whose counters were read)\n"
            "\n"
            "Top posts\n"
            "KEY      ENGAGEMENT  VIEWS  LIKES  SHARES  REPLIES  PUBLISHED                URL\n"
            "howto@x          30   1500     20       7        3  2027-03-02 09:00 +01:00  https://example.test/howto@x\n"
            "howto@m          14      -      8       4        2  2027-03-02 09:00 +01:00  https://example.test/howto@m\n"
            "\n"
            "Bottom posts\n"
            "KEY       ENGAGEMENT  VIEWS  LIKES  SHARES  REPLIES  PUBLISHED                URL\n"
            "launch@m           2      -      2       0        0  2027-03-01 09:00 +01:00  https://example.test/launch@m\n"
            "launch@x           8    900      6       1        1  2027-03-01 09:00 +01:00  https://example.test/launch@x\n"
            "\n"
            "Conversations to answer (replies since 2027-03-01 21:00 +01:00)\n"
            "KEY       NEW  REPLIES  READ                     URL\n"
            "howto@x    +3        3  2027-03-02 10:00 +01:00  https://example.test/howto@x\n"
            "howto@m    +2        2  2027-03-02 10:00 +01:00  https://example.test/howto@m\n"
            "launch@x   +1        1  2027-03-02 09:00 +01:00  https://example.test/launch@x\n");
}

TEST_F(ReportTest, TheCsvOfAKnownHistory) {
  std::ostringstream out;
  write_report_csv(out, status_json::report(build(ReportBy::campaign)));
  EXPECT_EQ(out.str(),
            "campaign,posts,read,views,likes,shares,replies,clicks,engagement\r\n"
            "(no campaign),1,0,,,,,,0\r\n"
            "spring,4,4,2400,36,12,6,,54\r\n");
}

TEST_F(ReportTest, ConversationsStartAtTheLastLook) {
  // Nobody looked yet: every reply of the period is new.
  Report r = build(ReportBy::post);
  ASSERT_EQ(r.conversations.size(), 3u);
  EXPECT_EQ(r.since, T0 - 24h);
  // A look after launch@x's reply and before howto's: only howto's are new.
  store_->record_look(T0 + 24h + 30min);
  r = build(ReportBy::post);
  EXPECT_EQ(r.since, T0 + 24h + 30min);
  ASSERT_EQ(r.conversations.size(), 2u);
  EXPECT_EQ(r.conversations[0].key, "howto@x");
  // More replies after the look count from what was read before it.
  read("launch@x", T0 + date::days{3}, {{"reply_count", "replies", 4}});
  r = build(ReportBy::post);
  ASSERT_EQ(r.conversations.size(), 3u);
  EXPECT_EQ(r.conversations[0].key, "launch@x");
  EXPECT_EQ(r.conversations[0].new_replies, 3);
  EXPECT_EQ(r.conversations[0].replies, 4);
}

TEST_F(ReportTest, APostNoLongerInTheCalendarIsStillCounted) {
  Calendar none;
  const Report r = build_report(*store_, &none, ReportQuery{T0 - 24h, T0 + date::days{7}, ReportBy::kind, {}, 5});
  ASSERT_EQ(r.groups.size(), 1u);
  EXPECT_EQ(r.groups[0].name, "(not in the calendar)");
  EXPECT_EQ(r.groups[0].posts, 5);
}

TEST(ReportQueryParams, CheckedWithAMessage) {
  const Instant now = T0;
  std::string error;
  status_json::Query q{{"by", "kind"}, {"from", "2027-02-01T00:00:00Z"}, {"top", "3"}};
  auto r = status_json::parse_report_query(q, now, error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->by, ReportBy::kind);
  EXPECT_EQ(r->to, now);
  EXPECT_EQ(r->top, 3);
  EXPECT_FALSE(status_json::parse_report_query({{"by", "mood"}}, now, error));
  EXPECT_EQ(error, "'by' must be channel, campaign, kind or post, not 'mood'");
  EXPECT_FALSE(status_json::parse_report_query({{"from", "yesterday"}}, now, error));
  EXPECT_NE(error.find("'from' must be an RFC 3339 time"), std::string::npos);
  EXPECT_FALSE(status_json::parse_report_query({{"from", "2027-04-01T00:00:00Z"}}, now, error));
  EXPECT_EQ(error, "'from' must be before 'to'");
  EXPECT_FALSE(status_json::parse_report_query({{"top", "500"}}, now, error));
  EXPECT_FALSE(status_json::parse_report_query({{"colour", "red"}}, now, error));
}

}  // namespace
}  // namespace herald
