// The real `herald run` with a static channel and a calendar due in the next
// seconds: it publishes each post, follows edits of the calendar (including a
// save by rename), survives SIGHUP, rejects a broken edit whole, and stops
// cleanly on SIGTERM. It runs on the real clock because the binary does.
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
    std::ofstream(dir_ / "herald.yaml") << R"(calendar: calendar.yaml
state_dir: state
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

TEST_F(DaemonRun, RefusesToStartOnABrokenCalendar) {
  write_calendar("posts:\n  - {id: a, at: 2027-02-30 10:00, channels: [site], title: t, text: x}\n");
  auto herald = start();
  EXPECT_EQ(herald->wait(20s), 1);
  EXPECT_NE(read_file((dir_ / "herald.log").string()).find("<3>"), std::string::npos);
}

}  // namespace
}  // namespace herald
