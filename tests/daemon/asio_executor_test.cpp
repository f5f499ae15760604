// The daemon's executor on a real io_context and real worker threads: a
// platform whose requests hang holds at most its lane's share of the
// workers, so the other platforms' requests still run (issue 15.3).
#include "daemon/asio_executor.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace herald {
namespace {

// Only a guard against a hang; no test waits this long when it passes.
constexpr auto kDeadline = std::chrono::seconds(10);

/// A platform that answers only when the test lets each request go.
class GatedConnector : public Connector {
 public:
  PublishResult publish(const PublishRequest& r) override {
    enter(r.key);
    return Published{r.key, "https://example.com/" + r.key};
  }
  LookupResult lookup(const PublishRequest& r) override {
    enter(r.key);
    return Absent{};
  }
  bool reads_counters() const override { return true; }
  CountersResult read_counters(const CountersRequest& r) override {
    enter(r.key);
    return Counters{{{"like_count", metric::likes, 1}}};
  }
  /// Waits until `n` calls have started; false if they did not in time.
  bool wait_started(std::size_t n) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, kDeadline, [&] { return started_.size() >= n; });
  }
  void let_go(const std::string& key) {
    std::lock_guard lock(mutex_);
    gone_.insert(key);
    cv_.notify_all();
  }
  std::vector<std::string> started() {
    std::lock_guard lock(mutex_);
    return started_;
  }

 private:
  void enter(const std::string& key) {
    std::unique_lock lock(mutex_);
    started_.push_back(key);
    cv_.notify_all();
    cv_.wait_for(lock, kDeadline, [&] { return gone_.count(key) > 0; });
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> started_;
  std::set<std::string> gone_;
};

/// A platform that answers at once.
class QuickConnector : public Connector {
 public:
  PublishResult publish(const PublishRequest& r) override { return Published{r.key, "https://example.com/" + r.key}; }
  LookupResult lookup(const PublishRequest&) override { return Absent{}; }
};

PublishRequest request(const std::string& key) {
  PublishRequest r;
  r.key = key;
  return r;
}

TEST(AsioExecutorTest, AHangingPlatformLeavesTheOthersTheirWorkers) {
  boost::asio::io_context io;
  AsioExecutor executor(io, 2);
  executor.set_lane_limit(1);
  GatedConnector x;
  QuickConnector mastodon;
  std::vector<std::string> done;  // touched on this thread only: results come back on the loop
  auto record = [&](const std::string& key) { return [&done, key](auto) { done.push_back(key); }; };

  executor.publish("x", x, request("x1"), record("x1"));
  executor.lookup("x", x, request("x2"), record("x2"));  // lookups share their platform's lane
  executor.publish("mastodon", mastodon, request("m1"), record("m1"));
  executor.publish("mastodon", mastodon, request("m2"), record("m2"));
  EXPECT_EQ(executor.running("x"), 1);
  EXPECT_EQ(executor.waiting("x"), 1);

  // X's first request hangs on one worker; Mastodon's two run on the other.
  ASSERT_TRUE(x.wait_started(1));
  for (int i = 0; i < 2; ++i) ASSERT_EQ(io.run_one_for(kDeadline), 1u) << "Mastodon's answer " << i;
  EXPECT_EQ(done, (std::vector<std::string>{"m1", "m2"}));
  EXPECT_EQ(x.started(), std::vector<std::string>{"x1"}) << "X's second call waits in its lane, not on a worker";
  EXPECT_EQ(executor.running("mastodon"), 0);

  // X's request finishes: its lane's next call takes its place.
  x.let_go("x1");
  ASSERT_EQ(io.run_one_for(kDeadline), 1u);
  EXPECT_EQ(done.back(), "x1");
  ASSERT_TRUE(x.wait_started(2));
  EXPECT_EQ(x.started().back(), "x2");
  EXPECT_EQ(executor.waiting("x"), 0);
  x.let_go("x2");
  io.run();  // returns once every call's result is handled: no work guard is left behind
  EXPECT_EQ(done, (std::vector<std::string>{"m1", "m2", "x1", "x2"}));
  EXPECT_EQ(executor.running("x"), 0);
  executor.join();
}

// Issue 17: a counter read never takes a create's place. With one worker and
// a lane of one, a read that hangs on the same platform leaves the create
// its worker and its lane: it runs on the executor's own reading thread.
TEST(AsioExecutorTest, AHangingCounterReadNeverHoldsACreate) {
  boost::asio::io_context io;
  AsioExecutor executor(io, 1);
  executor.set_lane_limit(1);
  GatedConnector x;
  std::vector<std::string> done;
  CountersRequest read;
  read.key = "r1";
  executor.read_counters(x, read, [&done](CountersResult r) {
    EXPECT_TRUE(std::holds_alternative<Counters>(r));
    done.push_back("r1");
  });
  ASSERT_TRUE(x.wait_started(1));
  executor.publish("x", x, request("c1"), [&done](PublishResult) { done.push_back("c1"); });
  EXPECT_EQ(executor.running("x"), 1);
  EXPECT_EQ(executor.waiting("x"), 0);
  ASSERT_TRUE(x.wait_started(2));
  EXPECT_EQ(x.started(), (std::vector<std::string>{"r1", "c1"}));
  x.let_go("c1");
  ASSERT_EQ(io.run_one_for(kDeadline), 1u);
  EXPECT_EQ(done, std::vector<std::string>{"c1"}) << "the create's answer came while the read still hangs";
  x.let_go("r1");
  io.run();
  EXPECT_EQ(done, (std::vector<std::string>{"c1", "r1"}));
  executor.join();
}

// The lane limits calls running, not calls made: with a limit of two, two
// calls of one platform run side by side, and the third starts the moment
// either is back, without the dispatcher deciding anything in between.
TEST(AsioExecutorTest, ALaneRunsUpToItsLimitAtOnce) {
  boost::asio::io_context io;
  AsioExecutor executor(io, 4);
  executor.set_lane_limit(2);
  GatedConnector wordpress;
  std::vector<std::string> done;
  for (const auto* key : {"w1", "w2", "w3"})
    executor.publish("wordpress", wordpress, request(key), [&done, key = std::string(key)](PublishResult) {
      done.push_back(key);
    });
  ASSERT_TRUE(wordpress.wait_started(2));
  {
    auto first = wordpress.started();
    EXPECT_EQ(std::set<std::string>(first.begin(), first.end()), (std::set<std::string>{"w1", "w2"}));
  }
  EXPECT_EQ(executor.running("wordpress"), 2);
  EXPECT_EQ(executor.waiting("wordpress"), 1);
  wordpress.let_go("w2");
  ASSERT_EQ(io.run_one_for(kDeadline), 1u);
  EXPECT_EQ(done, std::vector<std::string>{"w2"});
  ASSERT_TRUE(wordpress.wait_started(3));
  EXPECT_EQ(wordpress.started().back(), "w3");
  wordpress.let_go("w1");
  wordpress.let_go("w3");
  io.run();
  EXPECT_EQ(done.size(), 3u);
  executor.join();
}

}  // namespace
}  // namespace herald
