// Fault 6 of issue 11: a status token that cannot be read. A daemon nobody can
// pause must not run (docs/operations.md): herald exits 1 with the reason,
// before it publishes anything, and never calls the credential "empty" when
// it is unreadable.
#include "tests/support/herald_daemon.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace herald {
namespace {

using namespace std::chrono_literals;
using testing::HeraldDaemon;
using testing::utc_in;

class StatusToken : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(herald_.dir() / "site");
    herald_.write_settings("  site: {kind: static, dir: site, url: \"https://example.nl/{post}/\"}\n");
    // Due at once: if herald ran at all, it would publish it.
    herald_.write_calendar("posts:\n  - {id: now, at: \"" + utc_in(0s) +
                           "\", channels: [site], title: Now, text: \"Now\"}\n");
  }
  void expect_refused(const std::string& reason) {
    herald_.start();
    ASSERT_EQ(herald_.process()->wait(20s), 1);
    const std::string log = herald_.log_of_this_run();
    EXPECT_NE(log.find("<3>not starting: the status token " + (herald_.credentials_dir() / "status-token").string() +
                       " cannot be used (" + reason + ")"),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("without it nobody could pause herald"), std::string::npos) << log;
    EXPECT_EQ(log.find("herald started"), std::string::npos) << log;
    EXPECT_FALSE(std::filesystem::exists(herald_.dir() / "site" / "now.md")) << "nothing was published";
    EXPECT_FALSE(std::filesystem::exists(herald_.state_dir() / "herald.db")) << "it stopped before the store";
  }
  HeraldDaemon herald_;
};

TEST_F(StatusToken, AMissingTokenStopsTheDaemon) {
  std::filesystem::remove(herald_.credentials_dir() / "status-token");
  expect_refused("No such file or directory");
}

TEST_F(StatusToken, AnUnreadableTokenStopsTheDaemon) {
  // A directory where the file should be: unreadable whoever runs the test
  // (permission bits do not stop root).
  std::filesystem::remove(herald_.credentials_dir() / "status-token");
  std::filesystem::create_directory(herald_.credentials_dir() / "status-token");
  expect_refused("it is a directory, not a file");
}

TEST_F(StatusToken, AnEmptyTokenStopsTheDaemon) {
  std::ofstream(herald_.credentials_dir() / "status-token", std::ios::trunc) << "\n";
  expect_refused("the file is empty");
}

TEST_F(StatusToken, AReadableTokenStarts) {
  herald_.start();
  ASSERT_TRUE(herald_.wait_started());
  ASSERT_TRUE(herald_.wait_for_log("now@site: sending -> published", 20s));
  EXPECT_EQ(herald_.stop(), 0);
}

}  // namespace
}  // namespace herald
