#include "daemon/cli.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace herald {
namespace {

using namespace date::literals;
using namespace std::chrono_literals;

struct Run {
  int code = 0;
  std::string out;
  std::string err;
};

const Instant kNow = date::sys_days{2027_y / date::February / 15} + 12h;

Run herald(std::vector<std::string> args, Instant now = kNow) {
  std::ostringstream out, err;
  CliContext ctx{out, err, now};
  std::vector<const char*> argv{"herald"};
  for (const auto& a : args) argv.push_back(a.c_str());
  Run r;
  r.code = run_cli(static_cast<int>(argv.size()), argv.data(), ctx);
  r.out = out.str();
  r.err = err.str();
  return r;
}

const std::string kExample = std::string(HERALD_SOURCE_DIR) + "/examples/herald.yaml";

class TempConfig {
 public:
  explicit TempConfig(const std::string& calendar, const std::string& more_channels = {}) {
    dir_ = std::filesystem::temp_directory_path() / ("herald-cli-" + std::to_string(::getpid()) + "-" +
                                                     std::to_string(counter_++));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "herald.yaml") << R"(calendar: calendar.yaml
timezone: Europe/Amsterdam
channels:
  x: {kind: x, account: a, credentials: x, slots: ["mon-fri 09:15"]}
  blog: {kind: wordpress, site: https://blog.example.nl, credentials: b}
)" << more_channels;
    std::ofstream(dir_ / "calendar.yaml") << calendar;
  }
  ~TempConfig() { std::filesystem::remove_all(dir_); }
  std::string config() const { return (dir_ / "herald.yaml").string(); }
  std::string calendar() const { return (dir_ / "calendar.yaml").string(); }

 private:
  std::filesystem::path dir_;
  static inline int counter_ = 0;
};

std::vector<boost::json::object> json_lines(const std::string& text) {
  std::vector<boost::json::object> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(boost::json::parse(line).as_object());
  return out;
}

TEST(Cli, CheckAcceptsTheExample) {
  auto r = herald({"check", "--config", kExample});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find(": ok, 16 posts in 1 file"), std::string::npos) << r.out;
}

TEST(Cli, CheckReportsEveryErrorWithLocationAndExitsOne) {
  TempConfig t(R"(posts:
  - {id: a, at: 2027-02-30 10:00, channels: [x], text: hi}
  - {id: b, at: 2027-03-02 10:00, channels: [instagram], text: hi}
  - {id: c, at: 2027-03-28 02:30, channels: [x], text: hi}
)");
  auto r = herald({"check", "--config", t.config()});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, t.calendar() + ":2:17: error: invalid time '2027-02-30 10:00': no such date 2027-02-30\n" +
                       t.calendar() +
                       ":3:46: error: unknown channel 'instagram' (the settings define: x, blog)\n" + t.calendar() +
                       ":4:17: warning: post 'c': 2027-03-28 02:30 does not exist in Europe/Amsterdam (clocks go "
                       "forward); it is published at 2027-03-28 03:30\n");
  EXPECT_EQ(r.out, t.config() + ": 2 errors, 1 warning\n");
}

TEST(Cli, CheckWarnsAboutRecurringDstButExitsZero) {
  TempConfig t("posts:\n  - {id: night, every: daily 02:30, channels: [x], text: hi}\n");
  auto r = herald({"check", "--config", t.config()});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.err, t.calendar() + ":2:24: warning: post 'night': the occurrence at 2027-03-28 02:30 does not exist in "
                                  "Europe/Amsterdam (clocks go forward); it is published at 03:30\n" +
                       t.calendar() + ":2:24: warning: post 'night': the occurrence at 2027-10-31 02:30 occurs twice in "
                                      "Europe/Amsterdam (clocks go back); the first is used\n");
}

TEST(Cli, CheckOnMissingConfigExitsOne) {
  auto r = herald({"check", "--config", "/nonexistent/herald.yaml"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "/nonexistent/herald.yaml: error: cannot read settings file\n");
}

// Drafts (issue 18): checked and planned like any post; `--strict` (CI on
// the main branch) refuses the ones due within --draft-days, at their flag.
TEST(Cli, CheckAcceptsDraftsAndStrictRefusesTheOnesDueSoon) {
  TempConfig t(R"(posts:
  - {id: soon, at: 2027-02-16 10:00, channels: [x, blog], title: Soon, text: "soon",
     draft: true}
  - {id: later, at: 2027-02-19 10:00, channels: [x], text: "later", draft: true}
  - {id: ready, at: 2027-02-16 11:00, channels: [x], text: "ready", draft: false}
)");
  auto plain = herald({"check", "--config", t.config()});
  EXPECT_EQ(plain.code, 0) << plain.err;
  EXPECT_EQ(plain.err, "");

  auto strict = herald({"check", "--config", t.config(), "--strict"});
  EXPECT_EQ(strict.code, 1);
  EXPECT_EQ(strict.err, t.calendar() + ":3:13: error: post 'soon' is a draft due 2027-02-16 10:00 +01:00 on x, "
                                       "within 3 days (--strict): approve it by removing draft: true, or move it later\n");
  EXPECT_EQ(strict.out, t.config() + ": 1 error, 0 warnings\n");

  auto wider = herald({"check", "--config", t.config(), "--strict", "--draft-days", "4"});
  EXPECT_EQ(wider.code, 1);
  EXPECT_NE(wider.err.find(":4:76: error: post 'later' is a draft due 2027-02-19 10:00 +01:00 on x, within 4 days"),
            std::string::npos)
      << wider.err;
  auto none = herald({"check", "--config", t.config(), "--strict", "--draft-days", "0"});
  EXPECT_EQ(none.code, 0) << none.err;
}

TEST(Cli, ADraftFlagMustBeTrueOrFalse) {
  TempConfig t("posts:\n  - {id: a, at: 2027-02-16 10:00, channels: [x], text: hi, draft: maybe}\n");
  auto r = herald({"check", "--config", t.config()});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, t.calendar() + ":2:67: error: draft must be true or false, not 'maybe'\n");
}

TEST(Cli, PlanShowsDraftsAsDrafts) {
  TempConfig t("posts:\n  - {id: d, at: 2027-02-16 10:00, channels: [x], text: hi, draft: true}\n"
               "  - {id: r, at: 2027-02-16 11:00, channels: [x], text: ho}\n");
  auto json = herald({"plan", "--config", t.config(), "--format", "json", "--from", "2027-02-16", "--days", "1"});
  ASSERT_EQ(json.code, 0) << json.err;
  const auto rows = json_lines(json.out);
  ASSERT_EQ(rows.size(), 2u) << json.out;
  EXPECT_EQ(rows[0].at("key").as_string(), "d@x");
  EXPECT_TRUE(rows[0].at("draft").as_bool());
  EXPECT_FALSE(rows[1].contains("draft"));
  auto table = herald({"plan", "--config", t.config(), "--from", "2027-02-16", "--days", "1"});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.out.find("d@x  [draft] hi"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("r@x  ho"), std::string::npos) << table.out;
}

TEST(Cli, PlanJsonHasTheDesignFields) {
  auto r = herald({"plan", "--config", kExample, "--from", "2027-03-01", "--days", "31", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto lines = json_lines(r.out);
  ASSERT_FALSE(lines.empty());
  for (const auto& o : lines) {
    for (const char* field : {"key", "post", "channel", "at", "local", "text", "length", "limit", "depends_on", "warnings"})
      EXPECT_TRUE(o.contains(field)) << field << " missing in " << boost::json::serialize(o);
  }
  // Spot checks against instants worked out by hand: 10:00 CET = 09:00Z; after
  // the change on 28 March, 09:00 CEST = 07:00Z.
  auto find = [&](const std::string& key) -> const boost::json::object* {
    for (const auto& o : lines)
      if (o.at("key").as_string() == key) return &o;
    return nullptr;
  };
  const auto* video = find("voorjaarsbeurt-video@youtube");
  ASSERT_NE(video, nullptr);
  EXPECT_EQ(video->at("at").as_string(), "2027-03-01T09:00:00Z");
  EXPECT_EQ(video->at("local").as_string(), "2027-03-01T10:00:00+01:00");
  EXPECT_EQ(video->at("limit").as_int64(), 5000);
  const auto* tip = find("maandagtip@x#2027-03-29");
  ASSERT_NE(tip, nullptr);
  EXPECT_EQ(tip->at("at").as_string(), "2027-03-29T07:00:00Z");
  EXPECT_EQ(tip->at("local").as_string(), "2027-03-29T09:00:00+02:00");
  EXPECT_EQ(tip->at("limit").as_int64(), 280);
  const auto* blog = find("voorjaarsbeurt-blog@blog");
  ASSERT_NE(blog, nullptr);
  EXPECT_TRUE(blog->at("limit").is_null());
  // Sorted by instant.
  for (std::size_t i = 1; i < lines.size(); ++i)
    EXPECT_LE(lines[i - 1].at("at").as_string(), lines[i].at("at").as_string());
}

TEST(Cli, PlanShowsComposedTextWithUtmWeightedLengthAndDependencies) {
  auto r = herald({"plan", "--config", kExample, "--from", "2027-03-02", "--days", "1", "--channel", "x", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const boost::json::object* teaser = nullptr;
  auto lines = json_lines(r.out);
  for (const auto& o : lines)
    if (o.at("key").as_string() == "voorjaarsbeurt-teaser@x") teaser = &o;
  ASSERT_NE(teaser, nullptr) << r.out;
  EXPECT_EQ(teaser->at("text").as_string(),
            "Ketting droog en piepend? Monteur Sanne laat zien hoe het moet: https://www.youtube.com/watch?v=Q3hX9kLm2Pw "
            "Alle stappen: https://blog.fietsvandenberg.nl/voorjaarsbeurt-blog/"
            "?utm_source=x&utm_medium=social&utm_campaign=lente-2027&utm_content=voorjaarsbeurt-teaser #fiets #voorjaar");
  // 64 + 23 (URL) + 15 + 23 (URL) + 17 characters, each URL counting 23.
  EXPECT_EQ(teaser->at("length").as_int64(), 142);
  EXPECT_EQ(teaser->at("limit").as_int64(), 280);
  const auto& deps = teaser->at("depends_on").as_array();
  ASSERT_EQ(deps.size(), 2u);
  EXPECT_EQ(deps[0].as_string(), "voorjaarsbeurt-video@youtube");
  EXPECT_EQ(deps[1].as_string(), "voorjaarsbeurt-blog@blog");
  EXPECT_FALSE(teaser->at("waiting").as_bool()) << "both are planned earlier";
}

TEST(Cli, PlanMarksWaitingWhenTheTargetIsLater) {
  TempConfig t(R"(posts:
  - {id: early, at: 2027-03-02 09:00, channels: [x], text: "Read {link late}"}
  - {id: late, at: 2027-03-02 12:00, channels: [blog], title: Late, text: hi}
)");
  auto r = herald({"plan", "--config", t.config(), "--from", "2027-03-02", "--days", "1", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].at("key").as_string(), "early@x");
  EXPECT_TRUE(lines[0].at("waiting").as_bool());
  EXPECT_EQ(lines[0].at("text").as_string(), "Read https://blog.example.nl/late/");
  EXPECT_EQ(lines[0].at("warnings").as_array()[0].as_string(),
            "waits for late@blog, planned later at 2027-03-02T12:00:00+01:00");
  EXPECT_FALSE(lines[1].at("waiting").as_bool());
}

TEST(Cli, CheckRejectsAnOverLongTweetWithItsWeightedLength) {
  std::string emoji;
  for (int i = 0; i < 141; ++i) emoji += "\xF0\x9F\x9A\xB2";  // a bicycle emoji weighs 2
  TempConfig t("posts:\n  - {id: bikes, at: 2027-03-02 09:00, channels: [x], text: \"" + emoji + "\"}\n");
  auto r = herald({"check", "--config", t.config()});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, t.calendar() + ":2:60: error: post 'bikes' on x: tweet is 282 weighted characters, more than the "
                                  "280 x allows\n");
}

// Each open network measured as it counts: Mastodon's characters with the
// link as 23 and the content warning included; Bluesky's graphemes of the
// text with its link shortened for display.
TEST(Cli, PlanShowsMastodonAndBlueskyLengthsAndLimits) {
  auto r = herald({"plan", "--config", kExample, "--from", "2027-03-03", "--days", "1", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::map<std::string, boost::json::object> by_key;
  for (auto& o : json_lines(r.out)) by_key[std::string(o.at("key").as_string())] = o;
  ASSERT_TRUE(by_key.count("voorjaarsbeurt-open@mastodon")) << r.out;
  ASSERT_TRUE(by_key.count("voorjaarsbeurt-open@bluesky")) << r.out;
  const auto& m = by_key["voorjaarsbeurt-open@mastodon"];
  // "Fietsonderhoud" (14) + 61 characters before the link + 23 + " #fiets #voorjaar" (17).
  EXPECT_EQ(m.at("length").as_int64(), 14 + 61 + 23 + 17) << m.at("text").as_string();
  EXPECT_EQ(m.at("limit").as_int64(), 500);
  const auto& b = by_key["voorjaarsbeurt-open@bluesky"];
  const std::string text(b.at("text").as_string());
  EXPECT_EQ(text, "Voorjaarsbeurt in vijf stappen, met video van monteur Sanne: "
                  "blog.fietsvandenberg.nl/voorjaarsbeu... #fiets #voorjaar");
  EXPECT_EQ(b.at("length").as_int64(), static_cast<std::int64_t>(text.size())) << "ASCII: one grapheme a byte";
  EXPECT_EQ(b.at("limit").as_int64(), 300);
}

TEST(Cli, CheckRejectsOverLongOpenNetworkPostsWithTheirMeasuredLength) {
  const std::string flags = [] {
    std::string s;
    for (int i = 0; i < 301; ++i) s += "\U0001F1F3\U0001F1F1";  // 301 Dutch flags: 301 graphemes, 602 code points
    return s;
  }();
  TempConfig t("posts:\n  - {id: flags, at: 2027-03-02 09:00, channels: [sky], text: \"" + flags +
                   "\"}\n  - {id: toot, at: 2027-03-02 09:00, channels: [toot], text: \"" + std::string(480, 'a') +
                   " https://example.nl/a/long/path\", toot: {spoiler_text: CW}}\n",
               "  toot: {kind: mastodon, instance: \"https://mastodon.social\", credentials: m}\n"
               "  sky: {kind: bluesky, handle: a.bsky.social, credentials: b}\n");
  auto r = herald({"check", "--config", t.config()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("error: post 'flags' on sky: post is 301 graphemes, more than the 300 bluesky allows"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("error: post 'toot' on toot: status is 506 characters (each link 23), more than the 500 mastodon "
                       "allows"),
            std::string::npos)
      << r.err;
}

TEST(Cli, PlanTableAndChannelFilter) {
  auto r = herald({"plan", "--config", kExample, "--from", "2027-03-01", "--days", "1", "--channel", "youtube"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("2027-03-01 10:00 +01:00"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2027-03-01T09:00:00Z"), std::string::npos);
  EXPECT_NE(r.out.find("voorjaarsbeurt-video@youtube"), std::string::npos);
  EXPECT_NE(r.out.find("1 delivery\n"), std::string::npos);
  EXPECT_EQ(r.out.find("@x"), std::string::npos);
}

TEST(Cli, PlanMarksDstAdjustedDeliveries) {
  TempConfig t("posts:\n  - {id: c, at: 2027-03-28 02:30, channels: [x], text: hi}\n");
  auto r = herald({"plan", "--config", t.config(), "--from", "2027-03-28", "--days", "1", "--format", "json"});
  ASSERT_EQ(r.code, 0);
  auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].at("at").as_string(), "2027-03-28T01:30:00Z");
  ASSERT_EQ(lines[0].at("warnings").as_array().size(), 1u);
  EXPECT_EQ(lines[0].at("warnings").as_array()[0].as_string(),
            "2027-03-28 02:30 does not exist in Europe/Amsterdam (clocks go forward); published at 2027-03-28 03:30");
}

TEST(Cli, PlanRefusesAnInvalidCalendar) {
  TempConfig t("posts:\n  - {id: a, at: 2027-02-30 10:00, channels: [x], text: hi}\n");
  auto r = herald({"plan", "--config", t.config()});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(":2:17: error: invalid time"), std::string::npos);
}

TEST(Cli, PlanRejectsBadArguments) {
  EXPECT_EQ(herald({"plan", "--config", kExample, "--from", "2027-02-30"}).code, 2);
  EXPECT_EQ(herald({"plan", "--config", kExample, "--channel", "tiktok"}).code, 2);
  EXPECT_NE(herald({"plan", "--config", kExample, "--format", "xml"}).code, 0);
  EXPECT_NE(herald({"plan", "--config", kExample, "--days", "0"}).code, 0);
}

TEST(Cli, Version) {
  auto r = herald({"version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out.rfind("herald ", 0), 0u);
}

}  // namespace
}  // namespace herald
