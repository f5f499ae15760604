#include "daemon/direct_control.hpp"

#include "daemon/instance_lock.hpp"
#include "daemon/store_open.hpp"

#include <csignal>
#include <stdexcept>

namespace herald {

std::optional<pid_t> unanswered_daemon(const Settings& settings, const StatusError& error) {
  const bool unanswered = error.kind == StatusError::Kind::not_running ||
                          (error.kind == StatusError::Kind::failed &&
                           (error.http_status == 0 || error.http_status == 503));
  if (!unanswered) return std::nullopt;
  return InstanceLock::holder(settings.state_dir);
}

std::optional<pid_t> standing_by_daemon(const Settings& settings, const StatusError& error) {
  if (error.active_instance.empty() || error.http_status != 409 || settings.store.postgresql.empty()) return std::nullopt;
  return InstanceLock::holder(settings.state_dir);
}

namespace {

std::unique_ptr<Store> open_for(const Settings& settings) {
  try {
    return open_existing_store(settings);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot write herald's state database " + store_location(settings) + " (" +
                             describe_store_failure(e) + "); run this as root or as herald's service user");
  }
}

void signal_daemon(pid_t pid) {
  // The pause holds without it (the gate reads the store); the signal only
  // makes the daemon's queue and status show it now.
  ::kill(pid, SIGUSR1);
}

}  // namespace

void pause_in_store(const Settings& settings, const Pause& pause, pid_t pid, Instant now) {
  auto store = open_for(settings);
  try {
    store->set_pause(pause, now);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot write the pause into " + store_location(settings) + ": " + describe_store_failure(e));
  }
  signal_daemon(pid);
}

bool resume_in_store(const Settings& settings, const std::string& channel, pid_t pid, Instant now) {
  auto store = open_for(settings);
  bool cleared = false;
  try {
    cleared = store->clear_pause(channel, now);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot lift the pause in " + store_location(settings) + ": " + describe_store_failure(e));
  }
  if (cleared) signal_daemon(pid);
  return cleared;
}

}  // namespace herald
