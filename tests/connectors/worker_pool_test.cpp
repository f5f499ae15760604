#include "connectors/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace herald {
namespace {

// Only a guard against a hang; no test waits this long when it passes.
constexpr auto kDeadline = std::chrono::seconds(10);

/// Stands in for the event loop: post_back queues here, the test thread runs.
class TestLoop {
 public:
  PostBack post_back() {
    return [this](std::function<void()> f) {
      std::lock_guard lock(mutex_);
      queue_.push_back(std::move(f));
      cv_.notify_all();
    };
  }
  /// Runs the next posted function on this thread; false if none came in time.
  bool run_one() {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, kDeadline, [&] { return !queue_.empty(); })) return false;
    auto f = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    f();
    return true;
  }
  std::size_t pending() {
    std::lock_guard lock(mutex_);
    return queue_.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
};

/// A gate jobs wait at, counting how many are waiting.
class Gate {
 public:
  /// Called by a job: counts itself in, waits for open(), counts itself out.
  void pass() {
    std::unique_lock lock(mutex_);
    ++inside_;
    max_inside_ = std::max(max_inside_, inside_);
    cv_.notify_all();
    cv_.wait_for(lock, kDeadline, [&] { return open_; });
    --inside_;
  }
  bool wait_inside(int n) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, kDeadline, [&] { return inside_ >= n; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }
  int max_inside() {
    std::lock_guard lock(mutex_);
    return max_inside_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int inside_ = 0;
  int max_inside_ = 0;
  bool open_ = false;
};

TEST(WorkerPool, ResultComesBackThroughPostBackOnTheLoopThread) {
  WorkerPool pool(2);
  TestLoop loop;
  std::thread::id worker, done_thread;
  std::optional<int> result;
  ASSERT_TRUE(run_async(
      pool, loop.post_back(),
      [&] {
        worker = std::this_thread::get_id();
        return 6 * 7;
      },
      [&](int r) {
        result = r;
        done_thread = std::this_thread::get_id();
      }));
  ASSERT_TRUE(loop.run_one());
  EXPECT_EQ(result, 42);
  EXPECT_NE(worker, std::this_thread::get_id());
  EXPECT_EQ(done_thread, std::this_thread::get_id());
}

TEST(WorkerPool, DoneIsNotCalledUntilTheLoopRunsIt) {
  WorkerPool pool(1);
  TestLoop loop;
  std::promise<void> worked;
  bool done = false;
  run_async(
      pool, loop.post_back(), [&] { worked.set_value(); }, [&] { done = true; });
  ASSERT_EQ(worked.get_future().wait_for(kDeadline), std::future_status::ready);
  pool.stop();  // the job, and its post_back, have finished
  EXPECT_FALSE(done);
  EXPECT_EQ(loop.pending(), 1u);
  ASSERT_TRUE(loop.run_one());
  EXPECT_TRUE(done);
}

TEST(WorkerPool, MoveOnlyWorkDoneAndResult) {
  WorkerPool pool(1);
  TestLoop loop;
  auto input = std::make_unique<int>(5);
  auto offset = std::make_unique<int>(1);
  int value = 0;
  run_async(
      pool, loop.post_back(), [in = std::move(input)] { return std::make_unique<int>(*in * 2); },
      [add = std::move(offset), &value](std::unique_ptr<int> r) { value = *r + *add; });
  ASSERT_TRUE(loop.run_one());
  EXPECT_EQ(value, 11);
}

TEST(WorkerPool, AnExceptionFromWorkIsRethrownOnTheLoop) {
  WorkerPool pool(1);
  TestLoop loop;
  bool done = false;
  run_async(
      pool, loop.post_back(), []() -> int { throw std::runtime_error("boom"); }, [&](int) { done = true; });
  EXPECT_THROW(loop.run_one(), std::runtime_error);
  EXPECT_FALSE(done);
}

TEST(WorkerPool, RunsJobsConcurrentlyUpToItsSize) {
  constexpr int kThreads = 4;
  WorkerPool pool(kThreads);
  EXPECT_EQ(pool.size(), static_cast<std::size_t>(kThreads));
  TestLoop loop;
  Gate gate;
  int completed = 0;
  for (int i = 0; i < 3 * kThreads; ++i)
    ASSERT_TRUE(run_async(pool, loop.post_back(), [&] { gate.pass(); }, [&] { ++completed; }));
  // All threads are inside at once; the other jobs wait in the queue.
  ASSERT_TRUE(gate.wait_inside(kThreads));
  gate.open();
  for (int i = 0; i < 3 * kThreads; ++i) ASSERT_TRUE(loop.run_one());
  EXPECT_EQ(completed, 3 * kThreads);
  EXPECT_EQ(gate.max_inside(), kThreads);
}

TEST(WorkerPool, StopWaitsForRunningAndQueuedJobs) {
  WorkerPool pool(1);
  Gate gate;
  std::atomic<int> finished{0};
  ASSERT_TRUE(pool.submit([&] {
    gate.pass();
    ++finished;
  }));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(pool.submit([&] { ++finished; }));
  ASSERT_TRUE(gate.wait_inside(1));

  auto stopped = std::async(std::launch::async, [&] {
    pool.stop();
    return finished.load();
  });
  // Once submit is refused, stop() has begun; it must still be waiting.
  const auto give_up = std::chrono::steady_clock::now() + kDeadline;
  while (pool.submit([] {})) {
    ASSERT_LT(std::chrono::steady_clock::now(), give_up);
    std::this_thread::yield();
  }
  EXPECT_EQ(stopped.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  gate.open();
  ASSERT_EQ(stopped.wait_for(kDeadline), std::future_status::ready);
  EXPECT_EQ(stopped.get(), 4);
}

TEST(WorkerPool, RefusesWorkAfterStop) {
  WorkerPool pool(2);
  TestLoop loop;
  pool.stop();
  pool.stop();  // idempotent
  bool ran = false;
  EXPECT_FALSE(pool.submit([&] { ran = true; }));
  EXPECT_FALSE(run_async(pool, loop.post_back(), [&] { ran = true; }, [] {}));
  EXPECT_FALSE(ran);
  EXPECT_EQ(loop.pending(), 0u);
}

TEST(WorkerPool, DestructorFinishesAcceptedJobs) {
  std::atomic<int> ran{0};
  {
    WorkerPool pool(2);
    for (int i = 0; i < 20; ++i) pool.submit([&] { ++ran; });
  }
  EXPECT_EQ(ran.load(), 20);
}

TEST(WorkerPool, ZeroThreadsMeansOne) {
  WorkerPool pool(0);
  EXPECT_EQ(pool.size(), 1u);
  std::promise<void> ran;
  pool.submit([&] { ran.set_value(); });
  EXPECT_EQ(ran.get_future().wait_for(kDeadline), std::future_status::ready);
}

}  // namespace
}  // namespace herald
