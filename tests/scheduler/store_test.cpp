#include "scheduler/store.hpp"

#include "scheduler/postgresql_database.hpp"

#include "tests/support/real_postgresql.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace herald {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace date::literals;

const Instant T0 = date::sys_days{2027_y / 3 / 2} + 9h;  // a Tuesday, 09:00 UTC

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return 0xFFFF;
  return st.st_mode & 07777;
}

PlannedDelivery pd(const std::string& key, Instant at, const std::string& hash = "h1", bool queued = false) {
  PlannedDelivery p;
  p.key = key;
  p.post = key.substr(0, key.find('@'));
  p.channel = key.substr(key.find('@') + 1);
  p.planned = at;
  p.content_hash = hash;
  p.queued = queued;
  return p;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "herald-store-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    dir_ = root_ / "state";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::unique_ptr<Store> open() { return Store::open(dir_); }

  // A window around everything the tests plan.
  SyncResult sync(Store& s, const std::vector<PlannedDelivery>& plan) {
    return s.sync(plan, T0 - 24h, T0 + 24h * 30, T0);
  }

  // Takes a fresh planned delivery into `sending`, the way the dispatcher does.
  void send(Store& s, const std::string& key) {
    ASSERT_EQ(s.apply(key, Event::start_send, Effects{.sent_text = "text of " + key}, T0), Applied::done);
    ASSERT_EQ(s.get(key)->state, State::sending);
  }
  // One state change through the state table, which must allow it.
  static void change(Store& s, const std::string& key, Event event, const Effects& effects, Instant at) {
    ASSERT_EQ(s.apply(key, event, effects, at), Applied::done) << key << " " << to_string(event);
  }
  static void publish(Store& s, const std::string& key, const std::string& id, const std::string& url, Instant at) {
    change(s, key, Event::sent, Effects{.remote_id = id, .url = url}, at);
  }
  static void retry(Store& s, const std::string& key, Instant next, const std::string& error, Instant at) {
    change(s, key, Event::transient_error, Effects{.detail = error, .next_attempt = next}, at);
  }

  static std::vector<std::string> event_names(const std::vector<HistoryEvent>& h) {
    std::vector<std::string> out;
    for (const auto& e : h) out.push_back(e.event);
    return out;
  }

  fs::path root_;
  fs::path dir_;
};

// The store's contract, the same on each database: SQLite in a state
// directory, and PostgreSQL (a real server the suite starts, a new database
// for each test).
class StoreContract : public StoreTest, public ::testing::WithParamInterface<std::string> {
 protected:
  static void SetUpTestSuite() {
    if (!testing::RealPostgresql::unavailable().empty()) return;
    auto started = testing::RealPostgresql::start();
    server_ = std::move(started.server);
  }
  static void TearDownTestSuite() { server_.reset(); }

  void SetUp() override {
    StoreTest::SetUp();
    if (GetParam() != "postgresql") return;
    if (!server_) GTEST_SKIP() << "no PostgreSQL here: " << testing::RealPostgresql::unavailable();
    static int databases = 0;
    database_ = "store_test_" + std::to_string(++databases);
    server_->query("CREATE DATABASE " + database_ + " OWNER herald");
  }

  std::string url() const {
    const std::string base = server_->url();
    return base.substr(0, base.rfind('/') + 1) + database_;
  }
  /// The store, opened (again) on this test's database.
  std::unique_ptr<Store> open() {
    if (GetParam() == "postgresql") return Store::open_postgresql(url(), server_->password());
    return StoreTest::open();
  }
  /// Another connection to the same store, as the `herald` command or a
  /// second host has.
  std::unique_ptr<Store> second() {
    if (GetParam() == "postgresql") return Store::open_postgresql(url(), server_->password());
    return Store::open_existing(dir_);
  }
  /// The first column of the first row of `sql`, read past the store.
  std::int64_t raw_count(const std::string& sql) {
    if (GetParam() == "sqlite") {
      SQLite::Database raw(dir_ / "herald.db", SQLite::OPEN_READONLY);
      return raw.execAndGet(sql).getInt64();
    }
    PGconn* conn = PQconnectdb((server_->conninfo() + " dbname=" + database_).c_str());
    PGresult* r = PQexec(conn, sql.c_str());
    const std::int64_t n = PQresultStatus(r) == PGRES_TUPLES_OK ? std::atoll(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    PQfinish(conn);
    return n;
  }

  static std::unique_ptr<testing::RealPostgresql> server_;
  std::string database_;
};

std::unique_ptr<testing::RealPostgresql> StoreContract::server_;

INSTANTIATE_TEST_SUITE_P(Stores, StoreContract, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& param_info) { return param_info.param; });

// ---- opening, files and schema -------------------------------------------

TEST_F(StoreTest, OpenCreatesAPrivateDirectoryAndDatabase) {
  dir_ = root_ / "nested" / "state";
  auto s = open();
  EXPECT_TRUE(fs::is_directory(dir_));
  EXPECT_EQ(mode_of(dir_), 0700u);
  EXPECT_TRUE(fs::is_regular_file(dir_ / "herald.db"));
  EXPECT_EQ(mode_of(dir_ / "herald.db"), 0600u);
  s->sync({pd("a@x", T0)}, T0, T0 + 1h, T0);
  // SQLite gives the write-ahead log and its index the database's mode.
  ASSERT_TRUE(fs::exists(dir_ / "herald.db-wal"));
  EXPECT_EQ(mode_of(dir_ / "herald.db-wal"), 0600u);
  ASSERT_TRUE(fs::exists(dir_ / "herald.db-shm"));
  EXPECT_EQ(mode_of(dir_ / "herald.db-shm"), 0600u);
}

TEST_F(StoreTest, OpenIgnoresALooseUmask) {
  const mode_t old = ::umask(0);
  auto s = open();
  ::umask(old);
  EXPECT_EQ(mode_of(dir_), 0700u);
  EXPECT_EQ(mode_of(dir_ / "herald.db"), 0600u);
}

TEST_F(StoreTest, OpenTightensAnExistingDirectoryAndDatabase) {
  fs::create_directories(dir_);
  ::chmod(dir_.c_str(), 0755);
  open().reset();
  ::chmod((dir_ / "herald.db").c_str(), 0644);
  ::chmod(dir_.c_str(), 0777);
  auto s = open();
  EXPECT_EQ(mode_of(dir_), 0700u);
  EXPECT_EQ(mode_of(dir_ / "herald.db"), 0600u);
}

TEST_F(StoreTest, OpenFailsWhenTheStateDirIsAFile) {
  std::ofstream(dir_) << "not a directory";
  EXPECT_ANY_THROW(open());
}

TEST_F(StoreTest, OpenRefusesADatabaseThatIsASymlink) {
  fs::create_directories(dir_);
  std::ofstream(root_ / "elsewhere.db").close();
  fs::create_symlink(root_ / "elsewhere.db", dir_ / "herald.db");
  EXPECT_ANY_THROW(open());
}

TEST_F(StoreTest, OpenUsesWriteAheadLogging) {
  open().reset();
  SQLite::Database raw(dir_ / "herald.db", SQLite::OPEN_READONLY);
  EXPECT_EQ(raw.execAndGet("PRAGMA journal_mode").getString(), "wal");
}

TEST_P(StoreContract, ReopenKeepsData) {
  {
    auto s = open();
    s->sync({pd("a@x", T0), pd("b@x", T0 + 1h)}, T0 - 1h, T0 + 2h, T0);
    send(*s, "a@x");
    publish(*s, "a@x", "123", "https://x.com/a/status/123", T0 + 1min);
  }
  auto s = open();
  ASSERT_EQ(s->all().size(), 2u);
  const auto a = s->get("a@x");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->state, State::published);
  EXPECT_EQ(a->post, "a");
  EXPECT_EQ(a->channel, "x");
  EXPECT_EQ(a->planned, T0);
  EXPECT_EQ(a->attempts, 1);
  EXPECT_EQ(a->remote_id, "123");
  EXPECT_EQ(a->url, "https://x.com/a/status/123");
  EXPECT_EQ(a->sent_text, "text of a@x");
  EXPECT_EQ(a->updated, T0 + 1min);
  EXPECT_EQ(s->get("b@x")->state, State::planned);
}

TEST_F(StoreTest, MigrationIsIdempotent) {
  {
    auto s = open();
    EXPECT_EQ(s->schema_version(), Store::kSchemaVersion);
    EXPECT_EQ(s->schema_version(), Store::kSchemaVersion);
    s->note("calendar_reloaded", "first", T0);
  }
  auto s = open();
  EXPECT_EQ(s->schema_version(), Store::kSchemaVersion);
  auto again = open();
  EXPECT_EQ(again->schema_version(), Store::kSchemaVersion);
  EXPECT_EQ(s->history(10).size(), 1u);
  SQLite::Database raw(dir_ / "herald.db", SQLite::OPEN_READONLY);
  EXPECT_EQ(raw.execAndGet("SELECT count(*) FROM schema_version").getInt(), 1);
}

TEST_F(StoreTest, MigrationFinishesAHalfMigratedDatabase) {
  // As if a first migration died after creating one table: no version yet.
  fs::create_directories(dir_);
  {
    SQLite::Database raw(dir_ / "herald.db", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    raw.exec("CREATE TABLE tokens (credential TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL, updated INTEGER NOT NULL)");
  }
  auto s = open();
  EXPECT_EQ(s->schema_version(), Store::kSchemaVersion);
  s->put_connector_state("x", "t", T0);
  s->sync({pd("a@x", T0)}, T0, T0 + 1h, T0);
  EXPECT_EQ(s->connector_state("x"), "t");
  EXPECT_TRUE(s->get("a@x"));
}

// The retry policy counts the create requests since the last fresh start
// from the row (tries), not from a scan of the history: a processing answer
// takes its request back, a person's retry and an edit start again.
// Whatever publishes a delivery (a create's answer, a lookup that found it,
// a person) enrols it for counter reads in the same transaction; the reads
// are written as a time series and move its schedule on.
TEST_P(StoreContract, PublishingEnrolsADeliveryForCounterReads) {
  auto s = open();
  sync(*s, {pd("a@x", T0), pd("b@x", T0), pd("c@y", T0)});
  send(*s, "a@x");
  publish(*s, "a@x", "1", "https://x.example/1", T0 + 1min);
  send(*s, "b@x");
  change(*s, "b@x", Event::found_on_platform, Effects{.remote_id = "2", .url = "https://x.example/2"}, T0 + 2min);
  EXPECT_FALSE(s->collection("c@y"));
  EXPECT_EQ(s->channels_collecting(), (std::vector<std::string>{"x"}));
  auto pending = s->pending_reads("x", 5);
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].key, "a@x");
  EXPECT_EQ(pending[0].remote_id, "1");
  EXPECT_EQ(pending[0].url, "https://x.example/1");
  EXPECT_EQ(pending[0].published_at, T0 + 1min);
  EXPECT_EQ(pending[0].stage, 0);
  EXPECT_EQ(pending[1].key, "b@x");

  ReadRecord first;
  first.samples = {{"a@x", T0, "like_count", "likes", 4}, {"reply_count", T0, "reply_count", "replies", 1}};
  first.samples[1].key = "a@x";
  first.reads = 1;
  first.next_read = T0 + 24h;
  s->record_read("a@x", first, T0 + 1h);
  ReadRecord second;
  second.samples = {{"a@x", T0, "like_count", "likes", 9}};
  second.next_read = std::nullopt;  // the last
  second.reads = 2;
  s->record_read("a@x", second, T0 + 24h);
  const auto a = s->collection("a@x");
  EXPECT_EQ(a->stage, 2);
  EXPECT_EQ(a->reads, 2);
  EXPECT_EQ(a->last_read, T0 + 24h);
  // The series is kept at the times of the reads, not the samples' own.
  const auto series = s->engagement("a@x");
  ASSERT_EQ(series.size(), 3u);
  EXPECT_EQ(series[0], (EngagementSample{"a@x", T0 + 1h, "like_count", "likes", 4}));
  EXPECT_EQ(series[1], (EngagementSample{"a@x", T0 + 1h, "reply_count", "replies", 1}));
  EXPECT_EQ(series[2], (EngagementSample{"a@x", T0 + 24h, "like_count", "likes", 9}));
  auto latest = s->latest_engagement(T0 + date::days{30});
  ASSERT_EQ(latest.size(), 1u);
  EXPECT_EQ(latest[0].value, 9);
  latest = s->latest_engagement(T0 + 2h);  // as it was then
  ASSERT_EQ(latest.size(), 2u);
  EXPECT_EQ(latest[0].value, 4);
  const auto out = s->published_between(T0, T0 + 2min);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].key, "a@x");
  EXPECT_FALSE(s->last_look());
  s->record_look(T0 + 3h);
  EXPECT_EQ(s->last_look(), T0 + 3h);
  // Done: only b's read is pending.
  pending = s->pending_reads("x", 5);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].key, "b@x");

  // A failed read keeps no counters, says why, and books the next try.
  ReadRecord failed;
  failed.reads = 0;
  failed.failures = 1;
  failed.error = "HTTP 503";
  failed.next_read = T0 + 2h;
  s->record_read("b@x", failed, T0 + 1h);
  const auto b = s->collection("b@x");
  EXPECT_EQ(b->stage, 1);
  EXPECT_EQ(b->next_read, T0 + 2h);
  EXPECT_EQ(b->failures, 1);
  EXPECT_EQ(b->last_error, "HTTP 503");
  EXPECT_FALSE(b->last_read);
  EXPECT_TRUE(s->engagement("b@x").empty());
}

TEST_P(StoreContract, TriesCountsTheRequestsSinceTheLastFreshStart) {
  auto s = open();
  sync(*s, {pd("a@x", T0)});
  const Effects text{.sent_text = "a"};
  change(*s, "a@x", Event::start_send, text, T0);
  EXPECT_EQ(s->get("a@x")->tries, 1);
  change(*s, "a@x", Event::processing, Effects{.detail = "still processing", .next_attempt = T0 + 5s}, T0);
  EXPECT_EQ(s->get("a@x")->tries, 0) << "asking how the platform is getting on is not an attempt";
  EXPECT_EQ(s->history(1, "a@x")[0].event, "processing");
  change(*s, "a@x", Event::retry_due, {}, T0 + 5s);
  change(*s, "a@x", Event::start_send, text, T0 + 5s);
  retry(*s, "a@x", T0 + 1min, "HTTP 503", T0 + 6s);
  change(*s, "a@x", Event::retry_due, {}, T0 + 1min);
  change(*s, "a@x", Event::start_send, text, T0 + 1min);
  EXPECT_EQ(s->get("a@x")->tries, 2);
  EXPECT_EQ(s->get("a@x")->attempts, 3) << "attempts counts every request";
  change(*s, "a@x", Event::permanent_error, Effects{.detail = "HTTP 400"}, T0 + 1min);
  change(*s, "a@x", Event::retry_requested, Effects{.detail = "asked for by a person"}, T0 + 2min);
  EXPECT_EQ(s->get("a@x")->tries, 0) << "a person's retry is a fresh start";
  change(*s, "a@x", Event::start_send, text, T0 + 2min);
  retry(*s, "a@x", T0 + 3min, "HTTP 503", T0 + 2min);
  EXPECT_EQ(s->get("a@x")->tries, 1);
  sync(*s, {pd("a@x", T0, "edited")});
  EXPECT_EQ(s->get("a@x")->tries, 0) << "an edit is a fresh start";
  EXPECT_EQ(s->get("a@x")->attempts, 4);
}

// A database of schema 2 has no tries column: the migration fills it from
// the history as the retry policy used to count it.
TEST_F(StoreTest, MigrationToVersion3CountsTriesFromTheHistory) {
  {
    auto s = open();
    sync(*s, {pd("a@x", T0), pd("b@x", T0), pd("c@x", T0)});
    const Effects text{.sent_text = "t"};
    // a: two requests and a processing answer: one try.
    change(*s, "a@x", Event::start_send, text, T0);
    change(*s, "a@x", Event::processing, Effects{.detail = "p", .next_attempt = T0}, T0);
    change(*s, "a@x", Event::retry_due, {}, T0);
    change(*s, "a@x", Event::start_send, text, T0);
    // b: a request, then edited, then one more: one try.
    change(*s, "b@x", Event::start_send, text, T0);
    retry(*s, "b@x", T0 + 1min, "HTTP 503", T0);
    sync(*s, {pd("a@x", T0), pd("b@x", T0, "h2"), pd("c@x", T0)});
    change(*s, "b@x", Event::start_send, text, T0);
    ASSERT_EQ(s->get("a@x")->tries, 1);
    ASSERT_EQ(s->get("b@x")->tries, 1);
    ASSERT_EQ(s->get("c@x")->tries, 0);
  }
  {
    SQLite::Database raw(dir_ / "herald.db", SQLite::OPEN_READWRITE);
    raw.exec("ALTER TABLE deliveries DROP COLUMN tries");
    raw.exec("UPDATE schema_version SET version = 2");
  }
  auto s = open();
  EXPECT_EQ(s->schema_version(), Store::kSchemaVersion);
  EXPECT_EQ(s->get("a@x")->tries, 1);
  EXPECT_EQ(s->get("b@x")->tries, 1);
  EXPECT_EQ(s->get("c@x")->tries, 0);
}

// Schema 4 replaces the (channel, state, planned) index with one that ends
// in the key, so the dispatcher's due page is read in order from it.
TEST_F(StoreTest, MigrationToVersion4IndexesTheDuePageByKey) {
  {
    auto s = open();
    sync(*s, {pd("b@x", T0), pd("a@x", T0)});
  }
  {
    SQLite::Database raw(dir_ / "herald.db", SQLite::OPEN_READWRITE);
    raw.exec("DROP INDEX deliveries_due");
    raw.exec("CREATE INDEX deliveries_by_channel ON deliveries (channel, state, planned)");
    raw.exec("UPDATE schema_version SET version = 3");
  }
  auto s = open();
  EXPECT_EQ(s->schema_version(), Store::kSchemaVersion);
  SQLite::Database raw(dir_ / "herald.db", SQLite::OPEN_READONLY);
  auto index_sql = [&](const std::string& name) {
    SQLite::Statement q(raw, "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?");
    q.bind(1, name);
    return q.executeStep() ? q.getColumn(0).getString() : std::string();
  };
  EXPECT_NE(index_sql("deliveries_due").find("(channel, state, planned, key)"), std::string::npos);
  EXPECT_EQ(index_sql("deliveries_by_channel"), "");
  const auto page = s->due_page({State::planned}, "x", T0, nullptr, 10);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].key, "a@x");
}

// Schema 5 adds engagement collection and enrols what was published before
// it, from the time its create was committed.
TEST_F(StoreTest, MigrationToVersion5EnrolsWhatWasPublishedBefore) {
  {
    auto s = open();
    sync(*s, {pd("a@x", T0), pd("b@x", T0)});
    send(*s, "a@x");
    publish(*s, "a@x", "1", "https://x.example/1", T0 + 1min);
  }
  {
    SQLite::Database raw(dir_ / "herald.db", SQLite::OPEN_READWRITE);
    raw.exec("DROP TABLE collect");
    raw.exec("DROP TABLE engagement");
    raw.exec("UPDATE schema_version SET version = 4");
  }
  auto s = open();
  EXPECT_EQ(s->schema_version(), Store::kSchemaVersion);
  const auto a = s->collection("a@x");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->published_at, T0);  // its sending commit
  EXPECT_EQ(a->stage, 0);
  EXPECT_FALSE(s->collection("b@x"));
}

TEST_F(StoreTest, OpenRefusesADatabaseFromANewerVersion) {
  open().reset();
  {
    SQLite::Database raw(dir_ / "herald.db", SQLite::OPEN_READWRITE);
    raw.exec("UPDATE schema_version SET version = 99");
  }
  EXPECT_ANY_THROW(open());
}

TEST_F(StoreTest, TheDatabaseRejectsUnknownStates) {
  auto s = open();
  SQLite::Database raw(dir_ / "herald.db", SQLite::OPEN_READWRITE);
  EXPECT_THROW(raw.exec("INSERT INTO deliveries (key, post, channel, planned, state, updated) "
                        "VALUES ('k@x', 'k', 'x', 0, 'bogus', 0)"),
               SQLite::Exception);
}

// ---- sync ------------------------------------------------------------------

TEST_P(StoreContract, SyncAddsNewDeliveriesAsPlanned) {
  auto s = open();
  const auto r = sync(*s, {pd("b@x", T0 + 1h), pd("a@facebook", T0, "h2", true)});
  EXPECT_EQ(r.added, 2);
  EXPECT_EQ(r.updated, 0);
  EXPECT_EQ(r.cancelled, 0);
  EXPECT_EQ(r.unchanged, 0);
  const auto all = s->all();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].key, "a@facebook");  // by planned time
  EXPECT_EQ(all[0].post, "a");
  EXPECT_EQ(all[0].channel, "facebook");
  EXPECT_EQ(all[0].state, State::planned);
  EXPECT_EQ(all[0].content_hash, "h2");
  EXPECT_TRUE(all[0].queued);
  EXPECT_EQ(all[0].attempts, 0);
  EXPECT_FALSE(all[0].next_attempt);
  EXPECT_EQ(all[0].updated, T0);
  EXPECT_EQ(all[1].key, "b@x");
  EXPECT_FALSE(all[1].queued);
  const auto h = s->history(10, "b@x");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].event, "planned");
  EXPECT_EQ(h[0].from_state, "");
  EXPECT_EQ(h[0].to_state, "planned");
  EXPECT_EQ(h[0].at, T0);
}

TEST_P(StoreContract, SyncOfTheSamePlanChangesNothing) {
  auto s = open();
  const std::vector plan{pd("a@x", T0), pd("b@x", T0 + 1h)};
  sync(*s, plan);
  const auto events = s->history(100).size();
  const auto r = sync(*s, plan);
  EXPECT_EQ(r.added, 0);
  EXPECT_EQ(r.updated, 0);
  EXPECT_EQ(r.cancelled, 0);
  EXPECT_EQ(r.unchanged, 2);
  EXPECT_EQ(s->history(100).size(), events);
}

TEST_P(StoreContract, SyncUpdatesAnEditedTimeOrText) {
  auto s = open();
  sync(*s, {pd("a@x", T0 + 1h), pd("b@x", T0 + 2h)});
  const auto r = sync(*s, {pd("a@x", T0 + 3h), pd("b@x", T0 + 2h, "h2")});
  EXPECT_EQ(r.updated, 2);
  EXPECT_EQ(r.unchanged, 0);
  EXPECT_EQ(s->get("a@x")->planned, T0 + 3h);
  EXPECT_EQ(s->get("b@x")->content_hash, "h2");
  EXPECT_EQ(s->get("b@x")->state, State::planned);
  const auto h = s->history(1, "a@x");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].event, "edited");
  EXPECT_EQ(h[0].from_state, "planned");
  EXPECT_EQ(h[0].to_state, "planned");
  EXPECT_NE(h[0].detail.find("2027-03-02T12:00:00Z"), std::string::npos) << h[0].detail;
  EXPECT_EQ(s->history(1, "b@x")[0].detail, "content changed");
}

TEST_P(StoreContract, SyncCancelsWhatLeftTheCalendar) {
  auto s = open();
  sync(*s, {pd("a@x", T0 + 1h), pd("b@x", T0 + 2h)});
  const auto r = sync(*s, {pd("a@x", T0 + 1h)});
  EXPECT_EQ(r.cancelled, 1);
  EXPECT_EQ(r.unchanged, 1);
  EXPECT_EQ(s->get("b@x")->state, State::cancelled);
  const auto h = s->history(1, "b@x");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].event, "cancelled");
  EXPECT_EQ(h[0].from_state, "planned");
  EXPECT_EQ(h[0].to_state, "cancelled");
  // And again: nothing more happens to it.
  const auto again = sync(*s, {pd("a@x", T0 + 1h)});
  EXPECT_EQ(again.cancelled, 0);
  EXPECT_EQ(s->history(10, "b@x").size(), 2u);
}

TEST_P(StoreContract, SyncCancelsEveryUnsentState) {
  auto s = open();
  sync(*s, {pd("w@x", T0), pd("h@x", T0), pd("r@x", T0), pd("f@x", T0)});
  change(*s, "w@x", Event::wait_for_dependency, Effects{.detail = "waits for a@x"}, T0);
  change(*s, "h@x", Event::pause, Effects{.detail = "paused"}, T0);
  send(*s, "r@x");
  retry(*s, "r@x", T0 + 5min, "HTTP 503", T0);
  send(*s, "f@x");
  change(*s, "f@x", Event::permanent_error, Effects{.detail = "HTTP 400: duplicate"}, T0);
  const auto r = sync(*s, {});
  EXPECT_EQ(r.cancelled, 4);
  for (const auto& d : s->all()) EXPECT_EQ(d.state, State::cancelled) << d.key;
  EXPECT_FALSE(s->get("r@x")->next_attempt);
}

TEST_P(StoreContract, SyncNeverTouchesAPublishedDelivery) {
  auto s = open();
  sync(*s, {pd("a@x", T0)});
  send(*s, "a@x");
  publish(*s, "a@x", "1", "https://x.com/a/status/1", T0);
  const auto edited = sync(*s, {pd("a@x", T0 + 1h, "h2")});
  EXPECT_EQ(edited.updated, 0);
  EXPECT_EQ(edited.unchanged, 1);
  const auto removed = sync(*s, {});
  EXPECT_EQ(removed.cancelled, 0);
  const auto a = s->get("a@x");
  EXPECT_EQ(a->state, State::published);
  EXPECT_EQ(a->planned, T0);
  EXPECT_EQ(a->content_hash, "h1");
  EXPECT_EQ(s->history(1, "a@x")[0].event, "published");
}

TEST_P(StoreContract, SyncNeverTouchesASendingDelivery) {
  auto s = open();
  sync(*s, {pd("a@x", T0)});
  send(*s, "a@x");
  EXPECT_EQ(sync(*s, {pd("a@x", T0 + 1h, "h2")}).updated, 0);
  EXPECT_EQ(sync(*s, {}).cancelled, 0);
  const auto a = s->get("a@x");
  EXPECT_EQ(a->state, State::sending);
  EXPECT_EQ(a->planned, T0);
  EXPECT_EQ(a->content_hash, "h1");
}

TEST_P(StoreContract, SyncNeverTouchesADeliveryNeedingReview) {
  auto s = open();
  sync(*s, {pd("a@x", T0)});
  send(*s, "a@x");
  change(*s, "a@x", Event::outcome_unknown, Effects{.detail = "timeout after the create"}, T0);
  EXPECT_EQ(sync(*s, {pd("a@x", T0 + 1h, "h2")}).updated, 0);
  EXPECT_EQ(sync(*s, {}).cancelled, 0);
  const auto a = s->get("a@x");
  EXPECT_EQ(a->state, State::needs_review);
  EXPECT_EQ(a->planned, T0);
  EXPECT_EQ(a->last_error, "timeout after the create");
}

TEST_P(StoreContract, SyncSendsAnEditedFailedDeliveryBackToPlanned) {
  auto s = open();
  sync(*s, {pd("a@x", T0)});
  send(*s, "a@x");
  change(*s, "a@x", Event::permanent_error, Effects{.detail = "HTTP 400: text too long"}, T0);
  // Not edited: stays failed.
  EXPECT_EQ(sync(*s, {pd("a@x", T0)}).unchanged, 1);
  EXPECT_EQ(s->get("a@x")->state, State::failed);
  // Edited: the editor fixed it.
  const auto r = sync(*s, {pd("a@x", T0, "h2")});
  EXPECT_EQ(r.updated, 1);
  const auto a = s->get("a@x");
  EXPECT_EQ(a->state, State::planned);
  EXPECT_EQ(a->last_error, "");
  EXPECT_EQ(a->attempts, 1);  // a count of requests made, kept
  const auto h = s->history(1, "a@x");
  EXPECT_EQ(h[0].event, "edited");
  EXPECT_EQ(h[0].from_state, "failed");
  EXPECT_EQ(h[0].to_state, "planned");
}

TEST_P(StoreContract, SyncSendsEditedWaitingHeldAndRetryingDeliveriesBackToPlanned) {
  auto s = open();
  sync(*s, {pd("w@x", T0), pd("h@x", T0), pd("r@x", T0)});
  change(*s, "w@x", Event::wait_for_dependency, Effects{.detail = "waits"}, T0);
  change(*s, "h@x", Event::pause, Effects{.detail = "paused"}, T0);
  send(*s, "r@x");
  retry(*s, "r@x", T0 + 5min, "HTTP 503", T0);
  const auto r = sync(*s, {pd("w@x", T0, "h2"), pd("h@x", T0, "h2"), pd("r@x", T0, "h2")});
  EXPECT_EQ(r.updated, 3);
  for (const auto& d : s->all()) {
    EXPECT_EQ(d.state, State::planned) << d.key;
    EXPECT_FALSE(d.next_attempt) << d.key;
  }
}

TEST_P(StoreContract, SyncKeepsTheStoredTimeOfAQueuedDelivery) {
  auto s = open();
  sync(*s, {pd("q@x", T0 + 15min, "h1", true)});
  // The plan now puts it elsewhere: pinned, nothing to do.
  auto r = sync(*s, {pd("q@x", T0 + 8h, "h1", true)});
  EXPECT_EQ(r.unchanged, 1);
  EXPECT_EQ(s->get("q@x")->planned, T0 + 15min);
  // Its text may still change; its time does not.
  r = sync(*s, {pd("q@x", T0 + 8h, "h2", true)});
  EXPECT_EQ(r.updated, 1);
  EXPECT_EQ(s->get("q@x")->planned, T0 + 15min);
  EXPECT_EQ(s->get("q@x")->content_hash, "h2");
  EXPECT_EQ(s->history(1, "q@x")[0].detail, "content changed");
}

TEST_P(StoreContract, SyncMovesADeliveryThatLeftTheQueueForAFixedTime) {
  auto s = open();
  sync(*s, {pd("q@x", T0 + 15min, "h1", true)});
  const auto r = sync(*s, {pd("q@x", T0 + 2h, "h1", false)});
  EXPECT_EQ(r.updated, 1);
  EXPECT_EQ(s->get("q@x")->planned, T0 + 2h);
  EXPECT_FALSE(s->get("q@x")->queued);
}

TEST_P(StoreContract, SyncCancelsOnlyWithinTheWindow) {
  auto s = open();
  const Instant from = T0, to = T0 + 24h;
  s->sync({pd("before@x", from - 1s), pd("first@x", from), pd("last@x", to - 1s), pd("end@x", to),
           pd("later@x", to + 48h)},
          T0 - 48h, T0 + 96h, T0);
  const auto r = s->sync({}, from, to, T0);
  EXPECT_EQ(r.cancelled, 2);
  EXPECT_EQ(s->get("before@x")->state, State::planned);
  EXPECT_EQ(s->get("first@x")->state, State::cancelled);
  EXPECT_EQ(s->get("last@x")->state, State::cancelled);
  EXPECT_EQ(s->get("end@x")->state, State::planned);
  EXPECT_EQ(s->get("later@x")->state, State::planned);
}

TEST_P(StoreContract, SyncBringsBackACancelledDeliveryThatReturns) {
  auto s = open();
  sync(*s, {pd("a@x", T0 + 1h)});
  sync(*s, {});
  ASSERT_EQ(s->get("a@x")->state, State::cancelled);
  const auto r = sync(*s, {pd("a@x", T0 + 2h)});
  EXPECT_EQ(r.added, 1);
  EXPECT_EQ(s->get("a@x")->state, State::planned);
  EXPECT_EQ(s->get("a@x")->planned, T0 + 2h);
  const auto h = s->history(1, "a@x");
  EXPECT_EQ(h[0].event, "planned");
  EXPECT_EQ(h[0].from_state, "cancelled");
}

TEST_P(StoreContract, SyncLeavesCancelledAfterARequestWasMade) {
  auto s = open();
  sync(*s, {pd("a@x", T0 + 1h)});
  send(*s, "a@x");
  retry(*s, "a@x", T0 + 5min, "timeout", T0);
  sync(*s, {});
  ASSERT_EQ(s->get("a@x")->state, State::cancelled);
  const auto r = sync(*s, {pd("a@x", T0 + 1h)});
  EXPECT_EQ(r.added, 0);
  EXPECT_EQ(r.unchanged, 1);
  EXPECT_EQ(s->get("a@x")->state, State::cancelled);
}

TEST_P(StoreContract, SyncCountsADuplicateKeyOnce) {
  auto s = open();
  const auto r = sync(*s, {pd("a@x", T0), pd("a@x", T0 + 1h)});
  EXPECT_EQ(r.added, 1);
  EXPECT_EQ(s->all().size(), 1u);
  EXPECT_EQ(s->get("a@x")->planned, T0);
}

// ---- state changes -----------------------------------------------------------

TEST_P(StoreContract, TransitionsWriteEvents) {
  auto s = open();
  sync(*s, {pd("a@x", T0)});
  change(*s, "a@x", Event::start_send, Effects{.sent_text = "Hello https://example.nl"}, T0 + 1s);
  retry(*s, "a@x", T0 + 61s, "HTTP 503", T0 + 2s);
  EXPECT_EQ(s->apply("a@x", Event::retry_due, {}, T0 + 61s), Applied::done);
  change(*s, "a@x", Event::start_send, Effects{.sent_text = "Hello https://example.nl"}, T0 + 62s);
  publish(*s, "a@x", "9", "https://x.com/a/status/9", T0 + 63s);

  const auto h = s->history(10, "a@x");
  ASSERT_EQ(h.size(), 6u);
  EXPECT_EQ(event_names(h),
            (std::vector<std::string>{"published", "sending", "retry_due", "retry_scheduled", "sending", "planned"}));
  EXPECT_EQ(h[0].from_state, "sending");
  EXPECT_EQ(h[0].to_state, "published");
  EXPECT_EQ(h[0].detail, "https://x.com/a/status/9");
  EXPECT_EQ(h[0].at, T0 + 63s);
  EXPECT_EQ(h[1].detail, "attempt 2");
  EXPECT_EQ(h[2].from_state, "retry_wait");
  EXPECT_EQ(h[2].to_state, "planned");
  EXPECT_EQ(h[3].from_state, "sending");
  EXPECT_EQ(h[3].to_state, "retry_wait");
  EXPECT_NE(h[3].detail.find("HTTP 503"), std::string::npos);
  EXPECT_EQ(h[4].detail, "attempt 1");

  const auto a = s->get("a@x");
  EXPECT_EQ(a->state, State::published);
  EXPECT_EQ(a->attempts, 2);
  EXPECT_EQ(a->sent_text, "Hello https://example.nl");
  EXPECT_EQ(a->last_error, "");
  EXPECT_FALSE(a->next_attempt);
}

TEST_P(StoreContract, MarkRetryKeepsTheTimeAndTheError) {
  auto s = open();
  sync(*s, {pd("a@x", T0)});
  send(*s, "a@x");
  retry(*s, "a@x", T0 + 90s, "HTTP 429", T0 + 1s);
  const auto a = s->get("a@x");
  EXPECT_EQ(a->state, State::retry_wait);
  EXPECT_EQ(a->next_attempt, T0 + 90s);
  EXPECT_EQ(a->last_error, "HTTP 429");
  EXPECT_EQ(a->updated, T0 + 1s);
  ASSERT_EQ(s->in_states({State::retry_wait}).size(), 1u);
}

TEST_P(StoreContract, SetStateKeepsTheReasonForPeople) {
  auto s = open();
  sync(*s, {pd("a@x", T0), pd("b@x", T0)});
  EXPECT_EQ(s->apply("a@x", Event::pause, Effects{.detail = "paused: storm warning"}, T0), Applied::done);
  EXPECT_EQ(s->get("a@x")->last_error, "paused: storm warning");
  EXPECT_EQ(s->apply("a@x", Event::resume, {}, T0), Applied::done);
  EXPECT_EQ(s->get("a@x")->last_error, "paused: storm warning");  // only those states set it
  EXPECT_EQ(s->apply("b@x", Event::missed, Effects{.detail = "missed: due at 10:00"}, T0), Applied::done);
  EXPECT_EQ(s->get("b@x")->last_error, "missed: due at 10:00");
  const auto h = s->history(1, "b@x");
  EXPECT_EQ(h[0].event, "missed");
  EXPECT_EQ(h[0].from_state, "planned");
  EXPECT_EQ(h[0].to_state, "needs_review");
  EXPECT_EQ(h[0].detail, "missed: due at 10:00");
}

TEST_P(StoreContract, SetStateLeavingRetryWaitForgetsTheRetryTime) {
  auto s = open();
  sync(*s, {pd("a@x", T0)});
  send(*s, "a@x");
  retry(*s, "a@x", T0 + 90s, "HTTP 503", T0);
  change(*s, "a@x", Event::pause, Effects{.detail = "paused"}, T0);
  EXPECT_FALSE(s->get("a@x")->next_attempt);
}

TEST_P(StoreContract, SetStateOfAnUnknownKeyIsFalse) {
  auto s = open();
  EXPECT_EQ(s->apply("nope@x", Event::pause, {}, T0), Applied::missing);
  EXPECT_TRUE(s->history(10).empty());
}

TEST_P(StoreContract, StartSendRefusesADeliveryThatIsNotPlanned) {
  auto s = open();
  sync(*s, {pd("a@x", T0), pd("c@x", T0)});
  send(*s, "a@x");
  const Effects again{.sent_text = "again"};
  EXPECT_EQ(s->apply("a@x", Event::start_send, again, T0), Applied::not_allowed);  // already in flight
  publish(*s, "a@x", "1", "u", T0);
  EXPECT_EQ(s->apply("a@x", Event::start_send, again, T0), Applied::not_allowed);  // never twice
  sync(*s, {pd("a@x", T0)});
  ASSERT_EQ(s->get("c@x")->state, State::cancelled);
  EXPECT_EQ(s->apply("c@x", Event::start_send, Effects{.sent_text = "x"}, T0), Applied::not_allowed);
  const auto a = s->get("a@x");
  EXPECT_EQ(a->attempts, 1);
  EXPECT_EQ(a->sent_text, "text of a@x");
  EXPECT_EQ(s->history(1, "a@x")[0].event, "published");
}

TEST_P(StoreContract, ApplyingToAnUnknownKeyWritesNothing) {
  auto s = open();
  EXPECT_EQ(s->apply("nope@x", Event::start_send, Effects{.sent_text = "t"}, T0), Applied::missing);
  EXPECT_EQ(s->apply("nope@x", Event::sent, Effects{.remote_id = "1", .url = "u"}, T0), Applied::missing);
  EXPECT_EQ(s->apply("nope@x", Event::transient_error, Effects{.detail = "e", .next_attempt = T0}, T0),
            Applied::missing);
  EXPECT_TRUE(s->all().empty());
  EXPECT_TRUE(s->history(10).empty());
}

TEST_P(StoreContract, InStatesFiltersAndOrdersByTimeThenKey) {
  auto s = open();
  sync(*s, {pd("c@x", T0 + 2h), pd("b@x", T0), pd("a@x", T0), pd("d@x", T0 + 1h)});
  change(*s, "d@x", Event::pause, {}, T0);
  std::vector<std::string> keys;
  for (const auto& d : s->in_states({State::planned})) keys.push_back(d.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"a@x", "b@x", "c@x"}));
  keys.clear();
  for (const auto& d : s->in_states({State::held, State::planned})) keys.push_back(d.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"a@x", "b@x", "d@x", "c@x"}));
  EXPECT_TRUE(s->in_states({State::published}).empty());
  EXPECT_TRUE(s->in_states({}).empty());
  EXPECT_EQ(s->all().size(), 4u);
  EXPECT_FALSE(s->get("nope@x"));
}

TEST_P(StoreContract, InStatesOfOneChannel) {
  auto s = open();
  sync(*s, {pd("a@x", T0 + 1h), pd("a@facebook", T0), pd("b@x", T0)});
  std::vector<std::string> keys;
  for (const auto& d : s->in_states({State::planned}, "x")) keys.push_back(d.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"b@x", "a@x"}));
  EXPECT_EQ(s->in_states({State::planned}, "facebook").size(), 1u);
  EXPECT_TRUE(s->in_states({State::planned}, "youtube").empty());
  EXPECT_EQ(s->in_states({State::planned}).size(), 3u);
}

TEST_P(StoreContract, DuePagesWalkOneChannelUpToNowInOrder) {
  auto s = open();
  // Same planned time for b, a and c: the key orders them; e is not due.
  sync(*s, {pd("b@x", T0), pd("a@x", T0), pd("c@x", T0), pd("d@x", T0 + 1h), pd("e@x", T0 + 3h),
            pd("a@facebook", T0)});
  change(*s, "d@x", Event::wait_for_dependency, Effects{.detail = "waits for v@y"}, T0);
  change(*s, "c@x", Event::pause, {}, T0);
  const std::vector<State> pending{State::planned, State::waiting};
  auto keys = [](const std::vector<StoredDelivery>& page) {
    std::vector<std::string> out;
    for (const auto& d : page) out.push_back(d.key);
    return out;
  };
  auto first = s->due_page(pending, "x", T0 + 2h, nullptr, 2);
  EXPECT_EQ(keys(first), (std::vector<std::string>{"a@x", "b@x"}));
  auto second = s->due_page(pending, "x", T0 + 2h, &first.back(), 2);
  EXPECT_EQ(keys(second), (std::vector<std::string>{"d@x"})) << "held c is not asked for; e is not due";
  EXPECT_TRUE(s->due_page(pending, "x", T0 + 2h, &second.back(), 2).empty());
  EXPECT_EQ(keys(s->due_page(pending, "x", T0 + 3h, nullptr, 10)), (std::vector<std::string>{"a@x", "b@x", "d@x", "e@x"}));
  EXPECT_TRUE(s->due_page(pending, "x", T0 - 1s, nullptr, 10).empty());
  // Each state is read on its own and the pages merged: a page of one
  // spans both states in (planned, key) order, and the next starts after it.
  change(*s, "b@x", Event::wait_for_dependency, Effects{.detail = "waits for v@y"}, T0);
  auto merged = s->due_page(pending, "x", T0 + 3h, nullptr, 3);
  EXPECT_EQ(keys(merged), (std::vector<std::string>{"a@x", "b@x", "d@x"}));
  EXPECT_EQ(keys(s->due_page(pending, "x", T0 + 3h, &merged[1], 3)), (std::vector<std::string>{"d@x", "e@x"}));
  EXPECT_EQ(keys(s->due_page(pending, "x", T0 + 3h, nullptr, -1)), (std::vector<std::string>{"a@x", "b@x", "d@x", "e@x"}))
      << "a negative limit is no limit";
  EXPECT_TRUE(s->any_in_state(State::held, "x"));
  EXPECT_FALSE(s->any_in_state(State::held, "facebook"));
  EXPECT_EQ(s->channels_in(State::waiting), std::vector<std::string>{"x"});
  EXPECT_TRUE(s->channels_in(State::failed).empty());
}

TEST_P(StoreContract, NextDueIsTheEarliestPlannedTimeOrRetry) {
  auto s = open();
  EXPECT_EQ(s->next_due("x"), std::nullopt);
  sync(*s, {pd("a@x", T0), pd("b@x", T0 + 2h), pd("a@facebook", T0 - 1h)});
  EXPECT_EQ(s->next_due("x"), T0);
  send(*s, "a@x");
  EXPECT_EQ(s->next_due("x"), T0 + 2h) << "a delivery in flight is not due";
  retry(*s, "a@x", T0 + 30min, "HTTP 503", T0);
  EXPECT_EQ(s->next_due("x"), T0 + 30min);
  change(*s, "b@x", Event::wait_for_dependency, {}, T0);
  change(*s, "a@x", Event::retry_due, {}, T0);
  change(*s, "a@x", Event::start_send, Effects{.sent_text = "text of a@x"}, T0);
  retry(*s, "a@x", T0 + 5h, "HTTP 503", T0);
  EXPECT_EQ(s->next_due("x"), T0 + 5h) << "a waiting delivery is woken by its dependency, not by time";
  EXPECT_EQ(s->next_due("facebook"), T0 - 1h);
}

// ---- pauses, tokens, history -------------------------------------------------------

TEST_P(StoreContract, PausesAreSetClearedAndKeptAcrossReopen) {
  {
    auto s = open();
    s->set_pause({"", "incident", T0, std::nullopt}, T0);
    s->set_pause({"x", "storm", T0, T0 + 6h}, T0);
    s->set_pause({"x", "storm, longer", T0 + 1h, T0 + 12h}, T0 + 1h);  // replaces
    s->set_pause({"facebook", "token", T0, std::nullopt}, T0);
    EXPECT_TRUE(s->clear_pause("facebook", T0 + 2h));
    EXPECT_FALSE(s->clear_pause("facebook", T0 + 2h));
    EXPECT_FALSE(s->clear_pause("youtube", T0 + 2h));
  }
  auto s = open();
  const auto p = s->pauses();
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].channel, "");
  EXPECT_EQ(p[0].reason, "incident");
  EXPECT_EQ(p[0].since, T0);
  EXPECT_FALSE(p[0].until);
  EXPECT_EQ(p[1].channel, "x");
  EXPECT_EQ(p[1].reason, "storm, longer");
  EXPECT_EQ(p[1].since, T0 + 1h);
  EXPECT_EQ(p[1].until, T0 + 12h);
  EXPECT_TRUE(s->clear_pause("", T0 + 3h));
  ASSERT_EQ(s->pauses().size(), 1u);

  const auto h = s->history(10);
  EXPECT_EQ(event_names(h), (std::vector<std::string>{"resumed", "resumed", "paused", "paused", "paused", "paused"}));
  EXPECT_EQ(h[0].detail, "all channels");
  EXPECT_EQ(h[1].detail, "channel facebook");
  EXPECT_EQ(h[0].key, "");
}

TEST_P(StoreContract, ConnectorStatePersistsAndNeverReachesTheHistory) {
  const std::string secret = "1//0gSECRET-refresh-token";
  {
    auto s = open();
    EXPECT_FALSE(s->connector_state("youtube"));
    s->put_connector_state("youtube", "old-token", T0);
    s->put_connector_state("youtube", secret, T0 + 1h);
  }
  auto s = open();
  EXPECT_EQ(s->connector_state("youtube"), secret);
  EXPECT_FALSE(s->connector_state("x"));
  s->erase_connector_state("x", T0 + 2h);  // absent: no event
  s->put_connector_state("upload:a@youtube", "https://upload.example/session", T0 + 2h);
  s->erase_connector_state("upload:a@youtube", T0 + 3h);
  EXPECT_FALSE(s->connector_state("upload:a@youtube"));
  auto h = s->history(100);
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h[0].event, "connector_state_erased");
  EXPECT_EQ(h[0].detail, "upload:a@youtube");
  EXPECT_EQ(h[1].event, "connector_state_saved");
  h.erase(h.begin(), h.begin() + 2);
  for (const auto& e : h) {
    EXPECT_EQ(e.event, "connector_state_saved");
    EXPECT_EQ(e.detail, "youtube");
    EXPECT_EQ(e.detail.find("SECRET"), std::string::npos);
    EXPECT_EQ(e.detail.find("old-token"), std::string::npos);
  }
  EXPECT_EQ(raw_count("SELECT count(*) FROM events WHERE detail LIKE '%SECRET%' OR key LIKE '%SECRET%' "
                      "OR event LIKE '%SECRET%'"),
            0);
  EXPECT_EQ(raw_count("SELECT count(*) FROM tokens WHERE value LIKE '%SECRET%'"), 1);
}

TEST_P(StoreContract, HistoryIsNewestFirstLimitedAndFilteredByKey) {
  auto s = open();
  for (int i = 0; i < 5; ++i) s->note("calendar_reloaded", "reload " + std::to_string(i), T0 + std::chrono::minutes(i));
  s->note("published", "by hand", T0 + 10min, "a@x");
  auto h = s->history(3);
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0].event, "published");
  EXPECT_EQ(h[0].key, "a@x");
  EXPECT_EQ(h[1].detail, "reload 4");
  EXPECT_EQ(h[2].detail, "reload 3");
  EXPECT_GT(h[0].id, h[1].id);
  EXPECT_GT(h[1].id, h[2].id);
  EXPECT_EQ(h[1].at, T0 + 4min);
  EXPECT_EQ(s->history(100).size(), 6u);
  h = s->history(100, "a@x");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].detail, "by hand");
  EXPECT_TRUE(s->history(100, "b@x").empty());
  EXPECT_TRUE(s->history(0).empty());
  EXPECT_TRUE(s->history(-1).empty());
}

// ---- maintenance and concurrency -------------------------------------------------

TEST_P(StoreContract, CountsByChannelAndStateAndALimitedQueue) {
  auto s = open();
  sync(*s, {pd("a@x", T0), pd("b@x", T0 + 1h), pd("c@x", T0 + 2h), pd("a@facebook", T0)});
  send(*s, "a@x");
  publish(*s, "a@x", "7", "https://x.com/a/status/7", T0);
  auto counts = s->counts();
  EXPECT_EQ(counts["x"][State::planned], 2);
  EXPECT_EQ(counts["x"][State::published], 1);
  EXPECT_EQ(counts["facebook"][State::planned], 1);
  EXPECT_FALSE(counts["x"].contains(State::failed));
  auto first = s->in_states(std::vector<State>{State::planned}, "x", 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].key, "b@x");
  EXPECT_EQ(s->in_states(std::vector<State>{State::planned, State::published}, "", -1).size(), 4u);
}

TEST_F(StoreTest, IntegrityCheckPasses) {
  auto s = open();
  sync(*s, {pd("a@x", T0)});
  EXPECT_TRUE(s->integrity_ok());
}

TEST_F(StoreTest, BackupIsAConsistentPrivateCopy) {
  auto s = open();
  sync(*s, {pd("a@x", T0), pd("b@x", T0 + 1h, "h2", true)});
  send(*s, "a@x");
  publish(*s, "a@x", "7", "https://x.com/a/status/7", T0);
  s->set_pause({"x", "storm", T0, std::nullopt}, T0);
  s->put_connector_state("youtube", "refresh", T0);

  const fs::path copy_dir = root_ / "restore";
  fs::create_directories(copy_dir);
  s->backup_to(copy_dir / "herald.db");
  EXPECT_EQ(mode_of(copy_dir / "herald.db"), 0600u);

  auto copy = Store::open(copy_dir);
  EXPECT_TRUE(copy->integrity_ok());
  EXPECT_EQ(copy->schema_version(), Store::kSchemaVersion);
  const auto a = s->all(), b = copy->all();
  ASSERT_EQ(b.size(), a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(b[i].key, a[i].key);
    EXPECT_EQ(b[i].state, a[i].state);
    EXPECT_EQ(b[i].planned, a[i].planned);
    EXPECT_EQ(b[i].url, a[i].url);
    EXPECT_EQ(b[i].content_hash, a[i].content_hash);
    EXPECT_EQ(b[i].queued, a[i].queued);
    EXPECT_EQ(b[i].attempts, a[i].attempts);
  }
  EXPECT_EQ(copy->history(100).size(), s->history(100).size());
  EXPECT_EQ(copy->pauses().size(), 1u);
  EXPECT_EQ(copy->connector_state("youtube"), "refresh");
}

TEST_F(StoreTest, BackupNeverOverwritesAFile) {
  auto s = open();
  const fs::path target = root_ / "existing.db";
  std::ofstream(target) << "precious";
  EXPECT_ANY_THROW(s->backup_to(target));
  std::ifstream in(target);
  std::string content;
  std::getline(in, content);
  EXPECT_EQ(content, "precious");
}

TEST_F(StoreTest, ASecondStoreOnTheSameDirectoryReads) {
  auto writer = open();
  sync(*writer, {pd("a@x", T0)});
  auto reader = open();
  EXPECT_EQ(reader->schema_version(), Store::kSchemaVersion);
  ASSERT_TRUE(reader->get("a@x"));
  // Later commits of the writer are visible to the reader.
  send(*writer, "a@x");
  EXPECT_EQ(reader->get("a@x")->state, State::sending);
  EXPECT_EQ(reader->history(10, "a@x").size(), 2u);
  // A read in progress does not block the writer (WAL).
  {
    SQLite::Database raw(dir_ / "herald.db", SQLite::OPEN_READONLY);
    raw.exec("BEGIN");
    EXPECT_EQ(raw.execAndGet("SELECT count(*) FROM deliveries").getInt(), 1);
    publish(*writer, "a@x", "1", "u", T0);
    EXPECT_EQ(raw.execAndGet("SELECT state FROM deliveries WHERE key = 'a@x'").getString(), "sending");  // snapshot
    raw.exec("COMMIT");
  }
  EXPECT_EQ(reader->get("a@x")->state, State::published);
}


// ---- the database as a file that can be lost under herald (issue 11) ------

TEST_F(StoreTest, AZeroByteDatabaseIsRefusedAsDamage) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "herald.db").close();
  try {
    open();
    FAIL() << "a zero-byte herald.db was taken as a new store";
  } catch (const StoreUnavailable& e) {
    EXPECT_NE(std::string(e.what()).find("is empty (0 bytes)"), std::string::npos) << e.what();
  }
  EXPECT_EQ(fs::file_size(dir_ / "herald.db"), 0u) << "left as it was, for a person to look at";
}

TEST_F(StoreTest, ADatabaseThatIsNotSQLiteIsRefused) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "herald.db") << std::string(8192, 'x');
  EXPECT_THROW(open(), StoreUnavailable);
}

TEST_F(StoreTest, ADatabaseWithDamagedPagesIsRefusedAtOpen) {
  {
    auto s = open();
    std::vector<PlannedDelivery> plan;
    for (int i = 0; i < 400; ++i) plan.push_back(pd("p" + std::to_string(i) + "@x", T0 + std::chrono::minutes(i)));
    sync(*s, plan);
  }
  const auto size = fs::file_size(dir_ / "herald.db");
  ASSERT_GT(size, 16384u);
  {
    // Garbage over the pages after the first (the schema page stays).
    std::fstream f(dir_ / "herald.db", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096);
    const std::string junk(static_cast<std::size_t>(size) - 4096, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  EXPECT_THROW(open(), StoreUnavailable);
  EXPECT_TRUE(Store::deep_check(dir_ / "herald.db").has_value());
}

TEST_F(StoreTest, ANewDatabaseIsBuiltBesideAndRenamedIntoPlace) {
  auto s = open();
  EXPECT_FALSE(fs::exists(dir_ / "herald.db.new"));
  EXPECT_GT(fs::file_size(dir_ / "herald.db"), 0u) << "never an empty herald.db, even right after creation";
  EXPECT_EQ(s->check_file(), std::nullopt);
  EXPECT_EQ(Store::deep_check(s->file()), std::nullopt);
}

TEST_F(StoreTest, CheckFileNoticesDeletionReplacementAndTruncation) {
  auto s = open();
  ASSERT_EQ(s->check_file(), std::nullopt);
  const fs::path file = dir_ / "herald.db";
  fs::rename(file, root_ / "away.db");
  ASSERT_TRUE(s->check_file());
  EXPECT_NE(s->check_file()->find("was deleted"), std::string::npos) << *s->check_file();
  fs::rename(root_ / "away.db", file);
  EXPECT_EQ(s->check_file(), std::nullopt) << "the same file back is fine again";
  fs::copy_file(file, root_ / "copy.db");
  fs::rename(root_ / "copy.db", file);  // same content, another file
  ASSERT_TRUE(s->check_file());
  EXPECT_NE(s->check_file()->find("was replaced"), std::string::npos) << *s->check_file();

  auto t = Store::open(root_ / "other");
  ::truncate((root_ / "other" / "herald.db").c_str(), 0);
  ASSERT_TRUE(t->check_file());
  EXPECT_NE(t->check_file()->find("truncated to 0 bytes"), std::string::npos) << *t->check_file();
}

TEST_F(StoreTest, DeepCheckReadsTheDiskNotTheCache) {
  auto s = open();
  std::vector<PlannedDelivery> plan;
  for (int i = 0; i < 400; ++i) plan.push_back(pd("p" + std::to_string(i) + "@x", T0 + std::chrono::minutes(i)));
  sync(*s, plan);
  {
    SQLite::Database raw(dir_ / "herald.db", SQLite::OPEN_READWRITE);
    raw.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  ASSERT_EQ(Store::deep_check(s->file()), std::nullopt);
  // Damage the middle of the file while this store holds it open.
  const auto size = fs::file_size(s->file());
  {
    std::fstream f(s->file(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 2 / 4096 * 4096));
    const std::string junk(8192, '\x7f');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  const auto finding = Store::deep_check(s->file());
  ASSERT_TRUE(finding);
  EXPECT_NE(finding->find("damaged"), std::string::npos) << *finding;
}

TEST_P(StoreContract, TheSendingGateReadsPausesCommittedByAnotherConnection) {
  auto s = open();
  sync(*s, {pd("a@x", T0), pd("b@y", T0)});
  // A pause committed by another connection (the herald command, or another host).
  auto other = second();
  other->set_pause({"x", "crisis", T0, std::nullopt}, T0);
  EXPECT_EQ(s->begin_send("a@x", "a", T0), SendGate::paused);
  EXPECT_EQ(s->get("a@x")->state, State::held);
  EXPECT_EQ(s->get("a@x")->last_error, "paused: crisis");
  EXPECT_EQ(s->begin_send("a@x", "a", T0), SendGate::not_planned);
  EXPECT_EQ(s->begin_send("nope@x", "a", T0), SendGate::missing);
  // A pause whose time is over does not hold.
  other->set_pause({"y", "lunch", T0 - 2h, T0 - 1h}, T0 - 2h);
  EXPECT_EQ(s->begin_send("b@y", "b", T0), SendGate::sending);
  EXPECT_EQ(s->get("b@y")->sent_at, T0);
  EXPECT_EQ(s->get("b@y")->attempts, 1);
  // Seen from the other connection too.
  EXPECT_EQ(other->get("b@y")->state, State::sending);
}

TEST_F(StoreTest, TheSendingGateReadsTheFile) {
  auto s = open();
  sync(*s, {pd("c@y", T0)});
  // No create starts once the file is no longer herald's database.
  fs::rename(dir_ / "herald.db", root_ / "gone.db");
  EXPECT_THROW(s->begin_send("c@y", "c", T0), StoreUnavailable);
  fs::rename(root_ / "gone.db", dir_ / "herald.db");
  EXPECT_EQ(s->get("c@y")->state, State::planned);
}

// Group commit (issue 15.3): a batch gives each delivery exactly the gate
// begin_send alone gives it, and takes one commit for all of them.
TEST_P(StoreContract, ASendBatchGatesEachDeliveryAsAloneInOneCommit) {
  auto s = open();
  sync(*s, {pd("a@x", T0), pd("b@y", T0), pd("c@y", T0), pd("d@x", T0)});
  for (const auto* k : {"a@x", "b@y", "c@y", "d@x"}) s->clear_verify(k, "", T0);
  ASSERT_EQ(s->begin_send("d@x", "d", T0), SendGate::sending);  // already out: not planned
  second()->set_pause({"y", "crisis", T0, std::nullopt}, T0);
  const auto before = s->commits();
  const auto gates = s->begin_send_batch({{"a@x", "text a"}, {"b@y", "b"}, {"nope@x", "n"}, {"d@x", "d"}}, T0);
  EXPECT_EQ(s->commits(), before + 1);
  EXPECT_EQ(gates, (std::vector<SendGate>{SendGate::sending, SendGate::paused, SendGate::missing,
                                          SendGate::not_planned}));
  EXPECT_EQ(s->get("a@x")->state, State::sending);
  EXPECT_EQ(s->get("a@x")->sent_text, "text a");
  EXPECT_EQ(s->get("a@x")->attempts, 1);
  EXPECT_EQ(s->get("b@y")->state, State::held);
  EXPECT_EQ(s->get("b@y")->last_error, "paused: crisis");
  EXPECT_EQ(s->get("d@x")->attempts, 1);
  // The history holds each delivery's own line, as begin_send writes it.
  EXPECT_EQ(s->history(1, "a@x").at(0).detail, "attempt 1");
  // Nothing to write (all refused): no commit.
  const auto after = s->commits();
  EXPECT_EQ(s->begin_send_batch({{"nope@x", "n"}, {"d@x", "d"}}, T0),
            (std::vector<SendGate>{SendGate::missing, SendGate::not_planned}));
  EXPECT_EQ(s->commits(), after);
}

// A write that fails anywhere in the batch leaves none of it written: no
// delivery of a failed batch is `sending`, so none may go out.
TEST_F(StoreTest, ASendBatchThatFailsWritesNothing) {
  auto s = open();
  sync(*s, {pd("a@x", T0), pd("b@x", T0), pd("c@x", T0)});
  for (const auto* k : {"a@x", "b@x", "c@x"}) s->clear_verify(k, "", T0);
  {
    SQLite::Database other((dir_ / "herald.db").string(), SQLite::OPEN_READWRITE);
    other.exec("CREATE TRIGGER refuse BEFORE UPDATE OF state ON deliveries WHEN NEW.key = 'c@x' "
               "BEGIN SELECT RAISE(ABORT, 'disk trouble'); END");
  }
  const auto before = s->commits();
  EXPECT_THROW(s->begin_send_batch({{"a@x", "a"}, {"b@x", "b"}, {"c@x", "c"}}, T0), std::exception);
  EXPECT_EQ(s->commits(), before);
  for (const auto* k : {"a@x", "b@x", "c@x"}) {
    EXPECT_EQ(s->get(k)->state, State::planned) << k;
    EXPECT_EQ(s->get(k)->attempts, 0) << k;
  }
}

// Results written together: each apply keeps its own rules (a refused
// transition writes nothing), the batch commits once, and a batch dropped
// uncommitted leaves every delivery as it was.
TEST_P(StoreContract, ABatchOfChangesCommitsOnceOrNotAtAll) {
  auto s = open();
  sync(*s, {pd("a@x", T0), pd("b@x", T0)});
  for (const auto* k : {"a@x", "b@x"}) {
    s->clear_verify(k, "", T0);
    ASSERT_EQ(s->begin_send(k, k, T0), SendGate::sending);
  }
  {
    auto batch = s->batch();
    EXPECT_EQ(s->apply("a@x", Event::sent, Effects{.remote_id = "1", .url = "https://x.com/a/status/1"}, T0),
              Applied::done);
    batch.commit();
  }
  EXPECT_EQ(s->get("a@x")->state, State::published);
  const auto before = s->commits();
  {
    auto batch = s->batch();
    EXPECT_EQ(s->apply("b@x", Event::sent, Effects{.remote_id = "2", .url = "u2"}, T0), Applied::done);
    EXPECT_EQ(s->apply("a@x", Event::sent, Effects{.remote_id = "3", .url = "u3"}, T0), Applied::not_allowed);
    EXPECT_EQ(s->apply("nope@x", Event::sent, {}, T0), Applied::missing);
  }
  EXPECT_EQ(s->commits(), before);
  EXPECT_EQ(s->get("b@x")->state, State::sending);
  {
    auto batch = s->batch();
    EXPECT_EQ(s->apply("b@x", Event::sent, Effects{.remote_id = "2", .url = "u2"}, T0), Applied::done);
    s->note_lost_answer("a@x", "a note in the same commit", T0);
    batch.commit();
  }
  EXPECT_EQ(s->commits(), before + 1);
  EXPECT_EQ(s->get("b@x")->url, "u2");
  EXPECT_EQ(s->get("a@x")->url, "https://x.com/a/status/1");
  // A `sending` commit inside a batch would not be on disk before its request.
  auto send_inside_batch = [&] {
    auto batch = s->batch();
    s->begin_send_batch({{"a@x", "a"}}, T0);
  };
  EXPECT_THROW(send_inside_batch(), std::logic_error);
}

TEST_P(StoreContract, ANewStoreMarksOverdueDeliveriesToBeLookedUpOnce) {
  auto s = open();
  const auto r = s->sync({pd("old@x", T0 - 5min), pd("new@x", T0 + 5min)}, T0 - 24h, T0 + 24h, T0);
  EXPECT_EQ(r.to_verify, 1);
  EXPECT_TRUE(s->get("old@x")->verify);
  EXPECT_FALSE(s->get("new@x")->verify);
  // Only the first sync of a new store: later additions are herald's own.
  s->sync({pd("old@x", T0 - 5min), pd("new@x", T0 + 5min), pd("late@x", T0 - 1min)}, T0 - 24h, T0 + 24h, T0);
  EXPECT_FALSE(s->get("late@x")->verify);
  s->clear_verify("old@x", "not on the platform", T0);
  EXPECT_FALSE(s->get("old@x")->verify);
}

TEST_F(StoreTest, ADatabasePutBackFromABackupIsLookedUpBeforeSending) {
  auto s = open();
  sync(*s, {pd("a@x", T0 - 10min), pd("b@x", T0 - 5min)});
  s->clear_verify("a@x", "", T0);
  s->clear_verify("b@x", "", T0);
  s->backup_to(root_ / "backup.db");
  // After the backup, b goes out through the live database.
  ASSERT_EQ(s->begin_send("b@x", "b", T0), SendGate::sending);
  publish(*s, "b@x", "1", "https://x.com/a/status/1", T0);
  s.reset();
  // An operator puts the backup back: it says b is still planned.
  fs::remove(dir_ / "herald.db-wal");
  fs::remove(dir_ / "herald.db-shm");
  fs::copy_file(root_ / "backup.db", dir_ / "herald.db", fs::copy_options::overwrite_existing);
  auto restored = open();
  EXPECT_EQ(restored->get("b@x")->state, State::planned);
  restored->sync({pd("a@x", T0 - 10min), pd("b@x", T0 - 5min)}, T0 - 24h, T0 + 24h, T0);
  EXPECT_TRUE(restored->get("b@x")->verify) << "it may be out already: look before sending";
  EXPECT_TRUE(restored->get("a@x")->verify);
}

TEST_P(StoreContract, LostAnswersAreCountedUntilAFreshStart) {
  auto s = open();
  sync(*s, {pd("a@x", T0)});
  send(*s, "a@x");
  s->note_lost_answer("a@x", "no answer: timeout", T0);
  EXPECT_EQ(s->get("a@x")->lost_answers, 1);
  EXPECT_EQ(s->get("a@x")->state, State::sending);
  EXPECT_EQ(s->history(1, "a@x")[0].event, "answer_lost");
  change(*s, "a@x", Event::permanent_error, Effects{.detail = "rejected"}, T0);
  change(*s, "a@x", Event::retry_requested, Effects{.detail = "asked for by a person"}, T0);
  EXPECT_EQ(s->get("a@x")->lost_answers, 0) << "a person's retry is a fresh start";
}

// sync reads the window once; a key the plan brings into the window from
// outside it is still the stored delivery (edited), never a second one.
TEST_P(StoreContract, SyncMovesADeliveryFromOutsideTheWindowIntoIt) {
  auto s = open();
  s->sync({pd("far@x", T0 + 72h), pd("near@x", T0 + 1h)}, T0, T0 + 96h, T0);
  const auto r = s->sync({pd("far@x", T0 + 2h), pd("near@x", T0 + 1h)}, T0, T0 + 24h, T0);
  EXPECT_EQ(r.updated, 1);
  EXPECT_EQ(r.added, 0);
  EXPECT_EQ(r.unchanged, 1);
  EXPECT_EQ(s->get("far@x")->planned, T0 + 2h);
  EXPECT_EQ(s->history(1, "far@x")[0].event, "edited");
  EXPECT_EQ(s->all().size(), 2u);
}

// What left the calendar is cancelled in the window's order, so the history
// reads in the order the posts were due.
TEST_P(StoreContract, SyncCancelsInTheWindowsOrder) {
  auto s = open();
  sync(*s, {pd("c@x", T0 + 1h), pd("b@x", T0 + 2h), pd("a@x", T0 + 2h), pd("keep@x", T0)});
  sync(*s, {pd("keep@x", T0)});
  std::vector<std::string> order;
  for (const auto& e : s->history(10))
    if (e.event == "cancelled") order.insert(order.begin(), e.key);  // history is newest first
  EXPECT_EQ(order, (std::vector<std::string>{"c@x", "a@x", "b@x"}));
}

// What the late window may have missed: planned before the bound, or a
// retry whose next attempt is before it; nothing else is read.
TEST_P(StoreContract, OverdueIsWhatIsPlannedOrRetryingBeforeTheBound) {
  auto s = open();
  sync(*s, {pd("old@x", T0 - 2h), pd("new@x", T0), pd("retry_old@x", T0 - 3h), pd("retry_new@x", T0 - 3h),
            pd("held@x", T0 - 2h), pd("sending@x", T0 - 2h), pd("b@x", T0 - 2h)});
  send(*s, "retry_old@x");
  retry(*s, "retry_old@x", T0 - 90min, "HTTP 503", T0 - 3h);
  send(*s, "retry_new@x");
  retry(*s, "retry_new@x", T0 + 1h, "HTTP 503", T0 - 3h);
  change(*s, "held@x", Event::pause, {}, T0 - 2h);
  send(*s, "sending@x");
  std::vector<std::string> keys;
  for (const auto& d : s->overdue(T0 - 1h)) keys.push_back(d.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"retry_old@x", "b@x", "old@x"}))
      << "ordered by planned time, then key";
}

TEST_P(StoreContract, QueuedSlotsAreTheQueuedDeliveriesNotCancelled) {
  auto s = open();
  sync(*s, {pd("q@x", T0 + 15min, "h", true), pd("r@x", T0 + 30min, "h", true), pd("f@x", T0 + 1h)});
  sync(*s, {pd("q@x", T0 + 15min, "h", true), pd("f@x", T0 + 1h)});
  EXPECT_EQ(s->queued_slots(), (std::map<std::string, Instant>{{"q@x", T0 + 15min}}))
      << "r@x was cancelled, f@x is not queued";
}

TEST_P(StoreContract, PreviewCountsWhatASyncWouldCancel) {
  auto s = open();
  std::vector<PlannedDelivery> plan;
  for (int i = 0; i < 20; ++i) plan.push_back(pd("p" + std::to_string(i) + "@x", T0 + std::chrono::hours(i)));
  sync(*s, plan);
  send(*s, "p0@x");
  const std::vector<PlannedDelivery> half(plan.begin(), plan.begin() + 8);
  const auto preview = s->preview_cancellations(half, T0 - 24h, T0 + 24h * 30);
  EXPECT_EQ(preview.pending, 19) << "p0 is sending, not pending";
  EXPECT_EQ(preview.cancelled, 12);
  ASSERT_EQ(preview.sample.size(), 5u);
  EXPECT_EQ(preview.sample[0], "p8@x");
  EXPECT_EQ(s->get("p8@x")->state, State::planned) << "a preview changes nothing";
}

// The statements are written once with SQLite's numbered parameters; the
// PostgreSQL side spells them $n, and leaves quoted text alone.
TEST(PostgresqlParameters, NumberedBareAndQuotedMarks) {
  EXPECT_EQ(postgresql_parameters("UPDATE d SET a = ?1, b = ?2 WHERE k = ?1"), "UPDATE d SET a = $1, b = $2 WHERE k = $1");
  EXPECT_EQ(postgresql_parameters("SELECT ? , ?, ?"), "SELECT $1 , $2, $3");
  // A bare mark is one more than the highest so far, as SQLite numbers it.
  EXPECT_EQ(postgresql_parameters("x = ?3 AND y = ?"), "x = $3 AND y = $4");
  EXPECT_EQ(postgresql_parameters("a = '?' AND \"b?\" = ? AND c = 'it''s ?'"), "a = '?' AND \"b?\" = $1 AND c = 'it''s ?'");
  EXPECT_EQ(postgresql_parameters("no marks"), "no marks");
}

// ---- the lease of a shared store (PostgreSQL) -----------------------------

// Several hosts on one PostgreSQL: one instance holds the lease and
// dispatches; every write of an instance checks the lease in its own
// transaction. Lapses are made with a period of 0 (the lease ends the moment
// it is taken), so no test waits for time to pass.
class SharedStoreTest : public StoreContract {};

INSTANTIATE_TEST_SUITE_P(PostgreSQL, SharedStoreTest, ::testing::Values("postgresql"),
                         [](const auto& param_info) { return param_info.param; });

TEST_P(SharedStoreTest, OneInstanceHoldsTheLeaseAndEachNewHolderHasAHigherToken) {
  auto a = open();
  auto b = second();
  EXPECT_TRUE(a->shared());
  const LeaseInfo first = a->take_lease("host-a", 60s);
  EXPECT_EQ(first.holder, "host-a");
  EXPECT_GT(first.left, 50s);
  // Held: another instance does not get it, and learns who has it.
  const LeaseInfo refused = b->take_lease("host-b", 60s);
  EXPECT_EQ(refused.holder, "host-a");
  EXPECT_EQ(refused.token, first.token);
  // Renewed by its holder: the same token.
  EXPECT_EQ(a->take_lease("host-a", 60s).token, first.token);
  // Given up at a clean stop: the standby takes it at once, with a new token.
  a->release_lease();
  const LeaseInfo taken = b->take_lease("host-b", 60s);
  EXPECT_EQ(taken.holder, "host-b");
  EXPECT_EQ(taken.token, first.token + 1);
  EXPECT_EQ(a->lease().holder, "host-b");
}

TEST_P(SharedStoreTest, ADeposedInstanceWritesNothingAndStartsNoCreate) {
  auto a = open();
  auto b = second();
  ASSERT_EQ(a->take_lease("host-a", 60s).holder, "host-a");
  sync(*a, {pd("a@x", T0), pd("b@x", T0), pd("c@x", T0)});
  for (const auto* k : {"a@x", "b@x", "c@x"}) a->clear_verify(k, "", T0);
  ASSERT_EQ(a->begin_send("a@x", "a", T0), SendGate::sending);
  // host-a freezes past its lease; host-b takes over.
  a->take_lease("host-a", 0ms);
  ASSERT_EQ(b->take_lease("host-b", 60s).holder, "host-b");
  // host-a wakes up mid-pump: its sending commit is refused, and so is
  // every other write, the results of what it had in flight included.
  try {
    a->begin_send_batch({{"b@x", "b"}}, T0);
    ADD_FAILURE() << "a deposed instance started a create";
  } catch (const StoreUnavailable& e) {
    EXPECT_NE(std::string(e.what()).find("the active instance is host-b"), std::string::npos) << e.what();
  }
  EXPECT_THROW(a->apply("a@x", Event::sent, Effects{.remote_id = "1", .url = "u"}, T0), StoreUnavailable);
  EXPECT_THROW(sync(*a, {}), StoreUnavailable);
  EXPECT_THROW(a->note("calendar_reloaded", "", T0), StoreUnavailable);
  EXPECT_THROW(a->batch(), StoreUnavailable);
  // It still reads, and what it tried left no trace.
  EXPECT_EQ(a->get("b@x")->state, State::planned);
  EXPECT_EQ(b->get("a@x")->state, State::sending);  // the new holder settles it, as after a crash
  EXPECT_EQ(b->get("c@x")->state, State::planned);
  EXPECT_EQ(b->begin_send("b@x", "b", T0), SendGate::sending);
  // While host-b holds it, host-a does not get it back.
  EXPECT_EQ(a->take_lease("host-a", 60s).holder, "host-b");
  EXPECT_THROW(a->begin_send("c@x", "c", T0), StoreUnavailable);
}

// The calendar whose plan the store holds: what the holder recorded, and
// only the holder can record it.
TEST_P(SharedStoreTest, TheCalendarOfTheStoresPlanIsRecordedByTheHolderOnly) {
  auto a = open();
  auto b = second();
  EXPECT_EQ(b->applied_calendar(), "");
  ASSERT_EQ(a->take_lease("host-a", 60s).holder, "host-a");
  a->record_calendar("00000000000000aa");
  EXPECT_EQ(b->applied_calendar(), "00000000000000aa");
  a->record_calendar("00000000000000aa");  // the same: nothing written
  EXPECT_EQ(b->take_lease("host-b", 60s).holder, "host-a");
  EXPECT_THROW(b->record_calendar("00000000000000bb"), StoreUnavailable);
  EXPECT_EQ(a->applied_calendar(), "00000000000000aa");
}

TEST_P(SharedStoreTest, ALapsedLeaseTakenAgainHasANewToken) {
  auto a = open();
  const LeaseInfo first = a->take_lease("host-a", 0ms);  // lapses at once
  EXPECT_EQ(first.holder, "host-a");
  EXPECT_LE(first.left, 0ms);
  EXPECT_THROW(sync(*a, {pd("a@x", T0)}), StoreUnavailable);
  const LeaseInfo again = a->take_lease("host-a", 60s);
  EXPECT_EQ(again.token, first.token + 1);
  EXPECT_EQ(sync(*a, {pd("a@x", T0)}).added, 1);
}

// A process frozen (SIGSTOP) in the middle of a write transaction holds the
// store's write lock; the server ends its session once it has been silent
// in the transaction for the stall time (the daemon's lease), so the other
// hosts are not held up for longer. This waits for the server's own timer.
TEST_P(SharedStoreTest, AnInstanceFrozenInATransactionHoldsTheOthersUpOnlyForTheStallTime) {
  auto a = Store::open_postgresql(url(), server_->password(), 300ms);
  auto b = Store::open_postgresql(url(), server_->password(), 300ms);
  ASSERT_EQ(a->take_lease("host-a", 60s).holder, "host-a");
  std::optional<Store::Batch> frozen;
  frozen.emplace(a->batch());  // the write lock, and never a word again
  // The standby's look at the lease waits for the lock, then gets its answer.
  EXPECT_EQ(b->take_lease("host-b", 60s).holder, "host-a");
  // The frozen one wakes up: its transaction is gone with its session.
  EXPECT_THROW(frozen->commit(), StoreUnavailable);
  frozen.reset();
  // Its next write reconnects; it still holds the lease.
  EXPECT_EQ(a->take_lease("host-a", 60s).holder, "host-a");
  EXPECT_EQ(sync(*a, {pd("a@x", T0)}).added, 1);
}

TEST_P(SharedStoreTest, APauseFromTheHeraldCommandHoldsTheActiveInstance) {
  auto a = open();
  ASSERT_EQ(a->take_lease("host-a", 60s).holder, "host-a");
  sync(*a, {pd("a@x", T0)});
  a->clear_verify("a@x", "", T0);
  // The command's connection is no instance: it holds no lease and needs none.
  second()->set_pause({"", "crisis", T0, std::nullopt}, T0);
  EXPECT_EQ(a->begin_send("a@x", "a", T0), SendGate::paused);
  EXPECT_EQ(a->get("a@x")->state, State::held);
}

}  // namespace
}  // namespace herald
