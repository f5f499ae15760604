#pragma once
// Runs a real program for integration tests: arguments, captured output, exit code.

#include <chrono>
#include <filesystem>
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
/// When the test runs as root and `as_user` names an account, the program
/// runs as that account (its uid, gid and groups); otherwise as the test.
ProcessResult run_process(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
                          const std::string& as_user = {});

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

/// A server a test starts (a database, a web server), with everything it
/// forks: it runs in a process group of its own, as `as_user` when the test
/// runs as root (see run_process), with stdout and stderr appended to
/// `log_file`. A small keeper process (a fork of the test that never execs)
/// waits beside it: when this object is destroyed, or the test process dies
/// in any other way (a crash, ctest's timeout), the keeper SIGKILLs the whole
/// group and reaps it, orphans included (it is their subreaper), so nothing
/// the server started is left running or listening.
class ServerProcess {
 public:
  ServerProcess(const std::vector<std::string>& argv, const std::string& log_file,
                const std::vector<std::string>& env = {}, const std::string& as_user = {});
  ~ServerProcess();  ///< stop()
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  /// The server's process group id (its main process's pid).
  int group() const { return group_; }
  /// True until the server's main process has exited (the keeper then
  /// cleans up the rest of the group and exits too).
  bool running();
  /// Kills the whole group and waits until every process in it is gone;
  /// the server's exit code, 128 + signal, or -1 if unknown. Idempotent.
  int stop();

 private:
  int keeper_ = -1;  ///< the keeper's pid, a child of the test
  int group_ = -1;
  int guard_ = -1;   ///< write end of the pipe the keeper watches; closing it means "stop"
  int status_ = -1;
};

/// Polls `condition` every 20 ms until it holds or `timeout` passes: for
/// waiting on a real process, never for the passage of time itself.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

/// A TCP port nobody listens on on 127.0.0.1 right now. Another process may
/// take it before a server binds it: a harness that starts one tries another.
int free_loopback_port();

/// Whether this system has an account of that name.
bool account_exists(const char* name);
/// When the test runs as root, gives `path` to `account` (a server that runs
/// as it writes there); otherwise everything runs as the test already.
void hand_over(const std::filesystem::path& path, const char* account);
/// The last `bytes` of a file, headed by its name: for failure messages.
std::string tail_of(const std::filesystem::path& path, std::size_t bytes = 8192);
/// `chars` random hexadecimal digits (passwords, salts of a test's servers).
std::string random_hex(std::size_t chars);

/// The whole content of a file ("" if missing).
std::string read_file(const std::string& path);

/// The status token `herald run` needs before it starts (a daemon nobody
/// can pause does not run): `credentials_dir/status-token`, mode 0600.
inline constexpr const char* kTestStatusToken = "status-token-FAKE-for-tests-7c1e";
void write_status_token(const std::string& credentials_dir, const std::string& token = kTestStatusToken);

}  // namespace herald::testing
