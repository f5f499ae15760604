#pragma once
// SqlDatabase on PostgreSQL, through libpq: the store several hosts share.

#include "scheduler/sql.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>

struct pg_conn;

namespace herald {

class PostgresqlDatabase final : public SqlDatabase {
 public:
  /// Connects to `url` (a libpq URI or key=value string, which must not hold
  /// a password) with `password`. The server ends the session when it sits
  /// in a transaction for `stall` without a word from herald (a process
  /// frozen mid-transaction), so its locks cannot hold the other hosts up
  /// for longer. Throws StoreUnavailable, with libpq's words and never the
  /// password, when the server cannot be reached.
  PostgresqlDatabase(const std::string& url, const std::string& password, std::chrono::milliseconds stall);
  ~PostgresqlDatabase() override;

  SqlStatement& cached(const std::string& sql) override;
  std::unique_ptr<SqlStatement> prepare(const std::string& sql) override;
  void exec(const std::string& sql) override;
  void begin_write() override;
  void commit() override;
  void rollback() override;
  bool in_transaction() override;
  bool table_exists(const std::string& name) override;
  std::uint64_t commits() const override { return commits_; }

  /// The connection, reconnected first when it was lost outside a
  /// transaction (a server restarted between two writes). Throws
  /// StoreUnavailable when it cannot be.
  pg_conn* connection();
  /// A new server session means the statements prepared in the old one are gone.
  std::uint64_t session() const { return session_; }
  /// Throws StoreUnavailable when the connection is gone, else a
  /// runtime_error with the server's message about `what`.
  [[noreturn]] void fail(const std::string& what);

 private:
  void connect();
  std::string url_, password_;
  std::chrono::milliseconds stall_;
  pg_conn* conn_ = nullptr;
  std::uint64_t session_ = 0;
  std::uint64_t commits_ = 0;
  std::uint64_t names_ = 0;
  bool in_tx_ = false;
  std::unordered_map<std::string, std::unique_ptr<SqlStatement>> cache_;
};

/// `sql` with SQLite's numbered parameters (`?1`, or `?` for one more than
/// the highest so far) written as PostgreSQL's (`$1`); quoted text is left
/// as it is.
std::string postgresql_parameters(const std::string& sql);

}  // namespace herald
