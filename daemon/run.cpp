#include "daemon/run.hpp"

#include "config/calendar.hpp"
#include "connectors/credentials.hpp"
#include "connectors/http_client.hpp"
#include "connectors/worker_pool.hpp"
#include "daemon/connector_factory.hpp"
#include "daemon/control.hpp"
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
#include <sys/inotify.h>

#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <future>
#include <map>
#include <memory>

namespace herald {

namespace {

namespace asio = boost::asio;

/// How far ahead deliveries are written to the store; refreshed hourly, so
/// repeating posts always have their next weeks planned.
constexpr date::days kStoreHorizon{35};
constexpr std::chrono::hours kResyncEvery{1};
/// Editors save in bursts (write, rename, chmod): wait for quiet first.
constexpr std::chrono::milliseconds kReloadDebounce{300};

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
        [&c, r = std::move(r)] {
          PublishResult result = c.publish(r);
          fault_point("after_request");
          return result;
        },
        std::move(done));
  }
  void lookup(Connector& c, PublishRequest r, std::function<void(LookupResult)> done) override {
    run_async(pool_, post_back(), [&c, r = std::move(r)] { return c.lookup(r); }, std::move(done));
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
    Diagnostics diags;
    started_ = clock_.now();
    last_reload_ = started_;
    cal_ = load(config_, clock_.now(), diags);
    if (!cal_) {
      for (const auto& d : diags.sorted()) log_.log(d.severity == Severity::error ? Priority::error : Priority::warning, format(d));
      log_.error("not starting: the calendar has errors");
      return 1;
    }
    state_dir_ = cal_->settings.state_dir;
    try {
      store_ = Store::open(cal_->settings.state_dir);
    } catch (const std::exception& e) {
      log_.error(std::string("cannot open the state directory: ") + e.what());
      return 1;
    }
    {
      std::ofstream pid(pid_file(cal_->settings));
      pid << ::getpid() << '\n';
    }
    connector_state_ = std::make_unique<LoopConnectorState>(io_, *store_, clock_);
    dispatcher_ = std::make_unique<Dispatcher>(*store_, clock_, executor_, log_);
    dispatcher_->on_change = [this](const std::string& channel) { rearm_after(channel); };
    dispatcher_->on_result = [this](const std::string& channel, const PublishResult& result, Instant planned,
                                    Instant now) {
      metrics_.attempt(channel);
      metrics_.result(channel, outcome_of(result));
      if (std::holds_alternative<Published>(result)) metrics_.lateness(channel, now - planned);
    };
    metrics_.reload(true, started_);
    apply(cal_);
    log_.info("herald started: " + std::to_string(cal_->calendar.posts.size()) + " posts, state in " +
              cal_->settings.state_dir.string());
    // Nothing is sent until every delivery left `sending` by a crash has been
    // looked up; then the late window, then everything due, in planned order.
    dispatcher_->reconcile([this] {
      dispatcher_->apply_late_window("was down");
      reconciled_ = true;
      rearm_all();
    });
    if (!start_status_server()) {
      stop();
      io_.run();  // lets the cancelled handlers finish
      executor_.join();
      return 1;
    }
    // The calendar and the store are open: systemd may consider us started.
    notify_.ready(status_line_text());

    wait_signal();
    watch_calendar();
    schedule_resync();
    beat();
    io_.run();
    notify_.stopping();
    if (server_) server_->stop();
    executor_.join();
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
  }

  void apply(std::shared_ptr<LoadedCalendar> cal) {
    cal_ = std::move(cal);
    dispatcher_->configure(cal_);
    // Connectors of the previous calendar may still be in use by a request in
    // flight; they are kept until the daemon stops.
    for (auto& c : connectors_) retired_.push_back(std::move(c));
    connectors_.clear();
    channel_problems_.clear();
    for (const auto& c : cal_->settings.channels) {
      // A channel without usable credentials publishes nothing: its
      // deliveries wait (visible in the queue) until the file is fixed and
      // the calendar reloaded; the other channels go on.
      std::vector<std::string> warnings;
      try {
        auto conn = make_connector(c, cal_->settings, {http_, *connector_state_, [this] { return clock_.now(); }},
                                   warnings);
        dispatcher_->set_connector(c.name, conn.get());
        connectors_.push_back(std::move(conn));
      } catch (const CredentialError& e) {
        log_.error("channel " + c.name + " cannot publish: " + e.what());
        channel_problems_[c.name] = e.what();
        dispatcher_->set_connector(c.name, nullptr);
      }
      for (const auto& w : warnings) log_.warning("channel " + c.name + ": " + w);
    }
    sync();
    give_back_memory();
  }

  // Reading a calendar builds yaml-cpp's node tree (about 20 times the
  // file's size) and a plan; both are freed by now, but glibc keeps the
  // pages. A daemon that reloaded a large calendar once should not hold
  // its peak for the rest of its life.
  static void give_back_memory() { ::malloc_trim(0); }

  void reload(const std::string& why) {
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
      store_->note("calendar_rejected", errors, clock_.now());
      give_back_memory();
      notify_.ready(status_line_text());
      return;
    }
    last_reload_error_.clear();
    ++reloads_ok_;
    log_.info("calendar reloaded (" + why + ")");
    store_->note("calendar_reloaded", why, clock_.now());
    apply(std::move(cal));
    rearm_all();
    notify_.ready(status_line_text());
  }

  void rearm_all() {
    if (!reconciled_) return;
    for (const auto& c : dispatcher_->channels()) {
      dispatcher_->pump(c);
      arm(c);
    }
  }

  // A delivery of `channel` finished: that channel goes on, and so do the
  // channels with deliveries waiting for another's URL. Only those: pumping
  // every channel after every delivery made a large calendar quadratic.
  void rearm_after(const std::string& channel) {
    if (!reconciled_) return;
    dispatcher_->pump(channel);
    arm(channel);
    for (const auto& c : store_->channels_in(State::waiting)) {
      if (c == channel) continue;
      dispatcher_->pump(c);
      arm(c);
    }
  }

  // Each turn of a channel's timer: publish what is due, then sleep until
  // the channel's next due time, retry, or the end of a spacing/rate wait.
  void arm(const std::string& channel) {
    auto& timer = timers_.try_emplace(channel, io_).first->second;
    auto wake = dispatcher_->next_wake(channel);
    if (!wake || stopping_) {
      timer.cancel();
      return;
    }
    timer.expires_at(std::chrono::system_clock::time_point(wake->time_since_epoch()));
    timer.async_wait([this, channel](const boost::system::error_code& ec) {
      if (ec || stopping_) return;
      dispatcher_->pump(channel);
      arm(channel);
    });
  }

  void wait_signal() {
    signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        reload("SIGHUP");
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
    for (auto& [name, timer] : timers_) timer.cancel();
    debounce_.cancel();
    resync_.cancel();
    heartbeat_.cancel();
    if (watch_) watch_->cancel();
    signals_.cancel();
  }

  // The loop's heartbeat: /healthz reads it from the server's thread.
  void beat() {
    heartbeat_ms_.store(steady_ms());
    // WATCHDOG=1 from the loop itself, so a stuck loop gets restarted;
    // systemd wants it at least every WatchdogSec, the beat is far faster.
    if (watchdog_) notify_.watchdog();
    if (++beats_ % kStatusEvery == 0) notify_.status(status_line_text());
    heartbeat_.expires_after(kHeartbeatEvery);
    heartbeat_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec && !stopping_) beat();
    });
  }

  // The status endpoint, on its own threads; it reaches the loop through
  // backend_. Its settings are read at start: a changed `status:` needs a
  // restart.
  bool start_status_server() {
    const Settings& settings = cal_->settings;
    const auto token_file = settings.credentials_dir / settings.status.token;
    std::string error;
    auto token = read_status_token(token_file, error);
    if (!token)
      log_.warning("no status token (" + token_file.string() + ": " + error +
                   "): the status endpoint refuses every pause, resume, retry and resolve");
    server_ = std::make_unique<StatusServer>(settings.status, token.value_or(Secret()), *settings.zone, backend_, log_,
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
    StatusSummary summary;
    const Instant now = clock_.now();
    for (const auto& [channel, by_state] : store_->counts())
      for (const auto& [state, n] : by_state) {
        if (state == State::failed || state == State::needs_review) summary.attention += static_cast<std::size_t>(n);
        else if (state != State::published && state != State::cancelled) summary.queued += static_cast<std::size_t>(n);
      }
    for (const auto& p : store_->pauses())
      if (p.channel.empty() && (!p.until || *p.until > now)) summary.paused = true;
    auto next = store_->in_states(std::vector<State>{State::planned, State::retry_wait}, "", 1);
    if (!next.empty()) summary.next = StatusSummary::Next{next[0].channel, next[0].planned};
    return status_line(summary, *cal_->settings.zone, now);
  }

  void schedule_resync() {
    resync_.expires_after(kResyncEvery);
    resync_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping_) return;
      sync();
      rearm_all();
      schedule_resync();
    });
  }

  // inotify on the calendar's directory: editors that save by writing a new
  // file and renaming it over the old one are seen, as are direct writes.
  void watch_calendar() {
    const int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
      log_.warning("cannot watch the calendar (inotify); reload with SIGHUP");
      return;
    }
    std::error_code ec;
    const auto& cal = cal_->settings.calendar;
    const bool is_dir = std::filesystem::is_directory(cal, ec);
    watched_dir_ = is_dir ? cal : cal.parent_path();
    watched_name_ = is_dir ? std::string() : cal.filename().string();
    if (inotify_add_watch(fd, watched_dir_.c_str(),
                          IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM) < 0) {
      ::close(fd);
      log_.warning("cannot watch " + watched_dir_.string() + "; reload with SIGHUP");
      return;
    }
    watch_ = std::make_unique<asio::posix::stream_descriptor>(io_, fd);
    read_watch();
  }

  void read_watch() {
    watch_->async_wait(asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
      if (ec || stopping_) return;
      alignas(inotify_event) char buf[16384];
      bool relevant = false;
      for (;;) {
        const ssize_t n = ::read(watch_->native_handle(), buf, sizeof buf);
        if (n <= 0) break;
        for (ssize_t off = 0; off < n;) {
          const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
          const std::string name = ev->len ? ev->name : "";
          if (watched_name_.empty()) {
            relevant = relevant || (!name.empty() && name.front() != '.' &&
                                    (name.ends_with(".yaml") || name.ends_with(".yml")));
          } else {
            relevant = relevant || name == watched_name_;
          }
          off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
        }
      }
      if (relevant) {
        debounce_.expires_after(kReloadDebounce);
        debounce_.async_wait([this](const boost::system::error_code& e) {
          if (!e && !stopping_) reload("calendar changed");
        });
      }
      read_watch();
    });
  }

  std::string config_;
  Logger& log_;
  asio::io_context io_;
  SystemClock clock_;
  AsioExecutor executor_;
  std::unique_ptr<Store> store_;
  HttplibClient http_{kVersion};
  std::unique_ptr<LoopConnectorState> connector_state_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::shared_ptr<LoadedCalendar> cal_;
  std::vector<std::unique_ptr<Connector>> connectors_;
  std::vector<std::unique_ptr<Connector>> retired_;
  std::map<std::string, asio::system_timer> timers_;
  asio::signal_set signals_{io_};
  asio::steady_timer debounce_{io_};
  asio::steady_timer resync_{io_};
  std::unique_ptr<asio::posix::stream_descriptor> watch_;
  std::filesystem::path watched_dir_;
  std::string watched_name_;
  std::string last_reload_error_;
  bool stopping_ = false;
  bool reconciled_ = false;
  // For the status endpoint.
  std::filesystem::path state_dir_;
  Instant started_;
  Instant last_reload_;
  bool last_reload_ok_ = true;
  int reloads_ok_ = 0;
  int reloads_failed_ = 0;
  std::map<std::string, std::string> channel_problems_;
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
    const auto pauses = d.store_->pauses();
    for (const auto& p : pauses)
      if (p.channel.empty() && (!p.until || *p.until > out.now)) out.global_pause = p;
    auto counts = d.store_->counts();
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
      for (const auto& p : pauses)
        if (p.channel == c.name && (!p.until || *p.until > out.now)) cs.pause = p;
      cs.counts = counts[c.name];
      auto next = d.store_->in_states(std::vector<State>{State::planned, State::waiting, State::retry_wait}, c.name, 1);
      if (!next.empty()) cs.next = next.front();
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
    return daemon_.store_->in_states(states, filter.channel, filter.limit);
  });
}

std::optional<StoredDelivery> LoopBackend::delivery(const std::string& key) {
  return on_loop([this, key] { return daemon_.store_->get(key); });
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
    d.rearm_all();
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
    d.rearm_all();
    r.pauses = d.store_->pauses();
    return r;
  });
}

ActionResult LoopBackend::retry(const std::string& key) {
  return on_loop([this, key] {
    Daemon& d = daemon_;
    // The dispatcher's on_change re-arms the delivery's channel and the
    // channels waiting for it.
    auto done = d.dispatcher_->retry_by_hand(key);
    if (done.status != 200) return ActionResult{done.status, done.error, d.store_->get(key), {}};
    return ActionResult{200, "", d.store_->get(key), {}};
  });
}

ActionResult LoopBackend::resolve(const std::string& key, const std::string& url) {
  return on_loop([this, key, url] {
    Daemon& d = daemon_;
    // The dispatcher's on_change re-arms the delivery's channel and the
    // channels waiting for it.
    auto done = d.dispatcher_->resolve_by_hand(key, url);
    if (done.status != 200) return ActionResult{done.status, done.error, d.store_->get(key), {}};
    return ActionResult{200, "", d.store_->get(key), {}};
  });
}

Health LoopBackend::health() {
  const auto silent = std::chrono::milliseconds(steady_ms() - daemon_.heartbeat_ms_.load());
  if (silent > kStaleAfter)
    return {false, "the event loop has not run for " +
                       std::to_string(std::chrono::duration_cast<std::chrono::seconds>(silent).count()) + " s"};
  // The store is writable while its file is and the disk has room for a
  // transaction (the WAL grows by pages; a few MiB is plenty).
  const auto db = daemon_.state_dir_ / "herald.db";
  if (::access(db.c_str(), W_OK) != 0) return {false, "the state database " + db.string() + " is not writable"};
  struct statvfs fs {};
  if (::statvfs(daemon_.state_dir_.c_str(), &fs) == 0 &&
      static_cast<unsigned long long>(fs.f_bavail) * fs.f_frsize < 4ull * 1024 * 1024)
    return {false, "less than 4 MiB free for the state database in " + daemon_.state_dir_.string()};
  return {};
}

std::string LoopBackend::metrics() {
  auto gauges = on_loop([this] {
    Daemon& d = daemon_;
    MetricsGauges g;
    g.version = kVersion;
    const Instant now = d.clock_.now();
    g.deliveries = d.store_->counts();
    for (const auto& c : d.cal_->settings.channels) {
      auto& by_state = g.deliveries[c.name];
      int depth = 0;
      for (State st : {State::planned, State::waiting, State::held, State::sending, State::retry_wait})
        if (auto it = by_state.find(st); it != by_state.end()) depth += it->second;
      g.queue_depth[c.name] = depth;
      g.channel_paused[c.name] = false;
    }
    for (const auto& p : d.store_->pauses()) {
      if (p.until && *p.until <= now) continue;
      if (p.channel.empty()) g.paused = true;
      else g.channel_paused[p.channel] = true;
    }
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
