#pragma once
// Runs a real program for integration tests: arguments, captured output, exit code.

#include <chrono>
#include <functional>
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

namespace herald::testing {

/// A program running in the background (the daemon under test); its stderr
/// goes to a file so the test can read the log at any time.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& argv, const std::string& stderr_file,
                    const std::vector<std::string>& env = {});
  ~BackgroundProcess();  ///< SIGKILLs it if still running
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  int pid() const { return pid_; }
  void signal(int sig);
  /// Waits for it to exit (up to `timeout`); its exit code, 128 + signal, or -1 on timeout.
  int wait(std::chrono::milliseconds timeout);
  bool running();

 private:
  int pid_ = -1;
  int status_ = -1;
};

/// Polls `condition` every 20 ms until it holds or `timeout` passes: for
/// waiting on a real process, never for the passage of time itself.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

/// The whole content of a file ("" if missing).
std::string read_file(const std::string& path);

}  // namespace herald::testing
