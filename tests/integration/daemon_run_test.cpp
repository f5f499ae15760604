// The real `herald run` with a static channel and a calendar due in the next
// seconds: it publishes each post, follows edits of the calendar (including a
// save by rename), survives SIGHUP, rejects a broken edit whole, and stops
// cleanly on SIGTERM. It runs on the real clock because the binary does.
#include "scheduler/store.hpp"
#include "tests/support/herald_daemon.hpp"
#include "tests/support/process.hpp"

#include <date/date.h>
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>

namespace herald {
namespace {

using testing::BackgroundProcess;
using testing::eventually;
using testing::read_file;
using testing::utc_in;
using namespace std::chrono_literals;

class DaemonRun : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("herald-run-" + std::to_string(::getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "site");
    testing::write_status_token((dir_ / "credentials").string());
    write_settings("calendar.yaml");
  }
  /// herald.yaml, its calendar at `calendar` (a file or a folder).
  void write_settings(const std::string& calendar) {
    std::ofstream(dir_ / "herald.yaml") << "calendar: " + calendar + "\n" + R"(state_dir: state
credentials_dir: credentials
timezone: Europe/Amsterdam
status: {listen: "127.0.0.1:0"}
channels:
  site: {kind: static, dir: site, url: "https://example.nl/news/{post}/"}
)";
  }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);
    else std::cerr << "log:\n" << read_file((dir_ / "herald.log").string());
  }
  void write_calendar(const std::string& text, bool by_rename = false) {
    if (!by_rename) {
      std::ofstream(dir_ / "calendar.yaml") << text;
      return;
    }
    // As many editors save: a new file renamed over the old one.
    std::ofstream(dir_ / ".calendar.yaml.tmp") << text;
    std::filesystem::rename(dir_ / ".calendar.yaml.tmp", dir_ / "calendar.yaml");
  }
  std::unique_ptr<BackgroundProcess> start() {
    return std::make_unique<BackgroundProcess>(
        std::vector<std::string>{HERALD_BINARY, "run", "--config", (dir_ / "herald.yaml").string()},
        (dir_ / "herald.log").string());
  }
  std::string post(const std::string& id, const std::string& at, const std::string& text) {
    return "  - {id: " + id + ", at: \"" + at + "\", channels: [site], title: \"" + id + "\", text: \"" + text + "\"}\n";
  }
  std::filesystem::path dir_;
};

TEST_F(DaemonRun, PublishesFollowsEditsAndStopsCleanly) {
  write_calendar("posts:\n" + post("first", utc_in(2s), "one") + post("second", utc_in(4s), "two") +
                 post("later", utc_in(3600s), "not yet"));
  auto herald = start();
  const auto site = dir_ / "site";
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(site / "first.md"); }, 15s));
  EXPECT_NE(read_file((site / "first.md").string()).find("one"), std::string::npos);

  // Edit while running, saved by rename: change an unpublished post's text,
  // add one, remove one.
  write_calendar("posts:\n" + post("first", utc_in(-60s), "one") + post("second", utc_in(3s), "two, edited") +
                     post("added", utc_in(4s), "new"),
                 /*by_rename=*/true);
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(site / "added.md"); }, 20s));
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(site / "second.md"); }, 20s));
  EXPECT_NE(read_file((site / "second.md").string()).find("two, edited"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(site / "later.md"));

  // A broken edit is rejected whole; the daemon keeps running the last good calendar.
  write_calendar("posts:\n  - {id: broken, at: 2027-02-30 10:00, channels: [site], text: x}\n");
  ASSERT_TRUE(eventually([&] { return read_file((dir_ / "herald.log").string()).find("calendar rejected") != std::string::npos; }, 10s));
  EXPECT_TRUE(herald->running());

  herald->signal(SIGHUP);
  EXPECT_TRUE(herald->running());
  herald->signal(SIGTERM);
  EXPECT_EQ(herald->wait(20s), 0);
  const std::string log = read_file((dir_ / "herald.log").string());
  EXPECT_NE(log.find("<6>first@site: planned -> sending"), std::string::npos) << log;
  EXPECT_NE(log.find("<6>first@site: sending -> published https://example.nl/news/first/"), std::string::npos);
  EXPECT_NE(log.find("<3>calendar rejected, the last good one keeps running:"), std::string::npos);
  EXPECT_NE(log.find("<6>herald stopped"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "state" / "herald.pid"));
  EXPECT_EQ(std::filesystem::status(dir_ / "state").permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_all);
}

// A calendar split into files, changed file by file while herald runs, each
// reload reading again only what changed: an edited file, a deleted file
// (held: it would cancel most of what is pending) put back, a file that
// breaks and is mended, and a new file. Each outcome is what reading the whole calendar
// says.
TEST_F(DaemonRun, ACalendarSplitInFilesFollowsEachFilesChanges) {
  write_settings("calendar");
  const auto cal = dir_ / "calendar";
  std::filesystem::create_directories(cal);
  auto write = [&](const std::string& name, const std::string& text) { std::ofstream(cal / name) << text; };
  std::string a = "posts:\n";
  for (int i = 1; i <= 12; ++i) a += post("a" + std::to_string(i), utc_in(std::chrono::seconds(3600 + 60 * i)), "a");
  const std::string b1_at = utc_in(7200s);
  const std::string b1 = post("b1", b1_at, "b one"), b2 = post("b2", utc_in(7260s), "b two");
  const std::string later = post("later", utc_in(10800s), "c later");
  write("a.yaml", a);
  write("b.yaml", "posts:\n" + b1 + b2);
  const std::string soon = post("soon", utc_in(3s), "c soon");
  write("c.yaml", "posts:\n" + soon);
  auto herald = start();
  const auto site = dir_ / "site";
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(site / "soon.md"); }, 20s));
  auto log = [&] { return read_file((dir_ / "herald.log").string()); };
  auto logged = [&](const std::string& line, std::size_t times = 1) {
    return eventually([&] { return testing::count_of(log(), line) >= times; }, 20s);
  };

  // One post of b edited: only it is updated.
  write("b.yaml", "posts:\n" + post("b1", b1_at, "b one, edited") + b2);
  ASSERT_TRUE(logged("calendar applied: 0 added, 1 updated, 0 cancelled")) << log();

  // a.yaml deleted: that would cancel 12 of the 14 pending deliveries, so
  // the edit is held and nothing is cancelled.
  std::filesystem::remove(cal / "a.yaml");
  ASSERT_TRUE(logged("calendar edit held: it would cancel 12 of the 14 pending deliveries")) << log();
  EXPECT_EQ(testing::count_of(log(), "cancelled"), testing::count_of(log(), "0 cancelled")) << log();

  // a.yaml back as it was and a post added to c: c's post is the one change.
  write("a.yaml", a);
  write("c.yaml", "posts:\n" + soon + later);
  ASSERT_TRUE(logged("calendar applied: 1 added, 0 updated, 0 cancelled")) << log();

  // b broken: rejected whole; mended without b2: b2 alone is cancelled.
  write("b.yaml", "posts:\n  - {id: b1, at: 2027-02-30 10:00, channels: [site], text: x}\n");
  ASSERT_TRUE(logged("calendar rejected, the last good one keeps running")) << log();
  write("b.yaml", "posts:\n" + post("b1", b1_at, "b one, edited"));
  ASSERT_TRUE(logged("calendar applied: 0 added, 0 updated, 1 cancelled")) << log();

  // A new file with a post due now: published.
  write("d.yaml", "posts:\n" + post("last", utc_in(2s), "d last"));
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(site / "last.md"); }, 20s)) << log();
  herald->signal(SIGTERM);
  EXPECT_EQ(herald->wait(20s), 0);
  // The store, read once herald is gone: what each change left.
  auto store = Store::open(dir_ / "state");
  for (int i = 1; i <= 12; ++i) EXPECT_EQ(store->get("a" + std::to_string(i) + "@site")->state, State::planned) << i;
  EXPECT_EQ(store->get("b2@site")->state, State::cancelled);
  EXPECT_EQ(store->get("b1@site")->state, State::planned);
  EXPECT_EQ(store->history(1, "b1@site")[0].event, "edited");
  EXPECT_EQ(store->get("later@site")->state, State::planned);
  EXPECT_EQ(store->get("soon@site")->state, State::published);
  EXPECT_EQ(store->get("last@site")->state, State::published);
}

TEST_F(DaemonRun, RefusesToStartOnABrokenCalendar) {
  write_calendar("posts:\n  - {id: a, at: 2027-02-30 10:00, channels: [site], title: t, text: x}\n");
  auto herald = start();
  EXPECT_EQ(herald->wait(20s), 1);
  EXPECT_NE(read_file((dir_ / "herald.log").string()).find("<3>"), std::string::npos);
}

}  // namespace
}  // namespace herald
