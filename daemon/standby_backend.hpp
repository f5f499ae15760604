#pragma once
// The status endpoint of an instance standing by on a shared store
// (DESIGN.md "The store beyond one host"): it reads the shared store, so
// `herald status`, the queue, the history, the page and /metrics show
// what the active instance does, marked "standby" with the active
// instance's name; actions that need the active instance are refused with
// 409 and that name (the herald command then writes a pause or resume into
// the shared store itself, where every instance holds it).
//
// The store is shared with the daemon's standby loop (its lease tries):
// both reach it through with_store(), one at a time, so a status request
// never waits for the loop and the loop never waits for more than one read.

#include "daemon/metrics.hpp"
#include "daemon/status_backend.hpp"
#include "scheduler/clock.hpp"
#include "scheduler/planned.hpp"

#include <memory>
#include <mutex>
#include <string>

namespace herald {

class StandbyBackend : public StatusBackend {
 public:
  /// What the standby loop last found; the answers are made of it and the store.
  struct View {
    std::shared_ptr<const LoadedCalendar> calendar;  ///< this host's, as last read
    std::string calendar_fingerprint;                ///< calendar_fingerprint() of it
    std::string active_instance;                     ///< the lease's holder
    std::string store_calendar;                      ///< Store::applied_calendar()
    std::string problem;                             ///< why the store could not be asked; empty when it could
  };

  StandbyBackend(Store& store, const Clock& clock, Metrics& metrics, std::string instance, Instant started,
                 View view);

  /// Runs `f(store)` while no status request reads the store. A status
  /// request that waits longer than a few seconds for it (the loop's lease
  /// try stuck on an unreachable database) answers 503 (BackendBusy).
  template <typename F>
  auto with_store(F f) -> decltype(f(std::declval<Store&>())) {
    std::unique_lock lock(store_mutex_, std::defer_lock);
    if (!lock.try_lock_for(kStoreWait)) throw BackendBusy("the shared store did not answer in time");
    return f(store_);
  }
  /// The same for the daemon's loop, which waits as long as it must.
  template <typename F>
  auto with_store_waiting(F f) -> decltype(f(std::declval<Store&>())) {
    std::lock_guard lock(store_mutex_);
    return f(store_);
  }
  void update(View view);

  DaemonStatus status() override;
  std::vector<StoredDelivery> queue(const QueueFilter& filter) override;
  std::optional<StoredDelivery> delivery(const std::string& key) override;
  std::vector<HistoryEvent> history(int limit, const std::string& key) override;
  /// From the shared store; campaigns and kinds are the active instance's to say.
  std::optional<Report> report(const ReportQuery& query) override;
  ActionResult looked() override;
  ActionResult pause(const std::string& reason, const std::string& channel, std::optional<Instant> until) override;
  ActionResult resume(const std::string& channel) override;
  ActionResult retry(const std::string& key) override;
  ActionResult resolve(const std::string& key, const std::string& url) override;
  ActionResult reload(bool accept_cancellations) override;
  Health health() override;
  std::string metrics() override;

 private:
  View view() const;
  ActionResult refuse(const std::string& what) const;

  static constexpr std::chrono::seconds kStoreWait{5};
  Store& store_;
  std::timed_mutex store_mutex_;
  const Clock& clock_;
  Metrics& metrics_;
  const std::string instance_;
  const Instant started_;
  mutable std::mutex view_mutex_;
  View view_;
};

}  // namespace herald
