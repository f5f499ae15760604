// herald import csv: the samples of tests/daemon/data/import (written from
// the layouts daemon/import_csv.cpp names), broken rows with their exact
// messages, DST edges, stable ids, and the round trip CSV -> YAML -> calendar
// -> plan.
#include "daemon/import_csv.hpp"

#include "compose/composer.hpp"
#include "config/calendar.hpp"
#include "scheduler/plan.hpp"
#include "tests/support/process.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>
#include <unistd.h>

namespace herald {
namespace {

using namespace date::literals;
using namespace std::chrono_literals;

const Instant kNow = date::sys_days{2027_y / date::February / 15} + 12h;
const std::string kData = std::string(HERALD_SOURCE_DIR) + "/tests/daemon/data/import/";

Settings settings() {
  Diagnostics d;
  auto s = load_settings_text(R"(calendar: calendar.yaml
timezone: Europe/Amsterdam
channels:
  x: {kind: x, account: example_nl, credentials: x, slots: ["mon-fri 09:15"]}
  facebook: {kind: facebook, page_id: "1234567890", credentials: facebook}
)",
                              "/cal/herald.yaml", {}, d);
  EXPECT_FALSE(d.has_errors());
  return *s;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Imported {
  std::optional<std::string> yaml = {};
  std::vector<std::string> messages = {};
};

Imported import(std::string_view csv, CsvSource source = CsvSource::hootsuite, DateOrder order = DateOrder::unset,
                std::vector<std::string> channels = {"x", "facebook"}) {
  Diagnostics d;
  ImportOptions o;
  o.source = source;
  o.channels = std::move(channels);
  o.date_order = order;
  o.now = kNow;
  Imported out;
  out.yaml = import_csv(csv, "in.csv", settings(), o, d);
  for (const auto& m : d.sorted()) out.messages.push_back(format(m));
  return out;
}

Calendar load(const std::string& yaml, const Settings& s) {
  Calendar cal;
  Diagnostics d;
  EXPECT_TRUE(load_calendar_text(yaml, "/cal/calendar.yaml", s, cal, d));
  for (const auto& m : d.items()) ADD_FAILURE() << format(m);
  return cal;
}

TEST(ImportCsv, HootsuiteSampleBecomesTheCalendarYaml) {
  auto r = import(slurp(kData + "hootsuite.csv"), CsvSource::hootsuite, DateOrder::dmy);
  ASSERT_TRUE(r.yaml) << ::testing::PrintToString(r.messages);
  EXPECT_TRUE(r.messages.empty()) << ::testing::PrintToString(r.messages);
  EXPECT_EQ(*r.yaml, slurp(kData + "hootsuite.yaml"));
}

TEST(ImportCsv, RoundTripGivesTheRowsTimesTextsAndLinks) {
  const Settings s = settings();
  auto r = import(slurp(kData + "hootsuite.csv"), CsvSource::hootsuite, DateOrder::dmy);
  ASSERT_TRUE(r.yaml);
  const Calendar cal = load(*r.yaml, s);
  Diagnostics notes;
  auto ds = plan(cal, s, {kNow, kNow, kNow + date::days{60}, "x", {}}, notes);
  ASSERT_EQ(ds.size(), 4u);
  // 10:00 in Amsterdam (UTC+1 in March before the 28th) is 09:00 UTC.
  EXPECT_EQ(format_utc(ds[0].at), "2027-03-02T09:00:00Z");
  EXPECT_EQ(ds[0].source->text, "Our spring video is out https://www.youtube.com/watch?v=dQw4w9WgXcQ");
  EXPECT_EQ(ds[0].source->link, "https://www.youtube.com/watch?v=dQw4w9WgXcQ");
  EXPECT_EQ(format_utc(ds[1].at), "2027-03-02T16:30:00Z");
  EXPECT_EQ(ds[1].source->text, "Spring sale, today only: 20% off https://example.nl/sale");
  EXPECT_EQ(ds[1].source->link, "https://example.nl/sale");
  EXPECT_EQ(format_utc(ds[2].at), "2027-03-15T08:15:00Z");
  EXPECT_EQ(ds[2].source->text, "Two lines,\nand \"quotes\" too");
  EXPECT_EQ(ds[2].source->link, "");
  EXPECT_EQ(format_utc(ds[3].at), "2027-03-16T08:05:00Z");
  EXPECT_EQ(ds[0].source->channels, (std::vector<std::string>{"x", "facebook"}));
  // What each network receives: the link in the tweet, and as Facebook's card.
  const Composed tweet = compose(*ds[0].source, *s.channel("x"), s, cal, preview_urls(cal, s));
  EXPECT_EQ(tweet.text, "Our spring video is out https://www.youtube.com/watch?v=dQw4w9WgXcQ");
  const Composed fb = compose(*ds[1].source, *s.channel("facebook"), s, cal, preview_urls(cal, s));
  EXPECT_EQ(fb.link, "https://example.nl/sale");
}

TEST(ImportCsv, BufferSampleWithTagsQueueAndAnOffset) {
  const Settings s = settings();
  auto r = import(slurp(kData + "buffer.csv"), CsvSource::buffer, DateOrder::unset, {"x"});
  ASSERT_TRUE(r.yaml) << ::testing::PrintToString(r.messages);
  EXPECT_EQ(r.messages, std::vector<std::string>{
                            "in.csv:3:52: warning: Buffer's tags 'spring' are not imported (herald's nearest is campaign:)"});
  EXPECT_EQ(*r.yaml, slurp(kData + "buffer.yaml"));
  const Calendar cal = load(*r.yaml, s);
  ASSERT_EQ(cal.posts.size(), 4u);
  EXPECT_EQ(cal.posts[0].text, "Tip: use a password manager.");
  // The second 02:30 of the night the clocks go back keeps its offset.
  EXPECT_EQ(format_utc(std::get<FixedTime>(cal.posts[2].timing).resolved.instant), "2027-10-31T01:30:00Z");
  EXPECT_TRUE(std::holds_alternative<Queued>(cal.posts[3].timing));
}

TEST(ImportCsv, AnAmbiguousDateNeedsTheDateOrder) {
  auto r = import("02/03/2027 10:00,Hello\n");
  EXPECT_FALSE(r.yaml);
  EXPECT_EQ(r.messages, std::vector<std::string>{
                            "in.csv:1:1: error: the date '02/03/2027' is ambiguous: 2027-03-02 (dmy) or 2027-02-03 "
                            "(mdy); say which with --date-order dmy or mdy"});
  // A date only one order can read needs none; the same day and month either way neither.
  EXPECT_TRUE(import("13/03/2027 10:00,Hello\n03/03/2027 10:00,Again\n").yaml);
  // Year first: Hootsuite's year/month/day and year/day/month.
  auto year_first = import("2027/03/04 10:00,Hello\n");
  EXPECT_EQ(year_first.messages, std::vector<std::string>{
                                     "in.csv:1:1: error: the date '2027/03/04' is ambiguous: 2027-04-03 (ydm) or "
                                     "2027-03-04 (ymd); say which with --date-order ydm or ymd"});
  auto ymd = import("2027/03/04 10:00,Hello\n", CsvSource::hootsuite, DateOrder::ymd);
  ASSERT_TRUE(ymd.yaml);
  EXPECT_NE(ymd.yaml->find("at: 2027-03-04 10:00"), std::string::npos) << *ymd.yaml;
  EXPECT_EQ(import("2027/03/04 10:00,Hello\n", CsvSource::hootsuite, DateOrder::dmy).messages,
            std::vector<std::string>{
                "in.csv:1:1: error: the date '2027/03/04' has its year first, which --date-order dmy does not read"});
  EXPECT_EQ(import("257/03/2027 10:00,Hello\n", CsvSource::hootsuite, DateOrder::dmy).messages,
            std::vector<std::string>{
                "in.csv:1:1: error: the date '257/03/2027' is not a day (a day or month has at most two digits)"});
  EXPECT_EQ(import("04/03/27 10:00,Hello\n").messages,
            std::vector<std::string>{"in.csv:1:1: error: the date '04/03/27' has no four-digit year"});
  auto mdy = import("03/13/2027 10:00,Hello\n", CsvSource::hootsuite, DateOrder::dmy);
  EXPECT_EQ(mdy.messages, std::vector<std::string>{
                              "in.csv:1:1: error: the date '03/13/2027' is not a day when read as dmy"});
}

TEST(ImportCsv, BrokenRowsEachHaveTheirMessageAtTheirLine) {
  const std::string csv =
      "01/03/2027 10:00,Fine\n"
      "2027-02-30 10:00,Bad day\n"
      "01/03/2027 1:30 PM,Twelve hours\n"
      "01/03/2027 10:05,   \n"
      "01/03/2027 10:10,\"A link\nover two lines\",ftp://example.nl/file\n"
      "01/03/2027 10:15\n"
      "01/03/2027 10:20,a,https://example.nl,extra\n"
      "01/03/2027 10:25," +
      std::string(290, 'x') + "\n";
  auto r = import(csv, CsvSource::hootsuite, DateOrder::dmy);
  EXPECT_FALSE(r.yaml);
  EXPECT_EQ(r.messages,
            (std::vector<std::string>{
                "in.csv:2:1: error: '2027-02-30 10:00' is not a date and time (no such date 2027-02-30)",
                "in.csv:3:1: error: the time '1:30 PM' uses AM/PM; write it on the 24-hour clock (13:30)",
                "in.csv:4:18: error: empty message",
                "in.csv:5:1: error: the link 'ftp://example.nl/file' is not an http or https URL",
                "in.csv:7:1: error: expected 2 or 3 columns (A: date and time, B: message, C: optional link), found 1",
                "in.csv:8:1: error: expected 2 or 3 columns (A: date and time, B: message, C: optional link), found 4",
            }));
  // Rows that read well are checked as herald check would: the long one on X.
  auto long_row = import("01/03/2027 10:25," + std::string(290, 'x') + "\n", CsvSource::hootsuite, DateOrder::dmy);
  EXPECT_FALSE(long_row.yaml);
  ASSERT_EQ(long_row.messages.size(), 1u);
  EXPECT_EQ(long_row.messages[0],
            "in.csv:1:18: error: post '" + import_post_id("2027-03-01-1025", std::string(290, 'x')) +
                "' on x: tweet is 290 weighted characters, more than the 280 x allows");
}

TEST(ImportCsv, ACrLfInsideAQuotedMessageIsALineBreak) {
  auto r = import("01/03/2027 10:00,\"one\r\ntwo\"\r\n", CsvSource::hootsuite, DateOrder::dmy);
  ASSERT_TRUE(r.yaml) << ::testing::PrintToString(r.messages);
  EXPECT_EQ(load(*r.yaml, settings()).posts[0].text, "one\ntwo");
}

TEST(ImportCsv, AMultiLineRowIsReportedAtTheLineItStartsOn) {
  auto r = import("01/03/2027 09:00,Fine\n01/03/2027 10:00,\"line one\n" + std::string(290, 'y') +
                      "\"\n01/03/2027 11:00,Fine too\n",
                  CsvSource::hootsuite, DateOrder::dmy);
  EXPECT_FALSE(r.yaml);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].substr(0, 51), "in.csv:2:18: error: post '2027-03-01-1000-line-one-");
  EXPECT_NE(r.messages[0].find("tweet is 299 weighted characters, more than the 280 x allows"), std::string::npos)
      << r.messages[0];
}

TEST(ImportCsv, AQuotingErrorStopsTheImport) {
  auto r = import("01/03/2027 10:00,\"open\n01/03/2027 11:00,more\n");
  EXPECT_FALSE(r.yaml);
  EXPECT_EQ(r.messages, std::vector<std::string>{
                            "in.csv:1:18: error: unclosed quote: the quoted field that starts here has no closing '\"'"});
}

TEST(ImportCsv, AHeaderRowInAHootsuiteFileIsNamed) {
  auto r = import("Date,Message,Link\n");
  EXPECT_EQ(r.messages, std::vector<std::string>{
                            "in.csv:1:1: error: 'Date' is not a date and time (expected e.g. 02/03/2027 10:00 or "
                            "2027-03-02 10:00) (Hootsuite's bulk CSV has no header row: remove it; for Buffer's CSV "
                            "use --from buffer)"});
}

TEST(ImportCsv, BufferColumnsAreCheckedByName) {
  auto unknown = import("Text,When\nhi,2027-03-01 10:00\n", CsvSource::buffer);
  EXPECT_EQ(unknown.messages, std::vector<std::string>{
                                  "in.csv:1:6: error: unknown column 'When' (Buffer's bulk upload has Text, Posting "
                                  "Time, Image URL and Tags; herald also reads Link)"});
  auto image = import("Text,Image URL,Posting Time\nhi,https://example.nl/a.jpg,2027-03-01 10:00\nshort\n",
                      CsvSource::buffer);
  EXPECT_EQ(image.messages,
            (std::vector<std::string>{
                "in.csv:2:4: error: an Image URL is not imported: herald publishes media files next to the calendar; "
                "download it and add it to the post as media: [FILE]",
                "in.csv:3:1: error: expected 3 columns, as the header on line 1 names, found 1"}));
}

TEST(ImportCsv, DstGapAndRepeatedWallTimesAreRejected) {
  auto gap = import("28/03/2027 02:30,Spring forward\n", CsvSource::hootsuite, DateOrder::dmy);
  EXPECT_FALSE(gap.yaml);
  EXPECT_EQ(gap.messages, std::vector<std::string>{
                              "in.csv:1:1: error: 2027-03-28 02:30 does not exist in Europe/Amsterdam (the clocks go "
                              "forward then); write the time it should be, e.g. 2027-03-28 03:30"});
  auto twice = import("31/10/2027 02:30,Fall back\n", CsvSource::hootsuite, DateOrder::dmy);
  EXPECT_FALSE(twice.yaml);
  EXPECT_EQ(twice.messages, std::vector<std::string>{
                                "in.csv:1:1: error: 2027-10-31 02:30 happens twice in Europe/Amsterdam (the clocks "
                                "go back then); write another time, or the time with its UTC offset "
                                "(2027-10-31T02:30:00+01:00) with --from buffer"});
  // Just outside the edges is fine, and an offset says which 02:30 is meant.
  auto edges = import("Text,Posting Time\nbefore,2027-03-28 01:59\nafter,2027-03-28 03:00\nfirst,"
                      "2027-10-31T02:30:00+02:00\nsecond,2027-10-31T02:30:00+01:00\n",
                      CsvSource::buffer);
  ASSERT_TRUE(edges.yaml) << ::testing::PrintToString(edges.messages);
  const Settings s = settings();
  const Calendar cal = load(*edges.yaml, s);
  auto instant = [&](std::size_t i) { return format_utc(std::get<FixedTime>(cal.posts[i].timing).resolved.instant); };
  EXPECT_EQ(instant(0), "2027-03-28T00:59:00Z");
  EXPECT_EQ(instant(1), "2027-03-28T01:00:00Z");
  EXPECT_EQ(instant(2), "2027-10-31T00:30:00Z");
  EXPECT_EQ(instant(3), "2027-10-31T01:30:00Z");
}

TEST(ImportCsv, IdsAreStableAndUniqueForEqualMessagesAtOtherTimes) {
  const std::string csv = slurp(kData + "hootsuite.csv");
  auto a = import(csv, CsvSource::hootsuite, DateOrder::dmy);
  auto b = import(csv, CsvSource::hootsuite, DateOrder::dmy);
  ASSERT_TRUE(a.yaml);
  EXPECT_EQ(*a.yaml, *b.yaml);
  const Calendar cal = load(*a.yaml, settings());
  // Rows 1 and 4 say the same at different times.
  // The same in every run and build: FNV-1a, not std::hash.
  EXPECT_EQ(cal.posts[0].id, "2027-03-02-1000-our-spring-video-is-out-b7e1bf");
  EXPECT_NE(cal.posts[0].id, cal.posts[3].id);
  EXPECT_EQ(import_post_id("2027-03-02-1000", "Hello, World!"), import_post_id("2027-03-02-1000", "Hello, World!"));
  EXPECT_NE(import_post_id("2027-03-02-1000", "Hello"), import_post_id("2027-03-02-1005", "Hello"));
  EXPECT_EQ(import_post_id("queued", "日本語").substr(0, 7), "queued-");
  EXPECT_EQ(import_post_id("queued", "日本語").size(), 13u);
  // The same row twice is one post twice: an error at the second.
  auto twice = import("01/03/2027 10:00,Same\n01/03/2027 10:00,Same\n", CsvSource::hootsuite, DateOrder::dmy);
  EXPECT_FALSE(twice.yaml);
  ASSERT_EQ(twice.messages.size(), 1u);
  EXPECT_EQ(twice.messages[0].substr(0, 20), "in.csv:2:18: error: ");
}

TEST(ImportCsv, APassedTimeIsAWarning) {
  auto r = import("01/02/2027 10:00,Too late\n", CsvSource::hootsuite, DateOrder::dmy);
  ASSERT_TRUE(r.yaml);
  EXPECT_EQ(r.messages, std::vector<std::string>{
                            "in.csv:1:1: warning: 2027-02-01T10:00:00+01:00 has passed; herald will not publish it "
                            "later than the late window allows (docs/calendar.md)"});
}

}  // namespace
}  // namespace herald

namespace herald {
namespace {

// The real binary: what it prints on stdout is a calendar `herald check` accepts.
class ImportBinary : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("herald-import-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "herald.yaml") << R"(calendar: calendar.yaml
state_dir: var
timezone: Europe/Amsterdam
channels:
  x: {kind: x, account: example_nl, credentials: x, slots: ["mon-fri 09:15"]}
  facebook: {kind: facebook, page_id: "1234567890", credentials: facebook}
)";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  testing::ProcessResult herald(std::vector<std::string> args) {
    args.insert(args.begin(), HERALD_BINARY);
    args.push_back("--config");
    args.push_back(config());
    return testing::run_process(args);
  }
  std::string config() const { return (dir_ / "herald.yaml").string(); }
  std::filesystem::path dir_;
};

TEST_F(ImportBinary, StdoutPassesHeraldCheck) {
  for (const auto& [file, from, order, channels] :
       {std::tuple{"hootsuite.csv", "hootsuite", "dmy", "x,facebook"}, std::tuple{"buffer.csv", "buffer", "ymd", "x"}}) {
    auto r = herald({"import", "csv", kData + file, "--from", from, "--date-order", order, "--channel", channels});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::ofstream(dir_ / "calendar.yaml") << r.out;
    auto check = herald({"check"});
    EXPECT_EQ(check.exit_code, 0) << file << "\n" << check.out << check.err << r.out;
    EXPECT_NE(check.out.find(": ok, 4 posts in 1 file"), std::string::npos) << check.out;
  }
}

TEST_F(ImportBinary, ExitCodes) {
  auto ambiguous = herald({"import", "csv", kData + "hootsuite.csv", "--channel", "x"});
  EXPECT_EQ(ambiguous.exit_code, 1);
  EXPECT_EQ(ambiguous.out, "");  // nothing on stdout when any row is wrong
  EXPECT_NE(ambiguous.err.find("hootsuite.csv:1:1: error: the date '02/03/2027' is ambiguous"), std::string::npos)
      << ambiguous.err;
  auto unknown = herald({"import", "csv", kData + "hootsuite.csv", "--channel", "x", "--channel", "nope"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err, "herald import csv: unknown channel 'nope'\n");
  EXPECT_EQ(herald({"import", "csv", kData + "hootsuite.csv"}).exit_code, 2);  // no --channel
  EXPECT_EQ(herald({"import", "csv", kData + "hootsuite.csv", "--channel", "x", "--from", "later"}).exit_code, 2);
  EXPECT_EQ(herald({"import", "csv", (dir_ / "missing.csv").string(), "--channel", "x"}).exit_code, 2);
}

}  // namespace
}  // namespace herald
