#pragma once
// SqlDatabase on SQLite, through SQLiteCpp: the store's embedded default.

#include "scheduler/sql.hpp"

#include <memory>
#include <string>
#include <unordered_map>

struct sqlite3;
namespace SQLite {
class Database;
}

namespace herald {

class SqliteDatabase final : public SqlDatabase {
 public:
  explicit SqliteDatabase(std::unique_ptr<SQLite::Database> db);
  ~SqliteDatabase() override;

  SqlStatement& cached(const std::string& sql) override;
  std::unique_ptr<SqlStatement> prepare(const std::string& sql) override;
  void exec(const std::string& sql) override;
  void begin_write() override;
  void commit() override;
  void rollback() override;
  bool in_transaction() override;
  bool table_exists(const std::string& name) override;
  std::uint64_t commits() const override { return commits_; }

  /// The connection's handle, for what only SQLite has (its file's first
  /// bytes through its own file handle).
  sqlite3* handle();

 private:
  std::unique_ptr<SQLite::Database> db_;
  std::unordered_map<std::string, std::unique_ptr<SqlStatement>> cache_;  // destroyed before db_
  std::uint64_t commits_ = 0;
};

}  // namespace herald
