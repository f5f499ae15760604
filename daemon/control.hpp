#pragma once
// `herald pause` and `herald resume`. Until the status endpoint lands they
// write the pause to the store directly and signal a running daemon (its pid
// file in the state directory) to look again; this is the one place to move
// when the endpoint arrives.

#include "config/settings.hpp"

#include <iosfwd>
#include <optional>
#include <string>

namespace herald {

/// Pauses everything (empty channel) or one channel. Returns an exit code.
int control_pause(const Settings& settings, const std::string& channel, const std::string& reason,
                  std::optional<Instant> until, Instant now, std::ostream& out, std::ostream& err);
/// Lifts a pause. Returns an exit code (1 when nothing was paused).
int control_resume(const Settings& settings, const std::string& channel, Instant now, std::ostream& out,
                   std::ostream& err);

/// The pid file of a running daemon, in its state directory.
std::filesystem::path pid_file(const Settings& settings);

}  // namespace herald
