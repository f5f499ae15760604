#pragma once
// One look at the queue, taken on the event loop, that every report of it
// is made from: `herald status` and the page (DaemonStatus), /metrics
// (MetricsGauges) and systemd's STATUS= line (StatusSummary). So "queued",
// "needs attention", "paused" and "the next delivery" mean the same in all
// three.

#include "daemon/metrics.hpp"
#include "daemon/systemd_notify.hpp"
#include "scheduler/dispatcher.hpp"
#include "scheduler/store.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace herald {

struct StatusSnapshot {
  Instant now;
  /// channel -> state -> deliveries in the store (every channel the store has).
  std::map<std::string, std::map<State, int>> counts;
  /// The global pause in force, one the store could not take yet included.
  std::optional<Pause> global_pause;
  /// Each channel's own pause in force.
  std::map<std::string, Pause> channel_pauses;
  /// Per channel of the settings: the next delivery to go out (planned,
  /// waiting or retry_wait, by planned time then key), with its `why`.
  std::map<std::string, StoredDelivery> next;
  /// What the store could not tell, when it could not; empty otherwise.
  std::string store_error;

  /// All channels' deliveries in one state.
  int total(State s) const;
  /// A channel's deliveries not yet out (is_open).
  int queue_depth(const std::string& channel) const;
  /// The earliest of the channels' next deliveries.
  std::optional<StoredDelivery> next_overall() const;
  /// The STATUS= line's facts.
  StatusSummary summary() const;
  /// /metrics' gauges of it for `channels` (each shown, zeros included);
  /// the store is usable when `store_ok` and it could be read.
  MetricsGauges gauges(const std::vector<std::string>& channels, bool store_ok) const;
};

/// Reads the store once for `channels` (the settings' channels, in order).
/// A store that cannot be read leaves what it could not give empty and
/// says why in store_error; it never throws. Without a dispatcher (an
/// instance standing by) the pauses are the store's and no `why` is given.
StatusSnapshot take_snapshot(Store& store, const Dispatcher* dispatcher, const std::vector<std::string>& channels,
                             Instant now);

}  // namespace herald
