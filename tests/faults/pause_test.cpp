// Fault 5 of issue 11: a pause that always holds. `herald pause` is run while
// hostile local clients hold the status port (4 that trickle a header byte
// every 2 s; then 1,000 idle connections) with a post due 2 s later: the
// command exits 0 and the post never goes out. And when the endpoint cannot
// answer at all (the event loop stuck), the command writes the pause into the
// daemon's store, which the gate before every create reads.
#include "scheduler/store.hpp"
#include "tests/support/herald_daemon.hpp"
#include "tests/support/sandbox_process.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

namespace herald {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::HeraldDaemon;
using testing::SandboxProcess;
using testing::utc_in;

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  return fd;
}

class PauseUnderLoad : public ::testing::Test {
 protected:
  void SetUp() override {
    sandbox_ = std::make_unique<SandboxProcess>(herald_.dir() / "sandbox", testing::sandbox_x_section());
    herald_.write_credential("x", testing::sandbox_x_credentials());
    herald_.write_settings("  x: {kind: x, account: sandbox_herald, credentials: x, api_base: \"" +
                           sandbox_->base_url() + "\"}\n");
  }
  void TearDown() override {
    stop_attack_ = true;
    for (auto& t : attackers_) t.join();
    for (int fd : idle_) ::close(fd);
  }
  /// A post due `in` from now, and the daemon running.
  void start_with_post_due(std::chrono::seconds in) {
    herald_.write_calendar("posts:\n  - {id: promo, at: \"" + utc_in(in) +
                           "\", channels: [x], text: \"Spring sale, 50% off!\"}\n");
    herald_.start();
    ASSERT_TRUE(herald_.wait_started());
  }
  /// Four clients that each send one byte of a request header every 2 s.
  void trickle() {
    for (int i = 0; i < 4; ++i) {
      attackers_.emplace_back([this, port = herald_.port()] {
        const std::string header = "GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
        while (!stop_attack_) {
          const int fd = connect_to(port);
          if (fd < 0) continue;
          std::size_t sent = 0;
          while (!stop_attack_) {
            const char c = sent < header.size() ? header[sent] : 'a';
            if (::send(fd, &c, 1, MSG_NOSIGNAL) != 1) break;  // cut off: connect again
            ++sent;
            for (int t = 0; t < 20 && !stop_attack_; ++t) std::this_thread::sleep_for(100ms);  // the attack's pace
          }
          ::close(fd);
        }
      });
    }
  }
  /// Waits `in` past the post's time and checks it never went out.
  void expect_never_sent() {
    ASSERT_TRUE(eventually(
        [&] {
          const auto a = herald_.get("/api/v1/deliveries/promo@x");
          return a.body.find("\"state\":\"held\"") != std::string::npos;
        },
        20s))
        << herald_.get("/api/v1/deliveries/promo@x").body;
    EXPECT_TRUE(sandbox_->public_posts("x").empty()) << "nothing goes out while paused";
  }

  HeraldDaemon herald_;
  std::unique_ptr<SandboxProcess> sandbox_;
  std::vector<std::thread> attackers_;
  std::atomic<bool> stop_attack_{false};
  std::vector<int> idle_;
};

TEST_F(PauseUnderLoad, FourSlowClientsCannotStopAPause) {
  start_with_post_due(3s);
  trickle();
  // Let the trickling connections take hold before the crisis.
  ASSERT_TRUE(eventually([&] { return herald_.get("/healthz", 5s).status == 200; }, 10s));
  // The post is due 3 s after the start: a pause that did not take hold at
  // once would let it out, which expect_never_sent catches.
  const auto paused = herald_.cli({"pause", "--reason", "crisis in the news"});
  ASSERT_EQ(paused.exit_code, 0) << paused.err;
  EXPECT_EQ(paused.err.find("written into herald's state database directly"), std::string::npos)
      << "the endpoint itself answered: " << paused.err;
  EXPECT_EQ(herald_.get("/healthz", 5s).status, 200);
  expect_never_sent();
  stop_attack_ = true;
  EXPECT_EQ(herald_.stop(), 0);
}

TEST_F(PauseUnderLoad, AThousandIdleConnectionsCannotStopAPause) {
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < 1200 && lim.rlim_max >= 1200) {
    lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, 4096);
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
  start_with_post_due(4s);
  for (int i = 0; i < 1000; ++i) {
    const int fd = connect_to(herald_.port());
    ASSERT_GE(fd, 0) << "connection " << i;
    idle_.push_back(fd);
  }
  const auto health = herald_.get("/healthz", 8s);
  EXPECT_EQ(health.status, 200) << "/healthz answers with 1,000 idle connections open";
  const auto paused = herald_.cli({"pause", "--reason", "crisis in the news"});
  ASSERT_EQ(paused.exit_code, 0) << paused.err;
  expect_never_sent();
  EXPECT_EQ(herald_.stop(), 0);
}

// The endpoint cannot answer (the loop is stuck for 20 s at a test-build stall
// point): `herald pause` writes the pause into the store; the gate before the
// create reads it the moment the loop goes on, so the post is held.
TEST_F(PauseUnderLoad, WhenTheEndpointCannotAnswerThePauseIsWrittenIntoTheStore) {
  herald_.write_calendar("posts:\n  - {id: promo, at: \"" + utc_in(6s) +
                         "\", channels: [x], text: \"Spring sale, 50% off!\"}\n");
  herald_.start({"HERALD_STALL=reload:20"});
  ASSERT_TRUE(herald_.wait_started());
  // A reload stalls the loop: nothing can answer on it.
  ::kill(herald_.process()->pid(), SIGHUP);
  ASSERT_TRUE(eventually([&] { return herald_.get("/api/v1/status", 10s).status == 503; }, 15s));
  const auto paused = herald_.cli({"pause", "--reason", "crisis in the news"});
  ASSERT_EQ(paused.exit_code, 0) << paused.err;
  EXPECT_NE(paused.err.find("the pause was written into herald's state database directly"), std::string::npos)
      << paused.err;
  // The loop goes on after the stall; the post is due by then.
  ASSERT_TRUE(herald_.wait_for_log("pauses changed in the state database by the herald command", 30s));
  expect_never_sent();
  auto store = Store::open_existing(herald_.state_dir());
  ASSERT_EQ(store->pauses().size(), 1u);
  EXPECT_EQ(store->pauses()[0].reason, "crisis in the news");
  EXPECT_EQ(herald_.stop(), 0);
}

}  // namespace
}  // namespace herald
