#pragma once
// How the dispatcher runs a blocking connector call: on the worker pool in
// the daemon (results handed back on the event loop), at once in tests and
// one-shot commands.

#include "connectors/connector.hpp"

#include <functional>
#include <string>

namespace herald {

/// Runs blocking connector calls and hands results back on the loop. Each
/// call names its lane (the platform, a channel kind): at most
/// lane_limit() calls of one lane run at once, the rest wait their turn in
/// order, so a slow platform cannot hold the workers another one needs.
class Executor {
 public:
  virtual ~Executor() = default;
  virtual void publish(const std::string& lane, Connector& c, PublishRequest request,
                       std::function<void(PublishResult)> done) = 0;
  virtual void lookup(const std::string& lane, Connector& c, PublishRequest request,
                      std::function<void(LookupResult)> done) = 0;
  /// Reads a published post's counters (the collector). Never in a lane and
  /// never on a worker a create could need: the daemon reads on a thread of
  /// its own. At once by default.
  virtual void read_counters(Connector& c, CountersRequest r, std::function<void(CountersResult)> done) {
    done(c.read_counters(r));
  }
  /// Runs `f` on the loop once the handler running now has returned, after
  /// the results already handed back (the daemon: asio::post), so results
  /// that arrive together can be written together. At once by default.
  virtual void soon(std::function<void()> f) { f(); }
  /// The most calls of one lane running at once (at least 1).
  void set_lane_limit(int limit) { lane_limit_ = limit < 1 ? 1 : limit; }
  int lane_limit() const { return lane_limit_; }

 private:
  int lane_limit_ = 1;
};

/// Runs each call at once, on the caller's thread (tests, `herald` one-shots).
class InlineExecutor : public Executor {
 public:
  void publish(const std::string&, Connector& c, PublishRequest r, std::function<void(PublishResult)> done) override {
    done(c.publish(r));
  }
  void lookup(const std::string&, Connector& c, PublishRequest r, std::function<void(LookupResult)> done) override {
    done(c.lookup(r));
  }
};

}  // namespace herald
