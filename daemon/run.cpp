#include "daemon/run.hpp"

// `herald run`: wires the daemon's parts (each does its own job: see
// daemon/README.md) and runs the event loop: the start-up order, the
// signals, the heartbeat and the stop.

#include "connectors/http_client.hpp"
#include "daemon/asio_executor.hpp"
#include "daemon/asio_wakes.hpp"
#include "daemon/calendar_applier.hpp"
#include "daemon/calendar_watch.hpp"
#include "daemon/control.hpp"
#include "daemon/instance_lock.hpp"
#include "daemon/loop_connector_state.hpp"
#include "daemon/loop_backend.hpp"
#include "daemon/metrics.hpp"
#include "daemon/standby_backend.hpp"
#include "daemon/status_client.hpp"
#include "daemon/status_page.hpp"
#include "daemon/status_server.hpp"
#include "daemon/status_snapshot.hpp"
#include "daemon/store_open.hpp"
#include "daemon/systemd_notify.hpp"
#include "daemon/version.hpp"
#include "scheduler/dispatcher.hpp"
#include "scheduler/fault.hpp"
#include "scheduler/store.hpp"

#include <boost/asio.hpp>

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

namespace herald {

namespace {

namespace asio = boost::asio;

constexpr std::chrono::hours kResyncEvery{1};
/// The loop beats this often; /healthz fails when it has not for a while.
constexpr std::chrono::seconds kHeartbeatEvery{1};
constexpr std::uint64_t kStatusEvery = 15;             // beats between STATUS= lines
constexpr std::uint64_t kCredentialCheckEvery = 3600;  // beats between looks at credentials' expiry
/// The exit status of an instance that lost the store's lease (EX_TEMPFAIL):
/// systemd's Restart=on-failure starts it again, as a standby.
constexpr int kExitDeposed = 75;

// This instance among those sharing a store: the host (store.instance, or
// the host name) and the process.
std::string instance_name(const std::string& configured) {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "unknown-host");
  return (configured.empty() ? std::string(host) : configured) + "/" + std::to_string(::getpid());
}

// The host part of an instance's name.
std::string host_of(const std::string& instance) { return instance.substr(0, instance.rfind('/')); }

// When each file a calendar was read from (and the settings, and their
// directories) last changed: a standby reads its calendar again only when
// this does.
using FileStamps = std::vector<std::pair<std::filesystem::path, std::filesystem::file_time_type>>;
FileStamps stamps_of(const LoadedCalendar& cal) {
  std::vector<std::filesystem::path> paths{cal.settings.file, cal.settings.calendar};
  for (const auto& f : cal.calendar.files) {
    paths.push_back(f);
    paths.push_back(f.parent_path());
  }
  FileStamps out;
  for (auto& p : paths) {
    std::error_code ec;
    const auto at = std::filesystem::last_write_time(p, ec);
    out.emplace_back(std::move(p), ec ? std::filesystem::file_time_type::min() : at);
  }
  return out;
}

// Renews a shared store's lease from a connection of its own while start-up
// (the first sync of a large calendar, the reconcile) keeps the event loop
// from doing it, so a lease shorter than the start-up does not lapse under
// an instance that is still starting. Stops (and joins) when destroyed, as
// the loop's own renewal takes over.
class StartupRenewal {
 public:
  StartupRenewal(std::unique_ptr<Store> store, std::string instance, std::chrono::milliseconds lease,
                 std::function<void(std::chrono::steady_clock::time_point)> renewed)
      : store_(std::move(store)), instance_(std::move(instance)), lease_(lease), renewed_(std::move(renewed)) {
    thread_ = std::thread([this] { run(); });
  }
  ~StartupRenewal() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  StartupRenewal(const StartupRenewal&) = delete;
  StartupRenewal& operator=(const StartupRenewal&) = delete;

 private:
  void run() {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, lease_ / 3, [this] { return stop_; })) {
      const auto asked = std::chrono::steady_clock::now();
      try {
        // Renewed only while this instance holds it; a lapsed lease is the
        // loop's to find (its writes are refused), not this thread's to retake.
        const LeaseInfo held = store_->lease();
        if (held.holder != instance_ || held.left <= std::chrono::milliseconds(0)) return;
        if (store_->take_lease(instance_, lease_).holder != instance_) return;
        renewed_(asked);
      } catch (const std::exception&) {
        // The store is away: the loop's renewal decides once it runs.
      }
    }
  }

  std::unique_ptr<Store> store_;
  const std::string instance_;
  const std::chrono::milliseconds lease_;
  std::function<void(std::chrono::steady_clock::time_point)> renewed_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

class Daemon {
 public:
  Daemon(std::string config, Logger& log, RunOptions options)
      : config_(std::move(config)), log_(log), options_(options) {}

  int run() {
    // First, so a SIGTERM during start-up is handled (queued until the loop runs), not fatal.
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) signals_.add(sig);
    if (!open()) {
      // A lease taken by an instance that cannot start is given up at once.
      startup_renewal_.reset();
      if (store_ && store_->shared()) {
        try {
          store_->release_lease();
        } catch (const std::exception&) {
          // It lapses by itself.
        }
      }
      return stopping_ ? 0 : 1;
    }
    // Every delivery left `sending` by a crash (or by the instance that held
    // the store's lease before) is settled before its channel sends anything
    // else; then the late window, then everything due, in planned order.
    dispatcher_->start(start_reason_);
    if (!start_status_server()) {
      stop();
      io_.run();  // lets the cancelled handlers finish
      executor_->join();
      return 1;
    }
    // The calendar and the store are open: systemd may consider us started.
    notify_.ready(status_line());
    wait_signal();
    calendar_watch_.start(applier_->settings().calendar);
    schedule_resync();
    if (store_->shared()) {
      startup_renewal_.reset();  // the loop renews from now on
      renew_lease();
    }
    beat();
    // No exception may end the loop: a handler that failed (the store, most
    // likely) becomes the store problem, and everything is pumped again once
    // it clears. run() returns normally only when every handler is done.
    for (;;) {
      try {
        io_.run();
        break;
      } catch (const std::exception& e) {
        watch_->trouble(std::string("unexpected failure on the event loop: ") + describe_store_failure(e));
      }
    }
    notify_.stopping();
    if (server_) server_->stop();
    executor_->join();
    watch_->wait();
    // Every answer in flight is written: a standby may take over at once.
    if (store_->shared() && exit_code_ == 0)
      watch_->guarded("giving up the store's lease", [&] { store_->release_lease(); });
    std::error_code ec;
    std::filesystem::remove(pid_file(applier_->settings()), ec);
    log_.info("herald stopped");
    return exit_code_;
  }

 private:
  // The calendar, the token, the lock, the store and the parts on them, in
  // that order; false (logged) when herald must not start.
  bool open() {
    Diagnostics diags;
    started_ = clock_.now();
    ComposeCache composed;  // the applier keeps it, so an edit composes only what it touched
    auto cal = CalendarApplier::load_checked(config_, started_, diags, nullptr, &composed);
    if (!cal) {
      for (const auto& d : diags.sorted())
        log_.log(d.severity == Severity::error ? Priority::error : Priority::warning, format(d));
      log_.error("not starting: the calendar has errors");
      return false;
    }
    const Settings& settings = cal->settings;
    // A daemon nobody can pause must not run (docs/operations.md): without
    // a readable token every `herald pause` would be refused.
    const auto token_file = settings.credentials_dir / settings.status.token;
    std::string token_error;
    token_ = read_status_token(token_file, token_error);
    if (!token_) {
      log_.error("not starting: the status token " + token_file.string() + " cannot be used (" + token_error +
                 "); without it nobody could pause herald. Put the token in that file (readable by herald), or "
                 "name another credential in status.token");
      return false;
    }
    std::string lock_error;
    lock_ = InstanceLock::acquire(settings.state_dir, lock_error);
    if (!lock_) {
      log_.error("not starting: " + lock_error);
      return false;
    }
    try {
      store_ = open_store(settings);
    } catch (const std::exception& e) {
      log_.error("not starting: cannot open the state database (" + store_location(settings) +
                 "): " + describe_store_failure(e));
      return false;
    }
    if (store_->shared()) {
      bool stood_by = false;
      if (!lead_or_stand_by(cal, stood_by)) return false;
      renew_during_start_up(cal->settings);
      if (stood_by) {
        // The calendar on disk now, not the one read when this instance began
        // to stand by (hours ago, perhaps, and deployed again since): what
        // the new active instance applies is what the operator has there.
        Diagnostics now_diags;
        ComposeCache now_composed;
        auto now_cal = CalendarApplier::load_checked(config_, clock_.now(), now_diags, nullptr, &now_composed);
        if (!now_cal) {
          for (const auto& d : now_diags.sorted())
            log_.log(d.severity == Severity::error ? Priority::error : Priority::warning, format(d));
          log_.error("not taking over: the calendar has errors; the store's lease is given up for another instance");
          return false;
        }
        choose_plan(*now_cal);
        return open_parts(std::move(now_cal), std::move(now_composed));
      }
      choose_plan(*cal);
    }
    return open_parts(std::move(cal), std::move(composed));
  }

  // The parts on the store, with the calendar this instance applies.
  bool open_parts(std::shared_ptr<LoadedCalendar> cal, ComposeCache composed) {
    const Settings& settings = cal->settings;
    {
      // Written only by the holder of the lock, and removed by it at exit.
      std::ofstream pid(pid_file(settings));
      pid << ::getpid() << '\n';
    }
    HttpLimits limits;
    limits.read_timeout = settings.publishing.request_timeout;
    limits.write_timeout = settings.publishing.request_timeout;
    http_ = std::make_unique<HttplibClient>(kVersion, limits);
    connector_state_ = std::make_unique<LoopConnectorState>(io_, *store_, clock_);
    executor_ = std::make_unique<AsioExecutor>(io_, static_cast<std::size_t>(settings.publishing.workers));
    if (store_->shared()) {
      executor_->guard_creates([this]() -> std::optional<std::string> {
        if (std::chrono::steady_clock::now().time_since_epoch().count() < lease_until_.load()) return std::nullopt;
        return "this instance's lease on the store may have lapsed";
      });
    }
    dispatcher_ = std::make_unique<Dispatcher>(*store_, clock_, *executor_, wakes_, log_, settings.publishing.workers);
    dispatcher_->on_result = [this](const std::string& channel, const PublishResult& result, Instant planned,
                                    Instant now) {
      metrics_.attempt(channel);
      metrics_.result(channel, outcome_of(result));
      if (std::holds_alternative<Published>(result)) metrics_.lateness(channel, now - planned);
      if (const auto* auth = std::get_if<AuthFailed>(&result)) applier_->credentials_refused(channel, auth->message);
      else if (std::holds_alternative<Published>(result)) applier_->credentials_work(channel);
    };
    // Counters of what went out are read on timers of their own, through
    // the executor's reading thread: never a create's worker.
    collector_ = std::make_unique<Collector>(*store_, clock_, *executor_, read_wakes_, log_);
    collector_->set_pauses([this](const std::string& channel) { return dispatcher_->pause_of(channel); });
    collector_->on_read = [this](const std::string& channel, const CountersResult& result) {
      metrics_.counter_read(channel, read_outcome(result));
      if (const auto* auth = std::get_if<AuthFailed>(&result)) applier_->credentials_refused(channel, auth->message);
      else if (std::holds_alternative<Counters>(result)) applier_->credentials_work(channel);
    };
    dispatcher_->on_published = [this](const std::string& channel) { collector_->published(channel); };
    watch_ = std::make_unique<StoreWatch>(*store_, *dispatcher_, clock_, log_, settings.state_dir);
    dispatcher_->on_store_failure = [this](const std::string& why) { watch_->trouble(why); };
    const std::string state_dir = settings.state_dir.string();
    const std::size_t posts = cal->calendar.posts.size();
    applier_ = std::make_unique<CalendarApplier>(
        config_, std::move(cal),
        CalendarApplier::Parts{*store_, *dispatcher_, *collector_, *watch_, *http_, *connector_state_, clock_, log_},
        std::move(composed));
    if (!kept_plan_.empty()) applier_->keep_store_plan(kept_plan_);
    if (store_->shared()) metrics_.calendar_differs(!kept_plan_.empty());
    metrics_.reload(true, started_);
    stall_point("start");  // a start-up longer than the lease, in tests
    if (!applier_->apply_first()) {
      log_.error("not starting: the state database cannot be written: " + watch_->problem());
      return false;
    }
    log_.info("herald started: " + std::to_string(posts) + " posts, state in " + state_dir);
    return true;
  }

  // Every channel's due deliveries, and every platform's counter reads
  // (a reload, a pause lifted, the store usable again).
  void pump_everything() {
    dispatcher_->pump_all();
    collector_->wake_all();
  }

  // Reads the calendar again (an edit, SIGHUP, `herald reload`); an applied
  // edit pumps every channel.
  void reload(const std::string& why, bool accept_cancellations = false, bool by_person = false) {
    notify_.reloading();
    const bool applied = applier_->reload(why, accept_cancellations, by_person);
    metrics_.reload(applier_->last_reload_ok(), applier_->last_reload());
    if (store_->shared()) metrics_.calendar_differs(!applier_->kept_plan().empty());
    if (applied) pump_everything();
    notify_.ready(status_line());
  }

  // A shared store (DESIGN.md "The store beyond one host"): one instance
  // dispatches, holding the store's lease. Until this one holds it, it
  // stands by, trying again every third of the lease, with the status
  // endpoint answering from the shared store (StandbyBackend) and its own
  // calendar read again whenever it changes (`cal`), so it can say whether
  // it is the one whose plan the store holds. False when it was stopped
  // meanwhile (or cannot start).
  bool lead_or_stand_by(std::shared_ptr<LoadedCalendar>& cal, bool& stood_by) {
    instance_ = instance_name(cal->settings.store.instance);
    lease_ = cal->settings.store.lease;
    std::string told, told_calendar;
    FileStamps stamps = stamps_of(*cal);
    for (;;) {
      const auto asked = std::chrono::steady_clock::now();
      LeaseInfo lease;
      std::string trouble, store_calendar;
      auto attempt = [&](Store& store) {
        try {
          previous_holder_ = store.lease().holder;
          lease = store.take_lease(instance_, lease_);
          store_calendar = store.applied_calendar();
        } catch (const std::exception& e) {
          trouble = describe_store_failure(e);
        }
      };
      if (standby_) standby_->with_store_waiting(attempt);
      else attempt(*store_);
      if (lease.holder == instance_) {
        hold_until(asked);
        stop_standby_endpoint();
        log_.info("this instance (" + instance_ + ") holds the store's lease (token " + std::to_string(lease.token) +
                  "); it dispatches");
        stood_by = !told.empty();
        if (stood_by) start_reason_ = "took over the store's lease";
        // A failover when the lease was another instance's (a new store's is no one's).
        metrics_.lease_taken(!previous_holder_.empty() && previous_holder_ != instance_);
        return true;
      }
      const std::string mine = calendar_fingerprint(cal->calendar, cal->settings.calendar);
      const StandbyBackend::View view{cal, mine, lease.holder, store_calendar, trouble};
      if (!standby_ && !start_standby_endpoint(*cal, view)) return false;
      standby_->update(view);
      metrics_.standing_by();
      const bool differs = !store_calendar.empty() && store_calendar != mine;
      metrics_.calendar_differs(differs);
      const std::string why = !trouble.empty() ? "cannot take the store's lease: " + trouble
                                               : "standing by: the active instance is " + lease.holder;
      if (why != told) {
        log_.info(why + "; this instance (" + instance_ + ") takes over if its lease lapses");
        notify_.ready(why);
        told = why;
      }
      const std::string calendar_news =
          differs ? "this host's calendar (" + mine + ") is not the one whose plan the shared store holds (" +
                        store_calendar + "): taking over, this instance would keep the store's plan. Deploy the "
                        "same calendar on every host"
                  : "";
      if (calendar_news != told_calendar) {
        if (differs) log_.warning(calendar_news);
        else if (!told_calendar.empty()) log_.info("this host's calendar is again the one whose plan the shared store holds");
        told_calendar = calendar_news;
      }
      if (!wait_or_stop(lease_ / 3)) {
        stop_standby_endpoint();
        return false;
      }
      // A calendar deployed here meanwhile: read again, so the status and
      // the comparison are of the calendar on disk now.
      if (FileStamps now = stamps_of(*cal); now != stamps) {
        stamps = std::move(now);
        Diagnostics diags;
        if (auto again = CalendarApplier::load_checked(config_, clock_.now(), diags, cal.get())) {
          cal = std::move(again);
          stamps = stamps_of(*cal);
        } else {
          log_.warning("the calendar on this host has errors; standing by with the one read before");
        }
      }
    }
  }

  // The status endpoint while standing by: the shared store's queue, marked
  // standby; actions refused with the active instance's name.
  bool start_standby_endpoint(const LoadedCalendar& cal, const StandbyBackend::View& view) {
    standby_ = std::make_unique<StandbyBackend>(*store_, clock_, metrics_, instance_, started_, view);
    standby_server_ = serve(cal.settings, *token_, *standby_);
    if (!standby_server_) {
      standby_.reset();
      return false;
    }
    log_.info("status endpoint on " + standby_server_->where() + " (standing by)");
    return true;
  }

  // Stops it (requests in flight finish: they wait on no loop) before the
  // active instance's endpoint takes the address.
  void stop_standby_endpoint() {
    if (standby_server_) standby_server_->stop();
    standby_server_.reset();
    standby_.reset();
  }

  // One calendar, one truth: the store's plan was written from the calendar
  // whose fingerprint it recorded. An instance taking over from another
  // host whose calendar is not that one keeps the store's plan, unless told
  // (herald run --take-over-with-my-calendar); one restarting on the host
  // that held the lease last applies its own (an edit made while it was down).
  void choose_plan(const LoadedCalendar& cal) {
    const std::string mine = calendar_fingerprint(cal.calendar, cal.settings.calendar);
    std::string theirs;
    try {
      theirs = store_->applied_calendar();
    } catch (const std::exception&) {
      return;  // the first apply meets the store's problem and says so
    }
    if (theirs.empty() || theirs == mine) return;
    if (previous_holder_.empty() || host_of(previous_holder_) == host_of(instance_)) {
      log_.info("this host's calendar (" + mine + ") changed since it applied " + theirs + "; it is applied");
      return;
    }
    if (options_.take_over_with_my_calendar) {
      log_.warning("this host's calendar (" + mine + ") is applied over the store's plan, written from " + theirs +
                   " by " + previous_holder_ + " (herald run --take-over-with-my-calendar)");
      return;
    }
    kept_plan_ = theirs;
    log_.error("this host's calendar (" + mine + ") is not the one whose plan the shared store holds (" + theirs +
               ", applied by " + previous_holder_ +
               "): the store's plan is kept, and only the deliveries this calendar plans the same are sent. Deploy "
               "the same calendar here (it is applied as soon as it is), or apply this one: herald reload");
  }

  // This instance's part, for the status (on the loop).
  std::optional<DaemonStatus::Shared> shared_status() {
    if (!store_->shared()) return std::nullopt;
    DaemonStatus::Shared out;
    out.instance = instance_;
    out.active = std::chrono::steady_clock::now().time_since_epoch().count() < lease_until_.load();
    out.active_instance = out.active ? instance_ : "";
    out.calendar = applier_->fingerprint();
    out.keeping_store_plan = !applier_->kept_plan().empty();
    try {
      out.active_instance = store_->lease().holder;
      out.store_calendar = store_->applied_calendar();
    } catch (const std::exception&) {
      // The status says the store is unavailable.
    }
    return out;
  }

  // Until the loop runs, the lease is renewed from another connection.
  void renew_during_start_up(const Settings& settings) {
    try {
      startup_renewal_ = std::make_unique<StartupRenewal>(
          open_store(settings), instance_, lease_,
          [this](std::chrono::steady_clock::time_point asked) { hold_until(asked); });
    } catch (const std::exception& e) {
      log_.warning("cannot renew the store's lease while starting (" + describe_store_failure(e) +
                   "); a start-up longer than store.lease loses it");
    }
  }

  // Waits `period` on the loop, or less when SIGTERM or SIGINT stops us.
  bool wait_or_stop(std::chrono::milliseconds period) {
    asio::steady_timer timer(io_, period);
    timer.async_wait([](const boost::system::error_code&) {});
    signals_.async_wait([this, &timer](const boost::system::error_code& ec, int sig) {
      if (ec || (sig != SIGTERM && sig != SIGINT)) return;
      log_.info("stopping on signal " + std::to_string(sig) + " while standing by");
      stopping_ = true;
      timer.cancel();
    });
    io_.run_one();  // the timer, or the signal (which cancels it)
    signals_.cancel();
    io_.run();      // the cancelled handler
    io_.restart();
    return !stopping_;
  }

  // Renews the lease every third of it. An instance that lost it (another
  // took it, or the store could not be reached until it lapsed) stops, with
  // exit status 75, and systemd starts it again as a standby: a deposed
  // instance has nothing in memory worth keeping.
  void renew_lease() {
    lease_timer_.expires_after(lease_ / 3);
    lease_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping_) return;
      const auto asked = std::chrono::steady_clock::now();
      try {
        const LeaseInfo lease = store_->take_lease(instance_, lease_);
        if (lease.holder != instance_) return depose("the store's lease passed to " + lease.holder);
        hold_until(asked);
        metrics_.lease_renewed();
        notice_pauses_elsewhere();
      } catch (const std::exception& e) {
        if (asked.time_since_epoch().count() >= lease_until_.load())
          return depose("the store's lease lapsed: it could not be renewed (" + describe_store_failure(e) + ")");
        log_.warning("cannot renew the store's lease (" + describe_store_failure(e) + "); trying again");
      }
      renew_lease();
    });
  }

  // A pause or resume written into the shared store by the herald command
  // on another host: the gate before each create has seen it; pumping makes
  // the queue show it, and brings held deliveries back after a resume.
  void notice_pauses_elsewhere() {
    std::vector<Pause> now;
    try {
      now = store_->pauses();
    } catch (const std::exception&) {
      return;
    }
    if (seen_pauses_ && now != *seen_pauses_) {
      log_.info("the pauses in the shared store changed; applying them now");
      pump_everything();
    }
    seen_pauses_ = std::move(now);
  }

  // The lease runs `lease_` from the moment the database renewed it, which
  // is after `asked`: creates stop a little before, so none leaves after a
  // standby may have taken over.
  void hold_until(std::chrono::steady_clock::time_point asked) {
    const auto margin = std::max<std::chrono::steady_clock::duration>(lease_ / 10, std::chrono::milliseconds(200));
    lease_until_.store((asked + lease_ - margin).time_since_epoch().count());
  }

  void depose(const std::string& why) {
    lease_until_.store(0);
    metrics_.lease_lost();
    log_.error(why + "; this instance (" + instance_ +
               ") stops dispatching and exits, so that it starts again as a standby");
    exit_code_ = kExitDeposed;
    stop();
  }

  // "12 queued, next x@09:15" for systemctl status.
  std::string status_line() {
    std::vector<std::string> channels = dispatcher_->channels();
    const StatusSnapshot snap = take_snapshot(*store_, dispatcher_.get(), channels, clock_.now());
    if (!snap.store_error.empty()) return "the state database is unavailable: " + snap.store_error;
    return herald::status_line(snap.summary(), *applier_->settings().zone, snap.now);
  }

  void wait_signal() {
    signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        reload("SIGHUP");
      } else if (sig == SIGUSR1) {
        // `herald pause`/`resume` wrote into the store directly (the
        // endpoint did not answer): the gate before each create has already
        // seen it; this makes the queue and the status show it now.
        log_.warning("pauses changed in the state database by the herald command; applying them now");
        pump_everything();
        notify_.status(status_line());
      } else {
        log_.info("stopping on signal " + std::to_string(sig));
        stop();
        return;
      }
      wait_signal();
    });
  }

  // Shut down by cancelling: wake-ups, the watch, the signals; in-flight
  // connector calls finish (or time out) and run() returns.
  void stop() {
    stopping_ = true;
    wakes_.stop();
    read_wakes_.stop();
    calendar_watch_.stop();
    resync_.cancel();
    lease_timer_.cancel();
    heartbeat_timer_.cancel();
    signals_.cancel();
  }

  // Each beat: /healthz's heartbeat, the store watch (and, once the store
  // is usable again, what waited for it), systemd's watchdog and STATUS=.
  void beat() {
    heartbeat_.beat();
    if (watch_->check(applier_->settings().state_check)) {
      const std::string why = applier_->take_reload_after_recovery();
      if (!why.empty()) reload(why + ", applied once the state database was usable");
      pump_everything();
    }
    // WATCHDOG=1 from the loop itself, so a stuck loop gets restarted;
    // systemd wants it at least every WatchdogSec, the beat is far faster.
    if (watchdog_) notify_.watchdog();
    if (++beats_ % kStatusEvery == 0) notify_.status(status_line());
    if (beats_ % kCredentialCheckEvery == 0) applier_->warn_of_expiring_credentials();
    heartbeat_timer_.expires_after(kHeartbeatEvery);
    heartbeat_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec && !stopping_) beat();
    });
  }

  void schedule_resync() {
    resync_.expires_after(kResyncEvery);
    resync_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping_) return;
      if (applier_->resync()) pump_everything();
      schedule_resync();
    });
  }

  // A status endpoint on `backend`, listening; nullptr (logged) when it cannot.
  std::unique_ptr<StatusServer> serve(const Settings& settings, Secret token, StatusBackend& backend) {
    auto server = std::make_unique<StatusServer>(settings.status, std::move(token), *settings.zone, backend, log_,
                                                 status_page_html);
    try {
      server->start();
    } catch (const std::exception& e) {
      log_.error(std::string("cannot start the status endpoint: ") + e.what());
      return nullptr;
    }
    return server;
  }

  // The status endpoint, on its own threads; it reaches the loop through
  // the backend. Its settings are read at start: a changed `status:` needs a
  // restart.
  bool start_status_server() {
    const Settings& settings = applier_->settings();
    backend_ = std::make_unique<LoopBackend>(LoopBackend::Parts{
        io_, *store_, *dispatcher_, *applier_, *watch_, heartbeat_, metrics_, clock_, started_,
        [this](bool accept) {
          reload(accept ? "herald reload --accept-cancellations" : "herald reload", accept, true);
        },
        [this] { pump_everything(); }, [this] { return shared_status(); }});
    server_ = serve(settings, std::move(*token_), *backend_);
    if (!server_) return false;
    log_.info("status endpoint on " + server_->where());
    return true;
  }

  std::string config_;
  Logger& log_;
  RunOptions options_;
  asio::io_context io_;
  SystemClock clock_;
  std::unique_ptr<AsioExecutor> executor_;  // its pool's size is a setting
  std::unique_ptr<Collector> collector_;
  AsioWakes wakes_{io_};
  AsioWakes read_wakes_{io_};  // the collector's, one booking per platform
  std::optional<Secret> token_;
  std::unique_ptr<InstanceLock> lock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<HttplibClient> http_;
  std::unique_ptr<LoopConnectorState> connector_state_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<StoreWatch> watch_;
  std::unique_ptr<CalendarApplier> applier_;
  asio::signal_set signals_{io_};
  asio::steady_timer resync_{io_};
  CalendarWatch calendar_watch_{io_, log_, [this] { return applier_->settings().reload.max_delay; },
                                [this] { reload("calendar changed"); }};
  asio::steady_timer heartbeat_timer_{io_};
  Heartbeat heartbeat_;
  std::uint64_t beats_ = 0;
  SystemdNotify notify_;
  bool watchdog_ = SystemdNotify::watchdog_interval().has_value();
  Metrics metrics_;
  std::unique_ptr<LoopBackend> backend_;
  std::unique_ptr<StatusServer> server_;
  Instant started_;
  bool stopping_ = false;
  int exit_code_ = 0;
  std::string start_reason_ = "was down";
  // A shared store's lease: this instance's name, the period, and until when
  // (steady clock) creates may leave; read by the workers.
  std::string instance_;
  std::chrono::milliseconds lease_{15000};
  std::atomic<std::chrono::steady_clock::rep> lease_until_{0};
  asio::steady_timer lease_timer_{io_};
  std::string previous_holder_;  // the lease's holder before this instance took it
  std::string kept_plan_;        // the store's calendar whose plan is kept (choose_plan)
  std::optional<std::vector<Pause>> seen_pauses_;
  // While standing by: the endpoint on the shared store.
  std::unique_ptr<StandbyBackend> standby_;
  std::unique_ptr<StatusServer> standby_server_;
  std::unique_ptr<StartupRenewal> startup_renewal_;
};

}  // namespace

int run_daemon(const std::string& config_path, Logger& log, const RunOptions& options) {
  Daemon daemon(config_path, log, options);
  return daemon.run();
}

}  // namespace herald
