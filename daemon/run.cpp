#include "daemon/run.hpp"

#include "config/calendar.hpp"
#include "connectors/credentials.hpp"
#include "connectors/http_client.hpp"
#include "connectors/worker_pool.hpp"
#include "daemon/connector_factory.hpp"
#include "daemon/control.hpp"
#include "daemon/loop_connector_state.hpp"
#include "daemon/version.hpp"
#include "scheduler/check.hpp"
#include "scheduler/dispatcher.hpp"
#include "scheduler/fault.hpp"
#include "scheduler/store.hpp"

#include <boost/asio.hpp>
#include <sys/inotify.h>

#include <fstream>
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

class Daemon {
 public:
  Daemon(std::string config, Logger& log) : config_(std::move(config)), log_(log), executor_(io_, 4) {}

  int run() {
    // First, so a SIGTERM during start-up is handled (queued until the loop runs), not fatal.
    signals_.add(SIGTERM);
    signals_.add(SIGINT);
    signals_.add(SIGHUP);
    Diagnostics diags;
    cal_ = load(config_, clock_.now(), diags);
    if (!cal_) {
      for (const auto& d : diags.sorted()) log_.log(d.severity == Severity::error ? Priority::error : Priority::warning, format(d));
      log_.error("not starting: the calendar has errors");
      return 1;
    }
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
    dispatcher_->on_change = [this] { rearm_all(); };
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

    wait_signal();
    watch_calendar();
    schedule_resync();
    io_.run();
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
        dispatcher_->set_connector(c.name, nullptr);
      }
      for (const auto& w : warnings) log_.warning("channel " + c.name + ": " + w);
    }
    sync();
  }

  void reload(const std::string& why) {
    Diagnostics diags;
    auto cal = load(config_, clock_.now(), diags);
    if (!cal) {
      const std::string errors = describe(diags);
      // Logged once per distinct error, so an editor saving a broken file
      // repeatedly does not flood the journal.
      if (errors != last_reload_error_) log_.error("calendar rejected, the last good one keeps running: " + errors);
      last_reload_error_ = errors;
      store_->note("calendar_rejected", errors, clock_.now());
      return;
    }
    last_reload_error_.clear();
    log_.info("calendar reloaded (" + why + ")");
    store_->note("calendar_reloaded", why, clock_.now());
    apply(std::move(cal));
    rearm_all();
  }

  void rearm_all() {
    if (!reconciled_) return;
    for (const auto& c : dispatcher_->channels()) {
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
    if (watch_) watch_->cancel();
    signals_.cancel();
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
};

}  // namespace

int run_daemon(const std::string& config_path, Logger& log) {
  Daemon daemon(config_path, log);
  return daemon.run();
}

}  // namespace herald
