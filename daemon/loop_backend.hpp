#pragma once
// The status server's view of the running daemon (StatusBackend): each
// call runs on the event loop (run_on_loop) and waits at most a deadline,
// answering 503 when the loop is busy; health() reads the heartbeat and the
// store watch only, so it answers even when the loop is stuck. It reaches
// the daemon through its parts' public interfaces, nothing else.

#include "daemon/calendar_applier.hpp"
#include "daemon/metrics.hpp"
#include "daemon/status_backend.hpp"
#include "daemon/status_snapshot.hpp"
#include "daemon/store_watch.hpp"

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>

namespace herald {

/// The loop's heartbeat: beat() on the loop, silence() from any thread.
class Heartbeat {
 public:
  void beat() { ms_.store(steady_ms()); }
  std::chrono::milliseconds silence() const { return std::chrono::milliseconds(steady_ms() - ms_.load()); }

 private:
  static std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  std::atomic<std::int64_t> ms_{steady_ms()};
};

class LoopBackend : public StatusBackend {
 public:
  struct Parts {
    boost::asio::io_context& io;
    Store& store;
    Dispatcher& dispatcher;
    const CalendarApplier& calendar;
    const StoreWatch& watch;
    const Heartbeat& heartbeat;
    Metrics& metrics;
    const Clock& clock;
    Instant started;
    /// The daemon's reload (on the loop): read the calendar again now.
    std::function<void(bool accept_cancellations)> reload;
    /// After a pause or resume: every channel pumped (on the loop).
    std::function<void()> pump_all;
    /// A shared store: this instance's part (on the loop); unset otherwise.
    std::function<std::optional<DaemonStatus::Shared>()> shared = {};
  };
  explicit LoopBackend(Parts parts) : parts_(std::move(parts)) {}

  DaemonStatus status() override;
  std::vector<StoredDelivery> queue(const QueueFilter& filter) override;
  std::optional<StoredDelivery> delivery(const std::string& key) override;
  std::vector<HistoryEvent> history(int limit, const std::string& key) override;
  std::optional<Report> report(const ReportQuery& query) override;
  std::vector<CalendarEntry> calendar(Instant from, Instant to) override;
  std::vector<EngagementSample> engagement(const std::string& key) override;
  std::optional<std::filesystem::path> media_file(const std::string& post, int n) override;
  ActionResult looked() override;
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
  StatusSnapshot snapshot();
  Parts parts_;
};

}  // namespace herald
