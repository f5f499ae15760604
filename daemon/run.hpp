#pragma once
// `herald run`: the daemon. One Boost.Asio io_context drives a timer per
// channel, the signals, calendar watching and the results of connector calls.

#include "scheduler/logger.hpp"

#include <string>

namespace herald {

struct RunOptions {
  /// A shared store: on taking over from another host, apply this host's
  /// calendar even when the store's plan was written from another.
  bool take_over_with_my_calendar = false;
};

/// Runs until SIGTERM or SIGINT; returns the process exit code.
int run_daemon(const std::string& config_path, Logger& log, const RunOptions& options = {});

}  // namespace herald
