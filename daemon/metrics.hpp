#pragma once
// What /metrics shows (DESIGN.md "Status endpoint"): counters and the
// lateness histogram the daemon records as it publishes and reloads, plus
// gauges the store knows at scrape time, rendered in the Prometheus text
// exposition format (version 0.0.4). Every name starts with herald_.

#include "config/local_time.hpp"
#include "connectors/connector.hpp"
#include "scheduler/state.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace herald {

/// What one create request came to, as herald_publish_results_total counts it.
enum class PublishOutcome { published, retry, failed, auth_failed, unsure, duplicate, processing };

std::string_view to_string(PublishOutcome outcome);
/// The outcome class of a connector's answer.
PublishOutcome outcome_of(const PublishResult& result);

/// What one counter read came to, as herald_engagement_reads_total counts it:
/// read, retry, failed, auth_failed or gone.
std::string_view read_outcome(const CountersResult& result);

/// What the store knows when /metrics is scraped.
struct MetricsGauges {
  std::string version;                                       ///< herald_build_info{version}
  std::map<std::string, std::map<State, int>> deliveries;    ///< channel -> state -> count (missing states are 0)
  std::map<std::string, int> queue_depth;                    ///< channel -> deliveries not yet out
  std::map<std::string, bool> channel_paused;                ///< channel -> its own pause is in force
  std::map<std::string, Instant> credentials_expire;         ///< channel -> when its credentials expire, where known
  std::set<std::string> credentials_refused;                 ///< channels whose credentials the platform refused
  Instant now{};                                             ///< for herald_credential_expiry_seconds
  bool paused = false;                                       ///< the global pause is in force
  bool store_ok = true;                                      ///< the state database is usable (creates may start)
  bool reload_held = false;                                  ///< a calendar edit waits to be accepted
};

/// Counters and histograms the daemon records into; safe to call from any thread.
class Metrics {
 public:
  /// Upper bounds (seconds) of the lateness histogram's buckets, +Inf aside.
  static constexpr std::array<double, 11> kLatenessBuckets = {0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600};

  /// One create request went out on `channel` (herald_publish_attempts_total).
  void attempt(const std::string& channel);
  /// What a create request came to (herald_publish_results_total).
  void result(const std::string& channel, PublishOutcome outcome);
  /// A delivery was published `lateness` after its planned instant
  /// (herald_publish_lateness_seconds); a negative lateness counts as 0.
  void lateness(const std::string& channel, std::chrono::duration<double> lateness);
  /// A read of a published post's counters on `channel` came to `outcome`
  /// (herald_engagement_reads_total; shown once a read was made).
  void counter_read(const std::string& channel, std::string_view outcome);
  /// A calendar load (start-up or reload) succeeded or was rejected, at `at`.
  void reload(bool ok, Instant at);
  /// A shared store's lease (DESIGN.md "The store beyond one host"): this
  /// instance took it (`took_over`: from another instance whose lease had
  /// lapsed), renewed it, or lost it. herald_leader appears once one is called.
  void lease_taken(bool took_over);
  void lease_renewed();
  void lease_lost();
  /// This instance stands by (herald_leader 0).
  void standing_by();
  /// Whether this host's calendar differs from the one whose plan the shared
  /// store holds (herald_calendar_differs).
  void calendar_differs(bool differs);

  /// The whole exposition: the recorded series, then the gauges of `g`.
  /// Channels named in `g` get zero-valued counters even before their first request.
  [[nodiscard]] std::string render(const MetricsGauges& g) const;

 private:
  struct Histogram {
    std::array<std::uint64_t, kLatenessBuckets.size()> buckets{};  ///< not cumulative; above the last: count - sum of these
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t> attempts_;
  std::map<std::string, std::map<PublishOutcome, std::uint64_t>> results_;
  std::map<std::string, Histogram> lateness_;
  std::map<std::string, std::map<std::string, std::uint64_t, std::less<>>> reads_;  // channel -> outcome -> count
  std::uint64_t reloads_ok_ = 0;
  std::uint64_t reloads_failed_ = 0;
  std::optional<Instant> last_reload_;
  std::optional<bool> leader_;
  std::uint64_t lease_renewals_ = 0;
  std::uint64_t takeovers_ = 0;
  std::optional<bool> calendar_differs_;
};

/// A label value escaped for the text format (backslash, double quote, newline).
std::string escape_label_value(std::string_view value);

}  // namespace herald
