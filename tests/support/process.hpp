#pragma once
// Runs a real program for integration tests: arguments, captured output, exit code.

#include <string>
#include <vector>

namespace herald::testing {

/// What a finished program left behind.
struct ProcessResult {
  int exit_code = -1;     ///< exit status, or 128 + signal number
  std::string out;
  std::string err;
};

/// Runs `argv[0]` with `argv`, no stdin, and waits for it; stdout and stderr
/// are captured separately. Extra `env` entries ("NAME=value") are added.
ProcessResult run_process(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});

}  // namespace herald::testing
