#include "config/calendar.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace herald {
namespace {

using namespace std::chrono_literals;
using date::March;
using date::October;
using namespace date::literals;

Settings test_settings(const std::filesystem::path& calendar = "/cal/calendar.yaml") {
  Diagnostics diags;
  auto s = load_settings_text(R"(calendar: calendar.yaml
timezone: Europe/Amsterdam
channels:
  x:        {kind: x, account: example_nl, credentials: x, slots: ["mon-fri 09:15"]}
  facebook: {kind: facebook, page_id: "1234567890", credentials: facebook}
  youtube:  {kind: youtube, credentials: youtube}
  blog:     {kind: wordpress, site: https://blog.example.nl, credentials: blog}
  site:     {kind: static, dir: /srv/site}
)",
                              calendar.parent_path() / "herald.yaml", {}, diags);
  EXPECT_FALSE(diags.has_errors());
  return *s;
}

struct Loaded {
  bool ok = false;
  Calendar calendar;
  std::vector<std::string> messages;
};

Loaded load(const std::string& text, const std::string& file = "/cal/calendar.yaml") {
  static const Settings settings = test_settings();
  Loaded l;
  Diagnostics diags;
  l.ok = load_calendar_text(text, file, settings, l.calendar, diags);
  for (const auto& d : diags.sorted()) l.messages.push_back(format(d));
  return l;
}

Instant utc(date::year_month_day ymd, std::chrono::hours h, std::chrono::minutes m = 0min) {
  return date::sys_days{ymd} + h + m;
}

TEST(Calendar, TheDesignExampleLoads) {
  auto l = load(R"(timezone: Europe/Amsterdam
posts:
  - id: spring-video
    at: 2027-03-02 10:00
    channels: [youtube]
    youtube: {video: dQw4w9WgXcQ, privacy: public}
  - id: spring-blog
    at: 2027-03-02 09:00
    channels: [blog]
    title: Spring is here
    text: |
      Our new video: {link spring-video}
  - id: spring-teaser
    at: 2027-03-02 10:05
    channels: [x, facebook]
    campaign: spring-2027
    kind: promo
    text: "Our spring video is out: {link spring-video} - and the story: {link spring-blog}"
    x: {text: "New on YouTube: {link spring-video} #spring"}
    media: [media/spring.jpg]
  - id: password-tip
    queue: true
    channels: [x, facebook]
    kind: help
    text: "Tip: use a password manager."
  - id: monday-tip
    every: weekly mon 09:00
    until: 2027-06-30
    channels: [x]
    text: "Monday tip: ..."
)");
  ASSERT_TRUE(l.ok) << ::testing::PrintToString(l.messages);
  EXPECT_TRUE(l.messages.empty()) << ::testing::PrintToString(l.messages);
  const auto& posts = l.calendar.posts;
  ASSERT_EQ(posts.size(), 5u);
  const auto& video = posts[0];
  EXPECT_EQ(video.id, "spring-video");
  ASSERT_TRUE(std::holds_alternative<FixedTime>(video.timing));
  // 10:00 CET (+01:00) is 09:00 UTC.
  EXPECT_EQ(std::get<FixedTime>(video.timing).resolved.instant, utc(2027_y / March / 2, 9h));
  EXPECT_EQ(video.overrides.at("youtube").video, "dQw4w9WgXcQ");
  EXPECT_EQ(video.overrides.at("youtube").privacy, "public");
  EXPECT_EQ(posts[1].text, "Our new video: {link spring-video}\n");
  EXPECT_EQ(posts[1].title, "Spring is here");
  const auto& teaser = posts[2];
  EXPECT_EQ(teaser.kind, PostKind::promo);
  EXPECT_EQ(teaser.campaign, "spring-2027");
  EXPECT_EQ(teaser.channels, (std::vector<std::string>{"x", "facebook"}));
  EXPECT_EQ(teaser.text_for("x"), "New on YouTube: {link spring-video} #spring");
  EXPECT_EQ(teaser.text_for("facebook"), teaser.text);
  EXPECT_EQ(teaser.media, std::vector<std::string>{"media/spring.jpg"});
  EXPECT_TRUE(std::holds_alternative<Queued>(posts[3].timing));
  EXPECT_EQ(posts[3].kind, PostKind::help);
  ASSERT_TRUE(std::holds_alternative<Repeating>(posts[4].timing));
  const auto& rep = std::get<Repeating>(posts[4].timing);
  EXPECT_EQ(rep.source, "weekly mon 09:00");
  ASSERT_TRUE(rep.until);
  EXPECT_EQ(*rep.until, WallTime{date::local_days{2027_y / date::June / 30}} + 23h + 59min + 59s);
}

TEST(Calendar, ExplicitOffsetsAndZ) {
  auto l = load(R"(posts:
  - {id: a, at: "2027-03-02T10:00:00+01:00", channels: [x], text: a}
  - {id: b, at: "2027-03-02T09:00:00Z", channels: [x], text: b}
  - {id: c, at: "2027-03-02T04:00:00-05:00", channels: [x], text: c}
)");
  ASSERT_TRUE(l.ok) << ::testing::PrintToString(l.messages);
  for (const auto& p : l.calendar.posts)
    EXPECT_EQ(std::get<FixedTime>(p.timing).resolved.instant, utc(2027_y / March / 2, 9h)) << p.id;
}

TEST(Calendar, FileZoneOverridesSettingsZone) {
  auto l = load("timezone: America/New_York\nposts:\n  - {id: a, at: 2027-03-02 10:00, channels: [x], text: a}\n");
  ASSERT_TRUE(l.ok);
  EXPECT_EQ(l.calendar.posts[0].zone_name, "America/New_York");
  EXPECT_EQ(std::get<FixedTime>(l.calendar.posts[0].timing).resolved.instant, utc(2027_y / March / 2, 15h));
}

TEST(Calendar, AFileZoneWrittenAfterThePostsStillAppliesToThem) {
  // The posts are read as the parser completes each; a `timezone:` after
  // them makes the loader read them again in it.
  auto l = load("posts:\n  - {id: a, at: 2027-03-02 10:00, channels: [x], text: a}\ntimezone: America/New_York\n");
  ASSERT_TRUE(l.ok) << ::testing::PrintToString(l.messages);
  EXPECT_EQ(l.calendar.posts[0].zone_name, "America/New_York");
  EXPECT_EQ(std::get<FixedTime>(l.calendar.posts[0].timing).resolved.instant, utc(2027_y / March / 2, 15h));
  auto bad = load("posts:\n  - {id: a, at: 2027-03-02 10:00, channels: [x], text: a}\ntimezone: Mars/Olympus\n");
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.messages, (std::vector<std::string>{"/cal/calendar.yaml:3:11: error: unknown time zone 'Mars/Olympus' "
                                                    "(expected an IANA name such as Europe/Amsterdam)"}));
}

TEST(Calendar, ThePostsOfAFileWithASyntaxErrorSayNothing) {
  // Read one by one before the parser reaches the error, their own
  // problems are left out: the file says only that it is not YAML.
  auto l = load("posts:\n  - {id: a, at: 2027-03-02 10:00, channels: [nope], text: a}\n  - id: b\n    text: \"open\n");
  EXPECT_FALSE(l.ok);
  ASSERT_EQ(l.messages.size(), 1u);
  EXPECT_NE(l.messages[0].find("is not closed"), std::string::npos) << l.messages[0];
}

TEST(Calendar, EachPostKnowsTheTextItWasReadFrom) {
  const std::string one = "posts:\n  - {id: a, at: 2027-03-02 10:00, channels: [x], text: a}\n"
                          "  - {id: b, at: 2027-03-02 11:00, channels: [x], text: b}\n";
  auto first = load(one);
  // b moved down a line and a's text changed: a's source changes, b's does not.
  auto second = load("posts:\n  - {id: a, at: 2027-03-02 10:00, channels: [x], text: c}\n\n"
                     "  - {id: b, at: 2027-03-02 11:00, channels: [x], text: b}\n");
  ASSERT_TRUE(first.ok && second.ok);
  EXPECT_NE(first.calendar.posts[0].source, second.calendar.posts[0].source);
  EXPECT_EQ(first.calendar.posts[1].source, second.calendar.posts[1].source);
  // The same text in another file is another source (its media are found beside it).
  auto elsewhere = load(one, "/other/calendar.yaml");
  EXPECT_NE(first.calendar.posts[1].source, elsewhere.calendar.posts[1].source);
}

TEST(Calendar, DstGapMovesForwardWithWarningNamingThePost) {
  // 2027-03-28 02:30 does not exist in Amsterdam; RFC 5545 moves it to 03:30 CEST = 01:30 UTC.
  auto l = load("posts:\n  - {id: night-owl, at: 2027-03-28 02:30, channels: [x], text: a}\n");
  ASSERT_TRUE(l.ok);
  const auto& fixed = std::get<FixedTime>(l.calendar.posts[0].timing);
  EXPECT_EQ(fixed.resolved.instant, utc(2027_y / March / 28, 1h, 30min));
  EXPECT_EQ(fixed.resolved.fit, WallFit::gap);
  ASSERT_EQ(l.messages.size(), 1u);
  EXPECT_EQ(l.messages[0],
            "/cal/calendar.yaml:2:25: warning: post 'night-owl': 2027-03-28 02:30 does not exist in Europe/Amsterdam "
            "(clocks go forward); it is published at 2027-03-28 03:30");
}

TEST(Calendar, DstRepeatedHourTakesFirstWithWarning) {
  // 2027-10-31 02:30 occurs twice; the first is CEST (+02:00) = 00:30 UTC.
  auto l = load("posts:\n  - {id: twice, at: 2027-10-31 02:30, channels: [x], text: a}\n");
  ASSERT_TRUE(l.ok);
  const auto& fixed = std::get<FixedTime>(l.calendar.posts[0].timing);
  EXPECT_EQ(fixed.resolved.instant, utc(2027_y / October / 31, 0h, 30min));
  EXPECT_EQ(fixed.resolved.fit, WallFit::repeated);
  ASSERT_EQ(l.messages.size(), 1u);
  EXPECT_EQ(l.messages[0],
            "/cal/calendar.yaml:2:21: warning: post 'twice': 2027-10-31 02:30 occurs twice in Europe/Amsterdam "
            "(clocks go back); the first, at UTC+02:00, is used");
}

struct BadCase {
  const char* name;
  std::string text;
  std::vector<std::string> expected;
};

class CalendarErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(CalendarErrors, ReportsExactLocation) {
  auto l = load(GetParam().text);
  EXPECT_FALSE(l.ok);
  EXPECT_TRUE(l.calendar.posts.empty()) << "a rejected file must add nothing";
  EXPECT_EQ(l.messages, GetParam().expected);
}

const std::string F = "/cal/calendar.yaml:";

INSTANTIATE_TEST_SUITE_P(
    All, CalendarErrors,
    ::testing::Values(
        BadCase{"unknown_top_key", "post:\n  - {id: a}\n",
                {F + "1:1: error: unknown key 'post' in calendar (expected one of: timezone, posts)"}},
        BadCase{"unknown_post_key", "posts:\n  - id: a\n    at: 2027-03-02 10:00\n    channels: [x]\n    txt: hi\n",
                {F + "2:5: error: post 'a' has no text for channel 'x'",
                 F + "5:5: error: unknown key 'txt' in post 1 (expected one of: id, at, queue, every, rrule, from, "
                     "until, channels, campaign, kind, title, text, thread, media, link, excerpt, categories, tags, draft, first_comment)"}},
        BadCase{"missing_id", "posts:\n  - at: 2027-03-02 10:00\n    channels: [x]\n    text: hi\n",
                {F + "2:5: error: post 1 has no id"}},
        BadCase{"missing_channels", "posts:\n  - id: a\n    at: 2027-03-02 10:00\n    text: hi\n",
                {F + "2:5: error: post 'a' has no channels"}},
        BadCase{"missing_time", "posts:\n  - id: a\n    channels: [x]\n    text: hi\n",
                {F + "2:5: error: post 'a' needs a time: 'at', 'queue: true', 'every' or 'rrule'"}},
        BadCase{"two_times", "posts:\n  - {id: a, at: 2027-03-02 10:00, queue: true, channels: [x], text: hi}\n",
                {F + "2:5: error: post 'a' has more than one of 'at', 'queue', 'every' and 'rrule'; give exactly one"}},
        BadCase{"impossible_date", "posts:\n  - id: a\n    at: 2027-02-30 10:00\n    channels: [x]\n    text: hi\n",
                {F + "3:9: error: invalid time '2027-02-30 10:00': no such date 2027-02-30"}},
        BadCase{"unknown_channel", "posts:\n  - id: a\n    at: 2027-03-02 10:00\n    channels: [x, instagram]\n    text: hi\n",
                {F + "4:19: error: unknown channel 'instagram' (the settings define: x, facebook, youtube, blog, site)"}},
        BadCase{"channel_twice", "posts:\n  - id: a\n    at: 2027-03-02 10:00\n    channels: [x, x]\n    text: hi\n",
                {F + "4:19: error: channel 'x' is listed twice"}},
        BadCase{"channels_not_list", "posts:\n  - id: a\n    at: 2027-03-02 10:00\n    channels: x\n    text: hi\n",
                {F + "4:15: error: channels must be a list such as [a, b], not 'x'"}},
        BadCase{"bad_kind", "posts:\n  - {id: a, at: 2027-03-02 10:00, channels: [x], text: hi, kind: advert}\n",
                {F + "2:66: error: unknown post kind 'advert' (expected promo, help, tip, news or other)"}},
        BadCase{"bad_id", "posts:\n  - {id: a@b, at: 2027-03-02 10:00, channels: [x], text: hi}\n",
                {F + "2:10: error: post id 'a@b' must start with a letter or digit and use only letters, digits, "
                     "'-', '_' and '.' (at most 100)"}},
        BadCase{"duplicate_id",
                "posts:\n  - {id: a, at: 2027-03-02 10:00, channels: [x], text: hi}\n  - {id: a, queue: true, channels: [x], text: hi}\n",
                {F + "3:10: error: duplicate post id 'a' (first defined at /cal/calendar.yaml:2:10)"}},
        BadCase{"invalid_file_zone", "timezone: Mars/Olympus\nposts: []\n",
                {F + "1:11: error: unknown time zone 'Mars/Olympus' (expected an IANA name such as Europe/Amsterdam)"}},
        BadCase{"posts_not_list", "posts: {id: a}\n",
                {F + "1:8: error: posts must be a list of posts (each starting with '- id: ...'), not a mapping"}},
        BadCase{"override_for_unlisted_channel",
                "posts:\n  - id: a\n    at: 2027-03-02 10:00\n    channels: [x]\n    text: hi\n    facebook: {text: hello}\n",
                {F + "6:15: error: post 'a' has settings for channel 'facebook' but does not list it in channels"}},
        BadCase{"override_field_for_other_kind",
                "posts:\n  - id: a\n    at: 2027-03-02 10:00\n    channels: [x]\n    text: hi\n    x: {video: dQw4w9WgXcQ}\n",
                {F + "6:9: error: 'video' does not apply to an x channel"}},
        BadCase{"youtube_without_video", "posts:\n  - {id: a, at: 2027-03-02 10:00, channels: [youtube], text: hi}\n",
                {F + "2:5: error: post 'a' on youtube channel 'youtube' needs 'youtube: {video: ID}' (an uploaded "
                     "video) or 'youtube: {file: PATH}'"}},
        BadCase{"bad_privacy",
                "posts:\n  - id: a\n    at: 2027-03-02 10:00\n    channels: [youtube]\n    youtube: {video: dQw4w9WgXcQ, privacy: secret}\n",
                {F + "5:44: error: youtube.privacy must be public, unlisted or private, not 'secret'"}},
        BadCase{"blog_without_title", "posts:\n  - {id: a, at: 2027-03-02 10:00, channels: [blog], text: hi}\n",
                {F + "2:5: error: post 'a' on wordpress channel 'blog' needs a title"}},
        BadCase{"no_text", "posts:\n  - {id: a, at: 2027-03-02 10:00, channels: [x]}\n",
                {F + "2:5: error: post 'a' has no text for channel 'x'"}},
        BadCase{"bad_every", "posts:\n  - {id: a, every: weekly mnday 09:00, channels: [x], text: hi}\n",
                {F + "2:20: error: invalid every 'weekly mnday 09:00': unknown weekday 'mnday'"}},
        BadCase{"until_without_rule", "posts:\n  - {id: a, at: 2027-03-02 10:00, until: 2027-04-01, channels: [x], text: hi}\n",
                {F + "2:42: error: 'until' applies only to 'every' or 'rrule' posts"}},
        BadCase{"count_without_from", "posts:\n  - {id: a, rrule: \"FREQ=DAILY;COUNT=3;BYHOUR=9;BYMINUTE=0\", channels: [x], text: hi}\n",
                {F + "2:20: error: COUNT needs 'from' (the first day), so the occurrences can be counted"}},
        BadCase{"rule_without_day_needs_from", "posts:\n  - {id: a, rrule: \"FREQ=MONTHLY;BYHOUR=9\", channels: [x], text: hi}\n",
                {F + "2:20: error: this rule names no day (BYDAY or BYMONTHDAY), so it needs 'from' (the first day) to know which"}},
        BadCase{"interval_without_from", "posts:\n  - {id: a, rrule: \"FREQ=WEEKLY;INTERVAL=2;BYDAY=MO\", channels: [x], text: hi}\n",
                {F + "2:20: error: INTERVAL needs 'from' (the first day), so the rule knows which weeks or months count"}},
        BadCase{"bad_rrule", "posts:\n  - {id: a, rrule: \"FREQ=HOURLY\", channels: [x], text: hi}\n",
                {F + "2:20: error: invalid rrule 'FREQ=HOURLY': FREQ=HOURLY is not supported"}},
        BadCase{"until_and_rrule_until", "posts:\n  - {id: a, rrule: \"FREQ=DAILY;UNTIL=20270401\", until: 2027-05-01, channels: [x], text: hi}\n",
                {F + "2:56: error: the rrule already has UNTIL; give the end once"}},
        BadCase{"until_before_from", "posts:\n  - {id: a, every: daily 09:00, from: 2027-05-01, until: 2027-04-01, channels: [x], text: hi}\n",
                {F + "2:58: error: 'until' is before 'from'"}},
        BadCase{"queue_false", "posts:\n  - {id: a, queue: false, channels: [x], text: hi}\n",
                {F + "2:20: error: queue: false means nothing; give 'at', 'every' or 'rrule' instead"}},
        BadCase{"empty_text", "posts:\n  - {id: a, at: 2027-03-02 10:00, channels: [x], text: \"\"}\n",
                {F + "2:5: error: post 'a' has no text for channel 'x'",
                 F + "2:56: error: text must not be empty"}},
        BadCase{"all_errors_of_a_file",
                "posts:\n  - {id: a, at: 2027-02-30 10:00, channels: [x], text: hi}\n  - {id: b, at: 2027-13-01 10:00, channels: [x], text: hi}\n",
                {F + "2:17: error: invalid time '2027-02-30 10:00': no such date 2027-02-30",
                 F + "3:17: error: invalid time '2027-13-01 10:00': no such date 2027-13-01"}}),
    [](const auto& test_case) { return std::string(test_case.param.name); });

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("herald-cal-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
  }

 private:
  std::filesystem::path path_;
  static inline int counter_ = 0;
};

TEST(CalendarDirectory, ReadsYamlFilesInNameOrderAndSkipsOthers) {
  TempDir dir;
  dir.write("b-march.yaml", "posts:\n  - {id: b, at: 2027-03-02 10:00, channels: [x], text: b}\n");
  dir.write("a-feb.yml", "posts:\n  - {id: a, at: 2027-02-02 10:00, channels: [x], text: a}\n");
  dir.write(".b-march.yaml.swp", "garbage: [");
  dir.write("notes.txt", "not a calendar");
  Settings settings = test_settings(dir.path() / "calendar.yaml");
  settings.calendar = dir.path();
  Diagnostics diags;
  auto cal = load_calendar(settings, diags);
  ASSERT_TRUE(cal);
  ASSERT_EQ(cal->posts.size(), 2u);
  EXPECT_EQ(cal->posts[0].id, "a");
  EXPECT_EQ(cal->posts[1].id, "b");
  EXPECT_EQ(cal->files.size(), 2u);
}

// Two checkouts of one calendar agree wherever they are; an edit, a
// renamed file and an added file each change the fingerprint.
TEST(CalendarDirectory, TheFingerprintIsOfTheFilesNotOfWhereTheyAre) {
  const auto fingerprint = [](const TempDir& dir) {
    Settings settings = test_settings(dir.path() / "calendar.yaml");
    settings.calendar = dir.path();
    Diagnostics diags;
    auto cal = load_calendar(settings, diags);
    EXPECT_TRUE(cal) << diags.sorted().size();
    return cal ? calendar_fingerprint(*cal, settings.calendar) : std::string();
  };
  const std::string a = "posts:\n  - {id: a, at: 2027-02-02 10:00, channels: [x], text: a}\n";
  const std::string b = "posts:\n  - {id: b, at: 2027-03-02 10:00, channels: [x], text: b}\n";
  TempDir one, two;
  for (const TempDir* d : {&one, &two}) {
    d->write("a.yaml", a);
    d->write("b.yaml", b);
  }
  const std::string same = fingerprint(one);
  EXPECT_EQ(same.size(), 16u);
  EXPECT_EQ(fingerprint(two), same);
  two.write("b.yaml", b + "# a comment\n");
  const std::string edited = fingerprint(two);
  EXPECT_NE(edited, same);
  std::filesystem::remove(two.path() / "b.yaml");
  two.write("c.yaml", b);
  const std::string renamed = fingerprint(two);
  EXPECT_NE(renamed, same);
  EXPECT_NE(renamed, edited);
  one.write("d.yaml", "posts: []\n");
  EXPECT_NE(fingerprint(one), same);
  // One file named as the calendar: its name, not its directory, counts.
  Settings single = test_settings(one.path() / "a.yaml");
  single.calendar = one.path() / "a.yaml";
  Settings elsewhere = test_settings(two.path() / "a.yaml");
  elsewhere.calendar = two.path() / "a.yaml";
  Diagnostics diags;
  auto x = load_calendar(single, diags);
  auto y = load_calendar(elsewhere, diags);
  ASSERT_TRUE(x && y);
  EXPECT_EQ(calendar_fingerprint(*x, single.calendar), calendar_fingerprint(*y, elsewhere.calendar));
}

TEST(CalendarDirectory, DuplicateIdsAcrossFilesNameBothPlaces) {
  TempDir dir;
  dir.write("1.yaml", "posts:\n  - {id: same, at: 2027-03-02 10:00, channels: [x], text: b}\n");
  dir.write("2.yaml", "posts:\n  - id: other\n    queue: true\n    channels: [x]\n    text: c\n  - id: same\n    queue: true\n    channels: [x]\n    text: d\n");
  Settings settings = test_settings(dir.path() / "calendar.yaml");
  settings.calendar = dir.path();
  Diagnostics diags;
  EXPECT_FALSE(load_calendar(settings, diags));
  ASSERT_EQ(diags.items().size(), 1u);
  EXPECT_EQ(format(diags.items()[0]), (dir.path() / "2.yaml").string() + ":6:9: error: duplicate post id 'same' (first defined at " +
                                          (dir.path() / "1.yaml").string() + ":2:10)");
}

TEST(CalendarDirectory, ErrorsOfEveryFileInOneRun) {
  TempDir dir;
  dir.write("1.yaml", "posts:\n  - {id: a, at: 2027-02-30 10:00, channels: [x], text: a}\n");
  dir.write("2.yaml", "posts:\n  - {id: b, at: 2027-03-02 10:00, channels: [nope], text: b}\n");
  Settings settings = test_settings(dir.path() / "calendar.yaml");
  settings.calendar = dir.path();
  Diagnostics diags;
  EXPECT_FALSE(load_calendar(settings, diags));
  EXPECT_EQ(diags.error_count(), 2);
}

TEST(CalendarLimits, DeepNestingIsACleanError) {
  std::string deep = "posts:\n  - id: deep\n    text: " + std::string(100000, '[') + "\n";
  auto l = load(deep);
  EXPECT_FALSE(l.ok);
  ASSERT_EQ(l.messages.size(), 1u);
  EXPECT_NE(l.messages[0].find("error: nesting is too deep"), std::string::npos) << l.messages[0];
}

TEST(CalendarLimits, DeepBlockNestingIsACleanError) {
  std::string deep = "posts:\n";
  for (int i = 0; i < 100000; ++i) deep += "- ";
  deep += "x\n";
  auto l = load(deep);
  EXPECT_FALSE(l.ok);
  ASSERT_EQ(l.messages.size(), 1u);
  EXPECT_NE(l.messages[0].find("error: nesting is too deep"), std::string::npos) << l.messages[0];
}

TEST(CalendarLimits, HugeFileIsRejectedBeforeParsing) {
  TempDir dir;
  {
    std::ofstream out(dir.path() / "huge.yaml");
    out << "posts: []\n# ";
    out << std::string(1 << 20, 'x');
  }
  Settings settings = test_settings(dir.path() / "calendar.yaml");
  settings.calendar = dir.path() / "huge.yaml";
  Diagnostics diags;
  LoadLimits limits;
  limits.max_file_bytes = 1 << 19;
  EXPECT_FALSE(load_calendar(settings, diags, limits));
  ASSERT_EQ(diags.items().size(), 1u);
  EXPECT_NE(diags.items()[0].message.find("more than the limit"), std::string::npos);
}

// An unclosed quote used to swallow the rest of the file into one post's
// text (yaml-cpp 0.7 took the end of the file as its end), so the posts after
// it silently never went out. Now the whole file is refused, at the quote.
TEST(CalendarQuotes, UnclosedQuoteRefusesTheFileAtTheQuote) {
  TempDir dir;
  dir.write("calendar.yaml", R"(posts:
  - id: a
    at: 2027-03-02 10:00
    channels: [x]
    text: "hello
  - id: b
    at: 2027-03-02 11:00
    channels: [x]
    text: world
)");
  Settings settings = test_settings(dir.path() / "calendar.yaml");
  settings.calendar = dir.path() / "calendar.yaml";
  Diagnostics diags;
  EXPECT_FALSE(load_calendar(settings, diags));
  ASSERT_EQ(diags.items().size(), 1u);
  EXPECT_EQ(format(diags.items()[0]), (dir.path() / "calendar.yaml").string() +
                                          ":5:11: error: the quoted text that starts here is not closed (a missing "
                                          "closing \"); line 6 is not indented enough to continue it");
}

struct QuoteCase {
  const char* name;
  std::string text;
  std::string expected;
};

class CalendarUnclosedQuotes : public ::testing::TestWithParam<QuoteCase> {};

TEST_P(CalendarUnclosedQuotes, NoPostIsLoadedAndTheErrorNamesTheQuote) {
  auto l = load(GetParam().text);
  EXPECT_FALSE(l.ok);
  EXPECT_TRUE(l.calendar.posts.empty());
  EXPECT_EQ(l.messages, std::vector<std::string>{GetParam().expected});
}

const std::string kPostA = "posts:\n  - id: a\n    at: 2027-03-02 10:00\n    channels: [x]\n";
const std::string kPostB = "  - id: b\n    at: 2027-03-02 11:00\n    channels: [x]\n";
const std::string kNotClosed = "/cal/calendar.yaml:5:11: error: the quoted text that starts here is not closed";

INSTANTIATE_TEST_SUITE_P(
    All, CalendarUnclosedQuotes,
    ::testing::Values(
        QuoteCase{"double_at_end_of_file", kPostA + "    text: \"hello\n",
                  kNotClosed + " (a missing closing \")"},
        QuoteCase{"single_at_end_of_file", kPostA + "    text: 'hello\n",
                  kNotClosed + " (a missing closing ')"},
        QuoteCase{"double_before_the_next_post", kPostA + "    text: \"hello\n" + kPostB + "    text: world\n",
                  kNotClosed + " (a missing closing \"); line 6 is not indented enough to continue it"},
        QuoteCase{"single_before_the_next_post", kPostA + "    text: 'hello\n" + kPostB + "    text: world\n",
                  kNotClosed + " (a missing closing '); line 6 is not indented enough to continue it"},
        QuoteCase{"double_closed_by_the_next_posts_quote",
                  kPostA + "    text: \"hello\n" + kPostB + "    text: \"world\"\n",
                  kNotClosed + " (a missing closing \"); line 6 is not indented enough to continue it"},
        QuoteCase{"single_closed_by_the_next_posts_quote",
                  kPostA + "    text: 'hello\n" + kPostB + "    text: 'world'\n",
                  kNotClosed + " (a missing closing '); line 6 is not indented enough to continue it"},
        QuoteCase{"field_after_it", kPostA + "    text: \"hello\n    campaign: spring\n",
                  kNotClosed + " (a missing closing \"); line 6 is not indented enough to continue it"},
        QuoteCase{"flow_at_end_of_file", "posts:\n  - {id: a, at: 2027-03-02 10:00, channels: [x], text: \"abc}\n",
                  "/cal/calendar.yaml:2:56: error: the quoted text that starts here is not closed (a missing "
                  "closing \")"},
        QuoteCase{"flow_before_the_next_post",
                  "posts:\n  - {id: a, at: 2027-03-02 10:00, channels: [x], text: 'abc}\n"
                  "  - {id: b, at: 2027-03-02 11:00, channels: [x], text: 'def'}\n",
                  "/cal/calendar.yaml:2:56: error: the quoted text that starts here is not closed (a missing "
                  "closing '); line 3 is not indented enough to continue it"}),
    [](const auto& test_case) { return std::string(test_case.param.name); });

TEST(CalendarQuotes, QuotedTextOverSeveralIndentedLinesLoads) {
  auto l = load(kPostA + "    text: \"Spring is here:\n      our new video.\"\n" + kPostB +
                "    text: 'It''s out,\n\n      watch it'\n");
  ASSERT_TRUE(l.ok) << (l.messages.empty() ? "" : l.messages[0]);
  ASSERT_EQ(l.calendar.posts.size(), 2u);
  EXPECT_EQ(l.calendar.posts[0].text, "Spring is here: our new video.");
  EXPECT_EQ(l.calendar.posts[1].text, "It's out,\nwatch it");
}

TEST(CalendarLimits, MissingCalendarIsAnError) {
  Settings settings = test_settings();
  settings.calendar = "/nonexistent/herald/calendar.yaml";
  Diagnostics diags;
  EXPECT_FALSE(load_calendar(settings, diags));
  EXPECT_EQ(format(diags.items().at(0)), "/nonexistent/herald/calendar.yaml: error: calendar not found");
}

// A calendar's posts are blocks shared, never copied: a block found by
// where its posts start and how many there are is the same one.
TEST(PostList, SharesBlocksAndIndexesAcrossThem) {
  auto make = [](std::initializer_list<const char*> ids) {
    std::vector<Post> out;
    for (const char* id : ids) {
      Post p;
      p.id = id;
      out.push_back(std::move(p));
    }
    return out;
  };
  PostList list;
  list.append(make({"a", "b"}));
  list.append(std::vector<Post>{});  // an empty file adds nothing
  list.append(make({"c"}));
  list.push_back(make({"d"})[0]);
  ASSERT_EQ(list.size(), 4u);
  std::string ids;
  for (const Post& p : list) ids += p.id;
  EXPECT_EQ(ids, "abcd");
  EXPECT_EQ(list.back().id, "d");
  const auto second = list.block(2, 1);
  ASSERT_TRUE(second);
  EXPECT_EQ(&(*second)[0], &list[2]);
  EXPECT_FALSE(list.block(1, 1)) << "no block starts at b";
  EXPECT_FALSE(list.block(0, 1)) << "the first block holds two posts";
  EXPECT_TRUE(list.block(4, 0)) << "an empty file's block is empty";
  PostList other;
  other.append(list);
  ASSERT_EQ(other.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(&other[i], &list[i]);
}

}  // namespace
}  // namespace herald
