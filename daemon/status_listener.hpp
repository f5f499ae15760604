#pragma once
// The status endpoint's transport (docs/api.md "Limits"): binds the listen
// address, reads HTTP/1.1 requests with Boost.Beast on one io_context thread
// and writes the answers, with every deadline, size limit and connection cap
// of StatusLimits. It knows no routes: StatusServer tells it which lane a
// request goes to and answers it on that lane's threads.

#include "scheduler/logger.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

/// Every size, time and connection limit of the status server, in one place.
struct StatusLimits {
  std::size_t max_body = 64 * 1024;          ///< larger request bodies: 413
  std::size_t max_header_bytes = 16 * 1024;  ///< request headers in all: 431
  std::size_t max_target = 4096;             ///< request target: 414
  /// A whole request (line, headers, body) from the connection's start, or
  /// from the first byte of a later request on a kept-alive connection.
  std::chrono::milliseconds request_timeout{5000};
  std::chrono::milliseconds keep_alive_timeout{5000};  ///< idle between two requests
  std::chrono::milliseconds write_timeout{5000};       ///< writing one answer
  /// After a final answer: how long, and how many bytes, of what the client
  /// still sends are read and dropped so it sees the answer, not a reset.
  std::chrono::milliseconds close_grace{1000};
  std::size_t close_drain_max = 1024 * 1024;  ///< bytes read and dropped in that time
  std::size_t keep_alive_max = 20;               ///< requests per connection
  std::size_t max_connections = 256;             ///< open connections in all
  std::size_t max_connections_per_client = 32;   ///< per peer IP (TCP) or peer uid (unix socket)
  std::size_t read_handlers = 2;                 ///< threads answering GETs
  std::size_t action_handlers = 2;               ///< threads answering POSTs (pause first)
  std::chrono::milliseconds accept_backoff{100};  ///< pause after accept() fails (EMFILE, ...)
};

/// One HTTP request as the transport hands it over (and tests, tests/fuzz).
struct StatusHttpRequest {
  std::string method;  ///< GET, POST, ...
  std::string target;  ///< path and query as sent, still percent-encoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

/// The answer to a StatusHttpRequest.
struct StatusHttpReply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  ///< Content-Type included
  std::string body;
};

/// Which handler threads answer a request: /healthz never waits behind the
/// daemon's loop, a pause never waits behind GETs.
enum class StatusLane { health, read, action };

/// What the transport asks of the request logic (StatusServer).
struct StatusRoutes {
  std::function<StatusLane(const StatusHttpRequest&)> lane;  ///< cheap, on the io thread
  std::function<StatusHttpReply(const StatusHttpRequest&)> answer;  ///< on the lane's thread
  std::function<StatusHttpReply(int status)> refusal;  ///< a body-less error the transport itself gives (400, 503, ...)
  std::function<void(Priority, const std::string&)> log;  ///< thread-safe; never given a header value
};

/// The listening socket, its connections and the handler threads.
class StatusListener {
 public:
  /// Binds `address` (a stale unix socket is replaced, a live one refused;
  /// the socket is made 0660). Throws std::runtime_error with a message for
  /// a person, e.g. "address already in use (is another herald running?)".
  StatusListener(const ListenAddress& address, StatusLimits limits, StatusRoutes routes);
  ~StatusListener();
  StatusListener(const StatusListener&) = delete;
  StatusListener& operator=(const StatusListener&) = delete;

  /// Starts the io thread and the handler threads.
  void run();
  /// Stops accepting, closes waiting connections, lets requests being
  /// handled finish and their answers go out (within write_timeout), joins
  /// every thread and removes the unix socket. Idempotent.
  void stop();
  /// The TCP port bound; 0 for a unix socket.
  [[nodiscard]] int port() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald
