#pragma once
// How the dispatcher runs a blocking connector call: on the worker pool in
// the daemon (results handed back on the event loop), at once in tests and
// one-shot commands.

#include "connectors/connector.hpp"

#include <functional>

namespace herald {

/// Runs blocking connector calls and hands results back on the loop.
class Executor {
 public:
  virtual ~Executor() = default;
  virtual void publish(Connector& c, PublishRequest request, std::function<void(PublishResult)> done) = 0;
  virtual void lookup(Connector& c, PublishRequest request, std::function<void(LookupResult)> done) = 0;
  /// Runs `f` on the loop once the handler running now has returned, after
  /// the results already handed back (the daemon: asio::post), so results
  /// that arrive together can be written together. At once by default.
  virtual void soon(std::function<void()> f) { f(); }
};

/// Runs each call at once, on the caller's thread (tests, `herald` one-shots).
class InlineExecutor : public Executor {
 public:
  void publish(Connector& c, PublishRequest r, std::function<void(PublishResult)> done) override {
    done(c.publish(r));
  }
  void lookup(Connector& c, PublishRequest r, std::function<void(LookupResult)> done) override { done(c.lookup(r)); }
};

}  // namespace herald
