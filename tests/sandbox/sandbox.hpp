#pragma once
// herald-sandbox: an emulation of the platforms' HTTP APIs on loopback, so
// herald's connectors, the integration tests, the demo and the benchmarks run
// against documented requests, auth and errors without the real services.
// Emulated so far: X API v2 create post and user post timeline, with OAuth
// 1.0a user-context signatures checked. A control API under /_sandbox/ lists
// what was created and injects faults.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace herald {

class Sandbox {
 public:
  /// One X account: the app's consumer pair and the user's access token pair.
  struct XAccount {
    std::string consumer_key, consumer_secret, access_token, access_token_secret, user_id, username;
  };

  /// Everything the sandbox knows before it starts.
  struct Config {
    std::vector<XAccount> x_accounts;
    /// Creates allowed per account per window before a genuine 429.
    int x_create_limit = 100;
    /// Timeline reads allowed per account per window.
    int x_timeline_limit = 900;
    /// Length of a rate-limit window (X: 15 minutes).
    std::chrono::seconds rate_window{900};
    /// Largest accepted distance between oauth_timestamp and now.
    std::chrono::seconds max_clock_skew{300};
    /// Wall clock seam (Unix milliseconds); defaults to the system clock.
    std::function<std::int64_t()> now_ms;
  };

  /// One accepted create, as the platform stored it.
  struct Create {
    std::string platform;  ///< "x"
    std::string account;   ///< the platform's user id
    std::string id;
    std::string text;
    std::string in_reply_to;  ///< empty when not a reply
    std::vector<std::string> media_ids;
    std::int64_t at_ms = 0;
    std::map<std::string, std::string> headers;  ///< the request headers worth asserting on
  };

  /// What an injected fault does to a matching request.
  enum class FaultMode { rate_limit, server_error, delay, drop_after_create };

  /// A fault armed for the next `count` requests whose path matches.
  struct Fault {
    std::string path;  ///< a request path ("/2/tweets") or a route ("/2/users/:id/tweets")
    FaultMode mode = FaultMode::server_error;
    int count = 1;
    int reset_in = 60;     ///< rate_limit: seconds until x-rate-limit-reset
    int delay_ms = 5000;   ///< delay: how long to hold the request before answering
  };

  explicit Sandbox(Config config);
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  /// Binds host:port (port 0 picks a free one) and serves on a thread.
  /// Throws std::runtime_error when the address cannot be bound.
  void start(const std::string& host, int port);
  /// The bound port, valid after start().
  int port() const;
  /// Stops serving, wakes held requests, joins the thread. Idempotent.
  void stop();
  /// Every accepted create, in order.
  std::vector<Create> creates() const;
  /// Arms a fault (as POST /_sandbox/faults does).
  void add_fault(Fault fault);
  /// Forgets creates, faults, nonces and rate-limit counters.
  void reset();

 private:
  struct State;
  void routes();
  bool control_allowed(const httplib::Request& req, httplib::Response& res) const;
  std::optional<Fault> take_fault(const std::string& path, const std::string& route);
  bool answer_fault(const std::optional<Fault>& fault, int limit, httplib::Response& res);
  std::optional<XAccount> authenticate(const httplib::Request& req, httplib::Response& res);
  bool rate_limited(const XAccount& account, const std::string& route, int limit, httplib::Response& res);
  bool hold(std::chrono::milliseconds duration);
  void x_create(const httplib::Request& req, httplib::Response& res);
  void x_timeline(const httplib::Request& req, httplib::Response& res);
  std::int64_t now_ms() const;

  Config config_;
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<State> state_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable stopping_cv_;
  bool stopping_ = false;
};

/// Whether a peer address (as cpp-httplib reports it) is a loopback address.
bool is_loopback_address(std::string_view address);

/// The parameters of an "OAuth k=\"v\", ..." Authorization header, decoded;
/// std::nullopt when the header is not of that form.
std::optional<std::map<std::string, std::string>> parse_oauth_header(std::string_view header);

/// Parses a fault mode name ("rate_limit", ...); std::nullopt if unknown.
std::optional<Sandbox::FaultMode> parse_fault_mode(std::string_view name);

/// Reads the sandbox YAML (see sandbox.example.yaml). Throws on a bad file.
Sandbox::Config load_sandbox_config(const std::string& path);

}  // namespace herald
