#include "daemon/systemd_notify.hpp"

#include <systemd/sd-daemon.h>

#include <ctime>
#include <sstream>

namespace herald {

namespace {

std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

}  // namespace

bool SystemdNotify::send(const std::string& state) {
  // unset_environment = 0: the status server's children (none today) and
  // later calls still see $NOTIFY_SOCKET.
  return sd_notify(0, state.c_str()) > 0;
}

bool SystemdNotify::ready(std::string_view status) {
  std::string state = "READY=1";
  if (!status.empty()) state += "\nSTATUS=" + one_line(status);
  return send(state);
}

bool SystemdNotify::status(std::string_view text) { return send("STATUS=" + one_line(text)); }

bool SystemdNotify::reloading() {
  // systemd 253+ matches RELOADING=1 with the reload it asked for by this
  // timestamp (Type=notify-reload); 252 ignores the unknown field.
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const long long usec = static_cast<long long>(ts.tv_sec) * 1'000'000LL + ts.tv_nsec / 1000;
  return send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

bool SystemdNotify::stopping() { return send("STOPPING=1"); }

bool SystemdNotify::watchdog() { return send("WATCHDOG=1"); }

std::optional<std::chrono::microseconds> SystemdNotify::watchdog_interval() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(static_cast<std::chrono::microseconds::rep>(usec));
}

std::string status_line(const StatusSummary& summary, const date::time_zone& zone, Instant now) {
  std::ostringstream out;
  if (summary.paused) out << "paused, ";
  out << summary.queued << " queued";
  if (summary.next) {
    const WallTime at = to_wall(zone, summary.next->at);
    const auto day = date::floor<date::days>(at);
    out << ", next " << summary.next->channel << '@';
    if (day != date::floor<date::days>(to_wall(zone, now))) out << format_date(day) << ' ';
    out << format_hhmm(at);
  }
  if (summary.attention > 0) out << ", " << summary.attention << (summary.attention == 1 ? " needs" : " need") << " review";
  return out.str();
}

}  // namespace herald
