#pragma once
// `herald pause` and `herald resume` when the running daemon's endpoint does
// not answer (a starved status port, a stuck loop): the command writes the
// pause straight into the daemon's state database, where the gate before
// every create reads it (Store::begin_send), and signals the daemon
// (SIGUSR1) so its queue and status show it at once. Writing needs the file
// permissions of the state directory (root or the service user), the same
// authority as stopping the service.

#include "config/settings.hpp"
#include "daemon/status_client.hpp"
#include "scheduler/store.hpp"

#include <sys/types.h>

#include <optional>
#include <string>

namespace herald {

/// The pid of the daemon running on `settings`' state directory when
/// `error` says its endpoint did not answer (no connection, a timeout, 503):
/// the case for writing directly. nullopt otherwise (not running, or it
/// answered and said no).
std::optional<pid_t> unanswered_daemon(const Settings& settings, const StatusError& error);
/// The pid of this host's daemon when `error` is its refusal as a standby
/// of a shared store (409 naming the active instance): a pause or resume
/// written into the shared store holds for every instance.
std::optional<pid_t> standing_by_daemon(const Settings& settings, const StatusError& error);

/// Writes `pause` into the store of the daemon `pid` and signals it.
/// Throws std::runtime_error with a message for a person when it cannot.
void pause_in_store(const Settings& settings, const Pause& pause, pid_t pid, Instant now);

/// Lifts the pause of `channel` (empty: the global one) in the store of the
/// daemon `pid` and signals it; false when there was no such pause.
bool resume_in_store(const Settings& settings, const std::string& channel, pid_t pid, Instant now);

}  // namespace herald
