#pragma once
// The daemon's watch on its state database, run from the loop's heartbeat:
// the file is still herald's (not deleted, replaced, truncated or
// unwritable), and every state_check the whole file is read on a fresh
// connection to find damage the page cache would hide. A problem stops
// every create (the dispatcher holds), is logged once at <3> and shown by
// /healthz, the status and /metrics until a beat finds the store usable
// again.

#include "scheduler/clock.hpp"
#include "scheduler/dispatcher.hpp"
#include "scheduler/logger.hpp"
#include "scheduler/store.hpp"

#include <chrono>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>
#include <string>

namespace herald {

class StoreWatch {
 public:
  StoreWatch(Store& store, Dispatcher& dispatcher, const Clock& clock, Logger& log, std::filesystem::path state_dir)
      : store_(store), dispatcher_(dispatcher), clock_(clock), log_(log), state_dir_(std::move(state_dir)) {}
  ~StoreWatch() { wait(); }

  /// The store cannot be used, and why.
  void trouble(const std::string& why);
  /// Runs a store-touching step; a failure becomes trouble() (named by
  /// `what`) instead of an exception on the loop.
  template <typename F>
  bool guarded(const char* what, F f) {
    try {
      f();
      return true;
    } catch (const std::exception& e) {
      trouble(std::string(what) + ": " + describe_store_failure(e));
      return false;
    }
  }
  /// One beat's look. True when the store has just become usable again:
  /// what waited in memory is written; the caller goes on (re-reads an
  /// edit the store could not take, pumps every channel).
  bool check(std::chrono::seconds deep_check_every);
  /// The problem in words, empty while the store is usable. Safe on any thread.
  std::string problem() const;
  /// Waits for a deep check still running (at stop).
  void wait() {
    if (deep_check_.valid()) deep_check_.wait();
  }

 private:
  void set_problem(std::string why);
  void rescue_copy();

  Store& store_;
  Dispatcher& dispatcher_;
  const Clock& clock_;
  Logger& log_;
  std::filesystem::path state_dir_;
  mutable std::mutex mutex_;  // problem_ is read by /healthz on the server's threads
  std::string problem_;
  std::string last_logged_;
  std::future<std::optional<std::string>> deep_check_;  // off the loop
  std::optional<std::string> deep_finding_;
  std::optional<Instant> last_deep_check_;
  bool rescued_ = false;
};

}  // namespace herald
