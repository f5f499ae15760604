#pragma once
// Where "now" comes from: the system clock in the daemon, a hand-set one in
// tests, so days of schedule run in milliseconds.

#include "config/local_time.hpp"

#include <chrono>

namespace herald {

/// Where "now" comes from.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant now() const = 0;
};

/// The wall clock, to the second (the daemon's).
class SystemClock : public Clock {
 public:
  Instant now() const override {
    return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  }
};

/// A clock tests set by hand.
class ManualClock : public Clock {
 public:
  explicit ManualClock(Instant start) : now_(start) {}
  Instant now() const override { return now_; }
  void set(Instant t) { now_ = t; }
  void advance(std::chrono::seconds d) { now_ += d; }

 private:
  Instant now_;
};

}  // namespace herald
