#pragma once
// The status endpoint (DESIGN.md "Status endpoint", docs/api.md): routes,
// the bearer check and the JSON answers from a StatusBackend, which asks the
// event loop; it never touches loop state itself. The sockets, deadlines and
// connection caps are status_listener's (Boost.Beast on its own threads).
// Loopback or a unix socket by default; POSTs need the bearer token.

#include "config/settings.hpp"
#include "connectors/secret.hpp"
#include "daemon/status_backend.hpp"
#include "daemon/status_listener.hpp"
#include "scheduler/logger.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace date {
class time_zone;
}

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace herald {

class StatusServer {
 public:
  /// One HTTP request as the listener hands it to the server (and tests, tests/fuzz).
  using Request = StatusHttpRequest;
  /// The server's answer to a Request.
  using Reply = StatusHttpReply;

  /// `token` empty: every POST answers 401 (logged at start). `zone` is the
  /// settings' zone for the "local" times; `page` renders GET /.
  StatusServer(StatusSettings settings, Secret token, const date::time_zone& zone, StatusBackend& backend,
               Logger& logger, std::function<std::string()> page = {}, StatusLimits limits = {});
  ~StatusServer();
  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

  /// Binds and serves on its own threads (status_listener). Throws std::runtime_error with a
  /// message for a person: bad listen string, non-loopback address without
  /// status.allow_remote, address in use, socket path not usable.
  void start();
  /// Stops accepting, lets requests in flight finish, joins. Idempotent.
  void stop();
  /// The TCP port bound (useful with port 0); 0 for a unix socket.
  [[nodiscard]] int bound_port() const { return port_; }
  /// Where it listens, for the log: the listen setting with the port bound.
  [[nodiscard]] std::string where() const;
  /// Answers one request without sockets (need not be started): the same
  /// limits, routing, bearer check and backend calls as a request that
  /// arrived on the listening server; the target is split into path and
  /// query as cpp-httplib splits it. The listener calls it for every
  /// request; tests and tests/fuzz call it directly.
  Reply answer(const Request& request);

 private:
  /// The lane that answers `request`: /healthz, the actions, or the other reads.
  static StatusLane lane(const Request& request);
  /// The JSON error answer the listener sends for a request it refused itself.
  Reply refusal(int status) const;
  void handle(const httplib::Request& req, httplib::Response& res);
  /// 414 or 431 when the target or the headers exceed the limits.
  bool refuse_oversized(const httplib::Request& req, httplib::Response& res) const;
  bool authorized(const httplib::Request& req) const;
  void log(Priority priority, const std::string& line);
  void log_warning(const std::string& line) { log(Priority::warning, line); }
  void log_error(const std::string& line) { log(Priority::error, line); }

  StatusSettings settings_;
  Secret token_;
  const date::time_zone& zone_;
  StatusBackend& backend_;
  Logger& logger_;
  std::mutex log_mutex_;  // the Logger is called from the io and the handler threads
  std::function<std::string()> page_;
  StatusLimits limits_;
  std::unique_ptr<StatusListener> listener_;
  int port_ = 0;
};

}  // namespace herald
