#pragma once
// The little of a SQL database the store uses, so its one body of logic
// (scheduler/store.cpp) runs on SQLite (sqlite_database.cpp, the embedded
// default) and on PostgreSQL (postgresql_database.cpp, several hosts).
//
// Statements are written once, in the SQL both accept. Parameters are
// numbered (`?1`, `?2`, or a bare `?` for one more than the last); the
// PostgreSQL side spells them `$1`, `$2`. Values go in and come out as 64-bit
// integers, text or NULL: the store's columns hold nothing else.

#include <cstdint>
#include <memory>
#include <string>

namespace herald {

/// One prepared statement. Not thread-safe; used on the store's thread.
class SqlStatement {
 public:
  virtual ~SqlStatement() = default;
  virtual void bind(int index, std::int64_t value) = 0;
  virtual void bind(int index, const std::string& value) = 0;
  void bind(int index, int value) { bind(index, static_cast<std::int64_t>(value)); }
  void bind(int index, const char* value) { bind(index, std::string(value)); }
  virtual void bind_null(int index) = 0;
  /// Moves to the next row of the result; the first call runs the
  /// statement. False when there are no more rows.
  virtual bool step() = 0;
  virtual bool is_null(int column) = 0;
  virtual std::int64_t int64(int column) = 0;
  int integer(int column) { return static_cast<int>(int64(column)); }
  virtual std::string text(int column) = 0;
  /// Runs a statement that returns no rows; the number of rows it changed.
  virtual int exec() = 0;
  /// Ready to run again: the result let go, the bindings cleared.
  virtual void reset() = 0;
};

/// One connection to a database.
class SqlDatabase {
 public:
  virtual ~SqlDatabase() = default;
  /// The statement of `sql`, prepared once for the connection's life and
  /// handed out reset and unbound: preparing costs more than running the
  /// store's one-row statements.
  virtual SqlStatement& cached(const std::string& sql) = 0;
  /// A statement prepared for one use.
  virtual std::unique_ptr<SqlStatement> prepare(const std::string& sql) = 0;
  /// Runs one or more statements without parameters or rows.
  virtual void exec(const std::string& sql) = 0;
  /// Starts a write transaction holding the database's one write lock, so
  /// herald's writers (the daemon, `herald pause` from another process, a
  /// second host) take turns: SQLite's BEGIN IMMEDIATE, PostgreSQL's
  /// transaction-scoped advisory lock.
  virtual void begin_write() = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;
  virtual bool in_transaction() = 0;
  virtual bool table_exists(const std::string& name) = 0;
  /// Write transactions committed through this connection.
  virtual std::uint64_t commits() const = 0;
};

}  // namespace herald
