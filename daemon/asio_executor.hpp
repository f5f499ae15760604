#pragma once
// The dispatcher's Executor in the daemon: connector calls run on the worker
// pool and their results are handed back on the event loop.

#include "connectors/worker_pool.hpp"
#include "scheduler/executor.hpp"
#include "scheduler/fault.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <memory>

namespace herald {

class AsioExecutor : public Executor {
 public:
  AsioExecutor(boost::asio::io_context& io, std::size_t threads) : io_(io), pool_(threads) {}

  void publish(Connector& c, PublishRequest r, std::function<void(PublishResult)> done) override {
    run_async(
        pool_, post_back(),
        [&c, r = std::move(r)]() -> PublishResult {
          PublishResult result = Unsure{"no result"};
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

  void lookup(Connector& c, PublishRequest r, std::function<void(LookupResult)> done) override {
    run_async(
        pool_, post_back(),
        [&c, r = std::move(r)]() -> LookupResult {
          try {
            return c.lookup(r);
          } catch (const std::exception& e) {
            return Unknown{std::string("the connector failed: ") + e.what()};
          }
        },
        std::move(done));
  }

  /// Posted behind the results already handed back, so they are written together.
  void soon(std::function<void()> f) override { boost::asio::post(io_, std::move(f)); }

  /// Lets running calls finish (each has its own deadline), then stops.
  void join() { pool_.stop(); }

 private:
  // Each call holds a work guard on the loop until its result has been
  // handled, so a graceful stop waits for requests in flight.
  PostBack post_back() {
    auto guard = std::make_shared<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
        io_.get_executor());
    return [this, guard](std::function<void()> f) { boost::asio::post(io_, [guard, f = std::move(f)] { f(); }); };
  }

  boost::asio::io_context& io_;
  WorkerPool pool_;
};

}  // namespace herald
