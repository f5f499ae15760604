#pragma once
// The command line's side of the status endpoint: `herald status`, `queue`,
// `history`, `pause`, `resume`, `retry` and `resolve` ask the running daemon
// through it. It finds the endpoint in the settings (status.listen), sends
// the bearer token (credentials_dir/<status.token>) on POSTs only, and turns
// every way a request can go wrong into a StatusError a person can act on.
// The token never appears in a message.

#include "config/local_time.hpp"
#include "config/settings.hpp"
#include "connectors/secret.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

/// Where the endpoint listens, from status.listen.
struct StatusAddress {
  std::string host;         ///< "127.0.0.1", "::1" (no brackets), "localhost"; empty for a socket
  int port = 0;
  std::string socket_path;  ///< for "unix:/path"
  /// As a person reads it: "127.0.0.1:8787", "[::1]:8787" or "unix:/run/herald/status.sock".
  [[nodiscard]] std::string display() const;
};

/// Parses "HOST:PORT", "[V6]:PORT" or "unix:/path"; nullopt with `error` set otherwise.
std::optional<StatusAddress> parse_status_listen(std::string_view listen, std::string& error);

/// Why a request did not give an answer to use.
struct StatusError {
  enum class Kind {
    not_running,    ///< nothing answers at the address
    token_refused,  ///< 401: the token file's value is not the daemon's
    no_token,       ///< the token file could not be read (POST only)
    refused,        ///< another 4xx: the daemon said no (unknown key, wrong state, bad argument)
    failed,         ///< 5xx, a timeout, an unreadable answer, a bad listen address
  };
  Kind kind = Kind::failed;
  int http_status = 0;  ///< 0 when no HTTP answer arrived
  std::string message;  ///< for a person; never the token
  /// An instance standing by refused (409): the active instance it named.
  std::string active_instance = {};
};

/// An answer: the endpoint's JSON, or the error.
struct StatusReply {
  boost::json::value body;
  std::optional<StatusError> error;
  explicit operator bool() const { return !error; }
};

/// Deadlines for one request (STYLE.md 8); the endpoint is local and quick.
struct StatusClientLimits {
  std::chrono::milliseconds connect_timeout{std::chrono::seconds{2}};
  std::chrono::milliseconds read_timeout{std::chrono::seconds{10}};
};

/// Talks to the daemon's status endpoint; one connection per request.
class StatusClient {
 public:
  explicit StatusClient(const Settings& settings, StatusClientLimits limits = {});

  /// GET /api/v1/status.
  StatusReply status();
  /// Empty channel/state: no filter; limit 0: the endpoint's default.
  StatusReply queue(const std::string& channel, const std::string& state, int limit);
  /// GET /api/v1/deliveries/{key}.
  StatusReply delivery(const std::string& key);
  /// limit 0: the endpoint's default; empty key: every event.
  StatusReply history(int limit, const std::string& key);
  /// GET /api/v1/report with these parameters (each optional).
  StatusReply report(std::optional<Instant> from, std::optional<Instant> to, const std::string& by,
                     std::optional<Instant> since, int top);
  /// POST /api/v1/report/looked.
  StatusReply looked();
  /// Empty channel: everything.
  StatusReply pause(const std::string& reason, const std::string& channel, std::optional<Instant> until);
  /// Empty channel: the global pause.
  StatusReply resume(const std::string& channel);
  /// POST /api/v1/reload.
  StatusReply reload(bool accept_cancellations);
  /// POSTs with the token; the key is percent-encoded in the path.
  StatusReply retry(const std::string& key);
  StatusReply resolve(const std::string& key, const std::string& url);

  /// The endpoint as a person reads it ("127.0.0.1:8787").
  [[nodiscard]] std::string where() const;
  /// The token file POSTs read.
  [[nodiscard]] std::filesystem::path token_file() const;

 private:
  StatusReply get(const std::string& path_and_query);
  StatusReply post(const std::string& path, const std::string& body);
  StatusReply send(bool is_post, const std::string& target, const std::string& body, const std::string& token);

  std::string listen_;
  std::optional<StatusAddress> address_;
  std::string address_error_;
  std::filesystem::path token_file_;
  StatusClientLimits limits_;
};

/// The URL path of one delivery: /api/v1/deliveries/<key percent-encoded>.
std::string delivery_path(const std::string& key);

/// Reads the status token file (credentials_dir/<status.token>): the token
/// alone, a trailing newline dropped. nullopt with `error` set (never the
/// token) when it is missing, unreadable or empty.
std::optional<Secret> read_status_token(const std::filesystem::path& file, std::string& error);

}  // namespace herald
