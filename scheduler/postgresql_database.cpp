#include "scheduler/postgresql_database.hpp"

#include "scheduler/store.hpp"  // StoreUnavailable

#include <libpq-fe.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <vector>

namespace herald {

namespace {

// The one lock every write transaction of every herald on this database
// takes first (pg_advisory_xact_lock, released at commit or rollback): the
// writers take turns, as SQLite's BEGIN IMMEDIATE makes them on one host.
// The number is the bytes "herald" (0x68 65 72 61 6c 64).
constexpr const char* kWriteLock = "SELECT pg_advisory_xact_lock(114784820291940)";

std::string trimmed(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

// A statement's first words, to say which failed without repeating it whole.
std::string head(const std::string& sql) {
  std::string out;
  for (char c : sql) {
    if (out.size() >= 60) return out + "...";
    out += std::isspace(static_cast<unsigned char>(c)) ? ' ' : c;
  }
  return out;
}

class PgStatement final : public SqlStatement {
 public:
  PgStatement(PostgresqlDatabase& db, std::string sql, std::string name)
      : db_(db), sql_(postgresql_parameters(sql)), name_(std::move(name)) {}
  ~PgStatement() override { clear(); }

  void bind(int index, std::int64_t value) override { slot(index) = std::to_string(value); }
  void bind(int index, const std::string& value) override { slot(index) = value; }
  void bind_null(int index) override { slot(index) = std::nullopt; }
  bool step() override {
    if (!result_) {
      run();
      row_ = 0;
    } else {
      ++row_;
    }
    return row_ < PQntuples(result_);
  }
  bool is_null(int column) override { return PQgetisnull(result_, row_, column) != 0; }
  std::int64_t int64(int column) override { return std::strtoll(PQgetvalue(result_, row_, column), nullptr, 10); }
  std::string text(int column) override {
    return std::string(PQgetvalue(result_, row_, column), static_cast<std::size_t>(PQgetlength(result_, row_, column)));
  }
  int exec() override {
    clear();
    run();
    const char* changed = PQcmdTuples(result_);
    const int n = *changed ? std::atoi(changed) : 0;
    clear();
    return n;
  }
  void reset() override {
    clear();
    params_.clear();
  }

 private:
  std::optional<std::string>& slot(int index) {
    if (params_.size() < static_cast<std::size_t>(index)) params_.resize(static_cast<std::size_t>(index));
    return params_[static_cast<std::size_t>(index) - 1];
  }
  void clear() {
    if (result_) PQclear(result_);
    result_ = nullptr;
    row_ = -1;
  }
  void run() {
    pg_conn* conn = db_.connection();
    std::vector<const char*> values;
    values.reserve(params_.size());
    for (const auto& p : params_) values.push_back(p ? p->c_str() : nullptr);
    const int n = static_cast<int>(values.size());
    PGresult* r = nullptr;
    if (!name_.empty()) {
      // Prepared once per server session: a reconnection starts a new one.
      if (prepared_in_ != db_.session()) {
        PGresult* p = PQprepare(conn, name_.c_str(), sql_.c_str(), 0, nullptr);
        const bool ok = p && PQresultStatus(p) == PGRES_COMMAND_OK;
        const std::string error = p ? PQresultErrorMessage(p) : "";
        PQclear(p);
        if (!ok) db_.fail("preparing " + head(sql_) + ": " + trimmed(error));
        prepared_in_ = db_.session();
      }
      r = PQexecPrepared(conn, name_.c_str(), n, values.data(), nullptr, nullptr, 0);
    } else {
      r = PQexecParams(conn, sql_.c_str(), n, nullptr, values.data(), nullptr, nullptr, 0);
    }
    const auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      const std::string error = r ? PQresultErrorMessage(r) : "";
      PQclear(r);
      db_.fail(head(sql_) + ": " + trimmed(error));
    }
    result_ = r;
  }

  PostgresqlDatabase& db_;
  const std::string sql_;
  const std::string name_;  // empty: run unnamed, for one use
  std::vector<std::optional<std::string>> params_;
  PGresult* result_ = nullptr;
  int row_ = -1;
  std::uint64_t prepared_in_ = 0;
};

}  // namespace

std::string postgresql_parameters(const std::string& sql) {
  std::string out;
  out.reserve(sql.size() + 8);
  int highest = 0;
  char quote = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote) {
      if (c == quote) quote = 0;
      out += c;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      out += c;
      continue;
    }
    if (c != '?') {
      out += c;
      continue;
    }
    std::size_t j = i + 1;
    while (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j]))) ++j;
    const int number = j > i + 1 ? std::atoi(sql.substr(i + 1, j - i - 1).c_str()) : highest + 1;
    highest = std::max(highest, number);
    out += '$' + std::to_string(number);
    i = j - 1;
  }
  return out;
}

PostgresqlDatabase::PostgresqlDatabase(const std::string& url, const std::string& password,
                                       std::chrono::milliseconds stall)
    : url_(url), password_(password), stall_(stall) {
  connect();
}

PostgresqlDatabase::~PostgresqlDatabase() {
  cache_.clear();
  if (conn_) PQfinish(conn_);
}

void PostgresqlDatabase::connect() {
  if (conn_) PQfinish(conn_);
  // Defaults first: what the URL says overrides them (expand_dbname). A
  // server that stops answering is noticed within seconds (keepalives, and
  // tcp_user_timeout for data sent but never acknowledged) rather than
  // holding the event loop until the kernel gives up.
  const char* keys[] = {"connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval",
                        "keepalives_count", "tcp_user_timeout", "application_name", "dbname", "password", nullptr};
  const char* values[] = {"5", "1", "5", "2", "3", "10000", "herald", url_.c_str(),
                          password_.empty() ? nullptr : password_.c_str(), nullptr};
  conn_ = PQconnectdbParams(keys, values, 1);
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
    const std::string error = conn_ ? trimmed(PQerrorMessage(conn_)) : "out of memory";
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
    throw StoreUnavailable("the PostgreSQL store cannot be reached: " + error);
  }
  // The server's notices (a ROLLBACK with nothing to roll back) are not
  // errors and must not reach stderr.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  ++session_;
  // Every commit waits for the server's write-ahead log on disk, whatever
  // the server's default: a `sending` commit must survive the server's crash.
  // A write waits for the write lock at most as long as a frozen holder
  // can keep it (idle_in_transaction_session_timeout ends its session).
  const std::string ms = std::to_string(stall_.count());
  exec("SET synchronous_commit = on; SET idle_in_transaction_session_timeout = " + ms + "; SET lock_timeout = " +
       std::to_string(stall_.count() * 2));
}

pg_conn* PostgresqlDatabase::connection() {
  if (conn_ && PQstatus(conn_) == CONNECTION_OK) return conn_;
  // Lost inside a transaction, the transaction is lost with it: a new
  // session must not carry on with its remaining writes as if alone.
  if (in_tx_) throw StoreUnavailable("the connection to the PostgreSQL store was lost in a transaction");
  connect();
  return conn_;
}

void PostgresqlDatabase::fail(const std::string& what) {
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK)
    throw StoreUnavailable("the PostgreSQL store cannot be reached: " + what);
  throw std::runtime_error("PostgreSQL: " + what);
}

SqlStatement& PostgresqlDatabase::cached(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end())
    it = cache_.emplace(sql, std::make_unique<PgStatement>(*this, sql, "herald_" + std::to_string(++names_))).first;
  it->second->reset();
  return *it->second;
}

std::unique_ptr<SqlStatement> PostgresqlDatabase::prepare(const std::string& sql) {
  return std::make_unique<PgStatement>(*this, sql, "");
}

void PostgresqlDatabase::exec(const std::string& sql) {
  pg_conn* conn = connection();
  PGresult* r = PQexec(conn, sql.c_str());
  const auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    const std::string error = r ? PQresultErrorMessage(r) : PQerrorMessage(conn);
    PQclear(r);
    fail(head(sql) + ": " + trimmed(error));
  }
  PQclear(r);
}

void PostgresqlDatabase::begin_write() {
  exec("BEGIN");
  in_tx_ = true;
  try {
    exec(kWriteLock);
  } catch (...) {
    rollback();
    throw;
  }
}

void PostgresqlDatabase::commit() {
  pg_conn* conn = connection();
  PGresult* r = PQexec(conn, "COMMIT");
  in_tx_ = false;
  const bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
  // COMMIT of a transaction that failed earlier answers ROLLBACK, not an error.
  const bool committed = ok && std::strcmp(PQcmdStatus(r), "COMMIT") == 0;
  const std::string error = r ? trimmed(PQresultErrorMessage(r)) : "";
  PQclear(r);
  if (!ok) fail("COMMIT: " + error);
  if (!committed) throw std::runtime_error("PostgreSQL: the transaction was rolled back, not committed");
  ++commits_;
}

void PostgresqlDatabase::rollback() {
  const bool was = in_tx_;
  in_tx_ = false;
  if (!was || !conn_ || PQstatus(conn_) != CONNECTION_OK) return;  // the server ended it with the session
  PQclear(PQexec(conn_, "ROLLBACK"));
}

bool PostgresqlDatabase::in_transaction() { return in_tx_; }

bool PostgresqlDatabase::table_exists(const std::string& name) {
  SqlStatement& q = cached(
      "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = ?");
  q.bind(1, name);
  const bool found = q.step() && q.int64(0) > 0;
  q.reset();
  return found;
}

}  // namespace herald
