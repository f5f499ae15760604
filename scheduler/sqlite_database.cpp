#include "scheduler/sqlite_database.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <sqlite3.h>

namespace herald {

namespace {

class SqliteStatement final : public SqlStatement {
 public:
  SqliteStatement(SQLite::Database& db, const std::string& sql) : q_(db, sql) {}
  void bind(int index, std::int64_t value) override { q_.bind(index, static_cast<int64_t>(value)); }
  void bind(int index, const std::string& value) override { q_.bind(index, value); }
  void bind_null(int index) override { q_.bind(index); }
  bool step() override { return q_.executeStep(); }
  bool is_null(int column) override { return q_.getColumn(column).isNull(); }
  std::int64_t int64(int column) override { return q_.getColumn(column).getInt64(); }
  std::string text(int column) override { return q_.getColumn(column).getString(); }
  int exec() override { return q_.exec(); }
  void reset() override {
    // sqlite3_reset returns the error of the statement's last failed step
    // (a write refused by a full disk, say): that error was thrown then, so
    // reusing the statement after the store is back must not throw it again.
    q_.tryReset();
    q_.clearBindings();
  }

 private:
  SQLite::Statement q_;
};

}  // namespace

SqliteDatabase::SqliteDatabase(std::unique_ptr<SQLite::Database> db) : db_(std::move(db)) {
  // SQLite's own count of what reached the disk: one per committed write
  // transaction (a savepoint released inside a transaction is not one).
  sqlite3_commit_hook(
      db_->getHandle(),
      [](void* commits) {
        ++*static_cast<std::uint64_t*>(commits);
        return 0;  // 0: let the commit go on
      },
      &commits_);
}

SqliteDatabase::~SqliteDatabase() {
  cache_.clear();
  sqlite3_commit_hook(db_->getHandle(), nullptr, nullptr);
}

SqlStatement& SqliteDatabase::cached(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) it = cache_.emplace(sql, std::make_unique<SqliteStatement>(*db_, sql)).first;
  it->second->reset();
  return *it->second;
}

std::unique_ptr<SqlStatement> SqliteDatabase::prepare(const std::string& sql) {
  return std::make_unique<SqliteStatement>(*db_, sql);
}

void SqliteDatabase::exec(const std::string& sql) { db_->exec(sql); }
void SqliteDatabase::begin_write() { db_->exec("BEGIN IMMEDIATE"); }
void SqliteDatabase::commit() { db_->exec("COMMIT"); }
void SqliteDatabase::rollback() { db_->exec("ROLLBACK"); }
bool SqliteDatabase::in_transaction() { return sqlite3_get_autocommit(db_->getHandle()) == 0; }
bool SqliteDatabase::table_exists(const std::string& name) { return db_->tableExists(name); }
sqlite3* SqliteDatabase::handle() { return db_->getHandle(); }

}  // namespace herald
