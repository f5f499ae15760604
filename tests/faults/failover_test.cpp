// Two real `herald run` processes on one real PostgreSQL (DESIGN.md "The
// store beyond one host"), publishing to the real herald-sandbox: one holds
// the store's lease and dispatches, the other stands by. The active one is
// killed with SIGKILL, or frozen with SIGSTOP past its lease and then let go
// on; the standby takes over, and every post is created exactly once.
#include "tests/support/herald_daemon.hpp"
#include "tests/support/process.hpp"
#include "tests/support/real_postgresql.hpp"
#include "tests/support/sandbox_process.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <map>

namespace herald {
namespace {

using testing::eventually;
using testing::HeraldDaemon;
using testing::RealPostgresql;
using testing::SandboxProcess;
using testing::utc_in;
using namespace std::chrono_literals;

constexpr int kPosts = 24;

class Failover : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const auto why = RealPostgresql::unavailable(); !why.empty()) GTEST_SKIP() << why;
    auto started = RealPostgresql::start();
    ASSERT_TRUE(started.server) << started.unavailable;
    db_ = std::move(started.server);
    sandbox_ = std::make_unique<SandboxProcess>(a_.dir() / "sandbox", testing::sandbox_x_section(1000));
    // Posts from 6 s on, two a second: some before the active instance goes,
    // most after.
    std::string calendar = "posts:\n";
    for (int i = 0; i < kPosts; ++i)
      calendar += "  - {id: p" + std::to_string(i) + ", at: \"" + utc_in(std::chrono::seconds(6 + i / 2)) +
                  "\", channels: [x], text: \"Failover post " + std::to_string(i) + "\"}\n";
    for (HeraldDaemon* h : {&a_, &b_}) {
      h->write_credential("x", testing::sandbox_x_credentials());
      h->write_credential("db", "password: \"" + db_->password() + "\"\n");
      h->write_settings("  x: {kind: x, account: sandbox_herald, credentials: x, api_base: \"" +
                            sandbox_->base_url() + "\"}\n",
                        "store:\n  postgresql: \"" + db_->url() + "\"\n  password: db\n  lease: 2s\n");
      h->write_calendar(calendar);
    }
  }

  // A holds the lease, B stands by.
  void start_both() {
    a_.start();
    ASSERT_TRUE(a_.wait_for_log("holds the store's lease", 30s)) << a_.log();
    b_.start();
    ASSERT_TRUE(b_.wait_for_log("standing by: the active instance is", 30s)) << b_.log();
  }

  std::size_t created() const { return sandbox_->creates().size(); }

  // Every post created once, none twice, nothing else.
  void expect_each_post_once() {
    ASSERT_TRUE(eventually([&] { return created() >= static_cast<std::size_t>(kPosts); }, 60s))
        << created() << " of " << kPosts << " created\nA:\n" << a_.log() << "\nB:\n" << b_.log();
    std::map<std::string, int> times;
    for (const auto& c : sandbox_->creates()) ++times[c.text];
    EXPECT_EQ(times.size(), static_cast<std::size_t>(kPosts));
    for (int i = 0; i < kPosts; ++i)
      EXPECT_EQ(times["Failover post " + std::to_string(i)], 1) << "post p" << i;
  }

  std::unique_ptr<RealPostgresql> db_;
  HeraldDaemon a_{"a"}, b_{"b"};
  std::unique_ptr<SandboxProcess> sandbox_;
};

TEST_F(Failover, TheStandbyTakesOverFromAKilledInstanceAndNothingGoesOutTwice) {
  start_both();
  ASSERT_TRUE(eventually([&] { return created() >= 4; }, 30s)) << a_.log();
  a_.kill();
  const auto killed = std::chrono::steady_clock::now();
  ASSERT_TRUE(b_.wait_for_log("holds the store's lease", 30s)) << b_.log();
  const auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed);
  // A figure for docs/performance.md, not a timing assertion: the lease is
  // 2 s and the standby asks every 667 ms.
  RecordProperty("leaderless_ms", static_cast<int>(gap.count()));
  std::cout << "no instance held the lease for " << gap.count() << " ms after the SIGKILL\n";
  expect_each_post_once();
  EXPECT_EQ(b_.stop(), 0);
}

TEST_F(Failover, AFrozenInstanceThatWakesUpAfterItsLeaseCreatesNothingAndStandsDown) {
  start_both();
  ASSERT_TRUE(eventually([&] { return created() >= 4; }, 30s)) << a_.log();
  a_.process()->signal(SIGSTOP);
  ASSERT_TRUE(b_.wait_for_log("holds the store's lease", 30s)) << b_.log();
  const std::size_t before = created();
  ASSERT_TRUE(eventually([&] { return created() >= before + 3; }, 30s)) << b_.log();
  // Woken mid-pump with posts due: it may not create any, and it goes.
  a_.process()->signal(SIGCONT);
  EXPECT_EQ(a_.process()->wait(30s), 75) << a_.log();
  EXPECT_NE(a_.log().find("exits, so that it starts again as a standby"), std::string::npos) << a_.log();
  expect_each_post_once();
  EXPECT_EQ(b_.stop(), 0);
}

TEST_F(Failover, AStoppedInstanceHandsTheLeaseOverAtOnce) {
  start_both();
  EXPECT_EQ(a_.stop(), 0);
  ASSERT_TRUE(b_.wait_for_log("holds the store's lease", 30s)) << b_.log();
  expect_each_post_once();
  EXPECT_EQ(b_.stop(), 0);
}

}  // namespace
}  // namespace herald
