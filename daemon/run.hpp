#pragma once
// `herald run`: the daemon. One Boost.Asio io_context drives a timer per
// channel, the signals, calendar watching and the results of connector calls.

#include "scheduler/logger.hpp"

#include <string>

namespace herald {

/// Runs until SIGTERM or SIGINT; returns the process exit code.
int run_daemon(const std::string& config_path, Logger& log);

}  // namespace herald
