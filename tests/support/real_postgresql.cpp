#include "tests/support/real_postgresql.hpp"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

// How the server is made and run, and the documents it follows:
//  - initdb as the `postgres` account (the server refuses to run as root),
//    superuser `postgres`, C locale, UTF8:
//    https://www.postgresql.org/docs/15/app-initdb.html
//  - Our own pg_hba.conf and pg_ident.conf: the superuser only over the unix
//    socket with peer authentication, mapped from the test's own account;
//    every other role only over TCP from 127.0.0.1 with SCRAM:
//    https://www.postgresql.org/docs/15/auth-pg-hba-conf.html ,
//    https://www.postgresql.org/docs/15/auth-username-maps.html
//  - `postgres -D DATA` in the foreground under ServerProcess, whose keeper
//    reaps every process the server leaves; the settings are in
//    DATA/herald-test.conf, included from postgresql.conf:
//    https://www.postgresql.org/docs/15/config-setting.html#CONFIG-INCLUDES
//  - A clean stop is pg_ctl's fast shutdown (SIGINT: roll back open
//    transactions, write a shutdown checkpoint); a crash is SIGKILL to the
//    postmaster and each of its children, after which the next start
//    replays the WAL; the destructor uses the immediate shutdown (SIGQUIT),
//    which ends everything as fast but frees the shared memory:
//    https://www.postgresql.org/docs/15/server-shutdown.html ,
//    https://www.postgresql.org/docs/15/wal-reliability.html
//  - The `herald` password is turned into a SCRAM verifier here
//    (PQencryptPasswordConn), so the password itself never reaches the
//    server or its log: https://www.postgresql.org/docs/15/libpq-misc.html

namespace herald::testing {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kServerAccount = "postgres";  // created by postgresql-common
constexpr const char* kSuperuser = "postgres";
constexpr const char* kRole = "herald";             // the role and database tests use
constexpr const char* kPackageRoot = "/usr/lib/postgresql";
constexpr const char* kPrograms[] = {"postgres", "initdb", "pg_ctl"};
constexpr const char* kIdentMap = "tests";

// Readiness: one connection attempt per turn, a short pause between turns.
constexpr auto kStartDeadline = 30s;
constexpr auto kPollPause = 5ms;
constexpr int kMaxPolls = 6000;  // the deadline over the pause: a bound of its own on the turns
constexpr int kPortAttempts = 5;

using Connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

std::string setup_hint(const std::string& what) {
  return "a real PostgreSQL cannot run here: " + what +
         " (Debian package postgresql; libpq-dev to build); run scripts/setup";
}

/// The newest /usr/lib/postgresql/VERSION/bin holding the server's programs, or "".
fs::path server_bin() {
  fs::path best;
  double best_version = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kPackageRoot, ec)) {
    const std::string name = entry.path().filename().string();
    const bool numeric = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
    });
    if (!numeric) continue;
    const fs::path bin = entry.path() / "bin";
    const bool complete = std::all_of(std::begin(kPrograms), std::end(kPrograms),
                                      [&](const char* program) { return ::access((bin / program).c_str(), X_OK) == 0; });
    const double version = std::strtod(name.c_str(), nullptr);
    if (complete && version > best_version) {
      best_version = version;
      best = bin;
    }
  }
  return best;
}

/// The name of account `uid`, or "" when it has none.
std::string account_name(uid_t uid) {
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16 * 1024);
  if (getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) != 0 || !found) return {};
  return entry.pw_name;
}

/// Writes a file the server reads (mode 0600, the server's account's).
void write_server_file(const fs::path& path, const std::string& text, std::ios::openmode mode = std::ios::trunc) {
  std::ofstream out(path, std::ios::binary | mode);
  out << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path.string());
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  hand_over(path, kServerAccount);
}

/// A value in postgresql.conf: single-quoted, a quote doubled.
std::string config_string(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

/// A value in a libpq conninfo string: single-quoted, quote and backslash escaped.
std::string conninfo_value(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string trimmed(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

/// A connection, or throws with libpq's reason.
Connection connect(const std::string& conninfo) {
  Connection connection(PQconnectdb(conninfo.c_str()), &PQfinish);
  if (!connection) throw std::runtime_error("PostgreSQL: out of memory for a connection");
  if (PQstatus(connection.get()) != CONNECTION_OK)
    throw std::runtime_error("PostgreSQL: cannot connect: " + trimmed(PQerrorMessage(connection.get())));
  return connection;
}

/// Runs `sql`; the first column of the first row of the last result, "" if none.
std::string run(PGconn* connection, const std::string& sql) {
  Result result(PQexec(connection, sql.c_str()), &PQclear);
  const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_TUPLES_OK) {
    if (PQntuples(result.get()) == 0 || PQnfields(result.get()) == 0) return {};
    return PQgetvalue(result.get(), 0, 0);
  }
  if (status == PGRES_COMMAND_OK || status == PGRES_EMPTY_QUERY) return {};
  const char* message = result ? PQresultErrorMessage(result.get()) : "";
  if (!*message) message = PQerrorMessage(connection);
  throw std::runtime_error("PostgreSQL: " + trimmed(message));
}

/// The pids whose parent is `parent`, from /proc/PID/stat.
std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> children;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    const std::string stat = read_file((entry.path() / "stat").string());
    const auto close = stat.rfind(')');
    if (close == std::string::npos || close + 4 >= stat.size()) continue;
    if (std::strtol(stat.c_str() + close + 4, nullptr, 10) == parent) children.push_back(std::stoi(name));
  }
  return children;
}

/// SIGKILLs the postmaster and every process it forked. PostgreSQL gives
/// each child a session of its own (setsid() in InitPostmasterChild), so
/// killing the postmaster's process group reaches the postmaster alone, and
/// its orphans would go on until they noticed its death. The postmaster is
/// stopped first so that it forks nothing between the listing and the kill.
void kill_everything(pid_t postmaster) {
  // Only a postgres: the pid must not have been reaped and reused.
  if (trimmed(read_file("/proc/" + std::to_string(postmaster) + "/comm")) != "postgres") return;
  ::kill(postmaster, SIGSTOP);
  for (const pid_t child : children_of(postmaster)) ::kill(child, SIGKILL);
  ::kill(postmaster, SIGKILL);
}

/// The System V shared memory segment a postmaster recorded in its lock
/// file: line 7 of postmaster.pid holds its key and id (pidfile.h).
std::pair<long, int> recorded_segment(const fs::path& data) {
  std::istringstream lines(read_file((data / "postmaster.pid").string()));
  std::string line;
  int read = 0;
  while (read < 7 && std::getline(lines, line)) ++read;
  long key = 0;
  int id = -1;
  if (read == 7) std::istringstream(line) >> key >> id;
  return {key, id};
}

/// Removes a crashed server's segment, if it is still that one and unused.
void remove_segment(const std::pair<long, int>& segment) {
  shmid_ds info{};
  if (segment.second < 0 || ::shmctl(segment.second, IPC_STAT, &info) != 0) return;
  if (info.shm_perm.__key == segment.first && info.shm_nattch == 0) ::shmctl(segment.second, IPC_RMID, nullptr);
}

}  // namespace

std::string RealPostgresql::unavailable() {
  if (server_bin().empty())
    return setup_hint(std::string("no ") + kPackageRoot + "/VERSION/bin with postgres, initdb and pg_ctl");
  // The server refuses to run as root: a root test runs it as `postgres`.
  if (::geteuid() == 0 && !account_exists(kServerAccount))
    return setup_hint(std::string("the account ") + kServerAccount + " does not exist");
  return {};
}

StartedPostgresql RealPostgresql::start() {
  StartedPostgresql started;
  started.unavailable = unavailable();
  if (!started.unavailable.empty()) return started;

  std::unique_ptr<RealPostgresql> server(new RealPostgresql);
  server->bin_ = server_bin();
  std::string pattern = (fs::temp_directory_path() / "herald-postgresql-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary directory " + pattern);
  server->dir_ = pattern;
  // A unix socket path has room for 107 bytes; the port has at most 5 digits.
  if ((server->dir_ / "run/.s.PGSQL.65535.lock").string().size() > 107)
    throw std::runtime_error("the temporary directory " + server->dir_.string() +
                             " is too deep for PostgreSQL's socket; set TMPDIR to a shorter path");
  fs::create_directory(server->dir_ / "run");
  for (const auto& path : {server->dir_, server->dir_ / "run"}) {
    fs::permissions(path, fs::perms::owner_all);
    hand_over(path, kServerAccount);
  }
  // A temporary directory under a private home folder is out of the server's reach.
  if (run_process({"/usr/bin/test", "-w", server->dir_.string()}, {}, kServerAccount).exit_code != 0)
    throw std::runtime_error("the account " + std::string(kServerAccount) + " cannot write to " +
                             server->dir_.string() +
                             "; set TMPDIR to a directory every account may pass through, such as /tmp");

  server->create_cluster();
  for (int attempt = 1;; ++attempt) {
    server->port_ = free_loopback_port();
    server->write_settings();
    if (server->launch()) break;
    // Someone took the port between free_loopback_port() and the server's bind.
    if (attempt == kPortAttempts)
      throw std::runtime_error("PostgreSQL found each of " + std::to_string(kPortAttempts) +
                               " free ports taken:\n" + server->logs());
  }
  server->create_herald_role();
  started.server = std::move(server);
  return started;
}

RealPostgresql::~RealPostgresql() {
  // An immediate shutdown (SIGQUIT) ends every process at once, without a
  // checkpoint, but the postmaster still removes its shared memory on the
  // way out; SIGKILL follows should it hang.
  if (running()) {
    ::kill(server_->group(), SIGQUIT);
    eventually([&] { return !server_->running(); }, 10s);
  }
  kill_hard();
  // A crash leaves the postmaster's System V segment behind; a start on the
  // same data removes it, so only one not started again is still there.
  for (const auto& segment : crashed_segments_) remove_segment(segment);
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

std::string RealPostgresql::url() const {
  return std::string("postgresql://") + kRole + "@127.0.0.1:" + std::to_string(port_) + "/" + kRole;
}

std::string RealPostgresql::conninfo() const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=" + kRole + " user=" + kRole +
         " password=" + conninfo_value(password_) + " connect_timeout=10";
}

std::string RealPostgresql::superuser_conninfo(const std::string& database) const {
  return "host=" + conninfo_value((dir_ / "run").string()) + " port=" + std::to_string(port_) +
         " dbname=" + conninfo_value(database) + " user=" + kSuperuser + " connect_timeout=10";
}

void RealPostgresql::create_cluster() {
  const fs::path data = dir_ / "data";
  // --no-sync: initdb's closing flush of the new cluster to disk. The tests
  // crash the server, never the machine, so the page cache outlives every
  // crash; the server itself runs with fsync on.
  const ProcessResult made = run_process(
      {(bin_ / "initdb").string(), "-D", data.string(), "-U", kSuperuser, "--auth-local=peer",
       "--auth-host=scram-sha-256", "--locale=C", "--encoding=UTF8", "--no-instructions", "--no-sync"},
      {}, kServerAccount);
  if (made.exit_code != 0)
    throw std::runtime_error("initdb exited with " + std::to_string(made.exit_code) + ":\n" + made.out + made.err);

  // Peer authentication compares the connecting process's account with the
  // role: the test's own account (root in CI) may log in as the superuser.
  const std::string tester = account_name(::geteuid());
  if (tester.empty())
    throw std::runtime_error("the test's uid " + std::to_string(::geteuid()) +
                             " has no account name, which peer authentication needs");
  write_server_file(data / "pg_hba.conf",
                    "# Written by herald's tests/support/real_postgresql.cpp for one test run.\n"
                    "# TYPE  DATABASE  USER      ADDRESS       METHOD\n"
                    "local   all       " + std::string(kSuperuser) + "                peer map=" + kIdentMap + "\n"
                    "host    all       all       127.0.0.1/32  scram-sha-256\n");
  write_server_file(data / "pg_ident.conf",
                    "# Written by herald's tests/support/real_postgresql.cpp for one test run.\n"
                    "# MAPNAME  SYSTEM-USERNAME  PG-USERNAME\n" +
                        std::string(kIdentMap) + "  " + kServerAccount + "  " + kSuperuser + "\n" +
                        kIdentMap + "  " + tester + "  " + kSuperuser + "\n");
  write_server_file(data / "postgresql.conf", "\ninclude 'herald-test.conf'\n", std::ios::app);
}

void RealPostgresql::write_settings() const {
  write_server_file(dir_ / "data/herald-test.conf",
                    "# Written by herald's tests/support/real_postgresql.cpp for one test run.\n"
                    "listen_addresses = '127.0.0.1'\n"
                    "port = " + std::to_string(port_) + "\n"
                    "unix_socket_directories = " + config_string((dir_ / "run").string()) + "\n"
                    "unix_socket_permissions = 0700\n"
                    "password_encryption = 'scram-sha-256'\n"
                    "# Durability as in production: a committed transaction is on disk.\n"
                    "fsync = on\n"
                    "synchronous_commit = on\n"
                    "full_page_writes = on\n"
                    "shared_buffers = 16MB\n"
                    "# Dynamic shared memory in files under data/pg_dynshmem, not /dev/shm:\n"
                    "# whatever a crash leaves there goes with the directory.\n"
                    "dynamic_shared_memory_type = mmap\n"
                    "max_connections = 40\n");
}

// Starts the postmaster and waits until it accepts connections. False when
// it exited because another process holds the port; throws on any other
// failure. Each turn: is the postmaster still there; then one connection
// attempt as the superuser over the unix socket (refused while the socket is
// missing, or while the server starts up or recovers); then a short pause.
bool RealPostgresql::launch() {
  const fs::path log = dir_ / "server.log";
  const std::size_t logged_before = read_file(log.string()).size();
  server_ = std::make_unique<ServerProcess>(
      std::vector<std::string>{(bin_ / "postgres").string(), "-D", (dir_ / "data").string()}, log.string(),
      std::vector<std::string>{}, kServerAccount);
  const std::string info = superuser_conninfo("postgres");
  const auto deadline = std::chrono::steady_clock::now() + kStartDeadline;
  for (int poll = 0;; ++poll) {
    if (!server_->running()) {
      server_.reset();
      const std::string text = read_file(log.string());
      const std::string said = text.substr(std::min(logged_before, text.size()));
      if (said.find("Address already in use") != std::string::npos) return false;
      throw std::runtime_error("PostgreSQL exited while starting:\n" + logs());
    }
    Connection connection(PQconnectdb(info.c_str()), &PQfinish);
    if (connection && PQstatus(connection.get()) == CONNECTION_OK) return true;
    if (std::chrono::steady_clock::now() >= deadline || poll >= kMaxPolls) {
      const std::string reason = connection ? trimmed(PQerrorMessage(connection.get())) : "out of memory";
      server_.reset();
      throw std::runtime_error("PostgreSQL did not accept connections within 30 s (" + reason + "):\n" + logs());
    }
    std::this_thread::sleep_for(kPollPause);
  }
}

void RealPostgresql::create_herald_role() {
  password_ = random_hex(32);
  const Connection admin = connect(superuser_conninfo("postgres"));
  char* verifier = PQencryptPasswordConn(admin.get(), password_.c_str(), kRole, "scram-sha-256");
  if (!verifier) throw std::runtime_error("PostgreSQL: " + trimmed(PQerrorMessage(admin.get())));
  char* literal = PQescapeLiteral(admin.get(), verifier, std::strlen(verifier));
  PQfreemem(verifier);
  if (!literal) throw std::runtime_error("PostgreSQL: " + trimmed(PQerrorMessage(admin.get())));
  const std::string password_literal = literal;
  PQfreemem(literal);
  run(admin.get(), std::string("CREATE ROLE ") + kRole + " LOGIN PASSWORD " + password_literal);
  // CREATE DATABASE cannot run inside a transaction: a statement of its own.
  run(admin.get(), std::string("CREATE DATABASE ") + kRole + " OWNER " + kRole);
}

void RealPostgresql::stop() {
  if (!running()) {
    server_.reset();
    return;
  }
  const ProcessResult stopped = run_process({(bin_ / "pg_ctl").string(), "stop", "-D", (dir_ / "data").string(),
                                             "-m", "fast", "-w", "-t", "30"},
                                            {}, kServerAccount);
  if (stopped.exit_code != 0)
    throw std::runtime_error("pg_ctl stop exited with " + std::to_string(stopped.exit_code) + ":\n" + stopped.out +
                             stopped.err + logs());
  // pg_ctl returns once postmaster.pid is gone, the postmaster's last act
  // before it exits; the group is reaped only after the exit itself.
  if (!eventually([&] { return !server_->running(); }, 30s))
    throw std::runtime_error("the postmaster did not exit after pg_ctl stop:\n" + logs());
  server_.reset();
}

void RealPostgresql::kill_hard() {
  // Every process at once (postmaster, backends, checkpointer, WAL writer):
  // no shutdown checkpoint, only what reached the WAL is left, as after
  // kill -9 or the OOM killer. The keeper then reaps them all (they are
  // its orphans), so the next start finds none still attached to the old
  // shared memory.
  if (running()) {
    crashed_segments_.push_back(recorded_segment(dir_ / "data"));
    kill_everything(server_->group());
  }
  server_.reset();
}

void RealPostgresql::start_again() {
  if (running()) throw std::logic_error("RealPostgresql::start_again: the server is running");
  server_.reset();
  if (!launch())
    throw std::runtime_error("another process took port " + std::to_string(port_) +
                             " while PostgreSQL was down:\n" + logs());
}

bool RealPostgresql::running() const { return server_ && server_->running(); }

int RealPostgresql::postmaster_pid() const { return running() ? server_->group() : -1; }

std::string RealPostgresql::query(const std::string& sql) {
  const Connection connection = connect(superuser_conninfo(kRole));
  return run(connection.get(), sql);
}

std::string RealPostgresql::logs() const { return tail_of(dir_ / "server.log"); }

}  // namespace herald::testing
