#include "daemon/control.hpp"

#include "scheduler/store.hpp"

#include <csignal>
#include <fstream>
#include <ostream>

namespace herald {

namespace {

// Asks a running daemon to re-read its store (SIGHUP reloads and pumps every channel).
void poke_daemon(const Settings& settings) {
  std::ifstream in(pid_file(settings));
  long pid = 0;
  if (in >> pid && pid > 1) ::kill(static_cast<pid_t>(pid), SIGHUP);
}

std::string what(const std::string& channel) { return channel.empty() ? "all channels" : "channel " + channel; }

}  // namespace

std::filesystem::path pid_file(const Settings& settings) { return settings.state_dir / "herald.pid"; }

int control_pause(const Settings& settings, const std::string& channel, const std::string& reason,
                  std::optional<Instant> until, Instant now, std::ostream& out, std::ostream& err) {
  if (!channel.empty() && !settings.channel(channel)) {
    err << "herald pause: unknown channel '" << channel << "'\n";
    return 2;
  }
  auto store = Store::open(settings.state_dir);
  store->set_pause({channel, reason, now, until}, now);
  poke_daemon(settings);
  out << what(channel) << " paused: " << reason << (until ? " (until " + format_utc(*until) + ")" : "") << '\n';
  return 0;
}

int control_resume(const Settings& settings, const std::string& channel, Instant now, std::ostream& out,
                   std::ostream& err) {
  auto store = Store::open(settings.state_dir);
  if (!store->clear_pause(channel, now)) {
    err << "herald resume: " << what(channel) << " " << (channel.empty() ? "are" : "is") << " not paused\n";
    return 1;
  }
  poke_daemon(settings);
  out << what(channel) << " resumed\n";
  return 0;
}

}  // namespace herald
