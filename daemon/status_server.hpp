#pragma once
// The status endpoint (DESIGN.md "Status endpoint", docs/api.md): an HTTP
// server (cpp-httplib) on its own threads that answers from a StatusBackend,
// which asks the event loop; it never touches loop state itself. Loopback
// or a unix socket by default; POSTs need the bearer token.

#include "config/settings.hpp"
#include "connectors/oauth1.hpp"
#include "daemon/status_backend.hpp"
#include "scheduler/logger.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace date {
class time_zone;
}

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace herald {

/// Where the status server listens, from `status.listen`.
struct ListenAddress {
  bool unix_socket = false;
  std::string host;  ///< without brackets; for a unix socket, the path
  int port = 0;      ///< 0: any free port (tests)
};

/// Parses "HOST:PORT", "[IPV6]:PORT" or "unix:/absolute/path". Sets `error`
/// and returns nullopt on anything else. Whether the host is loopback is
/// is_loopback_host (connectors/http_client.hpp): localhost, 127.0.0.0/8, ::1.
std::optional<ListenAddress> parse_listen(std::string_view text, std::string& error);

/// Every size and time limit of the server, in one place.
struct StatusLimits {
  std::size_t max_body = 64 * 1024;          ///< larger POST bodies: 413
  std::size_t max_header_bytes = 16 * 1024;  ///< request headers in all: 431
  std::size_t max_target = 4096;             ///< request target: 414
  std::chrono::milliseconds read_timeout{5000};
  std::chrono::milliseconds write_timeout{5000};
  std::chrono::seconds keep_alive_timeout{5};
  std::size_t keep_alive_max = 20;  ///< requests per connection
  std::size_t threads = 4;
};

class StatusServer {
 public:
  /// One HTTP request as cpp-httplib hands it to the server (tests, tests/fuzz).
  struct Request {
    std::string method;  ///< GET, POST, ...
    std::string target;  ///< path and query as sent, still percent-encoded
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
  };
  /// The server's answer to a Request.
  struct Reply {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;  ///< Content-Type included
    std::string body;
  };

  /// `token` empty: every POST answers 401 (logged at start). `zone` is the
  /// settings' zone for the "local" times; `page` renders GET /.
  StatusServer(StatusSettings settings, Secret token, const date::time_zone& zone, StatusBackend& backend,
               Logger& logger, std::function<std::string()> page = {}, StatusLimits limits = {});
  ~StatusServer();
  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

  /// Binds and serves on its own thread. Throws std::runtime_error with a
  /// message for a person: bad listen string, non-loopback address without
  /// status.allow_remote, address in use, socket path not usable.
  void start();
  /// Stops accepting, lets requests in flight finish, joins. Idempotent.
  void stop();
  /// The TCP port bound (useful with port 0); 0 for a unix socket.
  [[nodiscard]] int bound_port() const { return port_; }
  /// Answers one request without sockets (need not be started): the same
  /// limits, routing, bearer check and backend calls as a request that
  /// arrived on the listening server; the target is split into path and
  /// query as cpp-httplib splits it. For tests and tests/fuzz.
  Reply answer(const Request& request);

 private:
  void handle(const httplib::Request& req, httplib::Response& res);
  /// 414 or 431 when the target or the headers exceed the limits.
  bool refuse_oversized(const httplib::Request& req, httplib::Response& res) const;
  bool authorized(const httplib::Request& req) const;
  void log_warning(const std::string& line);
  void log_error(const std::string& line);

  StatusSettings settings_;
  Secret token_;
  const date::time_zone& zone_;
  StatusBackend& backend_;
  Logger& logger_;
  std::mutex log_mutex_;  // the Logger may be called from several worker threads
  std::function<std::string()> page_;
  StatusLimits limits_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::string unix_path_;  // removed again at stop
  int port_ = 0;
};

}  // namespace herald
