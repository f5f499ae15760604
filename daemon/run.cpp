#include "daemon/run.hpp"

#include "config/calendar.hpp"
#include "connectors/credentials.hpp"
#include "connectors/http_client.hpp"
#include "connectors/worker_pool.hpp"
#include "daemon/asio_wakes.hpp"
#include "daemon/calendar_watch.hpp"
#include "daemon/connector_factory.hpp"
#include "daemon/control.hpp"
#include "daemon/instance_lock.hpp"
#include "daemon/loop_connector_state.hpp"
#include "daemon/metrics.hpp"
#include "daemon/on_loop.hpp"
#include "daemon/status_backend.hpp"
#include "daemon/status_client.hpp"
#include "daemon/status_page.hpp"
#include "daemon/status_server.hpp"
#include "daemon/systemd_notify.hpp"
#include "daemon/version.hpp"
#include "scheduler/check.hpp"
#include "scheduler/dispatcher.hpp"
#include "scheduler/fault.hpp"
#include "scheduler/store.hpp"

#include <boost/asio.hpp>
#include <malloc.h>

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <mutex>

namespace herald {

namespace {

namespace asio = boost::asio;

/// How far ahead deliveries are written to the store; refreshed hourly, so
/// repeating posts always have their next weeks planned.
constexpr date::days kStoreHorizon{35};
constexpr std::chrono::hours kResyncEvery{1};
/// Editors save in bursts (write, rename, chmod): wait for quiet first.

class SystemClock : public Clock {
 public:
  Instant now() const override {
    return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  }
};

/// Runs connector calls on the worker pool and hands results back to the loop.
class AsioExecutor : public Executor {
 public:
  AsioExecutor(asio::io_context& io, std::size_t threads) : io_(io), pool_(threads) {}
  void publish(Connector& c, PublishRequest r, std::function<void(PublishResult)> done) override {
    run_async(
        pool_, post_back(),
        [&c, r = std::move(r)]() -> PublishResult {
          PublishResult result = Unsure{"no result"};
          // The request may have gone out before the connector failed (a
          // ConnectorState write that could not be made, say): unsure, so
          // it is settled, never resent blindly; and never an exception on
          // the loop.
          try {
            result = c.publish(r);
          } catch (const std::exception& e) {
            result = Unsure{std::string("the connector failed: ") + e.what()};
          }
          fault_point("after_request");
          return result;
        },
        std::move(done));
  }
  void lookup(Connector& c, PublishRequest r, std::function<void(LookupResult)> done) override {
    run_async(
        pool_, post_back(),
        [&c, r = std::move(r)]() -> LookupResult {
          try {
            return c.lookup(r);
          } catch (const std::exception& e) {
            return Unknown{std::string("the connector failed: ") + e.what()};
          }
        },
        std::move(done));
  }
  /// Lets running calls finish (each has its own deadline), then stops.
  void join() { pool_.stop(); }

 private:
  // Each call holds a work guard on the loop until its result has been
  // handled, so a graceful stop waits for requests in flight.
  PostBack post_back() {
    auto guard = std::make_shared<asio::executor_work_guard<asio::io_context::executor_type>>(io_.get_executor());
    return [this, guard](std::function<void()> f) { asio::post(io_, [guard, f = std::move(f)] { f(); }); };
  }

  asio::io_context& io_;
  WorkerPool pool_;
};

std::string describe(const Diagnostics& diags) {
  std::string out;
  for (const auto& d : diags.sorted())
    if (d.severity == Severity::error) out += (out.empty() ? "" : "; ") + format(d);
  return out;
}

/// Loads and checks settings and calendar; nullptr (with the errors in
/// `diags`) if anything is wrong, so a bad edit is rejected whole.
std::shared_ptr<LoadedCalendar> load(const std::string& config, Instant now, Diagnostics& diags) {
  auto settings = load_settings(config, SettingsEnvironment::from_process(), diags);
  if (!settings) return nullptr;
  auto loaded = std::make_shared<LoadedCalendar>();
  loaded->settings = std::move(*settings);
  auto calendar = load_calendar(loaded->settings, diags);
  if (!calendar) return nullptr;
  loaded->calendar = std::move(*calendar);
  auto report = check_calendar(loaded->calendar, loaded->settings, now, diags);
  if (diags.has_errors()) return nullptr;
  loaded->references = std::move(report.references);
  return loaded;
}

class Daemon;

/// The status server's view of the daemon: each call runs on the event loop
/// (asio::post) and waits at most kBackendDeadline; health() reads atomics
/// and the file system only, so it answers even when the loop is stuck.
class LoopBackend : public StatusBackend {
 public:
  explicit LoopBackend(Daemon& daemon) : daemon_(daemon) {}
  DaemonStatus status() override;
  std::vector<StoredDelivery> queue(const QueueFilter& filter) override;
  std::optional<StoredDelivery> delivery(const std::string& key) override;
  std::vector<HistoryEvent> history(int limit, const std::string& key) override;
  ActionResult pause(const std::string& reason, const std::string& channel, std::optional<Instant> until) override;
  ActionResult resume(const std::string& channel) override;
  ActionResult retry(const std::string& key) override;
  ActionResult resolve(const std::string& key, const std::string& url) override;
  ActionResult reload(bool accept_cancellations) override;
  Health health() override;
  std::string metrics() override;

 private:
  template <typename F>
  auto on_loop(F f) -> decltype(f());
  Daemon& daemon_;
};

/// How long a status request waits for the loop before answering 503.
constexpr std::chrono::seconds kBackendDeadline{5};
/// The loop beats this often; /healthz fails when it has not for kStaleAfter.
constexpr std::chrono::seconds kHeartbeatEvery{1};
// How many beats apart the credentials' expiry is looked at (an hour).
constexpr std::uint64_t kCredentialCheckEvery = 3600;
constexpr std::chrono::seconds kStaleAfter{10};

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class Daemon {
  friend class LoopBackend;

 public:
  Daemon(std::string config, Logger& log) : config_(std::move(config)), log_(log), executor_(io_, 4) {}

  int run() {
    // First, so a SIGTERM during start-up is handled (queued until the loop runs), not fatal.
    signals_.add(SIGTERM);
    signals_.add(SIGINT);
    signals_.add(SIGHUP);
    signals_.add(SIGUSR1);
    Diagnostics diags;
    started_ = clock_.now();
    last_reload_ = started_;
    cal_ = load(config_, clock_.now(), diags);
    if (!cal_) {
      for (const auto& d : diags.sorted()) log_.log(d.severity == Severity::error ? Priority::error : Priority::warning, format(d));
      log_.error("not starting: the calendar has errors");
      return 1;
    }
    const Settings& settings = cal_->settings;
    // A daemon nobody can pause must not run (docs/operations.md): without
    // a readable token every `herald pause` would be refused.
    const auto token_file = settings.credentials_dir / settings.status.token;
    std::string token_error;
    auto token = read_status_token(token_file, token_error);
    if (!token) {
      log_.error("not starting: the status token " + token_file.string() + " cannot be used (" + token_error +
                 "); without it nobody could pause herald. Put the token in that file (readable by herald), or "
                 "name another credential in status.token");
      return 1;
    }
    state_dir_ = settings.state_dir;
    std::string lock_error;
    lock_ = InstanceLock::acquire(state_dir_, lock_error);
    if (!lock_) {
      log_.error("not starting: " + lock_error);
      return 1;
    }
    try {
      store_ = Store::open(state_dir_);
    } catch (const std::exception& e) {
      log_.error(std::string("not starting: cannot open the state database: ") + e.what());
      return 1;
    }
    {
      // Written only by the holder of the lock, and removed by it at exit.
      std::ofstream pid(pid_file(settings));
      pid << ::getpid() << '\n';
    }
    raise_file_limit();
    HttpLimits limits;
    limits.read_timeout = settings.publishing.request_timeout;
    limits.write_timeout = settings.publishing.request_timeout;
    http_ = std::make_unique<HttplibClient>(kVersion, limits);
    connector_state_ = std::make_unique<LoopConnectorState>(io_, *store_, clock_);
    dispatcher_ = std::make_unique<Dispatcher>(*store_, clock_, executor_, wakes_, log_);
    dispatcher_->on_result = [this](const std::string& channel, const PublishResult& result, Instant planned,
                                    Instant now) {
      metrics_.attempt(channel);
      metrics_.result(channel, outcome_of(result));
      if (std::holds_alternative<Published>(result)) metrics_.lateness(channel, now - planned);
    };
    dispatcher_->on_store_failure = [this](const std::string& why) { store_trouble(why); };
    metrics_.reload(true, started_);
    if (!guarded("applying the calendar", [&] { apply(cal_); })) {
      log_.error("not starting: the state database cannot be written: " + store_problem_text());
      return 1;
    }
    log_.info("herald started: " + std::to_string(cal_->calendar.posts.size()) + " posts, state in " +
              state_dir_.string());
    // Every delivery left `sending` by a crash is settled before its channel
    // sends anything else; then the late window, then everything due, in
    // planned order.
    dispatcher_->start("was down");
    if (!start_status_server(std::move(*token))) {
      stop();
      io_.run();  // lets the cancelled handlers finish
      executor_.join();
      return 1;
    }
    // The calendar and the store are open: systemd may consider us started.
    notify_.ready(status_line_text());

    wait_signal();
    watch_.start(cal_->settings.calendar);
    schedule_resync();
    beat();
    // No exception may end the loop: a handler that failed (the store, most
    // likely) becomes the store problem, and everything is re-armed once it
    // clears. run() returns normally only when every handler is done.
    for (;;) {
      try {
        io_.run();
        break;
      } catch (const std::exception& e) {
        store_trouble(std::string("unexpected failure on the event loop: ") + describe_store_failure(e));
      }
    }
    notify_.stopping();
    if (server_) server_->stop();
    executor_.join();
    if (deep_check_.valid()) deep_check_.wait();
    std::error_code ec;
    std::filesystem::remove(pid_file(cal_->settings), ec);
    log_.info("herald stopped");
    return 0;
  }

 private:
  // Writes the coming weeks to the store as a diff, in one transaction.
  void sync() {
    const Instant now = clock_.now();
    std::chrono::seconds longest_late{0};
    for (const auto& c : cal_->settings.channels) longest_late = std::max(longest_late, cal_->settings.late_window(c));
    const Instant from = now - longest_late - std::chrono::hours(1);
    const Instant to = now + kStoreHorizon;
    std::map<std::string, Instant> pinned;
    for (const auto& d : store_->all())
      if (d.queued && d.state != State::cancelled) pinned.emplace(d.key, d.planned);
    const auto planned = planned_deliveries(*cal_, now, from, to, pinned);
    const SyncResult r = store_->sync(planned, from, to, now);
    if (r.added || r.updated || r.cancelled)
      log_.info("calendar applied: " + std::to_string(r.added) + " added, " + std::to_string(r.updated) +
                " updated, " + std::to_string(r.cancelled) + " cancelled");
    if (r.to_verify)
      log_.warning("the state database is new (or not the one herald last sent through): " +
                   std::to_string(r.to_verify) +
                   " overdue deliveries are looked up on their platforms before anything is sent");
  }

  // The window sync() writes, and the plan for it, for the reload guard.
  struct PlanWindow {
    Instant from, to;
    std::vector<PlannedDelivery> planned;
  };
  PlanWindow plan_window(const LoadedCalendar& cal) {
    const Instant now = clock_.now();
    std::chrono::seconds longest_late{0};
    for (const auto& c : cal.settings.channels) longest_late = std::max(longest_late, cal.settings.late_window(c));
    PlanWindow w{now - longest_late - std::chrono::hours(1), now + kStoreHorizon, {}};
    std::map<std::string, Instant> pinned;
    for (const auto& d : store_->all())
      if (d.queued && d.state != State::cancelled) pinned.emplace(d.key, d.planned);
    w.planned = planned_deliveries(cal, now, w.from, w.to, pinned);
    return w;
  }

  void apply(std::shared_ptr<LoadedCalendar> cal) {
    cal_ = std::move(cal);
    dispatcher_->configure(cal_);
    // Connectors of the previous calendar may still be in use by a request in
    // flight; they are kept until the daemon stops.
    for (auto& c : connectors_) retired_.push_back(std::move(c));
    connectors_.clear();
    channel_problems_.clear();
    credential_warned_.clear();
    for (const auto& c : cal_->settings.channels) {
      // A channel without usable credentials publishes nothing: its
      // deliveries wait (visible in the queue) until the file is fixed and
      // the calendar reloaded; the other channels go on.
      std::vector<std::string> warnings;
      try {
        auto conn = make_connector(c, cal_->settings, {*http_, *connector_state_, [this] { return clock_.now(); }},
                                   warnings);
        dispatcher_->set_connector(c.name, conn.get());
        if (auto at = conn->credentials_expire_at()) credential_expiry_[c.name] = *at;
        else credential_expiry_.erase(c.name);
        connectors_.push_back(std::move(conn));
      } catch (const CredentialError& e) {
        log_.error("channel " + c.name + " cannot publish: " + e.what());
        channel_problems_[c.name] = e.what();
        dispatcher_->set_connector(c.name, nullptr);
      }
      for (const auto& w : warnings) log_.warning("channel " + c.name + ": " + w);
    }
    sync();
    warn_of_expiring_credentials();
    give_back_memory();
  }

  // Credentials the platform says will expire (LinkedIn's 60-day tokens):
  // a warning in the log once a day from a week before, and in the status.
  void warn_of_expiring_credentials() {
    const Instant now = clock_.now();
    for (const auto& [channel, at] : credential_expiry_) {
      auto warning = credential_expiry_warning(at, now);
      if (!warning) continue;
      auto last = credential_warned_.find(channel);
      if (last != credential_warned_.end() && now - last->second < std::chrono::hours(24)) continue;
      credential_warned_[channel] = now;
      log_.warning("channel " + channel + ": " + *warning);
    }
  }

  // Reading a calendar builds yaml-cpp's node tree (about 20 times the
  // file's size) and a plan; both are freed by now, but glibc keeps the
  // pages. A daemon that reloaded a large calendar once should not hold
  // its peak for the rest of its life.
  static void give_back_memory() { ::malloc_trim(0); }

  // Reads the calendar again and applies it, unless it would cancel a large
  // share of what is still to go out (a half-written or truncated file looks
  // exactly like that): then it is held, logged and shown in the status
  // until a person accepts it (`herald reload --accept-cancellations`).
  void reload(const std::string& why, bool accept_cancellations = false) {
    notify_.reloading();
    stall_point("reload");
    Diagnostics diags;
    last_reload_ = clock_.now();
    auto cal = load(config_, clock_.now(), diags);
    last_reload_ok_ = cal != nullptr;
    metrics_.reload(last_reload_ok_, last_reload_);
    if (!cal) {
      const std::string errors = describe(diags);
      // Logged once per distinct error, so an editor saving a broken file
      // repeatedly does not flood the journal.
      if (errors != last_reload_error_) log_.error("calendar rejected, the last good one keeps running: " + errors);
      last_reload_error_ = errors;
      ++reloads_failed_;
      guarded("noting the rejected calendar", [&] { store_->note("calendar_rejected", errors, clock_.now()); });
      give_back_memory();
      notify_.ready(status_line_text());
      return;
    }
    last_reload_error_.clear();
    const ReloadSettings& rules = cal_->settings.reload;
    reload_after_recovery_.clear();
    const bool applied = guarded("applying the calendar", [&] {
      const PlanWindow w = plan_window(*cal);
      const CancelPreview preview = store_->preview_cancellations(w.planned, w.from, w.to);
      const bool massive = preview.cancelled >= rules.hold_min &&
                           static_cast<double>(preview.cancelled) > rules.hold_share * preview.pending;
      if (massive && !accept_cancellations) {
        std::string sample;
        for (const auto& k : preview.sample) sample += (sample.empty() ? "" : ", ") + k;
        held_reload_ = HeldReload{clock_.now(), preview.cancelled, preview.pending, sample};
        const std::string text = "calendar edit held: it would cancel " + std::to_string(preview.cancelled) +
                                 " of the " + std::to_string(preview.pending) + " pending deliveries (" + sample +
                                 (preview.cancelled > static_cast<int>(preview.sample.size()) ? ", ..." : "") +
                                 "); the last applied calendar keeps running. If that is intended: herald reload "
                                 "--accept-cancellations";
        if (text != last_hold_text_) log_.warning(text);
        last_hold_text_ = text;
        store_->note("calendar_held", text, clock_.now());
        return;
      }
      held_reload_.reset();
      last_hold_text_.clear();
      store_->note("calendar_reloaded", why + (massive ? " (cancellations accepted)" : ""), clock_.now());
      apply(std::move(cal));
      ++reloads_ok_;
      log_.info("calendar reloaded (" + why + (massive ? "; cancellations accepted by a person" : "") + ")");
    });
    give_back_memory();
    if (applied) dispatcher_->pump_all();
    // An edit the store could not take is read again once it can: it must
    // not wait for the next edit.
    else reload_after_recovery_ = why;
    notify_.ready(status_line_text());
  }

  // Runs a store-touching step of the daemon itself; a failure becomes the
  // store problem (logged once, /healthz 503) instead of ending the loop.
  template <typename F>
  bool guarded(const char* what, F f) {
    try {
      f();
      return true;
    } catch (const std::exception& e) {
      store_trouble(std::string(what) + ": " + describe_store_failure(e));
      return false;
    }
  }

  // The store cannot be used: no create starts (the dispatcher holds), the
  // reason is logged once at <3>, and /healthz, the status and the metrics
  // say so until beat() finds it usable again.
  void store_trouble(const std::string& why) {
    dispatcher_->set_store_problem(why);
    set_store_problem_text(why);
    if (why != last_store_error_) log_.error("no create starts until the state database is usable again: " + why);
    last_store_error_ = why;
  }

  std::string store_problem_text() const {
    std::lock_guard lock(store_problem_mutex_);
    return store_problem_;
  }
  void set_store_problem_text(std::string why) {
    std::lock_guard lock(store_problem_mutex_);
    store_problem_ = std::move(why);
  }

  // Each beat: the store file is still herald's (deleted, replaced,
  // truncated, unwritable, no room), and every state_check the whole file is
  // read on a fresh connection to find damage the page cache would hide.
  // While a problem holds, each beat tries to clear it: the file checks out,
  // a write commits (a full disk has room again), and a damage finding is
  // gone; then what waited in memory is written and everything re-armed.
  void watch_store() {
    const Instant now = clock_.now();
    // The file first: a deep check opens the path anew, and a file that is
    // no longer herald's would be read with herald's log.
    if (auto problem = store_->check_file()) {
      const bool moved =
          problem->find("was deleted") != std::string::npos || problem->find("was replaced") != std::string::npos;
      if (moved && !rescued_) {
        rescue_copy();
        store_->set_aside_log(now);
      }
      store_trouble(*problem);
      return;
    }
    if (deep_check_.valid() && deep_check_.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      deep_finding_ = deep_check_.get();
      if (deep_finding_) store_trouble(*deep_finding_);
    }
    if (!deep_check_.valid() && (!last_deep_check_ || now - *last_deep_check_ >= cal_->settings.state_check)) {
      last_deep_check_ = now;
      deep_check_ = std::async(std::launch::async, [file = store_->file()] { return Store::deep_check(file); });
    }
    if (!dispatcher_->store_problem()) return;
    if (deep_finding_) return;  // damage stays until a check finds the file sound
    try {
      store_->probe_write(now);
    } catch (const std::exception& e) {
      store_trouble(describe_store_failure(e));
      return;
    }
    dispatcher_->set_store_problem(std::nullopt);
    if (dispatcher_->store_problem()) {
      store_trouble(*dispatcher_->store_problem());
      return;
    }
    set_store_problem_text({});
    last_store_error_.clear();
    log_.info("the state database is usable again; publishing goes on");
    guarded("noting the recovery", [&] { store_->note("store_recovered", "the state database is usable again", now); });
    if (!reload_after_recovery_.empty()) reload(reload_after_recovery_ + ", applied once the state database was usable");
    dispatcher_->pump_all();
  }

  // herald still has the deleted or replaced database open: a copy next to
  // where it was lets the operator put it back (docs/operations.md).
  void rescue_copy() {
    rescued_ = true;
    const auto copy = state_dir_ / ("herald.db.rescued-" + std::to_string(clock_.now().time_since_epoch().count()));
    try {
      store_->backup_to(copy);
      log_.error("a copy of the state database herald had open is in " + copy.string() +
                 "; to go on: stop herald, move that copy to " + store_->file().string() + ", start herald");
    } catch (const std::exception& e) {
      log_.error("could not write a copy of the state database herald had open to " + copy.string() + ": " +
                 describe_store_failure(e));
    }
  }

  // 1,000 connections to the status port cost 1,000 descriptors; the soft
  // limit (often 1024) would let them starve the store and the connectors.
  static void raise_file_limit() {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
      lim.rlim_cur = lim.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &lim);
    }
  }

  void wait_signal() {
    signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        reload("SIGHUP");
        wait_signal();
        return;
      }
      if (sig == SIGUSR1) {
        // `herald pause`/`resume` wrote into the store directly (the
        // endpoint did not answer): the gate before each create has already
        // seen it; this makes the queue and the status show it now.
        log_.warning("pauses changed in the state database by the herald command; applying them now");
        dispatcher_->pump_all();
        notify_.status(status_line_text());
        wait_signal();
        return;
      }
      log_.info("stopping on signal " + std::to_string(sig));
      stop();
    });
  }

  // Shut down by cancelling: timers, the watch, the signals; in-flight
  // connector calls finish (or time out) and run() returns.
  void stop() {
    stopping_ = true;
    wakes_.stop();
    watch_.stop();
    resync_.cancel();
    heartbeat_.cancel();
    signals_.cancel();
  }

  // The loop's heartbeat: /healthz reads it from the server's thread.
  void beat() {
    heartbeat_ms_.store(steady_ms());
    watch_store();
    // WATCHDOG=1 from the loop itself, so a stuck loop gets restarted;
    // systemd wants it at least every WatchdogSec, the beat is far faster.
    if (watchdog_) notify_.watchdog();
    if (++beats_ % kStatusEvery == 0) guarded("the status line", [&] { notify_.status(status_line_text()); });
    if (beats_ % kCredentialCheckEvery == 0) warn_of_expiring_credentials();
    heartbeat_.expires_after(kHeartbeatEvery);
    heartbeat_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec && !stopping_) beat();
    });
  }

  // The status endpoint, on its own threads; it reaches the loop through
  // backend_. Its settings are read at start: a changed `status:` needs a
  // restart.
  bool start_status_server(Secret token) {
    const Settings& settings = cal_->settings;
    server_ = std::make_unique<StatusServer>(settings.status, std::move(token), *settings.zone, backend_, log_,
                                             status_page_html);
    try {
      server_->start();
    } catch (const std::exception& e) {
      log_.error(std::string("cannot start the status endpoint: ") + e.what());
      server_.reset();
      return false;
    }
    const std::string& listen = settings.status.listen;
    const std::string where = listen.starts_with("unix:") || server_->bound_port() == 0
                                  ? listen
                                  : listen.substr(0, listen.rfind(':') + 1) + std::to_string(server_->bound_port());
    log_.info("status endpoint on " + where);
    return true;
  }

  // "12 queued, next x@09:15" for systemctl status.
  std::string status_line_text() {
    try {
      return status_line_unguarded();
    } catch (const std::exception& e) {
      return "the state database is unavailable: " + describe_store_failure(e);
    }
  }
  std::string status_line_unguarded() {
    StatusSummary summary;
    const Instant now = clock_.now();
    for (const auto& [channel, by_state] : store_->counts())
      for (const auto& [state, n] : by_state) {
        if (needs_attention(state)) summary.attention += static_cast<std::size_t>(n);
        else if (state != State::published && state != State::cancelled) summary.queued += static_cast<std::size_t>(n);
      }
    for (const auto& p : store_->pauses())
      if (p.channel.empty() && p.active_at(now)) summary.paused = true;
    auto next = store_->in_states(std::vector<State>{State::planned, State::retry_wait}, "", 1);
    if (!next.empty()) summary.next = StatusSummary::Next{next[0].channel, next[0].planned};
    return status_line(summary, *cal_->settings.zone, now);
  }

  void schedule_resync() {
    resync_.expires_after(kResyncEvery);
    resync_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping_) return;
      if (!dispatcher_->store_problem() && guarded("writing the coming weeks", [&] { sync(); })) dispatcher_->pump_all();
      schedule_resync();
    });
  }

  /// A calendar edit that was read but not applied (it would cancel too much).
  struct HeldReload {
    Instant at;
    int cancelled = 0;
    int pending = 0;
    std::string sample;
  };

  std::string config_;
  Logger& log_;
  asio::io_context io_;
  SystemClock clock_;
  AsioExecutor executor_;
  std::unique_ptr<InstanceLock> lock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<HttplibClient> http_;
  std::unique_ptr<LoopConnectorState> connector_state_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::shared_ptr<LoadedCalendar> cal_;
  std::vector<std::unique_ptr<Connector>> connectors_;
  std::vector<std::unique_ptr<Connector>> retired_;
  AsioWakes wakes_{io_};
  asio::signal_set signals_{io_};
  asio::steady_timer resync_{io_};
  CalendarWatch watch_{io_, log_, [this] { return cal_->settings.reload.max_delay; },
                      [this] { reload("calendar changed"); }};
  std::string last_reload_error_;
  std::optional<HeldReload> held_reload_;
  std::string reload_after_recovery_;  // why of an edit the store could not take
  std::string last_hold_text_;
  // The store watch (watch_store): the problem in words, read by /healthz on
  // the server's threads; the deep check running off the loop.
  mutable std::mutex store_problem_mutex_;
  std::string store_problem_;
  std::string last_store_error_;
  std::future<std::optional<std::string>> deep_check_;
  std::optional<std::string> deep_finding_;
  std::optional<Instant> last_deep_check_;
  bool rescued_ = false;
  bool stopping_ = false;
  // For the status endpoint.
  std::filesystem::path state_dir_;
  Instant started_;
  Instant last_reload_;
  bool last_reload_ok_ = true;
  int reloads_ok_ = 0;
  int reloads_failed_ = 0;
  std::map<std::string, std::string> channel_problems_;
  // When each channel's credentials expire, where the connector knows, and
  // when the log last warned about it.
  std::map<std::string, std::chrono::system_clock::time_point> credential_expiry_;
  std::map<std::string, Instant> credential_warned_;
  asio::steady_timer heartbeat_{io_};
  std::atomic<std::int64_t> heartbeat_ms_{steady_ms()};
  std::uint64_t beats_ = 0;
  static constexpr std::uint64_t kStatusEvery = 15;  // beats between STATUS= lines
  SystemdNotify notify_;
  bool watchdog_ = SystemdNotify::watchdog_interval().has_value();
  Metrics metrics_;
  LoopBackend backend_{*this};
  std::unique_ptr<StatusServer> server_;
};

template <typename F>
auto LoopBackend::on_loop(F f) -> decltype(f()) {
  try {
    return run_on_loop(daemon_.io_, std::move(f), kBackendDeadline);
  } catch (const LoopBusy& e) {
    throw BackendBusy(e.what());
  }
}

DaemonStatus LoopBackend::status() {
  return on_loop([this] {
    Daemon& d = daemon_;
    DaemonStatus out;
    out.version = kVersion;
    out.started = d.started_;
    out.now = d.clock_.now();
    out.timezone = d.cal_->settings.timezone;
    out.posts = d.cal_->calendar.posts.size();
    out.last_reload = d.last_reload_;
    out.last_reload_ok = d.last_reload_ok_;
    out.last_reload_error = d.last_reload_error_;
    out.store_problem = d.store_problem_text();
    if (d.held_reload_)
      out.held_reload = DaemonStatus::HeldReload{d.held_reload_->at, d.held_reload_->cancelled, d.held_reload_->pending,
                                                 d.held_reload_->sample};
    // The pause in force is asked of the dispatcher: it includes a pause the
    // store could not take yet.
    out.global_pause = d.dispatcher_->pause_of("");
    // What the store can still tell; when it cannot, the status says why
    // rather than failing.
    std::vector<Pause> pauses;
    std::map<std::string, std::map<State, int>> counts;
    try {
      pauses = d.store_->pauses();
      counts = d.store_->counts();
    } catch (const std::exception& e) {
      if (out.store_problem.empty()) out.store_problem = describe_store_failure(e);
    }
    for (const auto& [channel, by_state] : counts)
      for (const auto& [state, n] : by_state) out.counts[state] += n;
    for (const auto& c : d.cal_->settings.channels) {
      ChannelStatus cs;
      cs.name = c.name;
      cs.kind = c.kind;
      if (auto it = d.channel_problems_.find(c.name); it != d.channel_problems_.end()) {
        cs.can_publish = false;
        cs.problem = it->second;
      }
      if (auto it = d.credential_expiry_.find(c.name); it != d.credential_expiry_.end()) {
        cs.credentials_expire_at = std::chrono::floor<std::chrono::seconds>(it->second);
        cs.warning = credential_expiry_warning(it->second, out.now).value_or("");
      }
      for (const auto& p : pauses)
        if (p.channel == c.name && p.active_at(out.now)) cs.pause = p;
      cs.counts = counts[c.name];
      try {
        auto next =
            d.store_->in_states(std::vector<State>{State::planned, State::waiting, State::retry_wait}, c.name, 1);
        if (!next.empty()) {
          cs.next = next.front();
          cs.next->why = d.dispatcher_->why(*cs.next);
        }
      } catch (const std::exception&) {
      }
      out.channels.push_back(std::move(cs));
    }
    return out;
  });
}

std::vector<StoredDelivery> LoopBackend::queue(const QueueFilter& filter) {
  return on_loop([this, filter] {
    std::vector<State> states{State::planned, State::waiting,  State::held,         State::sending,
                              State::retry_wait, State::failed, State::needs_review};
    if (filter.state) states = {*filter.state};
    auto out = daemon_.store_->in_states(states, filter.channel, filter.limit);
    for (auto& d : out) d.why = daemon_.dispatcher_->why(d);
    return out;
  });
}

std::optional<StoredDelivery> LoopBackend::delivery(const std::string& key) {
  return on_loop([this, key] {
    auto d = daemon_.store_->get(key);
    if (d) d->why = daemon_.dispatcher_->why(*d);
    return d;
  });
}

std::vector<HistoryEvent> LoopBackend::history(int limit, const std::string& key) {
  return on_loop([this, limit, key] { return daemon_.store_->history(limit, key); });
}

ActionResult LoopBackend::pause(const std::string& reason, const std::string& channel, std::optional<Instant> until) {
  return on_loop([this, reason, channel, until] {
    Daemon& d = daemon_;
    ActionResult r;
    if (!channel.empty() && !d.cal_->settings.channel(channel))
      return ActionResult{404, "no channel '" + channel + "'", std::nullopt, {}};
    if (until && *until <= d.clock_.now()) return ActionResult{400, "'until' is in the past", std::nullopt, {}};
    d.dispatcher_->pause(channel, reason, until);
    d.dispatcher_->pump_all();
    r.pauses = d.store_->pauses();
    return r;
  });
}

ActionResult LoopBackend::resume(const std::string& channel) {
  return on_loop([this, channel] {
    Daemon& d = daemon_;
    ActionResult r;
    if (!d.dispatcher_->resume(channel))
      return ActionResult{409, (channel.empty() ? std::string("herald") : "channel '" + channel + "'") +
                                   " is not paused",
                          std::nullopt, d.store_->pauses()};
    d.dispatcher_->pump_all();
    r.pauses = d.store_->pauses();
    return r;
  });
}

ActionResult LoopBackend::retry(const std::string& key) {
  return on_loop([this, key] {
    Daemon& d = daemon_;
    // The dispatcher wakes the delivery's channel and the channels waiting for it.
    auto done = d.dispatcher_->retry_by_hand(key);
    if (done.status != 200) return ActionResult{done.status, done.error, d.store_->get(key), {}};
    return ActionResult{200, "", d.store_->get(key), {}};
  });
}

ActionResult LoopBackend::resolve(const std::string& key, const std::string& url) {
  return on_loop([this, key, url] {
    Daemon& d = daemon_;
    // The dispatcher wakes the delivery's channel and the channels waiting for it.
    auto done = d.dispatcher_->resolve_by_hand(key, url);
    if (done.status != 200) return ActionResult{done.status, done.error, d.store_->get(key), {}};
    return ActionResult{200, "", d.store_->get(key), {}};
  });
}

ActionResult LoopBackend::reload(bool accept_cancellations) {
  return on_loop([this, accept_cancellations] {
    Daemon& d = daemon_;
    d.reload(accept_cancellations ? "herald reload --accept-cancellations" : "herald reload", accept_cancellations);
    if (!d.last_reload_ok_) return ActionResult{422, "the calendar has errors: " + d.last_reload_error_, {}, {}};
    if (d.held_reload_)
      return ActionResult{409,
                          "the edit would cancel " + std::to_string(d.held_reload_->cancelled) + " of the " +
                              std::to_string(d.held_reload_->pending) + " pending deliveries (" +
                              d.held_reload_->sample +
                              "); it is held. If that is intended: herald reload --accept-cancellations",
                          {},
                          {}};
    return ActionResult{200, "", {}, {}};
  });
}

Health LoopBackend::health() {
  const auto silent = std::chrono::milliseconds(steady_ms() - daemon_.heartbeat_ms_.load());
  if (silent > kStaleAfter)
    return {false, "the event loop has not run for " +
                       std::to_string(std::chrono::duration_cast<std::chrono::seconds>(silent).count()) + " s"};
  // What the store watch found on the loop, every beat (a second): the file
  // deleted, replaced, damaged or without room, or a commit that failed.
  if (auto problem = daemon_.store_problem_text(); !problem.empty()) return {false, problem};
  return {};
}

std::string LoopBackend::metrics() {
  auto gauges = on_loop([this] {
    Daemon& d = daemon_;
    MetricsGauges g;
    g.version = kVersion;
    const Instant now = d.clock_.now();
    g.store_ok = d.store_problem_text().empty();
    g.reload_held = d.held_reload_.has_value();
    // The gauges the store cannot give now are left out; herald_store_ok says why.
    std::vector<Pause> pauses;
    try {
      g.deliveries = d.store_->counts();
      pauses = d.store_->pauses();
    } catch (const std::exception&) {
      g.store_ok = false;
    }
    for (const auto& c : d.cal_->settings.channels) {
      auto& by_state = g.deliveries[c.name];
      int depth = 0;
      for (State st : {State::planned, State::waiting, State::held, State::sending, State::retry_wait})
        if (auto it = by_state.find(st); it != by_state.end()) depth += it->second;
      g.queue_depth[c.name] = depth;
      g.channel_paused[c.name] = false;
      if (auto it = d.credential_expiry_.find(c.name); it != d.credential_expiry_.end())
        g.credentials_expire[c.name] = std::chrono::floor<std::chrono::seconds>(it->second);
    }
    for (const auto& p : pauses) {
      if (!p.active_at(now)) continue;
      if (p.channel.empty()) g.paused = true;
      else g.channel_paused[p.channel] = true;
    }
    if (d.dispatcher_->pause_of("")) g.paused = true;
    return g;
  });
  return daemon_.metrics_.render(gauges);
}

}  // namespace

int run_daemon(const std::string& config_path, Logger& log) {
  Daemon daemon(config_path, log);
  return daemon.run();
}

}  // namespace herald
