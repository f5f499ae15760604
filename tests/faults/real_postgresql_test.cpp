// The real-PostgreSQL harness (tests/support/real_postgresql) proved with
// plain libpq: Debian 12's PostgreSQL 15 lets `herald` in over TCP with its
// password only (SCRAM), keeps committed rows across a clean stop and across
// a crash (WAL replay on the next start), and leaves nothing running when
// the harness goes away. Each test case starts its own server (ctest runs
// each case as its own process), so there are few cases, each checking
// several things.
//
// The PostgreSQL behaviour asserted here, with the document that says so:
//  - A role with a SCRAM verifier is refused a wrong password ("password
//    authentication failed for user"), and libpq without any password gives
//    up before sending one ("no password supplied"):
//    https://www.postgresql.org/docs/15/auth-password.html
//  - A fast shutdown writes a checkpoint, so the next start logs "database
//    system was shut down"; after SIGKILL the next start replays the WAL and
//    logs "was not properly shut down; automatic recovery in progress":
//    https://www.postgresql.org/docs/15/server-shutdown.html ,
//    https://www.postgresql.org/docs/15/wal-intro.html
#include "tests/support/process.hpp"  // read_file
#include "tests/support/real_postgresql.hpp"

#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace herald::testing {
namespace {
using Clock = std::chrono::steady_clock;
using Connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;

Connection connect(const std::string& conninfo) { return Connection(PQconnectdb(conninfo.c_str()), &PQfinish); }

bool connected(const Connection& connection) { return connection && PQstatus(connection.get()) == CONNECTION_OK; }

std::string error_of(const Connection& connection) { return connection ? PQerrorMessage(connection.get()) : "no memory"; }

/// Runs `sql` on `connection`; "" when it succeeded, else the server's message.
std::string exec(const Connection& connection, const std::string& sql) {
  PGresult* result = PQexec(connection.get(), sql.c_str());
  const ExecStatusType status = PQresultStatus(result);
  std::string error;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) error = PQresultErrorMessage(result);
  PQclear(result);
  return error;
}

/// The postmaster `postmaster` and every process whose parent it is
/// (PostgreSQL's children each have a session and process group of their own).
std::vector<int> server_processes(int postmaster) {
  std::vector<int> pids = {postmaster};
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    std::getline(in, stat);
    // pid (comm) state ppid ...; comm may hold spaces and parentheses.
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 1));
    std::string state;
    int parent = 0;
    if (fields >> state >> parent && parent == postmaster) pids.push_back(std::stoi(name));
  }
  return pids;
}

bool process_exists(int pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

/// The System V shared memory segment (key, id) the running server
/// recorded on line 7 of its postmaster.pid.
std::pair<long, int> shared_memory_of(const RealPostgresql& server) {
  std::ifstream in(server.directory() / "data/postmaster.pid");
  std::string line;
  for (int i = 0; i < 7; ++i) std::getline(in, line);
  std::pair<long, int> segment{0, -1};
  std::istringstream(line) >> segment.first >> segment.second;
  return segment;
}

bool segment_exists(const std::pair<long, int>& segment) {
  shmid_ds info{};
  return ::shmctl(segment.second, IPC_STAT, &info) == 0 && info.shm_perm.__key == segment.first;
}

/// What the server logged from byte `from` of its log on.
std::string logged_since(const RealPostgresql& server, std::size_t from) {
  const std::string text = read_file((server.directory() / "server.log").string());
  return from < text.size() ? text.substr(from) : std::string();
}

std::size_t log_size(const RealPostgresql& server) { return read_file((server.directory() / "server.log").string()).size(); }

class RealPostgresqlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto begun = Clock::now();
    StartedPostgresql started = RealPostgresql::start();
    if (!started.server) GTEST_SKIP() << started.unavailable;
    server_ = std::move(started.server);
    RecordProperty("start_ms", static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                    Clock::now() - begun).count()));
  }

  void TearDown() override {
    if (server_ && HasFailure()) ADD_FAILURE() << "log of the PostgreSQL under test:\n" << server_->logs();
  }

  /// A conninfo for `herald` over TCP with this password.
  std::string herald_with_password(const std::string& password) const {
    return "host=127.0.0.1 port=" + std::to_string(server_->port()) +
           " dbname=herald user=herald connect_timeout=10 password='" + password + "'";
  }

  std::unique_ptr<RealPostgresql> server_;
};

TEST_F(RealPostgresqlTest, LetsHeraldInOverTcpWithItsPasswordOnly) {
  EXPECT_EQ(server_->query("select 1"), "1");
  EXPECT_EQ(server_->query("select 'a'; select 'b'"), "b");  // the last statement's result
  EXPECT_EQ(server_->query("select 1 where false"), "");
  EXPECT_TRUE(server_->running());

  // As set up: loopback only, durable, UTF8 in the C locale, SCRAM.
  EXPECT_EQ(server_->query("show listen_addresses"), "127.0.0.1");
  EXPECT_EQ(server_->query("show port"), std::to_string(server_->port()));
  EXPECT_EQ(server_->query("show fsync"), "on");
  EXPECT_EQ(server_->query("show synchronous_commit"), "on");
  EXPECT_EQ(server_->query("show server_encoding"), "UTF8");
  EXPECT_EQ(server_->query("show lc_collate"), "C");
  EXPECT_EQ(server_->query("select pg_get_userbyid(datdba) from pg_database where datname = 'herald'"), "herald");
  // Only a verifier is stored, never the password itself.
  const std::string stored = server_->query("select rolpassword from pg_authid where rolname = 'herald'");
  EXPECT_EQ(stored.rfind("SCRAM-SHA-256$", 0), 0u) << stored;
  EXPECT_EQ(stored.find(server_->password()), std::string::npos);
  EXPECT_EQ(server_->query("select rolsuper::text from pg_roles where rolname = 'herald'"), "false");

  // The server runs as `postgres` when the test runs as root.
  if (::geteuid() == 0) {
    struct stat info{};
    ASSERT_EQ(::stat(("/proc/" + std::to_string(server_->postmaster_pid())).c_str(), &info), 0);
    const passwd* account = ::getpwnam("postgres");
    ASSERT_NE(account, nullptr);
    EXPECT_EQ(info.st_uid, account->pw_uid);
  }

  // A server error comes back as an exception with the server's message.
  try {
    server_->query("select * from no_such_table");
    ADD_FAILURE() << "a query of a missing table did not throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("relation \"no_such_table\" does not exist"), std::string::npos) << e.what();
  }

  // The URL names the role, host, port and database, and no password.
  EXPECT_EQ(server_->url(), "postgresql://herald@127.0.0.1:" + std::to_string(server_->port()) + "/herald");
  EXPECT_EQ(server_->url().find(server_->password()), std::string::npos);
  EXPECT_EQ(server_->password().size(), 32u);
  EXPECT_NE(server_->conninfo().find(server_->password()), std::string::npos);

  // `herald` with its password, over TCP, owns its database.
  const Connection herald = connect(server_->conninfo());
  ASSERT_TRUE(connected(herald)) << error_of(herald);
  EXPECT_EQ(std::string(PQuser(herald.get())), "herald");
  EXPECT_EQ(std::string(PQhost(herald.get())), "127.0.0.1");
  EXPECT_EQ(exec(herald, "create table notes (id int primary key, body text not null)"), "");
  EXPECT_EQ(exec(herald, "insert into notes values (1, 'über')"), "");
  EXPECT_EQ(server_->query("select body from notes where id = 1"), "über");

  // A wrong password is refused by SCRAM.
  const Connection wrong = connect(herald_with_password(server_->password() + "x"));
  EXPECT_FALSE(connected(wrong));
  EXPECT_NE(error_of(wrong).find("password authentication failed for user \"herald\""), std::string::npos)
      << error_of(wrong);

  // The URL alone carries no password (no password file either).
  if (!std::getenv("PGPASSWORD")) {
    const Connection bare = connect(server_->url() + "?connect_timeout=10&passfile=" + (server_->directory() / "no-passfile").string());
    EXPECT_FALSE(connected(bare));
    EXPECT_NE(error_of(bare).find("no password supplied"), std::string::npos) << error_of(bare);
  }

  // The superuser has no password and no way in over TCP.
  const Connection superuser =
      connect("host=127.0.0.1 port=" + std::to_string(server_->port()) +
              " dbname=herald user=postgres password='guess' connect_timeout=10");
  EXPECT_FALSE(connected(superuser));
  EXPECT_NE(error_of(superuser).find("password authentication failed for user \"postgres\""), std::string::npos)
      << error_of(superuser);
}

TEST_F(RealPostgresqlTest, StopAndStartAgainKeepCommittedRows) {
  {
    const Connection herald = connect(server_->conninfo());
    ASSERT_TRUE(connected(herald)) << error_of(herald);
    ASSERT_EQ(exec(herald, "create table notes (id int primary key, body text not null)"), "");
    ASSERT_EQ(exec(herald, "insert into notes values (1, 'kept')"), "");
  }
  const int port = server_->port();
  const int postmaster = server_->postmaster_pid();
  ASSERT_GT(postmaster, 0);

  server_->stop();
  EXPECT_FALSE(server_->running());
  EXPECT_EQ(server_->postmaster_pid(), -1);
  EXPECT_FALSE(process_exists(postmaster));
  const Connection refused = connect(server_->conninfo());
  EXPECT_FALSE(connected(refused));
  EXPECT_THROW(server_->query("select 1"), std::runtime_error);
  server_->stop();  // a second stop is a no-op

  const std::size_t before = log_size(*server_);
  server_->start_again();
  EXPECT_TRUE(server_->running());
  EXPECT_EQ(server_->port(), port);
  EXPECT_EQ(server_->query("select body from notes where id = 1"), "kept");
  const Connection herald = connect(server_->conninfo());
  ASSERT_TRUE(connected(herald)) << error_of(herald);
  EXPECT_EQ(exec(herald, "insert into notes values (2, 'after')"), "");
  // A clean stop wrote a shutdown checkpoint: no recovery was needed.
  const std::string restart = logged_since(*server_, before);
  EXPECT_NE(restart.find("database system was shut down at"), std::string::npos) << restart;
  EXPECT_EQ(restart.find("automatic recovery in progress"), std::string::npos) << restart;
  EXPECT_THROW(server_->start_again(), std::logic_error);
}

TEST_F(RealPostgresqlTest, KillHardThenStartAgainRecoversCommittedRows) {
  const Connection herald = connect(server_->conninfo());
  ASSERT_TRUE(connected(herald)) << error_of(herald);
  ASSERT_EQ(exec(herald, "create table notes (id int primary key, body text not null)"), "");
  ASSERT_EQ(exec(herald, "insert into notes values (1, 'committed')"), "");
  // An open transaction at the crash: its row must not survive.
  ASSERT_EQ(exec(herald, "begin; insert into notes values (2, 'open')"), "");
  const int postmaster = server_->postmaster_pid();
  const std::vector<int> processes = server_processes(postmaster);
  ASSERT_GT(processes.size(), 1u);  // the postmaster and its children (checkpointer, a backend, ...)
  const auto segment = shared_memory_of(*server_);
  ASSERT_TRUE(segment_exists(segment));

  server_->kill_hard();
  EXPECT_FALSE(server_->running());
  for (int pid : processes) EXPECT_FALSE(process_exists(pid)) << "pid " << pid << " outlived kill_hard()";
  EXPECT_FALSE(connected(connect(server_->conninfo())));
  // The crash left its lock file behind, as a real one does.
  EXPECT_TRUE(std::filesystem::exists(server_->directory() / "data/postmaster.pid"));

  const std::size_t before = log_size(*server_);
  server_->start_again();
  EXPECT_TRUE(server_->running());
  const std::string restart = logged_since(*server_, before);
  EXPECT_NE(restart.find("was not properly shut down; automatic recovery in progress"), std::string::npos) << restart;
  EXPECT_FALSE(segment_exists(segment)) << "the crashed server's shared memory outlived the restart";
  EXPECT_EQ(server_->query("select string_agg(id || '=' || body, ',' order by id) from notes"), "1=committed");
  const Connection again = connect(server_->conninfo());
  ASSERT_TRUE(connected(again)) << error_of(again);
  EXPECT_EQ(exec(again, "insert into notes values (2, 'after recovery')"), "");
}

TEST_F(RealPostgresqlTest, DestructorLeavesNothingBehind) {
  // A running server, a client still connected: its backend is one more process.
  {
    const Connection herald = connect(server_->conninfo());
    ASSERT_TRUE(connected(herald)) << error_of(herald);
    const int postmaster = server_->postmaster_pid();
    const std::vector<int> processes = server_processes(postmaster);
    ASSERT_GT(processes.size(), 2u);
    const auto segment = shared_memory_of(*server_);
    ASSERT_TRUE(segment_exists(segment));
    const std::filesystem::path directory = server_->directory();
    ASSERT_TRUE(std::filesystem::exists(directory / "data/PG_VERSION"));

    server_.reset();
    EXPECT_FALSE(process_exists(postmaster));
    for (int pid : processes) EXPECT_FALSE(process_exists(pid)) << "pid " << pid << " outlived the harness";
    EXPECT_FALSE(segment_exists(segment)) << "the server's shared memory outlived the harness";
    EXPECT_FALSE(std::filesystem::exists(directory));
  }

  // A server crashed and never started again: its shared memory goes too.
  StartedPostgresql started = RealPostgresql::start();
  ASSERT_TRUE(started.server) << started.unavailable;
  const auto segment = shared_memory_of(*started.server);
  ASSERT_TRUE(segment_exists(segment));
  started.server->kill_hard();
  EXPECT_TRUE(segment_exists(segment));  // as a real crash leaves it
  const std::filesystem::path directory = started.server->directory();
  started.server.reset();
  EXPECT_FALSE(segment_exists(segment)) << "a crashed server's shared memory outlived the harness";
  EXPECT_FALSE(std::filesystem::exists(directory));
}

}  // namespace
}  // namespace herald::testing
