#pragma once
// A real PostgreSQL for one test: Debian 12's own postgresql package
// (PostgreSQL 15), a cluster made by initdb in a new temporary directory and
// a server on a loopback TCP port, run as the `postgres` account when the
// test runs as root; torn down (every process killed, the directory
// removed) when the object goes away. Tests can stop it cleanly, crash it
// and start it again on the same data, as a store's crash tests need.

#include "tests/support/process.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace herald::testing {

class RealPostgresql;

/// What RealPostgresql::start() gives: a running server, or why none can run here.
struct StartedPostgresql {
  std::unique_ptr<RealPostgresql> server;  ///< null when `unavailable` says why
  std::string unavailable;                 ///< a missing package or account, naming scripts/setup
};

/// One PostgreSQL cluster on 127.0.0.1 with a role and a database `herald`.
class RealPostgresql {
 public:
  /// Why this machine cannot run a real PostgreSQL ("" when it can): a
  /// package scripts/setup installs is missing, or the `postgres` account.
  static std::string unavailable();

  /// Runs initdb in a new temporary directory, starts the server and creates
  /// the role and database `herald`. A missing package gives `unavailable`;
  /// anything installed that fails throws std::runtime_error with the log.
  static StartedPostgresql start();

  /// Ends the server at once (immediate shutdown; SIGKILL should it hang),
  /// frees the shared memory a kill_hard() left, removes the directory.
  ~RealPostgresql();
  RealPostgresql(const RealPostgresql&) = delete;
  RealPostgresql& operator=(const RealPostgresql&) = delete;

  /// The TCP port on 127.0.0.1; the same for the server's whole life.
  int port() const { return port_; }
  /// "postgresql://herald@127.0.0.1:PORT/herald": no password in it.
  std::string url() const;
  /// The `herald` role's password, random for each server.
  const std::string& password() const { return password_; }
  /// A libpq conninfo string for `herald` over TCP, password included: for tests only.
  std::string conninfo() const;
  /// The temporary directory: the cluster (data/), its socket (run/) and server.log.
  const std::filesystem::path& directory() const { return dir_; }

  /// Fast shutdown (pg_ctl stop -m fast); returns once the server is down.
  void stop();
  /// SIGKILLs the postmaster and every process it forked, and reaps them: a crash.
  void kill_hard();
  /// Starts the server again on the same data and port; returns once it
  /// accepts connections (after crash recovery, if it crashed).
  void start_again();
  /// True while the postmaster runs.
  bool running() const;
  /// The running postmaster's pid, or -1.
  int postmaster_pid() const;

  /// Runs `sql` in the database `herald` as the superuser (over the unix
  /// socket, peer authentication); the first column of the first row of
  /// the last statement's result, "" if none. Throws with the server's message.
  std::string query(const std::string& sql);

  /// The end of the server's log, for failure messages.
  std::string logs() const;

 private:
  RealPostgresql() = default;
  void create_cluster();
  void write_settings() const;
  bool launch();
  void create_herald_role();
  std::string superuser_conninfo(const std::string& database) const;

  std::filesystem::path dir_;
  std::filesystem::path bin_;  ///< /usr/lib/postgresql/VERSION/bin
  int port_ = 0;
  std::string password_;
  std::unique_ptr<ServerProcess> server_;
  /// (key, id) of the System V shared memory each kill_hard() left behind.
  std::vector<std::pair<long, int>> crashed_segments_;
};

}  // namespace herald::testing
