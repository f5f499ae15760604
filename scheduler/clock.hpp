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
