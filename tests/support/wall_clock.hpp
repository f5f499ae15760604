#pragma once
// "Now" for tests that talk to a real server (the sandbox) whose own clock is
// the system's: the one place such a test reads the wall clock.

#include "config/local_time.hpp"

#include <chrono>

namespace herald::testing {

/// The system clock, to the second, as herald's Instant.
inline Instant wall_now() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }

}  // namespace herald::testing
