// herald diff on pairs of calendars, in-process: every change kind against
// golden files in all three formats (tests/daemon/data/diff). To see a
// change in the output, run with HERALD_UPDATE_GOLDEN=1, which rewrites the
// golden files; review them with git diff.
#include "daemon/cli.hpp"
#include "daemon/diff_command.hpp"
#include "daemon/diff_output.hpp"

#include "tests/support/temp_dir.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace herald {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

const fs::path kData = fs::path(HERALD_SOURCE_DIR) / "tests/daemon/data/diff";

struct Run {
  int code = 0;
  std::string out;
  std::string err;
};

Run herald(std::vector<std::string> args) {
  std::ostringstream out, err;
  CliContext ctx{out, err, Instant{}};  // every test gives --now
  std::vector<const char*> argv{"herald"};
  for (const auto& a : args) argv.push_back(a.c_str());
  Run r;
  r.code = run_cli(static_cast<int>(argv.size()), argv.data(), ctx);
  r.out = out.str();
  r.err = err.str();
  return r;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

/// Compares with a golden file exactly (the temporary directory shown as <dir>).
void expect_golden(const std::string& actual, const std::string& name) {
  const fs::path file = kData / name;
  if (const char* update = std::getenv("HERALD_UPDATE_GOLDEN"); update && *update) {
    testing::write_file(file, actual);
    return;
  }
  ASSERT_TRUE(fs::exists(file)) << file << " is missing; HERALD_UPDATE_GOLDEN=1 writes it";
  const std::string expected = testing::read_file(file);
  EXPECT_EQ(actual, expected) << "differs from " << file;
}

/// The scenario's settings with the new calendar, and the old calendar beside it.
class Scenario {
 public:
  Scenario(const std::string& old_calendar, const std::string& new_calendar) {
    dir_.write("herald.yaml", testing::read_file(kData / "herald.yaml"));
    dir_.write("calendar.yaml", new_calendar);
    dir_.write("old.yaml", old_calendar);
  }
  Run diff(const std::vector<std::string>& more = {}) const {
    std::vector<std::string> args{"diff",  "--config", (dir_.path() / "herald.yaml").string(),
                                  "--old-calendar", (dir_.path() / "old.yaml").string(),
                                  "--now", "2027-03-01 08:00", "--from", "2027-03-01", "--days", "31"};
    args.insert(args.end(), more.begin(), more.end());
    Run r = herald(args);
    r.out = replace_all(r.out, dir_.path().string(), "<dir>");
    r.err = replace_all(r.err, dir_.path().string(), "<dir>");
    return r;
  }

 private:
  TempDir dir_;
};

Scenario every_kind() {
  return Scenario(testing::read_file(kData / "old.yaml"), testing::read_file(kData / "new.yaml"));
}

TEST(DiffGolden, EveryChangeKindAsATable) {
  auto r = every_kind().diff();
  EXPECT_EQ(r.code, kDiffChanges) << r.err;
  EXPECT_EQ(r.err, "");
  expect_golden(r.out, "every_kind.txt");
}

TEST(DiffGolden, EveryChangeKindAsJsonLines) {
  auto r = every_kind().diff({"--format", "jsonl"});
  EXPECT_EQ(r.code, kDiffChanges) << r.err;
  expect_golden(r.out, "every_kind.jsonl");
  // Each line is an object with a change field.
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    auto o = boost::json::parse(line).as_object();
    EXPECT_TRUE(o.contains("change")) << line;
  }
}

TEST(DiffGolden, EveryChangeKindAsMarkdown) {
  auto r = every_kind().diff({"--format", "markdown"});
  EXPECT_EQ(r.code, kDiffChanges) << r.err;
  expect_golden(r.out, "every_kind.md");
}

TEST(DiffGolden, TheDstMoveShowsBothOffsets) {
  // Not a golden: the one line a reviewer must read right, checked on its own.
  auto r = every_kind().diff();
  const auto line_at = r.out.find("\nmoved              spring@x ");
  ASSERT_NE(line_at, std::string::npos) << r.out;
  const std::string line = r.out.substr(line_at + 1, r.out.find('\n', line_at + 1) - line_at - 1);
  EXPECT_NE(line.find("2027-03-26 10:00 +01:00  2027-03-29 10:00 +02:00  Spring is here"), std::string::npos) << line;
  auto j = every_kind().diff({"--format", "jsonl"});
  EXPECT_NE(j.out.find(R"("key":"spring@x","post":"spring","channel":"x","draft":false,"old_at":"2027-03-26T09:00:00Z","old_local":"2027-03-26T10:00:00+01:00")"),
            std::string::npos);
  EXPECT_NE(j.out.find(R"("new_at":"2027-03-29T08:00:00Z","new_local":"2027-03-29T10:00:00+02:00")"), std::string::npos);
}

TEST(DiffGolden, NoChangeExitsZero) {
  const std::string cal = testing::read_file(kData / "new.yaml");
  Scenario s(cal, cal);
  for (const char* format : {"table", "jsonl", "markdown"}) {
    auto r = s.diff({"--format", format});
    EXPECT_EQ(r.code, kDiffNoChange) << format << r.err;
    expect_golden(r.out, std::string("no_change.") + (format == std::string("table") ? "txt"
                                                      : format == std::string("jsonl") ? "jsonl"
                                                                                       : "md"));
  }
}

TEST(DiffGolden, ErrorsInTheNewCalendarExitOne) {
  Scenario s(testing::read_file(kData / "new.yaml"), R"(posts:
  - {id: a, at: 2027-02-30 10:00, channels: [x], text: hi}
  - {id: b, at: 2027-03-02 10:00, channels: [instagram], text: "a | b `c`"}
)");
  for (const char* format : {"table", "jsonl", "markdown"}) {
    auto r = s.diff({"--format", format});
    EXPECT_EQ(r.code, kDiffNewErrors) << format;
    EXPECT_EQ(r.err, "<dir>/calendar.yaml:2:17: error: invalid time '2027-02-30 10:00': no such date 2027-02-30\n"
                     "<dir>/calendar.yaml:3:46: error: unknown channel 'instagram' (the settings define: x, facebook, "
                     "blog)\n");
    expect_golden(r.out, std::string("errors.") + (format == std::string("table") ? "txt"
                                                   : format == std::string("jsonl") ? "jsonl"
                                                                                    : "md"));
  }
}

TEST(DiffGolden, AnInvalidOldCalendarIsSaidAndTakenAsEmpty) {
  Scenario s("posts:\n  - {id: a, at: nonsense, channels: [x], text: hi}\n",
             "posts:\n  - {id: a, at: 2027-03-02 10:00, channels: [x], text: hi}\n");
  auto r = s.diff();
  EXPECT_EQ(r.code, kDiffChanges);
  EXPECT_NE(r.err.find("herald diff: the old calendar (<dir>/old.yaml) has 1 error, so its schedule is taken as "
                       "empty:\n<dir>/old.yaml:2:17: error:"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("note: the old calendar"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("added   a@x"), std::string::npos) << r.out;
  auto md = s.diff({"--format", "markdown"});
  EXPECT_NE(md.out.find("> **Note:** the old calendar"), std::string::npos) << md.out;
}

TEST(DiffCli, UsageErrorsExit64NotTwo) {
  Scenario s("posts: []\n", "posts: []\n");
  EXPECT_EQ(s.diff({"--format", "yaml"}).code, kDiffUsage);
  EXPECT_EQ(s.diff({"--days", "0"}).code, kDiffUsage);
  EXPECT_EQ(s.diff({"--no-such-option"}).code, kDiffUsage);
  EXPECT_EQ(s.diff({"--channel", "tiktok"}).code, kDiffUsage);
  auto r = s.diff({"--against", "HEAD"});  // two old sides
  EXPECT_EQ(r.code, kDiffUsage);
  EXPECT_EQ(r.err, "herald diff: name the old side once: --against GIT_REF, OLD_SETTINGS or --old-calendar PATH\n");
  auto none = herald({"diff", "--config", "/nonexistent.yaml"});
  EXPECT_EQ(none.code, kDiffUsage);
  // The other commands keep 2 for usage errors.
  EXPECT_EQ(herald({"plan", "--format", "yaml"}).code, 2);
}

TEST(DiffCli, OneChannel) {
  auto r = every_kind().diff({"--channel", "facebook", "--format", "jsonl"});
  EXPECT_EQ(r.code, kDiffChanges) << r.err;
  std::istringstream in(r.out);
  int deliveries = 0;
  for (std::string line; std::getline(in, line);) {
    auto o = boost::json::parse(line).as_object();
    if (!o.contains("channel")) continue;  // check's warnings are the calendar's
    EXPECT_EQ(o["channel"], "facebook") << line;
    ++deliveries;
  }
  EXPECT_EQ(deliveries, 7);  // 3 weekly occurrences moved, 2 stand-ups removed, 2 added
}

TEST(DiffCli, TwoSettingsFiles) {
  TempDir d;
  d.write("old.yaml", "calendar: old-cal.yaml\ntimezone: Europe/Amsterdam\nchannels:\n"
                      "  x: {kind: x, account: a, credentials: x, slots: [\"mon-fri 09:15\"]}\n");
  d.write("new.yaml", "calendar: new-cal.yaml\ntimezone: Europe/Amsterdam\nchannels:\n"
                      "  x: {kind: x, account: a, credentials: x, slots: [\"mon-fri 10:15\"]}\n");
  const std::string cal = "posts:\n  - {id: tip, queue: true, channels: [x], text: hi}\n";
  d.write("old-cal.yaml", cal);
  d.write("new-cal.yaml", cal);
  // A settings edit alone (the slots) shifts the queue.
  auto r = herald({"diff", "--config", (d.path() / "new.yaml").string(), (d.path() / "old.yaml").string(), "--now",
                   "2027-03-01 08:00", "--format", "jsonl"});
  EXPECT_EQ(r.code, kDiffChanges) << r.err;
  auto o = boost::json::parse(r.out).as_object();
  EXPECT_EQ(o["change"], "slot_shifted");
  EXPECT_EQ(o["old_local"], "2027-03-01T09:15:00+01:00");
  EXPECT_EQ(o["new_local"], "2027-03-01T10:15:00+01:00");
}

ScheduleChange delivery(ChangeKind kind, const std::string& key, const std::string& text) {
  ScheduledRow r;
  r.key = key;
  r.post = key.substr(0, key.find('@'));
  r.channel = key.substr(key.find('@') + 1);
  r.local = "2027-03-02T10:00:00+01:00";
  r.text = text;
  return {kind, std::nullopt, r};
}

DiffReport report_of(std::vector<ScheduleChange> changes) {
  DiffReport r;
  r.changes = std::move(changes);
  r.old_label = "HEAD";
  r.new_label = "herald.yaml";
  r.zone = "Europe/Amsterdam";
  r.from_local = "2027-03-01T00:00:00+01:00";
  r.to_local = "2027-03-31T00:00:00+02:00";
  return r;
}

TEST(DiffMarkdown, CellsEscapePipesBackticksAndHtml) {
  std::ostringstream out;
  write_diff_markdown(out, report_of({delivery(ChangeKind::added, "a@x", "a | b `c` <b>*d*</b>\nnext")}));
  EXPECT_NE(out.str().find("| `a@x` | x | 2027-03-02 10:00 +01:00 | a \\| b \\`c\\` &lt;b&gt;\\*d\\*&lt;/b&gt; … |\n"),
            std::string::npos)
      << out.str();
}

TEST(DiffMarkdown, WordDiffMarksKeepWhitespaceOutside) {
  auto c = delivery(ChangeKind::retexted, "a@x", "");
  c.text_diff = word_diff("Our new video\nis out", "Our newest clip\nand more\nis out");
  std::ostringstream out;
  write_diff_markdown(out, report_of({c}));
  EXPECT_NE(out.str().find("| Our ~~new video~~ **newest clip**<br>**and more**<br>is out |"), std::string::npos)
      << out.str();
}

TEST(DiffMarkdown, LongOutputIsCappedWithACount) {
  std::vector<ScheduleChange> many;
  for (int i = 0; i < 120; ++i) many.push_back(delivery(ChangeKind::added, "p" + std::to_string(1000 + i) + "@x", "t"));
  std::ostringstream out;
  write_diff_markdown(out, report_of(many), {50, 60000});
  EXPECT_NE(out.str().find("#### Added (120)"), std::string::npos);
  EXPECT_NE(out.str().find("`p1049@x`"), std::string::npos);
  EXPECT_EQ(out.str().find("`p1050@x`"), std::string::npos);
  EXPECT_NE(out.str().find("\n… and 70 more\n"), std::string::npos) << out.str();

  std::ostringstream small;
  write_diff_markdown(small, report_of(many), {1000, 2000});
  EXPECT_LE(small.str().size(), 2200u);
  EXPECT_NE(small.str().find(" more changes, not shown to keep this comment short: run `herald diff` for all of them."),
            std::string::npos)
      << small.str();
}

}  // namespace
}  // namespace herald
