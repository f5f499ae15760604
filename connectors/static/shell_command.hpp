#pragma once
// Running one `/bin/sh -c` command with a deadline and a bounded capture of
// its output (the static channel's `after`).

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace herald {

/// How a command ended.
struct CommandOutcome {
  std::string spawn_error;        ///< set if the command could not be started
  std::optional<int> exit_code;   ///< set if it exited
  std::optional<int> signal;      ///< set if a signal ended it
  bool timed_out = false;         ///< it ran past the deadline and its process group was killed
  std::string output;             ///< stdout and stderr interleaved, at most the limit
  bool truncated = false;         ///< output went past the limit
  /// Started, exited with status 0, in time.
  bool ok() const { return spawn_error.empty() && !timed_out && exit_code == 0; }
};

/// What run_shell_command may use.
struct CommandLimits {
  std::chrono::milliseconds timeout{60'000};
  std::size_t output_limit = 64 * 1024;  ///< bytes kept; the rest is read and dropped
};

/// Runs `/bin/sh -c command` in `cwd`, stdin /dev/null, in a new session (so
/// its process group can be killed as a whole), and reaps it. On timeout the
/// whole group gets SIGKILL. Children the command leaves running in the
/// background are not waited for.
/// `extra_env` ("NAME=value") is added to the daemon's environment for the command.
CommandOutcome run_shell_command(const std::string& command, const std::filesystem::path& cwd,
                                 const CommandLimits& limits, const std::vector<std::string>& extra_env = {});

/// One line for a message: "exit code 3", "killed by signal 9", "timed out after 2 s", ...
std::string describe(const CommandOutcome& outcome, const CommandLimits& limits);

}  // namespace herald
