#pragma once
// The dispatcher's wake-ups on the event loop: one system_timer per channel
// (a wall-clock timer: a delivery is due at a time of day, so a clock that
// jumps moves the wake-up with it).

#include "scheduler/wakes.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/system_timer.hpp>

#include <map>
#include <string>

namespace herald {

class AsioWakes : public Wakes {
 public:
  explicit AsioWakes(boost::asio::io_context& io) : io_(io) {}

  void on_wake(Handler handler) override { handler_ = std::move(handler); }

  void wake_at(const std::string& channel, std::optional<Instant> at) override {
    auto& timer = timers_.try_emplace(channel, io_).first->second;
    if (!at || stopped_) {
      timer.cancel();
      return;
    }
    // Replaces the channel's earlier booking (its wait ends as cancelled).
    // A time in the past completes through the loop, never inside this call.
    timer.expires_at(std::chrono::system_clock::time_point(at->time_since_epoch()));
    timer.async_wait([this, channel](const boost::system::error_code& ec) {
      if (ec || stopped_) return;
      handler_(channel);
    });
  }

  /// Shutting down: every booking is cancelled and none is taken any more.
  void stop() {
    stopped_ = true;
    for (auto& [channel, timer] : timers_) timer.cancel();
  }

 private:
  boost::asio::io_context& io_;
  Handler handler_;
  std::map<std::string, boost::asio::system_timer> timers_;
  bool stopped_ = false;
};

}  // namespace herald
