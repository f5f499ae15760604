#pragma once
// The real `herald run` in a directory of its own, for tests that treat it
// as an operator would: settings, calendar and credentials written by the
// test, the daemon started and stopped as a process, its log read, its
// status endpoint asked over HTTP and the `herald` command run against it.

#include "tests/support/process.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace herald::testing {

/// What an HTTP request to the status endpoint came to (status 0: no answer).
struct HttpAnswer {
  int status = 0;
  std::string body;
};

class HeraldDaemon {
 public:
  /// A fresh directory named after the running test (and `name`, for a
  /// test with several daemons), with a status token.
  explicit HeraldDaemon(const std::string& name = {});
  ~HeraldDaemon();  ///< SIGKILLs a daemon still running; keeps the directory when the test failed
  HeraldDaemon(const HeraldDaemon&) = delete;
  HeraldDaemon& operator=(const HeraldDaemon&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path config() const { return dir_ / "herald.yaml"; }
  std::filesystem::path state_dir() const { return dir_ / "state"; }
  std::filesystem::path credentials_dir() const { return dir_ / "credentials"; }

  /// herald.yaml: calendar.yaml, state (unless `extra` names a state_dir),
  /// credentials, UTC, any free status port, then `extra` (top-level YAML)
  /// and the `channels:` block.
  void write_settings(const std::string& channels, const std::string& extra = {});
  /// A credential file, owner-readable only.
  void write_credential(const std::string& name, const std::string& text);
  /// calendar.yaml, written in place (or renamed over, as many editors save).
  void write_calendar(const std::string& text, bool by_rename = true);

  /// Starts `herald run`; its stderr goes to herald.log (appended).
  /// `herald run` with `env` and, after its --config, `args`.
  void start(const std::vector<std::string>& env = {}, const std::vector<std::string>& args = {});
  /// Waits until the daemon started this time has its status endpoint up,
  /// then writes the port it bound into the settings (for the `herald`
  /// command); false when it exited or took longer than `timeout`.
  /// `standing_by`: the endpoint of an instance standing by on a shared store.
  bool wait_started(std::chrono::milliseconds timeout = std::chrono::seconds(30), bool standing_by = false);
  /// SIGTERM and wait: the exit code (or -1).
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  void kill();
  BackgroundProcess* process() { return process_.get(); }
  /// The status port of the daemon started last (after wait_started).
  int port() const { return port_; }

  std::string log() const;
  /// The log written since the daemon was started last.
  std::string log_of_this_run() const;
  /// Polls the log until `text` appears (in this run's part); false on timeout.
  bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout);

  HttpAnswer get(const std::string& path, std::chrono::seconds timeout = std::chrono::seconds(20)) const;
  HttpAnswer post(const std::string& path, const std::string& body,
                  std::chrono::seconds timeout = std::chrono::seconds(20)) const;
  /// `herald ARGS --config herald.yaml`, waited for.
  ProcessResult cli(std::vector<std::string> args) const;

 private:
  std::filesystem::path dir_;
  std::unique_ptr<BackgroundProcess> process_;
  std::size_t log_start_ = 0;
  int port_ = 0;
};

/// An RFC 3339 UTC time `from_now` from the wall clock (calendar entries).
std::string utc_in(std::chrono::seconds from_now);

/// How many times `what` occurs in `text`.
std::size_t count_of(const std::string& text, const std::string& what);

}  // namespace herald::testing
