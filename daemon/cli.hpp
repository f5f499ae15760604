#pragma once
// The `herald` command line: parses arguments and runs one command.

#include <iosfwd>
#include <optional>
#include <string>

#include "config/local_time.hpp"

namespace herald {

/// What a command may take from its surroundings, so tests can run it in-process.
struct CliContext {
  std::ostream& out;
  std::ostream& err;
  /// The current instant (the real clock in main, fixed in tests).
  Instant now;
};

/// Runs `herald ARGS...`; returns the process exit code.
int run_cli(int argc, const char* const* argv, CliContext& ctx);

}  // namespace herald
