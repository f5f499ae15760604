#pragma once
// Telling systemd how the daemon is doing (DESIGN.md "systemd"): READY once
// the calendar and the store are open, STATUS lines, WATCHDOG from the
// loop's heartbeat, RELOADING/READY around a reload, STOPPING. A thin adapter
// over libsystemd's sd_notify; without $NOTIFY_SOCKET every call does nothing.

#include "config/local_time.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

/// Sends notifications to the service manager ($NOTIFY_SOCKET, read at each call).
class SystemdNotify {
 public:
  /// READY=1 (start-up done, or a reload finished), with a STATUS= line when `status` is not empty.
  bool ready(std::string_view status = {});
  /// STATUS=text (a newline in `text` becomes a space: it would start another assignment).
  bool status(std::string_view text);
  /// RELOADING=1 with MONOTONIC_USEC= (systemd 253+ wants both; older ones ignore the second).
  bool reloading();
  /// STOPPING=1.
  bool stopping();
  /// WATCHDOG=1: the event loop is alive.
  bool watchdog();
  /// How often systemd wants WATCHDOG=1 ($WATCHDOG_USEC, for this process);
  /// nullopt when WatchdogSec= is not set. Send at about half of it.
  [[nodiscard]] static std::optional<std::chrono::microseconds> watchdog_interval();

 private:
  /// Sends `state`; true when it reached a socket, false when there is none or sending failed.
  static bool send(const std::string& state);
};

/// What the STATUS= line summarises.
struct StatusSummary {
  std::size_t queued = 0;     ///< deliveries not yet out (planned, waiting, held, sending, retry_wait)
  std::size_t attention = 0;  ///< failed and needs_review: a person should look
  bool paused = false;        ///< everything is paused
  /// The next delivery to go out: its channel and planned instant.
  struct Next {
    std::string channel;
    Instant at;
  };
  std::optional<Next> next;
};

/// "12 queued, next x@09:15" (the local time in `zone`; the date is added when
/// it is not today's), led by "paused, " and followed by ", 2 need review" when so.
std::string status_line(const StatusSummary& summary, const date::time_zone& zone, Instant now);

}  // namespace herald
