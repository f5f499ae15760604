#pragma once
// The dispatcher's wake-ups on the event loop: a table of bookings (one per
// channel) and one system_timer set to the earliest (a wall-clock timer: a
// delivery is due at a time of day, so a clock that jumps moves the wake-up
// with it). When it fires, every channel whose time has come is handed to
// the dispatcher in one call, so deliveries falling due together start with
// one `sending` commit; and a thousand channels cost one timer, not a
// thousand.

#include "scheduler/wakes.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/system_timer.hpp>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace herald {

class AsioWakes : public Wakes {
 public:
  explicit AsioWakes(boost::asio::io_context& io) : timer_(io) {}

  void on_wake(Handler handler) override { handler_ = std::move(handler); }

  void wake_at(const std::string& channel, std::optional<Instant> at) override {
    // Replaces the channel's earlier booking.
    if (auto it = booked_.find(channel); it != booked_.end()) {
      by_time_.erase({it->second, channel});
      booked_.erase(it);
    }
    if (at && !stopped_) {
      booked_.emplace(channel, *at);
      by_time_.emplace(*at, channel);
    }
    rearm();
  }

  /// Shutting down: every booking is cancelled and none is taken any more.
  void stop() {
    stopped_ = true;
    booked_.clear();
    by_time_.clear();
    rearm();
  }

 private:
  // The timer waits for the earliest booking; it is set again only when
  // that changes. A time in the past completes through the loop, never
  // inside wake_at.
  void rearm() {
    if (by_time_.empty()) {
      if (armed_) timer_.cancel();
      armed_.reset();
      return;
    }
    const Instant first = by_time_.begin()->first;
    if (armed_ == first) return;
    armed_ = first;
    timer_.expires_at(std::chrono::system_clock::time_point(first.time_since_epoch()));
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopped_) return;  // replaced by an earlier or later booking, or stopping
      fire();
    });
  }

  // Every booking due by now, earliest first, in one call.
  void fire() {
    armed_.reset();
    const auto now = std::chrono::system_clock::now();
    std::vector<std::string> due;
    while (!by_time_.empty() &&
           std::chrono::system_clock::time_point(by_time_.begin()->first.time_since_epoch()) <= now) {
      auto first = by_time_.begin();
      due.push_back(first->second);
      booked_.erase(first->second);
      by_time_.erase(first);
    }
    rearm();
    if (!due.empty() && handler_) handler_(due);
  }

  boost::asio::system_timer timer_;
  Handler handler_;
  std::map<std::string, Instant> booked_;          // channel -> its booking
  std::set<std::pair<Instant, std::string>> by_time_;  // the same, earliest first
  std::optional<Instant> armed_;                   // what the timer waits for
  bool stopped_ = false;
};

}  // namespace herald
