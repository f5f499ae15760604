#pragma once
// Where the dispatcher books its wake-ups (STYLE.md 13: a timer decides its
// own next run). The dispatcher decides when each channel must be pumped
// next and books it here after every pump and every result; the daemon's
// implementation is an asio timer per channel (daemon/asio_wakes.hpp), tests
// use ManualWakes and fire the bookings as their clock advances. Channels
// whose times come together are handed over together, so the dispatcher can
// start their creates with one `sending` commit.

#include "config/local_time.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace herald {

/// One wake-up per channel: a booking replaces the channel's earlier one.
class Wakes {
 public:
  /// The channels whose time has come, in the order of their times.
  using Handler = std::function<void(const std::vector<std::string>& channels)>;
  virtual ~Wakes() = default;
  /// What runs when channels' times come (the dispatcher's pump).
  virtual void on_wake(Handler handler) = 0;
  /// Calls the handler for `channel` at `at`, or never (nullopt). A time in
  /// the past means as soon as the caller has returned, never from inside
  /// this call: a result may book its own channel while a pump is running.
  virtual void wake_at(const std::string& channel, std::optional<Instant> at) = 0;
};

/// Bookings kept in a table; a test fires them as its clock advances.
class ManualWakes : public Wakes {
 public:
  void on_wake(Handler handler) override { handler_ = std::move(handler); }
  void wake_at(const std::string& channel, std::optional<Instant> at) override {
    if (at) booked_[channel] = *at;
    else booked_.erase(channel);
  }
  /// The channel's booking, if any.
  std::optional<Instant> booked(const std::string& channel) const {
    auto it = booked_.find(channel);
    return it == booked_.end() ? std::nullopt : std::optional<Instant>(it->second);
  }
  /// The earliest booking (the first channel by name among equals).
  std::optional<std::pair<std::string, Instant>> earliest() const {
    std::optional<std::pair<std::string, Instant>> out;
    for (const auto& [channel, at] : booked_)
      if (!out || at < out->second) out = std::make_pair(channel, at);
    return out;
  }
  /// Runs the handler of `channel`'s booking, which ends with it.
  void fire(const std::string& channel) {
    booked_.erase(channel);
    if (handler_) handler_({channel});
  }
  /// Runs the handler once for every booking due by `now`, as one loop turn
  /// of the daemon's timer would; returns how many channels it woke.
  std::size_t fire_due(Instant now) {
    std::vector<std::pair<Instant, std::string>> due;
    for (const auto& [channel, at] : booked_)
      if (at <= now) due.emplace_back(at, channel);
    std::sort(due.begin(), due.end());
    std::vector<std::string> channels;
    for (const auto& [at, channel] : due) {
      booked_.erase(channel);
      channels.push_back(channel);
    }
    if (!channels.empty() && handler_) handler_(channels);
    return channels.size();
  }

 private:
  Handler handler_;
  std::map<std::string, Instant> booked_;
};

}  // namespace herald
