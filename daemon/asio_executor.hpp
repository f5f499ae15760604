#pragma once
// The dispatcher's Executor in the daemon: connector calls run on the worker
// pool and their results are handed back on the event loop.

#include "connectors/worker_pool.hpp"
#include "scheduler/executor.hpp"
#include "scheduler/fault.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <deque>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <utility>

namespace herald {

class AsioExecutor : public Executor {
 public:
  AsioExecutor(boost::asio::io_context& io, std::size_t threads) : io_(io), pool_(threads), readers_(1) {}

  // publish, lookup and every result run on the loop's thread, so the
  // lanes need no lock.
  void publish(const std::string& lane, Connector& c, PublishRequest r,
               std::function<void(PublishResult)> done) override {
    in_lane(
        lane,
        [this, &c, r = std::move(r)]() -> PublishResult {
          PublishResult result = Unsure{"no result"};
          // The last look before the request leaves, on the worker: an
          // instance whose lease may have lapsed while this call waited
          // (frozen, or cut off from the store) sends nothing. The delivery
          // stays `sending`, and whoever holds the lease settles it.
          if (create_guard_) {
            if (auto why = create_guard_()) return Unsure{"not sent: " + *why};
          }
          // The request may have gone out before the connector failed (a
          // ConnectorState write that could not be made, say): unsure, so
          // it is settled, never resent blindly; and never an exception on
          // the loop.
          try {
            result = c.publish(r);
          } catch (const std::exception& e) {
            result = Unsure{std::string("the connector failed: ") + e.what()};
          }
          fault_point("after_request");
          return result;
        },
        std::move(done));
  }

  void lookup(const std::string& lane, Connector& c, PublishRequest r,
              std::function<void(LookupResult)> done) override {
    in_lane(
        lane,
        [&c, r = std::move(r)]() -> LookupResult {
          try {
            return c.lookup(r);
          } catch (const std::exception& e) {
            return Unknown{std::string("the connector failed: ") + e.what()};
          }
        },
        std::move(done));
  }

  // Counter reads run on a thread of their own, outside every lane: a read
  // never takes a worker or a lane place a create needs (the collector
  // reads one at a time per platform anyway).
  void read_counters(Connector& c, CountersRequest r, std::function<void(CountersResult)> done) override {
    run_async(
        readers_, post_back(),
        [&c, r = std::move(r)]() -> CountersResult {
          try {
            return c.read_counters(r);
          } catch (const std::exception& e) {
            return RetryLater{std::nullopt, std::string("the connector failed: ") + e.what()};
          }
        },
        std::move(done));
  }

  /// Asked on the worker right before each create request leaves: a reason
  /// not to send it, or nullopt. Must be safe on any thread.
  void guard_creates(std::function<std::optional<std::string>()> guard) { create_guard_ = std::move(guard); }

  /// Posted behind the results already handed back, so they are written together.
  void soon(std::function<void()> f) override { boost::asio::post(io_, std::move(f)); }

  /// Calls of `lane` running (on a worker or queued for one) and waiting
  /// their turn in the lane.
  int running(const std::string& lane) const {
    auto it = lanes_.find(lane);
    return it == lanes_.end() ? 0 : it->second.running;
  }
  int waiting(const std::string& lane) const {
    auto it = lanes_.find(lane);
    return it == lanes_.end() ? 0 : static_cast<int>(it->second.waiting.size());
  }

  /// Lets running calls finish (each has its own deadline), then stops.
  void join() {
    readers_.stop();
    pool_.stop();
  }

 private:
  using Guard = std::shared_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>;
  struct Lane {
    int running = 0;
    // Calls waiting their turn, each holding the loop open (a graceful stop
    // sends them, as it sends the running ones).
    std::deque<std::pair<std::function<void()>, Guard>> waiting;
  };

  // Runs `work` on the pool in `lane`'s turn; its result goes to `done` on
  // the loop, after the lane's next call has been let in.
  template <class Work, class Result>
  void in_lane(const std::string& lane, Work work, std::function<void(Result)> done) {
    enter(lane, [this, lane, work = std::move(work), done = std::move(done)]() mutable {
      run_async(pool_, post_back(), std::move(work), [this, lane, done = std::move(done)](Result result) {
        leave(lane);
        done(std::move(result));
      });
    });
  }

  void enter(const std::string& lane, std::function<void()> start) {
    Lane& l = lanes_[lane];
    if (l.running < lane_limit()) {
      ++l.running;
      start();
      return;
    }
    l.waiting.emplace_back(std::move(start), guard());
  }

  // A call of `lane` is back: the next waiting one, if any, takes its place.
  void leave(const std::string& lane) {
    Lane& l = lanes_[lane];
    --l.running;
    while (l.running < lane_limit() && !l.waiting.empty()) {
      auto next = std::move(l.waiting.front().first);
      l.waiting.pop_front();
      ++l.running;
      next();
    }
  }

  Guard guard() {
    return std::make_shared<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
        io_.get_executor());
  }

  // Each call holds a work guard on the loop until its result has been
  // handled, so a graceful stop waits for requests in flight.
  PostBack post_back() {
    return [this, g = guard()](std::function<void()> f) { boost::asio::post(io_, [g, f = std::move(f)] { f(); }); };
  }

  boost::asio::io_context& io_;
  std::function<std::optional<std::string>()> create_guard_;  // set before the first call
  WorkerPool pool_;
  WorkerPool readers_;  // counter reads
  std::map<std::string, Lane> lanes_;
};

}  // namespace herald
