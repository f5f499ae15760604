#include "scheduler/store.hpp"

#include "scheduler/plan.hpp"
#include "scheduler/postgresql_database.hpp"
#include "scheduler/sqlite_database.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <sqlite3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <span>
#include <stdexcept>
#include <system_error>
#include <tuple>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace herald {

namespace {

namespace fs = std::filesystem;

constexpr int kBusyTimeoutMs = 5000;

// A step of the schema: the SQL that brings it to version `to`.
struct Migration {
  int to;
  const char* sql;
};

// SQLite's steps, each from the version before. Every statement is written
// so that running it again changes nothing (IF NOT EXISTS), so a migration
// cut short by a crash, or one racing a second process, is simply run again.
constexpr Migration kSqliteMigrations[] = {
    {1, R"sql(
CREATE TABLE IF NOT EXISTS schema_version (
  version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
  key          TEXT PRIMARY KEY NOT NULL,
  post         TEXT NOT NULL,
  channel      TEXT NOT NULL,
  planned      INTEGER NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('planned', 'waiting', 'held', 'sending', 'retry_wait',
                                              'published', 'failed', 'needs_review', 'cancelled')),
  attempts     INTEGER NOT NULL DEFAULT 0,
  next_attempt INTEGER,
  remote_id    TEXT NOT NULL DEFAULT '',
  url          TEXT NOT NULL DEFAULT '',
  last_error   TEXT NOT NULL DEFAULT '',
  content_hash TEXT NOT NULL DEFAULT '',
  sent_text    TEXT NOT NULL DEFAULT '',
  queued       INTEGER NOT NULL DEFAULT 0,
  updated      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_by_state ON deliveries (state, planned, key);
CREATE INDEX IF NOT EXISTS deliveries_by_planned ON deliveries (planned);
CREATE INDEX IF NOT EXISTS deliveries_by_channel ON deliveries (channel, state, planned);
CREATE TABLE IF NOT EXISTS events (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  at         INTEGER NOT NULL,
  key        TEXT NOT NULL DEFAULT '',
  event      TEXT NOT NULL,
  from_state TEXT NOT NULL DEFAULT '',
  to_state   TEXT NOT NULL DEFAULT '',
  detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS events_by_key ON events (key, id);
CREATE TABLE IF NOT EXISTS pauses (
  channel TEXT PRIMARY KEY NOT NULL,
  reason  TEXT NOT NULL,
  since   INTEGER NOT NULL,
  until   INTEGER
);
CREATE TABLE IF NOT EXISTS tokens (
  credential TEXT PRIMARY KEY NOT NULL,
  value      TEXT NOT NULL,
  updated    INTEGER NOT NULL
);
)sql"},
    // 1 -> 2: what settling a lost answer needs across a restart (when the
    // current attempt began, how many answers were lost since the last fresh
    // start), the look-before-sending mark of a new store, and small facts
    // about the store itself. ALTER TABLE cannot say IF NOT EXISTS; the
    // migration runs in one transaction, so it is never half applied.
    {2, R"sql(
ALTER TABLE deliveries ADD COLUMN sent_at INTEGER;
ALTER TABLE deliveries ADD COLUMN lost_answers INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN verify INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN settle_from INTEGER;
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
);
)sql"},
    // 2 -> 3: the retry policy's count of create requests since the last
    // fresh start, kept on the row instead of read from the history each
    // time. Filled from the history once: the `sending` lines since the last
    // `edited` or `retry_requested` line, less the `processing` lines (each
    // takes back the request just before it).
    {3, R"sql(
ALTER TABLE deliveries ADD COLUMN tries INTEGER NOT NULL DEFAULT 0;
UPDATE deliveries SET tries = max(0,
  (SELECT count(*) FROM events e WHERE e.key = deliveries.key AND e.event = 'sending' AND e.id >
     coalesce((SELECT max(id) FROM events f WHERE f.key = deliveries.key
                                              AND f.event IN ('edited', 'retry_requested')), 0))
  - (SELECT count(*) FROM events e WHERE e.key = deliveries.key AND e.event = 'processing' AND e.id >
     coalesce((SELECT max(id) FROM events f WHERE f.key = deliveries.key
                                              AND f.event IN ('edited', 'retry_requested')), 0)));
)sql"},
    // 3 -> 4: the dispatcher's due page reads each state of a channel in
    // (planned, key) order straight from an index, sorting nothing; the
    // index it replaces is a prefix of it.
    {4, R"sql(
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (channel, state, planned, key);
DROP INDEX IF EXISTS deliveries_by_channel;
)sql"},
    // 4 -> 5: engagement collection (issue 17). `collect` is each published
    // delivery's schedule of counter reads: stage 0 until its first read is
    // booked (next_read is then the time it went out), 1 while reads are
    // due (next_read is the next one's time), 2 once done. `engagement` is
    // every counter as read, a time series per delivery. Deliveries
    // published before this version are enrolled once.
    {5, R"sql(
CREATE TABLE IF NOT EXISTS collect (
  key          TEXT PRIMARY KEY NOT NULL,
  channel      TEXT NOT NULL,
  published_at INTEGER NOT NULL,
  stage        INTEGER NOT NULL DEFAULT 0,
  next_read    INTEGER NOT NULL,
  reads        INTEGER NOT NULL DEFAULT 0,
  failures     INTEGER NOT NULL DEFAULT 0,
  last_error   TEXT NOT NULL DEFAULT '',
  last_read    INTEGER
);
CREATE INDEX IF NOT EXISTS collect_due ON collect (channel, stage, next_read, key);
CREATE INDEX IF NOT EXISTS collect_by_time ON collect (published_at);
CREATE TABLE IF NOT EXISTS engagement (
  key    TEXT NOT NULL,
  at     INTEGER NOT NULL,
  name   TEXT NOT NULL,
  common TEXT NOT NULL DEFAULT '',
  value  INTEGER NOT NULL,
  PRIMARY KEY (key, at, name)
);
CREATE INDEX IF NOT EXISTS engagement_by_time ON engagement (at);
INSERT INTO collect (key, channel, published_at, next_read)
  SELECT key, channel, coalesce(sent_at, updated), coalesce(sent_at, updated) FROM deliveries
  WHERE state = 'published' ON CONFLICT (key) DO NOTHING;
)sql"},
};
static_assert(std::end(kSqliteMigrations)[-1].to == Store::kSchemaVersion);

// PostgreSQL's: the schema of version 4 in one step, as the first PostgreSQL
// store was version 4; each later version adds a step here and to SQLite's.
// Times are seconds since the epoch (BIGINT), flags 0 or 1, as in SQLite;
// keys sort by their bytes (COLLATE "C"), as SQLite sorts them, whatever the
// database's locale.
constexpr Migration kPostgresqlMigrations[] = {
    {4, R"sql(
CREATE TABLE IF NOT EXISTS schema_version (
  version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
  key          TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  post         TEXT COLLATE "C" NOT NULL,
  channel      TEXT COLLATE "C" NOT NULL,
  planned      BIGINT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('planned', 'waiting', 'held', 'sending', 'retry_wait',
                                              'published', 'failed', 'needs_review', 'cancelled')),
  attempts     INTEGER NOT NULL DEFAULT 0,
  next_attempt BIGINT,
  remote_id    TEXT NOT NULL DEFAULT '',
  url          TEXT NOT NULL DEFAULT '',
  last_error   TEXT NOT NULL DEFAULT '',
  content_hash TEXT NOT NULL DEFAULT '',
  sent_text    TEXT NOT NULL DEFAULT '',
  queued       INTEGER NOT NULL DEFAULT 0,
  updated      BIGINT NOT NULL,
  sent_at      BIGINT,
  lost_answers INTEGER NOT NULL DEFAULT 0,
  verify       INTEGER NOT NULL DEFAULT 0,
  settle_from  BIGINT,
  tries        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS deliveries_by_state ON deliveries (state, planned, key);
CREATE INDEX IF NOT EXISTS deliveries_by_planned ON deliveries (planned);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (channel, state, planned, key);
CREATE TABLE IF NOT EXISTS events (
  id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at         BIGINT NOT NULL,
  key        TEXT COLLATE "C" NOT NULL DEFAULT '',
  event      TEXT NOT NULL,
  from_state TEXT NOT NULL DEFAULT '',
  to_state   TEXT NOT NULL DEFAULT '',
  detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS events_by_key ON events (key, id);
CREATE TABLE IF NOT EXISTS pauses (
  channel TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  reason  TEXT NOT NULL,
  since   BIGINT NOT NULL,
  until   BIGINT
);
CREATE TABLE IF NOT EXISTS tokens (
  credential TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  value      TEXT NOT NULL,
  updated    BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
);
-- The lease (Store::take_lease): which instance dispatches, until when by
-- the database's clock, and the fencing token each new holder increases.
CREATE TABLE IF NOT EXISTS lease (
  id      INTEGER PRIMARY KEY CHECK (id = 1),
  holder  TEXT NOT NULL DEFAULT '',
  token   BIGINT NOT NULL DEFAULT 0,
  expires TIMESTAMPTZ NOT NULL DEFAULT 'epoch'
);
INSERT INTO lease (id) VALUES (1) ON CONFLICT (id) DO NOTHING;
)sql"},
    {5, R"sql(
CREATE TABLE IF NOT EXISTS collect (
  key          TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  channel      TEXT COLLATE "C" NOT NULL,
  published_at BIGINT NOT NULL,
  stage        INTEGER NOT NULL DEFAULT 0,
  next_read    BIGINT NOT NULL,
  reads        INTEGER NOT NULL DEFAULT 0,
  failures     INTEGER NOT NULL DEFAULT 0,
  last_error   TEXT NOT NULL DEFAULT '',
  last_read    BIGINT
);
CREATE INDEX IF NOT EXISTS collect_due ON collect (channel, stage, next_read, key);
CREATE INDEX IF NOT EXISTS collect_by_time ON collect (published_at);
CREATE TABLE IF NOT EXISTS engagement (
  key    TEXT COLLATE "C" NOT NULL,
  at     BIGINT NOT NULL,
  name   TEXT COLLATE "C" NOT NULL,
  common TEXT NOT NULL DEFAULT '',
  value  BIGINT NOT NULL,
  PRIMARY KEY (key, at, name)
);
CREATE INDEX IF NOT EXISTS engagement_by_time ON engagement (at);
INSERT INTO collect (key, channel, published_at, next_read)
  SELECT key, channel, coalesce(sent_at, updated), coalesce(sent_at, updated) FROM deliveries
  WHERE state = 'published' ON CONFLICT (key) DO NOTHING;
)sql"},
};
static_assert(std::end(kPostgresqlMigrations)[-1].to == Store::kSchemaVersion);

constexpr const char* kDeliveryColumns =
    "key, post, channel, planned, state, attempts, next_attempt, remote_id, url, last_error, content_hash, "
    "sent_text, queued, updated, sent_at, lost_answers, verify, settle_from, tries";

std::int64_t to_db(Instant t) { return t.time_since_epoch().count(); }
Instant from_db(std::int64_t v) { return Instant{std::chrono::seconds{v}}; }

std::string state_text(State s) { return std::string(to_string(s)); }

// Write transactions take the write lock at BEGIN (SqlDatabase::begin_write),
// so a concurrent writer waits its turn instead of failing halfway on its
// first write (a read-then-write transaction cannot be retried). The
// destructor rolls back anything not committed.
//
// Inside a Store::Batch (a transaction already open on this connection) it
// is a savepoint instead: its commit releases the savepoint into the batch,
// which commits once; a write that gives up (not committed) is rolled back
// to the savepoint, exactly as it would have been alone.
// The fence of a shared store's instance (Store::take_lease): inside the
// write transaction, so the lease cannot pass to another between the check
// and the commit (taking it is a write transaction too, and they take turns).
void check_fence(SqlDatabase& db, const LeaseFence& fence) {
  SqlStatement& q = db.cached(
      "SELECT holder, token, expires > clock_timestamp() FROM lease WHERE id = 1");
  std::string holder, live;
  std::int64_t token = 0;
  if (q.step()) {
    holder = q.text(0);
    token = q.int64(1);
    live = q.text(2);
  }
  q.reset();
  if (holder == fence.instance && token == fence.token && live == "t") return;
  throw StoreUnavailable("this instance (" + fence.instance + ") does not hold the store's lease" +
                         (holder.empty() || holder == fence.instance ? std::string(" now")
                                                                     : "; the active instance is " + holder) +
                         ": it writes nothing and starts no create");
}

class WriteTransaction {
 public:
  /// `fence`: an instance of a shared store checks it holds the lease first.
  explicit WriteTransaction(SqlDatabase& db, const LeaseFence* fence = nullptr) : db_(db), nested_(db.in_transaction()) {
    if (nested_) {
      db_.exec("SAVEPOINT herald_write");
      return;  // the batch around it checked the fence
    }
    db_.begin_write();
    if (!fence) return;
    try {
      check_fence(db_, *fence);
    } catch (...) {
      db_.rollback();
      throw;
    }
  }
  ~WriteTransaction() {
    if (done_) return;
    try {
      if (nested_) {
        db_.exec("ROLLBACK TO SAVEPOINT herald_write");
        db_.exec("RELEASE SAVEPOINT herald_write");
      } else {
        db_.rollback();
      }
    } catch (const std::exception&) {
      // Nested: the batch's own rollback undoes it. Alone: the failed
      // commit or the lost connection ended the transaction already.
    }
  }
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  void commit() {
    if (nested_) db_.exec("RELEASE SAVEPOINT herald_write");
    else db_.commit();
    done_ = true;
  }

 private:
  SqlDatabase& db_;
  const bool nested_;
  bool done_ = false;
};

StoredDelivery read_delivery(SqlStatement& q) {
  StoredDelivery d;
  d.key = q.text(0);
  d.post = q.text(1);
  d.channel = q.text(2);
  d.planned = from_db(q.int64(3));
  const std::string state = q.text(4);
  const auto parsed = parse_state(state);
  // The CHECK constraint keeps other text out; a hand-edited database must not
  // turn into a delivery that looks due.
  if (!parsed) throw std::runtime_error("delivery " + d.key + " has an unknown state '" + state + "'");
  d.state = *parsed;
  d.attempts = q.integer(5);
  if (!q.is_null(6)) d.next_attempt = from_db(q.int64(6));
  d.remote_id = q.text(7);
  d.url = q.text(8);
  d.last_error = q.text(9);
  d.content_hash = q.text(10);
  d.sent_text = q.text(11);
  d.queued = q.integer(12) != 0;
  d.updated = from_db(q.int64(13));
  if (!q.is_null(14)) d.sent_at = from_db(q.int64(14));
  d.lost_answers = q.integer(15);
  d.verify = q.integer(16) != 0;
  if (!q.is_null(17)) d.settle_from = from_db(q.int64(17));
  d.tries = q.integer(18);
  return d;
}

}  // namespace

namespace {

const std::string kSelectDelivery = std::string("SELECT ") + kDeliveryColumns + " FROM deliveries WHERE key = ?";

std::optional<StoredDelivery> select_delivery(SqlDatabase& db, const std::string& key) {
  SqlStatement& q = db.cached(kSelectDelivery);
  q.bind(1, key);
  std::optional<StoredDelivery> out;
  if (q.step()) out = read_delivery(q);
  q.reset();  // no read left open between calls
  return out;
}

void append_event(SqlDatabase& db, Instant at, const std::string& key, const std::string& event,
                  const std::string& from, const std::string& to, const std::string& detail) {
  SqlStatement& q = db.cached("INSERT INTO events (at, key, event, from_state, to_state, detail) VALUES (?, ?, ?, ?, ?, ?)");
  q.bind(1, to_db(at));
  q.bind(2, key);
  q.bind(3, event);
  q.bind(4, from);
  q.bind(5, to);
  q.bind(6, detail);
  q.exec();
}

// Errors go to the journal and the status page; name the path and the reason.
[[noreturn]] void throw_errno(const std::string& what, const fs::path& path) {
  throw fs::filesystem_error(what, path, std::error_code(errno, std::generic_category()));
}

// The state directory holds rotated tokens: owner only, whatever the umask
// or an earlier, looser setup left.
void prepare_state_dir(const fs::path& dir) {
  if (dir.has_parent_path() && !dir.parent_path().empty()) fs::create_directories(dir.parent_path());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) throw_errno("cannot create the state directory", dir);
  if (!fs::is_directory(dir)) throw fs::filesystem_error("the state directory is not a directory", dir,
                                                         std::make_error_code(std::errc::not_a_directory));
  if (::chmod(dir.c_str(), 0700) != 0) throw_errno("cannot set mode 0700 on the state directory", dir);
}

// Creates `file` empty with mode 0600 if it does not exist, so it is never
// readable by others, not even for a moment. Refuses a symlink.
void create_private_file(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return;
  }
  if (errno != EEXIST) throw_errno("cannot create", file);
  if (fs::is_symlink(fs::symlink_status(file))) throw fs::filesystem_error("refusing a symbolic link", file,
                                                                          std::make_error_code(std::errc::not_supported));
}

void make_private(const fs::path& file, bool must_exist) {
  if (::chmod(file.c_str(), 0600) == 0) return;
  if (!must_exist && errno == ENOENT) return;
  throw_errno("cannot set mode 0600 on", file);
}

std::string change_detail(const StoredDelivery& old, Instant planned, bool content_changed) {
  std::string detail;
  if (old.planned != planned) detail = "time " + format_utc(old.planned) + " -> " + format_utc(planned);
  if (content_changed) detail += std::string(detail.empty() ? "" : "; ") + "content changed";
  return detail;
}

}  // namespace

Store::Store(std::unique_ptr<SqlDatabase> db, fs::path file, std::string name)
    : db_(std::move(db)),
      sqlite_(dynamic_cast<SqliteDatabase*>(db_.get())),
      file_(std::move(file)),
      name_(name.empty() ? file_.string() : std::move(name)) {}

Store::~Store() = default;

std::uint64_t Store::commits() const { return db_->commits(); }

Store::Batch::Batch(SqlDatabase& db, const LeaseFence* fence) : db_(&db) {
  db.begin_write();
  if (!fence) return;
  try {
    check_fence(db, *fence);
  } catch (...) {
    db.rollback();
    throw;
  }
}
Store::Batch::~Batch() {
  if (!db_) return;
  try {
    db_->rollback();
  } catch (const std::exception&) {
    // A failed commit or a lost connection ended the transaction already.
  }
}
Store::Batch::Batch(Batch&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
void Store::Batch::commit() {
  db_->commit();
  db_ = nullptr;
}

Store::Batch Store::batch() { return Batch(*db_, fence()); }

const LeaseFence* Store::fence() const { return fence_ ? &*fence_ : nullptr; }

bool Store::shared() const { return sqlite_ == nullptr; }

LeaseInfo Store::lease() {
  LeaseInfo out;
  if (!shared()) return out;
  SqlStatement& q = db_->cached(
      "SELECT holder, token, (extract(epoch FROM expires - clock_timestamp()) * 1000)::bigint FROM lease WHERE id = 1");
  if (q.step()) {
    out.holder = q.text(0);
    out.token = q.int64(1);
    out.left = std::chrono::milliseconds(q.int64(2));
  }
  q.reset();
  return out;
}

LeaseInfo Store::take_lease(const std::string& instance, std::chrono::milliseconds period) {
  if (!shared()) throw std::logic_error("only a shared (PostgreSQL) store has a lease");
  // Fenced from the first try on: until it holds the lease, this
  // instance's writes fail.
  if (!fence_ || fence_->instance != instance) fence_ = LeaseFence{instance, -1};
  WriteTransaction tx(*db_);
  // Renewed while held (the same token); taken when it lapsed, with a new
  // token, even by the instance that held it before: writes it made under
  // the old token prove nothing now. By the database's clock, so hosts
  // whose clocks disagree still agree on who holds it.
  SqlStatement& take = db_->cached(
      "UPDATE lease SET token = CASE WHEN holder = ?1 AND expires > clock_timestamp() THEN token ELSE token + 1 END, "
      "holder = ?1, expires = clock_timestamp() + ?2::bigint * interval '1 millisecond' "
      "WHERE id = 1 AND (holder = ?1 OR expires <= clock_timestamp())");
  take.bind(1, instance);
  take.bind(2, static_cast<std::int64_t>(period.count()));
  take.exec();
  const LeaseInfo now = lease();
  tx.commit();
  fence_->token = now.holder == instance ? now.token : -1;
  return now;
}

void Store::release_lease() {
  if (!fence_ || fence_->token < 0) return;
  WriteTransaction tx(*db_);
  SqlStatement& q = db_->cached("UPDATE lease SET expires = clock_timestamp() WHERE id = 1 AND holder = ? AND token = ?");
  q.bind(1, fence_->instance);
  q.bind(2, fence_->token);
  q.exec();
  tx.commit();
  fence_->token = -1;
}

namespace {

// Less free space than this for the state database is a problem: a
// transaction appends pages to the WAL, and SQLite needs room to checkpoint.
constexpr unsigned long long kMinFreeBytes = 4ull * 1024 * 1024;
// The first bytes of every SQLite 3 database file (sqlite.org/fileformat.html 1.3.1).
constexpr char kSqliteMagic[16] = {'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f', 'o', 'r', 'm', 'a', 't', ' ', '3', '\0'};

void apply_pragmas(SQLite::Database& db) {
  db.exec("PRAGMA journal_mode=WAL");
  // FULL on every commit, not only around the sending commit: in WAL mode
  // NORMAL may lose the last commits on power failure, and a lost
  // `published` or `cancelled` is as bad as a lost `sending`. herald commits
  // a handful of times per post, so the extra fsync costs nothing that matters.
  db.exec("PRAGMA synchronous=FULL");
  db.exec("PRAGMA foreign_keys=ON");
}

std::string random_instance() {
  std::random_device device;
  std::uniform_int_distribution<int> digit(0, 15);
  std::string out;
  for (int i = 0; i < 32; ++i) out += "0123456789abcdef"[digit(device)];
  return out;
}

void fsync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// The file beside herald.db that remembers which database herald last sent
// through (its instance) and the latest sending commit. A herald.db that is
// another database, or older than that (a backup put back), may not know
// about posts that went out: its overdue deliveries are looked up first.
fs::path sent_stamp(const fs::path& file) { return fs::path(file).concat(".sent"); }

struct SentStamp {
  std::string instance;
  std::int64_t last_sent = 0;
};

std::optional<SentStamp> read_stamp(const fs::path& file) {
  std::ifstream in(sent_stamp(file));
  SentStamp s;
  if (!(in >> s.instance >> s.last_sent)) return std::nullopt;
  return s;
}

// Written by rename so a reader never sees half of it; not fsynced: a stamp
// lost to a power failure is older, which only makes herald trust the store.
void write_stamp(const fs::path& file, const SentStamp& stamp) {
  const fs::path target = sent_stamp(file);
  const fs::path tmp = fs::path(target).concat(".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << stamp.instance << ' ' << stamp.last_sent << '\n';
    if (!out) return;
  }
  ::chmod(tmp.c_str(), 0600);
  std::error_code ec;
  fs::rename(tmp, target, ec);
}

std::optional<std::string> meta_value(SqlDatabase& db, const std::string& key) {
  SqlStatement& q = db.cached("SELECT value FROM meta WHERE key = ?");
  q.bind(1, key);
  std::optional<std::string> out;
  if (q.step()) out = q.text(0);
  q.reset();
  return out;
}

void set_meta(SqlDatabase& db, const std::string& key, const std::string& value) {
  SqlStatement& q = db.cached("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  q.bind(1, key);
  q.bind(2, value);
  q.exec();
}

bool is_damage(const SQLite::Exception& e) {
  const int code = e.getErrorCode();
  return code == SQLITE_CORRUPT || code == SQLITE_NOTADB;
}

}  // namespace

std::string describe_store_failure(const std::exception& e) {
  if (const auto* s = dynamic_cast<const SQLite::Exception*>(&e)) {
    const std::string what = std::string(" (SQLite: ") + s->what() + ")";
    switch (s->getErrorCode()) {
      case SQLITE_FULL: return "the disk holding the state database is full" + what;
      case SQLITE_CORRUPT:
      case SQLITE_NOTADB: return "the state database is damaged" + what;
      case SQLITE_IOERR: return "the state database cannot be read or written (I/O error)" + what;
      case SQLITE_READONLY: return "the state database is read-only" + what;
      case SQLITE_CANTOPEN: return "the state database cannot be opened" + what;
      case SQLITE_BUSY:
      case SQLITE_LOCKED: return "the state database is locked by another process" + what;
      default: return "the state database failed" + what;
    }
  }
  return e.what();
}

std::unique_ptr<Store> Store::open(const std::filesystem::path& state_dir) {
  prepare_state_dir(state_dir);
  const fs::path file = state_dir / "herald.db";
  struct stat st {};
  bool created = false;
  if (::lstat(file.c_str(), &st) != 0) {
    if (errno != ENOENT) throw_errno("cannot read", file);
    // A -wal or -shm left by the database that was here belongs to it, not
    // to the new one: SQLite would replay that log into the new file.
    for (const char* suffix : {"-wal", "-shm"}) {
      const fs::path left = fs::path(file).concat(suffix);
      std::error_code ec;
      if (fs::exists(fs::symlink_status(left, ec)))
        fs::rename(left, fs::path(left).concat(".orphaned-" + std::to_string(std::time(nullptr))));
    }
    // Built complete under another name, then renamed: a herald.db that
    // exists is always a whole database, so an empty one is damage.
    const fs::path fresh = fs::path(file).concat(".new");
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(fs::path(fresh).concat(suffix));
    create_private_file(fresh);
    {
      auto db = std::make_unique<SQLite::Database>(fresh, SQLite::OPEN_READWRITE, kBusyTimeoutMs);
      apply_pragmas(*db);
      Store building(std::make_unique<SqliteDatabase>(std::move(db)), fresh);
      building.migrate();
      WriteTransaction tx(*building.db_);
      set_meta(*building.db_, "instance", random_instance());
      // Its first sync looks overdue deliveries up before sending them.
      set_meta(*building.db_, "adopt_pending", "1");
      tx.commit();
      building.db_->exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    fs::rename(fresh, file);
    for (const char* suffix : {"-wal", "-shm"}) fs::remove(fs::path(fresh).concat(suffix));
    fsync_dir(state_dir);
    created = true;
  } else if (S_ISLNK(st.st_mode)) {
    throw fs::filesystem_error("refusing a symbolic link", file, std::make_error_code(std::errc::not_supported));
  } else if (S_ISREG(st.st_mode) && st.st_size == 0) {
    throw StoreUnavailable(file.string() +
                           " is empty (0 bytes): the state database was truncated or damaged. herald does not start "
                           "on it; move it away to start with a new store (which looks every overdue delivery up "
                           "on its platform before sending it), or put a good copy back");
  }
  make_private(file, true);
  // SQLite gives its -wal and -shm files the mode of the database; older
  // ones left from a looser setup are tightened too.
  make_private(fs::path(file).concat("-wal"), false);
  make_private(fs::path(file).concat("-shm"), false);

  std::unique_ptr<Store> store;
  try {
    auto db = std::make_unique<SQLite::Database>(file, SQLite::OPEN_READWRITE, kBusyTimeoutMs);
    apply_pragmas(*db);
    store.reset(new Store(std::make_unique<SqliteDatabase>(std::move(db)), file));
    if (!created) {
      const auto q = store->db_->prepare("PRAGMA quick_check(1)");
      const bool answered = q->step();
      if (!answered || q->text(0) != "ok")
        throw StoreUnavailable(file.string() + " is damaged (SQLite's quick_check: " +
                               (answered ? q->text(0) : std::string("no answer")) +
                               "); herald does not start on it. Put a good copy back (see docs/operations.md, "
                               "Backups), or move it away to start with a new store");
    }
    store->migrate();
  } catch (const SQLite::Exception& e) {
    if (is_damage(e))
      throw StoreUnavailable(file.string() + " is not a sound SQLite database (" + e.what() +
                             "); herald does not start on it. Put a good copy back, or move it away to start with "
                             "a new store");
    throw;
  }
  if (::stat(file.c_str(), &st) != 0) throw_errno("cannot read", file);
  store->device_ = st.st_dev;
  store->inode_ = st.st_ino;

  // A database that is not the one herald last sent through (another
  // lineage, or older than the last sending commit herald saw: a backup put
  // back) may miss posts that went out; adopt it as a new store would be.
  const auto instance = meta_value(*store->db_, "instance");
  if (const auto stamp = read_stamp(file); stamp && !created) {
    const auto q = store->db_->prepare("SELECT coalesce(max(sent_at), 0) FROM deliveries");
    const std::int64_t last_sent = q->step() ? q->int64(0) : 0;
    q->reset();
    if (!instance || *instance != stamp->instance || last_sent < stamp->last_sent) {
      WriteTransaction tx(*store->db_);
      set_meta(*store->db_, "adopt_pending", "1");
      if (!instance) set_meta(*store->db_, "instance", random_instance());
      tx.commit();
    }
  } else if (!instance) {
    // A store made before instances were recorded (schema 1).
    WriteTransaction tx(*store->db_);
    set_meta(*store->db_, "instance", random_instance());
    tx.commit();
  }
  store->instance_ = meta_value(*store->db_, "instance").value_or("");
  return store;
}

std::unique_ptr<Store> Store::open_postgresql(const std::string& url, const std::string& password,
                                              std::chrono::milliseconds stall) {
  std::unique_ptr<Store> store(
      new Store(std::make_unique<PostgresqlDatabase>(url, password, stall), {}, "the PostgreSQL store"));
  store->migrate();
  WriteTransaction tx(*store->db_);
  if (!meta_value(*store->db_, "instance")) {
    set_meta(*store->db_, "instance", random_instance());
    // Its first sync looks overdue deliveries up before sending them.
    set_meta(*store->db_, "adopt_pending", "1");
  }
  tx.commit();
  store->instance_ = meta_value(*store->db_, "instance").value_or("");
  return store;
}

std::unique_ptr<Store> Store::open_existing(const std::filesystem::path& state_dir) {
  const fs::path file = state_dir / "herald.db";
  struct stat st {};
  if (::lstat(file.c_str(), &st) != 0) throw_errno("cannot read", file);
  if (!S_ISREG(st.st_mode) || st.st_size == 0) throw StoreUnavailable(file.string() + " is not a usable database");
  auto db = std::make_unique<SQLite::Database>(file, SQLite::OPEN_READWRITE, kBusyTimeoutMs);
  db->exec("PRAGMA synchronous=FULL");
  std::unique_ptr<Store> store(new Store(std::make_unique<SqliteDatabase>(std::move(db)), file));
  if (store->schema_version() != kSchemaVersion)
    throw StoreUnavailable(file.string() + " has schema version " + std::to_string(store->schema_version()) +
                           ", not " + std::to_string(kSchemaVersion));
  store->device_ = st.st_dev;
  store->inode_ = st.st_ino;
  return store;
}

std::optional<std::string> Store::check_file() const {
  // A PostgreSQL store has no file here: a server that cannot be reached
  // fails the sending transaction itself, before anything goes out.
  if (!sqlite_) return std::nullopt;
  const std::string name = file_.string();
  struct stat st {};
  if (::stat(file_.c_str(), &st) != 0) {
    if (errno == ENOENT) return name + " was deleted while herald was running";
    return "cannot read " + name + ": " + std::strerror(errno);
  }
  if (static_cast<unsigned long long>(st.st_dev) != device_ || static_cast<unsigned long long>(st.st_ino) != inode_)
    return name + " was replaced by another file while herald was running";
  if (::access(file_.c_str(), R_OK | W_OK) != 0)
    return name + " is not readable and writable: " + std::strerror(errno);
  if (st.st_size == 0) return name + " was truncated to 0 bytes";
  // The first bytes through SQLite's own file handle: opening and closing
  // the file here would drop every POSIX lock this process holds on it (a
  // close releases them all), and another connection could then checkpoint
  // or remove the WAL under herald (sqlite.org/howtocorrupt.html 2.2).
  sqlite3_file* handle = nullptr;
  if (sqlite3_file_control(sqlite_->handle(), "main", SQLITE_FCNTL_FILE_POINTER, &handle) == SQLITE_OK && handle &&
      handle->pMethods) {
    char head[sizeof kSqliteMagic] = {};
    if (handle->pMethods->xRead(handle, head, static_cast<int>(sizeof head), 0) != SQLITE_OK ||
        std::memcmp(head, kSqliteMagic, sizeof head) != 0)
      return name + " no longer starts like an SQLite database (overwritten or damaged)";
  }
  struct statvfs fsinfo {};
  if (::statvfs(file_.parent_path().c_str(), &fsinfo) == 0 &&
      static_cast<unsigned long long>(fsinfo.f_bavail) * fsinfo.f_frsize < kMinFreeBytes)
    return "less than " + std::to_string(kMinFreeBytes >> 20) + " MiB free for the state database in " +
           file_.parent_path().string();
  return std::nullopt;
}

std::optional<std::string> Store::deep_check(const std::filesystem::path& file) {
  try {
    SQLite::Database db(file, SQLite::OPEN_READONLY, kBusyTimeoutMs);
    SQLite::Statement q(db, "PRAGMA quick_check(5)");
    std::string problems;
    while (q.executeStep()) {
      const std::string line = q.getColumn(0).getString();
      if (line == "ok") return std::nullopt;
      problems += (problems.empty() ? "" : "; ") + line;
    }
    return file.string() + " is damaged (SQLite's quick_check: " + (problems.empty() ? "no answer" : problems) + ")";
  } catch (const SQLite::Exception& e) {
    // Only damage is a finding. A second connection can meet a moment it
    // cannot read (the writer recovering its WAL after a crash, a checkpoint
    // resetting it): that proves nothing, and the next check reads again.
    if (is_damage(e)) return file.string() + " is damaged: " + describe_store_failure(e);
    return std::nullopt;
  }
}

void Store::set_aside_log(Instant now) {
  if (!sqlite_) return;
  for (const char* suffix : {"-wal", "-shm"}) {
    const fs::path log = fs::path(file_).concat(suffix);
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(log, ec))) continue;
    fs::rename(log, fs::path(log).concat(".moved-" + std::to_string(to_db(now))), ec);
  }
}

std::string Store::applied_calendar() { return meta_value(*db_, "calendar").value_or(""); }

void Store::record_calendar(const std::string& fingerprint) {
  if (applied_calendar() == fingerprint) return;
  WriteTransaction tx(*db_, fence());
  set_meta(*db_, "calendar", fingerprint);
  tx.commit();
}

void Store::probe_write(Instant now) {
  WriteTransaction tx(*db_, fence());
  set_meta(*db_, "probe", std::to_string(to_db(now)));
  tx.commit();
}

void Store::migrate() {
  WriteTransaction tx(*db_, fence());
  const int version = schema_version();
  if (version > kSchemaVersion)
    throw std::runtime_error(name_ + " has schema version " + std::to_string(version) +
                             ", newer than this herald understands (" + std::to_string(kSchemaVersion) + ")");
  if (version == kSchemaVersion) return;  // nothing to do; the transaction rolls back
  for (const Migration& step : sqlite_ ? std::span<const Migration>(kSqliteMigrations)
                                       : std::span<const Migration>(kPostgresqlMigrations))
    if (step.to > version) db_->exec(step.sql);
  db_->exec("DELETE FROM schema_version");
  db_->exec("INSERT INTO schema_version (version) VALUES (" + std::to_string(kSchemaVersion) + ")");
  tx.commit();
}

int Store::schema_version() {
  if (!db_->table_exists("schema_version")) return 0;
  SqlStatement& q = db_->cached("SELECT max(version) FROM schema_version");
  const int version = q.step() && !q.is_null(0) ? q.integer(0) : 0;
  q.reset();
  return version;
}

namespace {

// What sync compares of a stored delivery with the plan.
struct SyncRow {
  Instant planned;
  State state = State::planned;
  std::string content_hash;
  bool queued = false;
  int attempts = 0;
};

// The rows of [from, to), read in one pass; `where` narrows them further.
std::unordered_map<std::string, SyncRow> window_rows(SqlDatabase& db, Instant from, Instant to,
                                                     const char* where = "") {
  std::unordered_map<std::string, SyncRow> out;
  SqlStatement& q = db.cached(std::string("SELECT key, planned, state, content_hash, queued, attempts FROM deliveries "
                                          "WHERE planned >= ? AND planned < ?") + where);
  q.bind(1, to_db(from));
  q.bind(2, to_db(to));
  while (q.step()) {
    const auto state = parse_state(q.text(2));
    if (!state) continue;  // the schema's CHECK keeps this from happening
    out.emplace(q.text(0), SyncRow{from_db(q.int64(1)), *state,
                                                    q.text(3), q.integer(4) != 0,
                                                    q.integer(5)});
  }
  return out;
}

}  // namespace

SyncResult Store::sync(const std::vector<PlannedDelivery>& plan, Instant from, Instant to, Instant now) {
  SyncResult result;
  WriteTransaction tx(*db_, fence());
  // A new store (or one that is not the database herald last sent through)
  // cannot know what an earlier one published: what is already due is looked
  // up on its platform before it is sent.
  const bool adopting = meta_value(*db_, "adopt_pending").has_value();
  SqlStatement& mark_verify = db_->cached("UPDATE deliveries SET verify = 1 WHERE key = ?");
  SqlStatement& insert = db_->cached(
      "INSERT INTO deliveries (key, post, channel, planned, state, content_hash, queued, updated) "
      "VALUES (?, ?, ?, ?, 'planned', ?, ?, ?)");
  // Back to planned: a retry time or an error of the old version means nothing now.
  SqlStatement& update = db_->cached(
      "UPDATE deliveries SET planned = ?, state = 'planned', content_hash = ?, queued = ?, "
      "next_attempt = NULL, last_error = '', lost_answers = 0, tries = 0, updated = ? WHERE key = ?");
  // Puts a stored delivery back to `planned` with the plan's time and content.
  auto replan = [&](const PlannedDelivery& p, Instant planned) {
    update.reset();
    update.bind(1, to_db(planned));
    update.bind(2, p.content_hash);
    update.bind(3, p.queued ? 1 : 0);
    update.bind(4, to_db(now));
    update.bind(5, p.key);
    update.exec();
  };
  // The window as stored, read once: the plan is compared with it, and what
  // of it the plan no longer has is what left the calendar. A key of the
  // plan stored outside the window (an edit moved it in) is read by key.
  const auto stored = window_rows(*db_, from, to);
  auto stored_row = [&](const std::string& key) -> std::optional<SyncRow> {
    if (auto it = stored.find(key); it != stored.end()) return it->second;
    const auto d = select_delivery(*db_, key);
    if (!d) return std::nullopt;
    return SyncRow{d->planned, d->state, d->content_hash, d->queued, d->attempts};
  };
  std::unordered_set<std::string_view> in_plan;
  in_plan.reserve(plan.size());
  const std::string planned_text = state_text(State::planned);

  for (const auto& p : plan) {
    if (!in_plan.insert(p.key).second) continue;  // a duplicate key: the first one counts
    const auto old = stored_row(p.key);
    if (!old) {
      insert.reset();
      insert.bind(1, p.key);
      insert.bind(2, p.post);
      insert.bind(3, p.channel);
      insert.bind(4, to_db(p.planned));
      insert.bind(5, p.content_hash);
      insert.bind(6, p.queued ? 1 : 0);
      insert.bind(7, to_db(now));
      insert.exec();
      const bool verify = adopting && p.planned <= now;
      if (verify) {
        mark_verify.reset();
        mark_verify.bind(1, p.key);
        mark_verify.exec();
        ++result.to_verify;
      }
      append_event(*db_, now, p.key, "planned", "", planned_text,
                   format_utc(p.planned) +
                       (verify ? "; the store is new, so it is looked up on its platform before it is sent" : ""));
      ++result.added;
      continue;
    }
    if (adopting && old->planned <= now && (old->state == State::planned || old->state == State::retry_wait ||
                                            old->state == State::waiting || old->state == State::held)) {
      // A database put back from a backup: its overdue deliveries may be out.
      mark_verify.reset();
      mark_verify.bind(1, p.key);
      mark_verify.exec();
      ++result.to_verify;
    }
    // A queued delivery keeps the slot it was given: a reload that happens
    // to place it elsewhere must not move a post people already expect.
    const Instant planned = old->queued && p.queued ? old->planned : p.planned;
    const bool content_changed = old->content_hash != p.content_hash;
    const bool changed = planned != old->planned || content_changed || old->queued != p.queued;

    if (old->state == State::cancelled) {
      // Back in the calendar (restored, or moved back into the window): due
      // again, unless a request was ever made for it; then a person decides.
      if (old->attempts > 0) {
        ++result.unchanged;
        continue;
      }
      replan(p, planned);
      append_event(*db_, now, p.key, "planned", state_text(old->state), planned_text,
                   "back in the calendar, " + format_utc(planned));
      ++result.added;
      continue;
    }
    const auto next = transition(old->state, Event::edited);
    if (!changed || !next) {
      // Unchanged, or it may already be out (sending, needs_review,
      // published): the edit is ignored.
      ++result.unchanged;
      continue;
    }
    // The new time and content, then the state change as every other one is
    // made, on the row as stored before this edit.
    const auto before = select_delivery(*db_, p.key);
    replan(p, planned);
    write_change(*before, Event::edited, Effects{.detail = change_detail(*before, planned, content_changed)}, now);
    ++result.updated;
  }

  // What left the calendar within the window, in the window's order.
  // Outside it the plan says nothing, so nothing there is touched.
  std::vector<std::pair<Instant, std::string_view>> gone;
  for (const auto& [key, row] : stored) {
    // The state table says what a removal may cancel: not what is out or
    // may be out (sending, needs_review, published), nor what is cancelled.
    if (in_plan.count(key) || !transition(row.state, Event::removed)) continue;
    gone.emplace_back(row.planned, key);
  }
  std::sort(gone.begin(), gone.end());
  for (const auto& [planned, key] : gone) {
    StoredDelivery d;  // what write_change reads of it: its key and state
    d.key = std::string(key);
    d.state = stored.at(d.key).state;
    write_change(d, Event::removed, Effects{.detail = "no longer in the calendar"}, now);
    ++result.cancelled;
  }
  if (adopting) db_->exec("DELETE FROM meta WHERE key = 'adopt_pending'");
  tx.commit();
  return result;
}

CancelPreview Store::preview_cancellations(const std::vector<PlannedDelivery>& plan, Instant from, Instant to) {
  CancelPreview out;
  std::unordered_set<std::string_view> in_plan;
  in_plan.reserve(plan.size());
  for (const auto& p : plan) in_plan.insert(p.key);
  // The same window and the same rule as sync's cancellations, counted
  // against the deliveries that are still to go out.
  const auto pending = window_rows(*db_, from, to, " AND state IN ('planned', 'waiting', 'held', 'retry_wait')");
  std::vector<std::pair<Instant, std::string_view>> cancelled;
  for (const auto& [key, row] : pending) {
    ++out.pending;
    if (!in_plan.count(key)) cancelled.emplace_back(row.planned, key);
  }
  out.cancelled = static_cast<int>(cancelled.size());
  // The first few in the window's order, as examples.
  const auto shown = std::min<std::size_t>(cancelled.size(), 5);
  std::partial_sort(cancelled.begin(), cancelled.begin() + static_cast<std::ptrdiff_t>(shown), cancelled.end());
  for (std::size_t i = 0; i < shown; ++i) out.sample.emplace_back(cancelled[i].second);
  return out;
}

std::optional<StoredDelivery> Store::get(const std::string& key) { return select_delivery(*db_, key); }

std::vector<StoredDelivery> Store::in_states(std::initializer_list<State> states, const std::string& channel) {
  return in_states(std::vector<State>(states), channel, -1);
}

namespace {

// The deliveries of `states` (and `channel`, when not empty) that also match
// `extra`, ordered by planned time then key, at most `limit` (all when
// negative); `bind_extra` binds extra's parameters from the given index.
std::vector<StoredDelivery> select_in_states(SqlDatabase& db, const std::vector<State>& states,
                                             const std::string& channel, const std::string& extra, int limit,
                                             const std::function<void(SqlStatement&, int)>& bind_extra) {
  std::vector<StoredDelivery> out;
  if (states.empty()) return out;
  std::string sql = std::string("SELECT ") + kDeliveryColumns + " FROM deliveries WHERE state IN (";
  for (std::size_t i = 0; i < states.size(); ++i) sql += i == 0 ? "?" : ", ?";
  sql += channel.empty() ? ")" : ") AND channel = ?";
  sql += extra;
  sql += " ORDER BY planned, key";
  if (limit >= 0) sql += " LIMIT " + std::to_string(limit);
  // Prepared for this one use, not cached: the limit is part of the text,
  // and a status client asking with every limit must not grow the cache.
  const auto q = db.prepare(sql);
  int i = 1;
  for (State s : states) q->bind(i++, state_text(s));
  if (!channel.empty()) q->bind(i++, channel);
  if (bind_extra) bind_extra(*q, i);
  while (q->step()) out.push_back(read_delivery(*q));
  return out;
}

}  // namespace

std::vector<StoredDelivery> Store::in_states(const std::vector<State>& states, const std::string& channel, int limit) {
  return select_in_states(*db_, states, channel, "", limit, {});
}

std::vector<StoredDelivery> Store::due_page(const std::vector<State>& states, const std::string& channel,
                                            Instant until, const StoredDelivery* after, int limit) {
  // One range of the (channel, state, planned, key) index per state, each
  // read in order up to `limit`, then merged: nothing is sorted in SQLite,
  // so a page costs the same with ten or ten thousand due behind it.
  static const std::string first = std::string("SELECT ") + kDeliveryColumns +
                                   " FROM deliveries WHERE channel = ?1 AND state = ?2 AND planned <= ?3"
                                   " ORDER BY planned, key LIMIT ?4";
  static const std::string next = std::string("SELECT ") + kDeliveryColumns +
                                  " FROM deliveries WHERE channel = ?1 AND state = ?2 AND planned <= ?3"
                                  " AND (planned, key) > (?5, ?6) ORDER BY planned, key LIMIT ?4";
  std::vector<StoredDelivery> out;
  for (State state : states) {
    SqlStatement& q = db_->cached(after ? next : first);
    q.bind(1, channel);
    q.bind(2, state_text(state));
    q.bind(3, to_db(until));
    // Every row when negative (SQLite reads a negative LIMIT so; PostgreSQL refuses one).
    q.bind(4, limit < 0 ? std::numeric_limits<std::int64_t>::max() : std::int64_t{limit});
    if (after) {
      q.bind(5, to_db(after->planned));
      q.bind(6, after->key);
    }
    while (q.step()) out.push_back(read_delivery(q));
    q.reset();  // no read left open between calls
  }
  std::sort(out.begin(), out.end(), [](const StoredDelivery& a, const StoredDelivery& b) {
    return std::tie(a.planned, a.key) < std::tie(b.planned, b.key);
  });
  if (limit >= 0 && out.size() > static_cast<std::size_t>(limit)) out.resize(static_cast<std::size_t>(limit));
  return out;
}

std::vector<StoredDelivery> Store::overdue(Instant before) {
  static const std::string sql = std::string("SELECT ") + kDeliveryColumns +
                                 " FROM deliveries WHERE state = 'planned' AND planned < ?1 UNION ALL SELECT " +
                                 kDeliveryColumns +
                                 " FROM deliveries WHERE state = 'retry_wait' AND coalesce(next_attempt, planned) < ?1"
                                 " ORDER BY planned, key";
  SqlStatement& q = db_->cached(sql);
  q.bind(1, to_db(before));
  std::vector<StoredDelivery> out;
  while (q.step()) out.push_back(read_delivery(q));
  q.reset();
  return out;
}

bool Store::any_in_state(State state, const std::string& channel) {
  SqlStatement& q =
      db_->cached("SELECT 1 FROM deliveries WHERE channel = ? AND state = ? LIMIT 1");
  q.bind(1, channel);
  q.bind(2, state_text(state));
  const bool found = q.step();
  q.reset();
  return found;
}

std::optional<Instant> Store::next_due(const std::string& channel) {
  // Each half is answered from the (channel, state, planned) index.
  SqlStatement& q = db_->cached(
      "SELECT min(due) FROM ("
      "  SELECT min(planned) AS due FROM deliveries WHERE channel = ? AND state = 'planned'"
      "  UNION ALL"
      "  SELECT min(coalesce(next_attempt, planned)) FROM deliveries WHERE channel = ? AND state = 'retry_wait'"
      ") AS due_times");
  q.bind(1, channel);
  q.bind(2, channel);
  std::optional<Instant> out;
  if (q.step() && !q.is_null(0)) out = from_db(q.int64(0));
  q.reset();  // no read left open between calls
  return out;
}

std::optional<Instant> Store::next_due_after(const std::string& channel, Instant after) {
  SqlStatement& q = db_->cached(
      "SELECT min(due) FROM ("
      "  SELECT min(planned) AS due FROM deliveries WHERE channel = ?1 AND state = 'planned' AND planned > ?2"
      "  UNION ALL"
      "  SELECT min(coalesce(next_attempt, planned)) FROM deliveries WHERE channel = ?1 AND state = 'retry_wait'"
      "    AND coalesce(next_attempt, planned) > ?2"
      ") AS due_times");
  q.bind(1, channel);
  q.bind(2, to_db(after));
  std::optional<Instant> out;
  if (q.step() && !q.is_null(0)) out = from_db(q.int64(0));
  q.reset();
  return out;
}

std::vector<std::string> Store::channels_in(State state) {
  std::vector<std::string> out;
  SqlStatement& q = db_->cached("SELECT DISTINCT channel FROM deliveries WHERE state = ? ORDER BY channel");
  q.bind(1, state_text(state));
  while (q.step()) out.push_back(q.text(0));
  return out;
}

std::map<std::string, std::map<State, int>> Store::counts() {
  std::map<std::string, std::map<State, int>> out;
  SqlStatement& q = db_->cached("SELECT channel, state, count(*) FROM deliveries GROUP BY channel, state");
  while (q.step()) {
    if (auto state = parse_state(q.text(1))) out[q.text(0)][*state] = q.integer(2);
  }
  return out;
}

std::vector<StoredDelivery> Store::all() {
  std::vector<StoredDelivery> out;
  SqlStatement& q = db_->cached(std::string("SELECT ") + kDeliveryColumns + " FROM deliveries ORDER BY planned, key");
  while (q.step()) out.push_back(read_delivery(q));
  return out;
}

std::vector<StoredDelivery> Store::planned_between(Instant from, Instant to, int limit) {
  std::vector<StoredDelivery> out;
  SqlStatement& q = db_->cached(std::string("SELECT ") + kDeliveryColumns +
                                " FROM deliveries WHERE planned >= ?1 AND planned < ?2 AND state <> 'cancelled' "
                                "ORDER BY planned, key LIMIT ?3");
  q.bind(1, to_db(from));
  q.bind(2, to_db(to));
  q.bind(3, limit);
  while (q.step()) out.push_back(read_delivery(q));
  return out;
}

std::map<std::string, Instant> Store::queued_slots() {
  std::map<std::string, Instant> out;
  SqlStatement& q = db_->cached("SELECT key, planned FROM deliveries WHERE queued = 1 AND state <> 'cancelled'");
  while (q.step()) out.emplace(q.text(0), from_db(q.int64(1)));
  return out;
}

Applied Store::apply(const std::string& key, Event event, const Effects& effects, Instant now) {
  WriteTransaction tx(*db_, fence());
  const auto old = select_delivery(*db_, key);
  if (!old) return Applied::missing;
  const Applied applied = write_change(*old, event, effects, now);
  if (applied == Applied::done) tx.commit();
  return applied;
}

Applied Store::write_change(const StoredDelivery& old, Event event, const Effects& effects, Instant now) {
  const auto to = transition(old.state, event);
  if (!to) return Applied::not_allowed;
  const bool reason = to == State::failed || to == State::needs_review || to == State::retry_wait ||
                      to == State::held || to == State::waiting;
  const bool published = to == State::published;
  const bool start = event == Event::start_send;
  const bool fresh = event == Event::retry_requested;
  std::optional<Instant> next_attempt;
  if (to == State::retry_wait) next_attempt = effects.next_attempt.value_or(now);
  // One statement for every event: each column says which events change it.
  SqlStatement& q = db_->cached(
      "UPDATE deliveries SET state = ?1, updated = ?2, next_attempt = ?3, "
      "last_error = CASE WHEN ?4 <> 0 THEN ?5 WHEN ?6 <> 0 THEN '' ELSE last_error END, "
      "remote_id = CASE WHEN ?6 <> 0 THEN ?7 ELSE remote_id END, url = CASE WHEN ?6 <> 0 THEN ?8 ELSE url END, "
      "attempts = attempts + ?9, "
      "tries = CASE WHEN ?10 <> 0 OR tries + ?9 - ?11 < 0 THEN 0 ELSE tries + ?9 - ?11 END, "
      "sent_text = CASE WHEN ?9 <> 0 THEN ?12 ELSE sent_text END, "
      "sent_at = CASE WHEN ?9 <> 0 THEN ?2 ELSE sent_at END, "
      "verify = CASE WHEN ?9 <> 0 THEN 0 ELSE verify END, "
      "settle_from = CASE WHEN ?9 <> 0 THEN NULL ELSE settle_from END, "
      "lost_answers = CASE WHEN ?10 <> 0 THEN 0 ELSE lost_answers END "
      "WHERE key = ?13");
  q.bind(1, state_text(*to));
  q.bind(2, to_db(now));
  if (next_attempt) q.bind(3, to_db(*next_attempt));
  else q.bind_null(3);
  q.bind(4, reason ? 1 : 0);
  q.bind(5, effects.detail);
  q.bind(6, published ? 1 : 0);
  q.bind(7, effects.remote_id);
  q.bind(8, effects.url);
  q.bind(9, start ? 1 : 0);
  q.bind(10, fresh ? 1 : 0);
  q.bind(11, event == Event::processing ? 1 : 0);
  q.bind(12, effects.sent_text);
  q.bind(13, old.key);
  q.exec();
  std::string line = effects.detail;
  if (start) line = "attempt " + std::to_string(old.attempts + 1);
  else if (published && line.empty()) line = effects.url;
  else if (next_attempt) line += " (next attempt " + format_utc(*next_attempt) + ")";
  append_event(*db_, now, old.key, std::string(history_name(event)), state_text(old.state),
               state_text(*to), line);
  // Out: its counters are read from now on (the collector books the reads);
  // a first comment's are not: they are the post's replies.
  if (published && !comment_parent(old.key)) {
    SqlStatement& c = db_->cached(
        "INSERT INTO collect (key, channel, published_at, next_read) VALUES (?1, ?2, ?3, ?3) "
        "ON CONFLICT (key) DO NOTHING");
    c.bind(1, old.key);
    c.bind(2, old.channel);
    c.bind(3, to_db(now));
    c.exec();
  }
  return Applied::done;
}

SendGate Store::begin_send(const std::string& key, const std::string& sent_text, Instant now) {
  return begin_send_batch({SendStart{key, sent_text}}, now).front();
}

std::vector<SendGate> Store::begin_send_batch(const std::vector<SendStart>& starts, Instant now) {
  // The file first: a create must never start while herald writes into a
  // database that is no longer the one at its path (deleted or replaced).
  if (auto problem = check_file()) throw StoreUnavailable(*problem);
  // Inside a Batch its commit would be a savepoint's release, not on disk.
  if (db_->in_transaction())
    throw std::logic_error("begin_send inside an open transaction: the sending commit would not be durable");
  std::vector<SendGate> gates;
  gates.reserve(starts.size());
  WriteTransaction tx(*db_, fence());
  bool wrote = false, sending = false;
  for (const auto& s : starts) {
    gates.push_back(gate_send(s, now));
    wrote = wrote || gates.back() == SendGate::sending || gates.back() == SendGate::paused;
    sending = sending || gates.back() == SendGate::sending;
  }
  // synchronous=FULL (set in open): the commit is on disk before we return,
  // for every delivery of the batch at once (one fsync of the WAL).
  if (wrote) tx.commit();
  if (sending && sqlite_ && !instance_.empty()) write_stamp(file_, {instance_, to_db(now)});
  return gates;
}

SendGate Store::gate_send(const SendStart& start, Instant now) {
  const auto old = select_delivery(*db_, start.key);
  if (!old) return SendGate::missing;
  if (!transition(old->state, Event::start_send)) return SendGate::not_planned;
  // The pause as committed, not as remembered: a `herald pause` committed by
  // any process before this transaction began holds the delivery. (The
  // same rule as Pause::holds and Pause::active_at, in SQL.)
  SqlStatement& paused = db_->cached(
      "SELECT channel, reason FROM pauses WHERE (channel = '' OR channel = ?) AND (until IS NULL OR until > ?) "
      "ORDER BY channel LIMIT 1");
  paused.bind(1, old->channel);
  paused.bind(2, to_db(now));
  if (paused.step()) {
    const std::string detail = "paused: " + paused.text(1);
    paused.reset();
    write_change(*old, Event::pause, Effects{.detail = detail}, now);
    return SendGate::paused;
  }
  paused.reset();
  write_change(*old, Event::start_send, Effects{.sent_text = start.sent_text}, now);
  return SendGate::sending;
}

void Store::note_lost_answer(const std::string& key, const std::string& detail, Instant now,
                             std::optional<Instant> absent_counts_from) {
  WriteTransaction tx(*db_, fence());
  const auto old = select_delivery(*db_, key);
  if (!old) return;
  // The first moment absence counts is kept for the attempt: a restart
  // while it is being settled does not push it further out.
  SqlStatement& q = db_->cached(
      "UPDATE deliveries SET lost_answers = lost_answers + 1, last_error = ?, updated = ?, "
      "settle_from = coalesce(settle_from, ?) WHERE key = ?");
  q.bind(1, detail);
  q.bind(2, to_db(now));
  if (absent_counts_from)
    q.bind(3, to_db(*absent_counts_from));
  else
    q.bind_null(3);
  q.bind(4, key);
  q.exec();
  append_event(*db_, now, key, "answer_lost", state_text(old->state), state_text(old->state), detail);
  tx.commit();
}

void Store::clear_verify(const std::string& key, const std::string& detail, Instant now) {
  WriteTransaction tx(*db_, fence());
  const auto old = select_delivery(*db_, key);
  if (!old) return;
  SqlStatement& q = db_->cached("UPDATE deliveries SET verify = 0, updated = ? WHERE key = ?");
  q.bind(1, to_db(now));
  q.bind(2, key);
  q.exec();
  append_event(*db_, now, key, "absent_on_platform", state_text(old->state), state_text(old->state), detail);
  tx.commit();
}

void Store::set_pause(const Pause& pause, Instant now) {
  WriteTransaction tx(*db_, fence());
  SqlStatement& q = db_->cached(
                      "INSERT INTO pauses (channel, reason, since, until) VALUES (?, ?, ?, ?) "
                      "ON CONFLICT (channel) DO UPDATE SET reason = excluded.reason, since = excluded.since, "
                      "until = excluded.until");
  q.bind(1, pause.channel);
  q.bind(2, pause.reason);
  q.bind(3, to_db(pause.since));
  if (pause.until)
    q.bind(4, to_db(*pause.until));
  else
    q.bind_null(4);
  q.exec();
  std::string detail = (pause.channel.empty() ? std::string("all channels") : "channel " + pause.channel) + ": " +
                       pause.reason;
  if (pause.until) detail += " (until " + format_utc(*pause.until) + ")";
  append_event(*db_, now, "", "paused", "", "", detail);
  tx.commit();
}

bool Store::clear_pause(const std::string& channel, Instant now) {
  WriteTransaction tx(*db_, fence());
  SqlStatement& q = db_->cached("DELETE FROM pauses WHERE channel = ?");
  q.bind(1, channel);
  if (q.exec() == 0) return false;
  append_event(*db_, now, "", "resumed", "", "", channel.empty() ? std::string("all channels") : "channel " + channel);
  tx.commit();
  return true;
}

std::vector<Pause> Store::pauses() {
  std::vector<Pause> out;
  SqlStatement& q = db_->cached("SELECT channel, reason, since, until FROM pauses ORDER BY channel");
  while (q.step()) {
    Pause p;
    p.channel = q.text(0);
    p.reason = q.text(1);
    p.since = from_db(q.int64(2));
    if (!q.is_null(3)) p.until = from_db(q.int64(3));
    out.push_back(std::move(p));
  }
  return out;
}

// The table is still called tokens (and its key column credential): it held
// only rotated refresh tokens before connectors kept other state there.
void Store::put_connector_state(const std::string& key, const std::string& value, Instant now) {
  WriteTransaction tx(*db_, fence());
  SqlStatement& q = db_->cached(
                      "INSERT INTO tokens (credential, value, updated) VALUES (?, ?, ?) "
                      "ON CONFLICT (credential) DO UPDATE SET value = excluded.value, updated = excluded.updated");
  q.bind(1, key);
  q.bind(2, value);
  q.bind(3, to_db(now));
  q.exec();
  // The history says that it happened, never what the value is.
  append_event(*db_, now, "", "connector_state_saved", "", "", key);
  tx.commit();
}

void Store::erase_connector_state(const std::string& key, Instant now) {
  WriteTransaction tx(*db_, fence());
  SqlStatement& q = db_->cached("DELETE FROM tokens WHERE credential = ?");
  q.bind(1, key);
  if (q.exec() > 0) append_event(*db_, now, "", "connector_state_erased", "", "", key);
  tx.commit();
}

std::optional<std::string> Store::connector_state(const std::string& key) {
  SqlStatement& q = db_->cached("SELECT value FROM tokens WHERE credential = ?");
  q.bind(1, key);
  std::optional<std::string> out;
  if (q.step()) out = q.text(0);
  q.reset();
  return out;
}

void Store::note(const std::string& event, const std::string& detail, Instant now, const std::string& key) {
  WriteTransaction tx(*db_, fence());
  append_event(*db_, now, key, event, "", "", detail);
  tx.commit();
}

std::vector<HistoryEvent> Store::history(int limit, const std::string& key) {
  std::vector<HistoryEvent> out;
  if (limit <= 0) return out;
  SqlStatement& q = db_->cached(key.empty()
                                ? "SELECT id, at, key, event, from_state, to_state, detail FROM events "
                                  "ORDER BY id DESC LIMIT ?"
                                : "SELECT id, at, key, event, from_state, to_state, detail FROM events "
                                  "WHERE key = ? ORDER BY id DESC LIMIT ?");
  int i = 1;
  if (!key.empty()) q.bind(i++, key);
  q.bind(i, limit);
  while (q.step()) {
    HistoryEvent e;
    e.id = q.int64(0);
    e.at = from_db(q.int64(1));
    e.key = q.text(2);
    e.event = q.text(3);
    e.from_state = q.text(4);
    e.to_state = q.text(5);
    e.detail = q.text(6);
    out.push_back(std::move(e));
  }
  return out;
}

namespace {

constexpr const char* kCollectColumns =
    "c.key, c.channel, d.remote_id, d.url, c.published_at, c.stage, c.next_read, c.reads, c.failures, "
    "c.last_error, c.last_read";

Collection read_collection(SqlStatement& q) {
  Collection c;
  c.key = q.text(0);
  c.channel = q.text(1);
  c.remote_id = q.text(2);
  c.url = q.text(3);
  c.published_at = from_db(q.int64(4));
  c.stage = q.integer(5);
  c.next_read = from_db(q.int64(6));
  c.reads = q.integer(7);
  c.failures = q.integer(8);
  c.last_error = q.text(9);
  if (!q.is_null(10)) c.last_read = from_db(q.int64(10));
  return c;
}

EngagementSample read_sample(SqlStatement& q) {
  return EngagementSample{q.text(0), from_db(q.int64(1)), q.text(2), q.text(3), q.int64(4)};
}

}  // namespace

std::vector<Collection> Store::pending_reads(const std::string& channel, int limit) {
  std::vector<Collection> out;
  SqlStatement& q = db_->cached(std::string("SELECT ") + kCollectColumns +
                                " FROM collect c JOIN deliveries d ON d.key = c.key "
                                "WHERE c.channel = ?1 AND c.stage = ?2 ORDER BY c.next_read, c.key LIMIT ?3");
  for (int stage : {0, 1}) {
    q.reset();
    q.bind(1, channel);
    q.bind(2, stage);
    q.bind(3, limit);
    while (q.step()) out.push_back(read_collection(q));
  }
  return out;
}

std::vector<std::string> Store::channels_collecting() {
  std::vector<std::string> out;
  SqlStatement& q = db_->cached("SELECT DISTINCT channel FROM collect WHERE stage < 2 ORDER BY channel");
  while (q.step()) out.push_back(q.text(0));
  return out;
}

std::optional<Collection> Store::collection(const std::string& key) {
  SqlStatement& q = db_->cached(std::string("SELECT ") + kCollectColumns +
                                " FROM collect c JOIN deliveries d ON d.key = c.key WHERE c.key = ?");
  q.bind(1, key);
  if (!q.step()) return std::nullopt;
  return read_collection(q);
}

void Store::record_read(const std::string& key, const ReadRecord& record, Instant now) {
  WriteTransaction tx(*db_, fence());
  SqlStatement& ins = db_->cached(
      "INSERT INTO engagement (key, at, name, common, value) VALUES (?, ?, ?, ?, ?) "
      "ON CONFLICT (key, at, name) DO UPDATE SET value = excluded.value, common = excluded.common");
  for (const auto& sample : record.samples) {
    ins.reset();
    ins.bind(1, key);
    ins.bind(2, to_db(now));
    ins.bind(3, sample.name);
    ins.bind(4, sample.common);
    ins.bind(5, sample.value);
    ins.exec();
  }
  SqlStatement& q = db_->cached(
      "UPDATE collect SET stage = ?1, next_read = coalesce(?2, next_read), reads = ?3, failures = ?4, "
      "last_error = ?5, last_read = CASE WHEN ?6 <> 0 THEN ?7 ELSE last_read END WHERE key = ?8");
  q.bind(1, record.next_read ? 1 : 2);
  if (record.next_read) q.bind(2, to_db(*record.next_read));
  else q.bind_null(2);
  q.bind(3, record.reads);
  q.bind(4, record.failures);
  q.bind(5, record.error);
  q.bind(6, record.samples.empty() ? 0 : 1);
  q.bind(7, to_db(now));
  q.bind(8, key);
  q.exec();
  if (!record.event.empty()) append_event(*db_, now, key, record.event, "", "", record.detail);
  tx.commit();
}

std::vector<EngagementSample> Store::engagement(const std::string& key) {
  std::vector<EngagementSample> out;
  SqlStatement& q = db_->cached(key.empty()
                                    ? "SELECT key, at, name, common, value FROM engagement ORDER BY key, at, name"
                                    : "SELECT key, at, name, common, value FROM engagement WHERE key = ? "
                                      "ORDER BY at, name");
  if (!key.empty()) q.bind(1, key);
  while (q.step()) out.push_back(read_sample(q));
  return out;
}

std::vector<EngagementSample> Store::latest_engagement(Instant until) {
  std::vector<EngagementSample> out;
  SqlStatement& q = db_->cached(
      "SELECT e.key, e.at, e.name, e.common, e.value FROM engagement e "
      "JOIN (SELECT key, max(at) AS at FROM engagement WHERE at <= ?1 GROUP BY key) l "
      "ON l.key = e.key AND l.at = e.at ORDER BY e.key, e.name");
  q.bind(1, to_db(until));
  while (q.step()) out.push_back(read_sample(q));
  return out;
}

std::vector<Collection> Store::published_between(Instant from, Instant to) {
  std::vector<Collection> out;
  SqlStatement& q = db_->cached(std::string("SELECT ") + kCollectColumns +
                                " FROM collect c JOIN deliveries d ON d.key = c.key "
                                "WHERE c.published_at >= ?1 AND c.published_at < ?2 ORDER BY c.published_at, c.key");
  q.bind(1, to_db(from));
  q.bind(2, to_db(to));
  while (q.step()) out.push_back(read_collection(q));
  return out;
}

std::optional<Instant> Store::last_look() {
  auto v = meta_value(*db_, "report.last_look");
  if (!v) return std::nullopt;
  return from_db(std::stoll(*v));
}

void Store::record_look(Instant at) {
  WriteTransaction tx(*db_, fence());
  set_meta(*db_, "report.last_look", std::to_string(to_db(at)));
  tx.commit();
}

bool Store::integrity_ok() {
  // PostgreSQL checks its own pages (and data checksums, where the cluster
  // has them on) as it reads them; there is no whole-database check to ask.
  if (!sqlite_) return true;
  try {
    const auto q = db_->prepare("PRAGMA integrity_check");
    if (!q->step()) return false;
    const std::string first = q->text(0);
    return first == "ok" && !q->step();
  } catch (const SQLite::Exception&) {
    return false;
  }
}

void Store::backup_to(const std::filesystem::path& file) {
  // The copy holds the rotated tokens too (a restore without them would
  // break OAuth2 channels whose old refresh token is spent): it is created
  // owner-only before SQLite writes into it. VACUUM INTO refuses a file that
  // is not empty, so an existing backup is never overwritten.
  if (!sqlite_)
    throw std::runtime_error("a PostgreSQL store is backed up with PostgreSQL's own tools (pg_dump, or the "
                             "provider's backups); see docs/operations.md");
  create_private_file(file);
  make_private(file, true);
  const auto q = db_->prepare("VACUUM INTO ?");
  q->bind(1, file.string());
  q->exec();
}

}  // namespace herald
