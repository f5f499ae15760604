#pragma once
// The collector: reads the platforms' own counters of what went out (likes,
// reposts, replies, views), a few times after each delivery was published
// (report.collect_after: 1 h, 24 h and 7 d by default), and keeps them in the
// store as a time series per delivery (`herald report`).
//
// Like the dispatcher it owns no thread: it books each platform's next read
// itself (Wakes, keyed by platform: an asio timer in the daemon, manual in
// tests) and reads through the Executor's counter reads, which never take a
// worker or a lane place of a create (AsioExecutor reads on a thread of its
// own), so reading never delays a publish. One read at a time per platform,
// at least the platform's read_spacing apart (config/channel_kind), longer
// when the platform asks (a rate limit's reset); none for a paused channel.
// A read that fails is tried again later with backoff; a post deleted on the
// platform ends its collection with a history line.

#include "config/settings.hpp"
#include "connectors/connector.hpp"
#include "scheduler/clock.hpp"
#include "scheduler/executor.hpp"
#include "scheduler/logger.hpp"
#include "scheduler/store.hpp"
#include "scheduler/wakes.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace herald {

class Collector {
 public:
  /// A read whose platform keeps failing is tried this many times, then
  /// skipped for the next scheduled read.
  static constexpr int kTries = 5;

  Collector(Store& store, const Clock& clock, Executor& executor, Wakes& wakes, Logger& log);

  /// The channels (their platforms) and the schedule, from the settings:
  /// at start-up and on every accepted reload. Books every platform's next read.
  void configure(const Settings& settings);
  /// The connector of a channel; a channel without one (or whose platform
  /// keeps no counters) is not read.
  void set_connector(const std::string& channel, Connector* connector);
  /// Whether a channel is paused now (the dispatcher's pause_of): a paused
  /// channel's counters are not read until the pause ends.
  void set_pauses(std::function<std::optional<Pause>(const std::string& channel)> pause_of) {
    pause_of_ = std::move(pause_of);
  }

  /// Books every platform's next read again (start, a resume, a reload).
  void wake_all();
  /// A delivery of `channel` is going out now (its create's result, not
  /// written yet): its platform's next read is booked by its first read
  /// at the latest.
  void published(const std::string& channel);
  /// Starts the platform's read that is due, if any, and books its next.
  void pump(const std::string& platform);
  /// When `platform` next reads (nullopt: nothing to read).
  std::optional<Instant> next_read(const std::string& platform) const;

  /// When the read `c` is due by the schedule: its booked time, or for a
  /// first read not booked yet the time it went out plus the first delay.
  Instant due(const Collection& c) const;

  /// Called with every read's result (metrics): the channel and what it came to.
  std::function<void(const std::string& channel, const CountersResult& result)> on_read;

 private:
  struct Platform {
    std::vector<std::string> channels;      // of this platform that are read
    std::chrono::seconds spacing{1};        // the least time between two reads
    bool in_flight = false;
    std::optional<Instant> not_before;      // spacing, or the platform's own wait
    std::optional<Instant> next;            // what pump() booked
  };

  /// The read's result, on the loop: the counters and the next read written,
  /// the platform's next read booked.
  void on_result(const std::string& platform, const Collection& c, CountersResult result);
  /// What the result means for the delivery's collection.
  ReadRecord record_for(const Collection& c, const CountersResult& result, Instant now, Platform& p) const;
  /// The scheduled reads whose time has come by `now` (at least `done`).
  int passed(const Collection& c, Instant now, int done) const;
  std::optional<Instant> after(const Collection& c, int reads) const;
  void book(const std::string& platform, std::optional<Instant> at);

  Store& store_;
  const Clock& clock_;
  Executor& executor_;
  Wakes& wakes_;
  Logger& log_;
  std::vector<std::chrono::seconds> schedule_;
  std::map<std::string, std::string> platform_of_;  // channel -> platform
  std::map<std::string, Connector*> connectors_;
  std::map<std::string, Platform> platforms_;
  std::function<std::optional<Pause>(const std::string&)> pause_of_;
  std::set<std::string> warned_auth_;  // channels whose refused credentials were logged
};

}  // namespace herald
