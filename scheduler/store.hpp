#pragma once
// The durable store: deliveries, their event history, pauses and rotated
// tokens. One body of logic on two databases (scheduler/sql.hpp): SQLite in
// the state directory (the default) or PostgreSQL shared by several hosts.
// One writer per process, on the event loop's thread. Every write is one
// transaction holding the database's write lock; the `sending` transition is
// committed durably (SQLite's synchronous=FULL, PostgreSQL's commit) before
// any request goes out.

#include "config/local_time.hpp"
#include "scheduler/state.hpp"

#include <chrono>
#include <filesystem>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace herald {

class SqlDatabase;
class SqliteDatabase;

/// A delivery as the store keeps it.
struct StoredDelivery {
  std::string key;
  std::string post;
  std::string channel;
  Instant planned;                   ///< when it is due
  State state = State::planned;
  int attempts = 0;                  ///< create requests made so far
  /// Create requests since the last fresh start (an edit, or a person's
  /// retry): what the retry policy counts. An answer of `processing` takes
  /// its request back (the platform was only asked how it is getting on).
  int tries = 0;
  std::optional<Instant> next_attempt;  ///< retry_wait: when to try again
  std::string remote_id;
  std::string url;
  std::string last_error;            ///< the latest error or reason, for people
  std::string content_hash;          ///< of the calendar content, to notice edits
  std::string sent_text;             ///< the composed text as it was sent
  bool queued = false;               ///< placed in a queue slot (its time is pinned once stored)
  Instant updated;
  std::optional<Instant> sent_at;    ///< when the current (or last) attempt's `sending` was committed
  int lost_answers = 0;              ///< attempts whose answer was lost, since the last edit or manual retry
  bool verify = false;               ///< look it up on the platform before its first create (the store was new)
  std::optional<Instant> settle_from;  ///< a lost answer of this attempt: from when absence on the platform counts
  /// Not stored: why it has not gone out yet, for people (the status API fills it).
  std::string why;
};

/// What a state change writes beside the new state (Store::apply). Each
/// field means something only for the events named.
struct Effects {
  /// The history line's words; also last_error where the new state carries
  /// a reason (failed, needs_review, retry_wait, held, waiting). For
  /// published: how it was established (default: the URL).
  std::string detail = {};
  std::string remote_id = {};              ///< sent, found_on_platform, resolved
  std::string url = {};                    ///< sent, found_on_platform, resolved
  std::optional<Instant> next_attempt = {};  ///< transient_error, processing
  std::string sent_text = {};              ///< start_send: the composed text as it goes out
};

/// What Store::apply did.
enum class Applied {
  done,         ///< the state changed, with its effects and history line
  missing,      ///< no such delivery
  not_allowed,  ///< the state table has no such transition; nothing was written
};

/// One line of the append-only history.
struct HistoryEvent {
  std::int64_t id = 0;
  Instant at;
  std::string key;          ///< empty for channel- or daemon-wide events
  std::string event;        ///< e.g. "published", "paused", "calendar_reloaded"
  std::string from_state;
  std::string to_state;
  std::string detail;
};

/// A pause: global (empty channel) or one channel's.
struct Pause {
  std::string channel;  ///< empty: every channel
  std::string reason;
  Instant since;
  std::optional<Instant> until;

  /// Whether the pause holds at `now`: it has no end, or its end is later.
  bool active_at(Instant now) const { return !until || *until > now; }
  /// Whether it holds `channel` (a pause of every channel holds each).
  bool holds(const std::string& name) const { return channel.empty() || channel == name; }
  friend bool operator==(const Pause&, const Pause&) = default;
};

/// One delivery of a plan, as sync receives it.
struct PlannedDelivery {
  std::string key;
  std::string post;
  std::string channel;
  Instant planned;
  std::string content_hash;
  bool queued = false;
};

/// What one sync changed.
struct SyncResult {
  int added = 0;
  int updated = 0;
  int cancelled = 0;
  int unchanged = 0;
  int to_verify = 0;  ///< overdue deliveries a new store looks up before sending
};

/// What a sync would cancel, without changing anything (the reload guard).
struct CancelPreview {
  int cancelled = 0;  ///< pending deliveries the plan would cancel
  int pending = 0;    ///< pending (planned, waiting, held, retry_wait) deliveries in the window
  std::vector<std::string> sample;  ///< a few of the keys it would cancel
};

/// What the `sending` commit found (Store::begin_send).
enum class SendGate {
  sending,      ///< committed: the create may go out now
  paused,       ///< a pause in the store holds its channel; the delivery is `held` now
  not_planned,  ///< no longer `planned` (an edit, a person, another writer): nothing goes out
  missing,      ///< no such delivery
};

/// One create of a batch (Store::begin_send_batch): the delivery and the
/// composed text as it goes out.
struct SendStart {
  std::string key;
  std::string sent_text;
};

/// A published delivery whose counters herald reads (engagement collection,
/// scheduler/collector.hpp). Every delivery that becomes `published` gets
/// one, in the transaction that publishes it.
struct Collection {
  std::string key;
  std::string channel;
  std::string remote_id;  ///< the delivery's, as published
  std::string url;
  Instant published_at;
  /// 0: its first read is not booked yet (next_read is published_at);
  /// 1: next_read is when the next read is due; 2: done.
  int stage = 0;
  Instant next_read;
  int reads = 0;     ///< scheduled reads done or passed by
  int failures = 0;  ///< failed tries of the read due now
  std::string last_error;
  std::optional<Instant> last_read;
};

/// One counter of a delivery as read at one time.
struct EngagementSample {
  std::string key;
  Instant at;
  std::string name;    ///< the platform's own name
  std::string common;  ///< views, likes, shares, replies, clicks or ""
  std::int64_t value = 0;
  friend bool operator==(const EngagementSample&, const EngagementSample&) = default;
};

/// What a read of a delivery's counters came to (Store::record_read).
struct ReadRecord {
  std::vector<EngagementSample> samples;  ///< what was read (none when the read failed)
  int reads = 0;                           ///< scheduled reads done or passed by, after it
  /// The next read's time; none: collection is done.
  std::optional<Instant> next_read;
  int failures = 0;
  std::string error;  ///< why it failed, for people; "" when it did not
  /// A history line for people, when the read found something they must
  /// know (the post was deleted on the platform): its event and detail.
  std::string event = {};
  std::string detail = {};
};

/// A shared store's lease (DESIGN.md "The store beyond one host"): the one
/// instance that dispatches, by the database's clock.
struct LeaseInfo {
  std::string holder;                 ///< the instance holding it, or that held it last ("" never)
  std::int64_t token = 0;             ///< the fencing token: grows with every new holder
  std::chrono::milliseconds left{0};  ///< until it lapses (<= 0: lapsed)
};

/// What every write of an instance of a shared store checks, in its own
/// transaction: `instance` holds the lease with `token` (-1: it does not).
struct LeaseFence {
  std::string instance;
  std::int64_t token = -1;
};

/// The store cannot be used safely now (its file was deleted, replaced,
/// damaged, made unwritable, or the disk is full); the message says which,
/// for people. While it holds, no create starts.
class StoreUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A failed store operation in words for the log and the status: "the disk
/// is full", "the database is damaged", ... with SQLite's own message.
std::string describe_store_failure(const std::exception& e);

class Store {
 public:
  /// Opens (creating, with mode 0700, if needed) `state_dir/herald.db`,
  /// migrating its schema to the current version. A new database is built
  /// under another name and renamed into place, so an empty herald.db is
  /// never one herald made: a zero-byte file, or one that fails SQLite's
  /// quick_check, is refused as damaged (StoreUnavailable). A new store's
  /// first sync marks overdue deliveries to be looked up on their platform
  /// before anything is sent (an earlier store may have published them).
  /// Throws on failure.
  static std::unique_ptr<Store> open(const std::filesystem::path& state_dir);
  /// Opens the PostgreSQL store at `url` (DESIGN.md "The store beyond one
  /// host"; a libpq URI without a password) with `password`, read from a
  /// credential, creating or migrating its schema. A new one's first sync
  /// looks overdue deliveries up as a new SQLite store's does. Throws
  /// StoreUnavailable when the server cannot be reached.
  /// `stall`: how long a session may sit in a transaction without a word
  /// before the server ends it (a frozen process's locks hold no one up for
  /// longer); the daemon gives its lease.
  static std::unique_ptr<Store> open_postgresql(const std::string& url, const std::string& password,
                                                std::chrono::milliseconds stall = std::chrono::seconds(15));
  /// Whether several hosts share this store (PostgreSQL): then only the
  /// holder of its lease dispatches.
  bool shared() const;
  /// Takes the lease for `instance` for `period`, or renews it when
  /// `instance` holds it (the same token; a lapsed lease is taken with a new
  /// one). Returns the lease as it is now: held when its holder is
  /// `instance`. From the first call on, every write of this store checks in
  /// its own transaction that `instance` still holds it with that token:
  /// once it lapsed or passed to another, writes fail with StoreUnavailable
  /// and write nothing, the `sending` commit included. Shared stores only.
  LeaseInfo take_lease(const std::string& instance, std::chrono::milliseconds period);
  /// Lets the lease lapse now (a clean stop), so a standby need not wait it out.
  void release_lease();
  /// The lease as the database has it (an empty holder for SQLite).
  LeaseInfo lease();
  /// The fingerprint of the calendar whose plan the store holds, as the
  /// instance that wrote it recorded it (record_calendar); "" when none did.
  /// A standby compares its own calendar with it (DESIGN.md "The store
  /// beyond one host": one calendar, one truth).
  std::string applied_calendar();
  /// Records `fingerprint` as the calendar whose plan is written (a write:
  /// fenced like every other). Nothing happens when it is already that.
  void record_calendar(const std::string& fingerprint);

  /// Opens an existing store for a short write by the `herald` command (a
  /// pause when the daemon's endpoint does not answer): never creates or
  /// migrates; throws when there is no current database.
  static std::unique_ptr<Store> open_existing(const std::filesystem::path& state_dir);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  static constexpr int kSchemaVersion = 5;
  int schema_version();
  /// The database file.
  const std::filesystem::path& file() const { return file_; }

  /// Whether the file at file() is still the database this store opened
  /// (same device and inode), readable and writable, starting like an SQLite
  /// database, on a file system with room for a transaction. nullopt when
  /// it is, else why not. Cheap (a stat, an access, a 16-byte read through
  /// SQLite's own handle): it runs before every create. On the store's
  /// thread only.
  std::optional<std::string> check_file() const;
  /// SQLite's quick_check through a new read-only connection, so it reads
  /// what is on disk rather than this connection's page cache: what is
  /// damaged, or nullopt when it found no damage (a check that could not
  /// read, e.g. while the writer recovers its WAL, finds nothing). Safe on
  /// any thread.
  static std::optional<std::string> deep_check(const std::filesystem::path& file);
  /// A small write transaction (a meta row): proves commits work again, e.g.
  /// once a full disk has room.
  void probe_write(Instant now);
  /// Once herald.db was deleted or replaced under this store: moves this
  /// store's -wal and -shm aside (renamed, never deleted), so the file now
  /// at the path, or one put back later, is never read with this store's
  /// log (SQLite would replay it into a file it does not belong to). This
  /// store keeps working through its open handles.
  void set_aside_log(Instant now);

  /// Applies a plan in one transaction: new keys inserted `planned`; an
  /// unpublished delivery whose time or content changed is updated (a
  /// `failed` one goes back to `planned`); keys of the window [from, to)
  /// missing from the plan are `cancelled` unless published, sending or
  /// needing review; published deliveries are never touched. Edits and
  /// removals change state as apply() does (the table's edited and removed
  /// rows, history lines "edited" and "cancelled").
  SyncResult sync(const std::vector<PlannedDelivery>& plan, Instant from, Instant to, Instant now);
  /// What sync(plan, from, to, ...) would cancel, changing nothing.
  CancelPreview preview_cancellations(const std::vector<PlannedDelivery>& plan, Instant from, Instant to);

  std::optional<StoredDelivery> get(const std::string& key);
  /// Deliveries in any of these states (of one channel, if given), ordered by
  /// planned time then key.
  std::vector<StoredDelivery> in_states(std::initializer_list<State> states, const std::string& channel = {});
  /// The same, at most `limit` of them (all when negative).
  std::vector<StoredDelivery> in_states(const std::vector<State>& states, const std::string& channel, int limit);
  /// One page of a channel's deliveries in these states planned at or before
  /// `until`, ordered by planned time then key, starting after `after` (the
  /// last delivery of the previous page). Reads only what it returns, so the
  /// dispatcher's turn costs the same with ten or a hundred thousand queued.
  std::vector<StoredDelivery> due_page(const std::vector<State>& states, const std::string& channel, Instant until,
                                       const StoredDelivery* after, int limit);
  /// Deliveries `planned` before `before`, and `retry_wait` whose next
  /// attempt (else planned time) is before it, ordered by planned time then
  /// key: what may have missed its late window, read from the index.
  std::vector<StoredDelivery> overdue(Instant before);
  /// Whether `channel` has a delivery in `state` (one index probe).
  bool any_in_state(State state, const std::string& channel);
  /// The earliest time something of `channel` falls due: a planned
  /// delivery's planned time or a retry's next attempt (two index lookups).
  std::optional<Instant> next_due(const std::string& channel);
  /// The earliest of those due times later than `after`.
  std::optional<Instant> next_due_after(const std::string& channel, Instant after);
  /// The channels that have a delivery in `state`.
  std::vector<std::string> channels_in(State state);
  /// How many deliveries each channel has in each state (absent: none).
  std::map<std::string, std::map<State, int>> counts();
  std::vector<StoredDelivery> all();
  /// Deliveries planned in [from, to) that are not cancelled, in planned
  /// order, at most `limit` (the page's calendar; read from the index).
  std::vector<StoredDelivery> planned_between(Instant from, Instant to, int limit);
  /// key -> planned time of every queued delivery not cancelled: the slots
  /// a reload's plan must leave where they are (reads two columns).
  std::map<std::string, Instant> queued_slots();

  /// The one way a delivery changes state (STYLE.md 14): in one
  /// transaction, the state table's transition() from the delivery's state
  /// as stored, the event's effects, and a history line named after the
  /// event (history_name). start_send counts an attempt (attempts, tries)
  /// and clears the settling marks; retry_requested is a fresh start
  /// (tries and lost_answers to 0); processing takes its attempt back.
  Applied apply(const std::string& key, Event event, const Effects& effects, Instant now);
  /// The gate every create passes, in one transaction committed with
  /// synchronous=FULL: the file is still herald's database (check_file,
  /// else StoreUnavailable), the delivery is `planned`, and no pause in the
  /// store holds its channel (a pause written by `herald pause` from another
  /// process counts the moment it is committed; the delivery becomes `held`).
  /// Only then: apply(start_send).
  SendGate begin_send(const std::string& key, const std::string& sent_text, Instant now);
  /// begin_send for several deliveries in one transaction and one commit
  /// (one fsync): each start gets exactly the gate begin_send would give it,
  /// in order. Throws, committing none of them, when the file check or the
  /// commit fails: then no request of the batch may go out.
  std::vector<SendGate> begin_send_batch(const std::vector<SendStart>& starts, Instant now);

  /// Writes made while it is open (apply, note_lost_answer, ...) join one
  /// transaction, committed once by commit(); each keeps its own all-or-
  /// nothing (a savepoint). Destroyed uncommitted, it rolls all of them back.
  /// For results that arrived together: one fsync instead of one each.
  class Batch {
   public:
    ~Batch();
    Batch(Batch&&) noexcept;
    void commit();

   private:
    friend class Store;
    Batch(SqlDatabase& db, const LeaseFence* fence);
    SqlDatabase* db_;  // null once committed or moved from
  };
  /// Opens a batch (BEGIN IMMEDIATE). One at a time, on the store's thread.
  Batch batch();
  /// Write transactions this store has committed (SQLite's commit hook):
  /// what tests count to prove a batch took one commit.
  std::uint64_t commits() const;
  /// An attempt's answer was lost (lost_answers + 1), with how herald will
  /// settle it; the state does not change. `absent_counts_from` is kept
  /// unless this attempt already has one (StoredDelivery::settle_from).
  void note_lost_answer(const std::string& key, const std::string& detail, Instant now,
                        std::optional<Instant> absent_counts_from = std::nullopt);
  /// The platform was asked before a new store's first create and does not
  /// have it: it may be sent.
  void clear_verify(const std::string& key, const std::string& detail, Instant now);

  void set_pause(const Pause& pause, Instant now);
  /// Lifts the pause of `channel` (empty: the global one). False if none.
  bool clear_pause(const std::string& channel, Instant now);
  std::vector<Pause> pauses();

  /// Durable connector state by key (ConnectorState): rotated OAuth refresh
  /// tokens, never written to the credentials directory, and resumable upload
  /// sessions. The history records that a key was saved or erased, never the value.
  void put_connector_state(const std::string& key, const std::string& value, Instant now);
  std::optional<std::string> connector_state(const std::string& key);
  void erase_connector_state(const std::string& key, Instant now);

  /// The earliest pending read of `channel` of each stage: its first read
  /// not booked yet (stage 0, by the time it went out) and its next booked
  /// read (stage 1); at most `limit` of each, in time order. Index reads only.
  std::vector<Collection> pending_reads(const std::string& channel, int limit = 1);
  /// The channels with reads pending.
  std::vector<std::string> channels_collecting();
  /// The collection of one delivery, if it has one.
  std::optional<Collection> collection(const std::string& key);
  /// Writes a read's counters and the delivery's next read, in one transaction.
  void record_read(const std::string& key, const ReadRecord& record, Instant now);
  /// Every counter read of one delivery (all when `key` is empty), oldest first.
  std::vector<EngagementSample> engagement(const std::string& key = {});
  /// Each delivery's counters as last read at or before `until`, by key.
  std::vector<EngagementSample> latest_engagement(Instant until);
  /// The collections of deliveries published in [from, to), in that order.
  std::vector<Collection> published_between(Instant from, Instant to);
  /// When a person last looked at the conversations to answer (`herald
  /// report`), if ever; record_look moves it on.
  std::optional<Instant> last_look();
  void record_look(Instant at);

  /// Appends a daemon- or channel-wide event (reloads, pauses, errors).
  void note(const std::string& event, const std::string& detail, Instant now, const std::string& key = {});
  std::vector<HistoryEvent> history(int limit, const std::string& key = {});

  /// `PRAGMA integrity_check` is "ok".
  bool integrity_ok();
  /// A consistent copy of the live database (VACUUM INTO).
  void backup_to(const std::filesystem::path& file);

 private:
  /// `name` says which store in messages (default: the file).
  Store(std::unique_ptr<SqlDatabase> db, std::filesystem::path file, std::string name = {});
  void migrate();
  /// apply()'s writes, inside the caller's transaction, on the delivery as read in it.
  Applied write_change(const StoredDelivery& old, Event event, const Effects& effects, Instant now);
  /// begin_send's gate and writes for one delivery, inside the caller's transaction.
  SendGate gate_send(const SendStart& start, Instant now);
  std::unique_ptr<SqlDatabase> db_;
  SqliteDatabase* sqlite_ = nullptr;           // db_ when it is SQLite: the file's own checks
  std::filesystem::path file_;                 // empty for PostgreSQL
  std::string name_;
  std::optional<LeaseFence> fence_;  // an instance of a shared store: set by take_lease
  const LeaseFence* fence() const;
  unsigned long long device_ = 0, inode_ = 0;  // of file_ when opened
  std::string instance_;                       // meta.instance: which database this is
};

}  // namespace herald
