#pragma once
// What the status server (status_server) asks of the running daemon, and
// the shapes it answers with. The server calls these on its own threads; the
// daemon's implementation (loop_backend) runs each call on the event loop with
// asio::post and waits at most a deadline, so the server never touches loop
// state; health() alone reads atomics and must never wait on the loop, so a
// stuck loop shows on /healthz.

#include "config/local_time.hpp"
#include "config/settings.hpp"
#include "scheduler/report.hpp"
#include "scheduler/store.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace herald {

/// The loop did not answer within the deadline (the server answers 503).
class BackendBusy : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One channel as the status shows it.
struct ChannelStatus {
  std::string name;
  ChannelKind kind = ChannelKind::x;
  bool can_publish = true;       ///< false when its connector could not be built
  std::string problem;           ///< why not (e.g. the credential file error); never a secret
  std::optional<Pause> pause;    ///< this channel's own pause
  std::map<State, int> counts;   ///< deliveries in the store by state
  std::optional<StoredDelivery> next;  ///< the next delivery to go out (planned, waiting or retry_wait)
  std::optional<Instant> credentials_expire_at;  ///< when the platform says the credentials stop working
  std::string warning;           ///< e.g. the credentials expire within a week; empty when none
  bool credentials_refused = false;  ///< the platform refused them (until a request works or a reload)
};

/// The daemon as a whole.
struct DaemonStatus {
  std::string version;
  Instant started;
  Instant now;
  std::string timezone;              ///< the settings' zone
  std::size_t posts = 0;             ///< in the running calendar
  std::optional<Instant> last_reload;  ///< last calendar load attempt (start-up included)
  bool last_reload_ok = true;
  std::string last_reload_error;     ///< the rejected edit's errors, when last_reload_ok is false
  std::optional<Pause> global_pause;
  std::vector<ChannelStatus> channels;  ///< in the settings' order
  std::map<State, int> counts;          ///< all channels
  /// Empty while the state database is usable; else why not (no create starts).
  std::string store_problem;
  /// A calendar edit that was read but not applied because it would cancel
  /// too many pending deliveries (herald reload --accept-cancellations).
  struct HeldReload {
    Instant at;
    int cancelled = 0;
    int pending = 0;
    std::string sample;  ///< a few of the keys it would cancel
  };
  std::optional<HeldReload> held_reload;
  /// Deliveries of drafts (`draft: true`) from a week ago to 30 days ahead:
  /// awaiting approval, never published; one whose time passed is reported.
  struct Draft {
    std::string key;
    std::string post;
    std::string channel;
    Instant at;
  };
  std::vector<Draft> drafts;
  /// Several instances on one shared store (DESIGN.md "The store beyond one
  /// host"): this one's part. nullopt on a store of its own (SQLite).
  struct Shared {
    bool active = false;          ///< holds the lease: it dispatches
    std::string instance;         ///< this instance (host/pid)
    std::string active_instance;  ///< the lease's holder ("" none): where POSTs go
    std::string calendar;         ///< this host's calendar (calendar_fingerprint)
    std::string store_calendar;   ///< the calendar whose plan the store holds ("" none yet)
    bool keeping_store_plan = false;  ///< active with another calendar's plan (Dispatcher::keep_store_plan)
    bool calendar_differs() const { return !store_calendar.empty() && calendar != store_calendar; }
  };
  std::optional<Shared> shared;
};

/// Which deliveries /api/v1/queue lists: by default every one not yet out
/// (planned, waiting, held, sending, retry_wait) and the ones needing a
/// person (failed, needs_review), ordered by planned time.
struct QueueFilter {
  std::string channel;          ///< empty: all channels
  std::optional<State> state;   ///< only this state
  int limit = 100;              ///< at most this many (1..1000)
};

/// The outcome of a POST: 200 with the delivery (if any), 404 unknown key or
/// channel, 409 when the state does not allow it, 400 for a bad argument.
struct ActionResult {
  int http_status = 200;
  std::string error;                    ///< for a person, when not 200
  std::optional<StoredDelivery> delivery;  ///< the delivery after the action
  std::vector<Pause> pauses;            ///< pause/resume: the pauses in force after it
  /// 409 from an instance standing by: the instance that can do it (the
  /// answer's `active_instance`, so the herald command can say where).
  std::string active_instance = {};
};

/// /healthz: ok while the loop's heartbeat is fresh and the store writable.
struct Health {
  bool ok = true;
  std::string reason;  ///< why not
};

/// One delivery as the page's calendar shows it (GET /api/v1/calendar): the
/// exact text its network receives (as sent, else as it would be composed
/// now), its media, and its counters as last read.
struct CalendarEntry {
  StoredDelivery delivery;
  std::string channel_kind;  ///< the platform: x, mastodon, ...
  std::string post_kind;     ///< promo, help, tip, news, other; "" when no longer in the calendar
  std::string campaign;
  std::string title;
  std::string text;
  std::vector<std::string> thread;     ///< x: the replies after the first post
  std::vector<std::string> media_alt;  ///< one per media file (api/v1/media?post=&n=)
  ReportTotals counters;               ///< the common words as last read; empty: none yet
  std::optional<Instant> read_at;
};

class StatusBackend {
 public:
  virtual ~StatusBackend() = default;
  virtual DaemonStatus status() = 0;
  virtual std::vector<StoredDelivery> queue(const QueueFilter& filter) = 0;
  virtual std::optional<StoredDelivery> delivery(const std::string& key) = 0;
  /// Newest first; only events of `key` when it is not empty.
  virtual std::vector<HistoryEvent> history(int limit, const std::string& key) = 0;
  /// What went out in a period and its engagement (GET /api/v1/report);
  /// nullopt where reports are not available.
  virtual std::optional<Report> report(const ReportQuery&) { return std::nullopt; }
  /// Deliveries planned in [from, to), cancelled ones aside (the page's
  /// week and month); none where not available.
  virtual std::vector<CalendarEntry> calendar(Instant /*from*/, Instant /*to*/) { return {}; }
  /// A delivery's counters as read over time, oldest first.
  virtual std::vector<EngagementSample> engagement(const std::string& /*key*/) { return {}; }
  /// The n-th media file of a post of the running calendar, if it has one
  /// and it is an image (the page's thumbnails): nothing else is served.
  virtual std::optional<std::filesystem::path> media_file(const std::string& /*post*/, int /*n*/) {
    return std::nullopt;
  }
  /// A person looked at the conversations to answer: the next report's
  /// conversations start now (POST /api/v1/report/looked).
  virtual ActionResult looked() { return {404, "reports are not available here", {}, {}}; }
  /// Pauses everything (empty channel) or one channel, with a reason, until a time or until resumed.
  virtual ActionResult pause(const std::string& reason, const std::string& channel, std::optional<Instant> until) = 0;
  virtual ActionResult resume(const std::string& channel) = 0;
  /// A failed or needs_review delivery goes out again (planned, now).
  virtual ActionResult retry(const std::string& key) = 0;
  /// A person confirms a needs_review (or failed) delivery went out at `url`: published.
  virtual ActionResult resolve(const std::string& key, const std::string& url) = 0;
  /// Reads the calendar again now; with `accept_cancellations` an edit that
  /// would cancel many pending deliveries is applied instead of held.
  virtual ActionResult reload(bool /*accept_cancellations*/) { return {404, "reload is not available here", {}, {}}; }
  virtual Health health() = 0;
  /// Prometheus text exposition format (version 0.0.4).
  virtual std::string metrics() = 0;
};

}  // namespace herald
