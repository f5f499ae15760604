#pragma once
// herald-sandbox: an emulation of the platforms' HTTP APIs on loopback, so
// herald's connectors, the integration tests, the demo and the benchmarks run
// against documented requests, auth and errors without the real services.
// Each platform is a SandboxPlatform in sandbox_<platform>.cpp; this core owns
// the server, the clock, the record of creates and the injected faults, and
// serves the control API under /_sandbox/ (loopback peers only).

#include "tests/sandbox/sandbox_bluesky.hpp"
#include "tests/sandbox/sandbox_facebook.hpp"
#include "tests/sandbox/sandbox_linkedin.hpp"
#include "tests/sandbox/sandbox_instagram.hpp"
#include "tests/sandbox/sandbox_mastodon.hpp"
#include "tests/sandbox/sandbox_platform.hpp"
#include "tests/sandbox/sandbox_wordpress.hpp"
#include "tests/sandbox/sandbox_x.hpp"
#include "tests/sandbox/sandbox_youtube.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace herald {

class Sandbox {
 public:
  /// Everything the sandbox knows before it starts.
  struct Config {
    XSandboxConfig x;
    FacebookSandboxConfig facebook;
    YoutubeSandboxConfig youtube;
    WordpressSandboxConfig wordpress;
    LinkedinSandboxConfig linkedin;
    InstagramSandboxConfig instagram;
    MastodonSandboxConfig mastodon;
    BlueskySandboxConfig bluesky;
    /// Largest accepted distance between a signed timestamp and now.
    std::chrono::seconds max_clock_skew{300};
    /// Wall clock seam (Unix milliseconds); defaults to the system clock.
    std::function<std::int64_t()> now_ms;
    /// Requests one connection may carry. 1 (in-process tests): each answer
    /// says Connection: close, because httplib::Server::stop() waits out
    /// the keep-alive timeout (5 s) of every connection a client still
    /// holds idle, and the tests stop the sandbox before their client goes.
    /// The herald-sandbox program keeps connections alive, as platforms do.
    std::size_t requests_per_connection = 1;
  };

  /// One accepted create, as the platform stored it.
  struct Create {
    std::string platform;  ///< "x", "facebook", "youtube", "wordpress", "linkedin", "instagram", "mastodon", "bluesky"
    std::string account;   ///< the platform's user, page, channel or site user
    std::string id;
    std::string text;         ///< x: text; facebook: message; youtube: description; wordpress: content;
                              ///< instagram: caption; mastodon: the status as sent; bluesky: the post's text
    std::string in_reply_to;  ///< x: empty when not a reply
    std::vector<std::string> media_ids;  ///< instagram: the media URLs, in order; bluesky: the images' blob CIDs
    std::map<std::string, std::string> fields;  ///< platform specifics (link, title, slug, privacy, ...)
    std::int64_t at_ms = 0;
    std::map<std::string, std::string> headers;  ///< the request headers worth asserting on
  };

  /// What an injected fault does to a matching request.
  enum class FaultMode { rate_limit, server_error, delay, drop_after_create };

  /// A fault armed for the next `count` requests whose path matches.
  struct Fault {
    /// A request path ("/2/tweets") or a route ("/2/users/:id/tweets"), for
    /// requests of any method; where a platform says so, "METHOD path" or
    /// "METHOD route" ("POST /wp-json/wp/v2/posts") for that method only.
    std::string path;
    FaultMode mode = FaultMode::server_error;
    int count = 1;
    int reset_in = 60;    ///< rate_limit: seconds until the platform's reset
    int delay_ms = 5000;  ///< delay: how long to hold the request before answering
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
  /// Forgets creates, faults and every platform's state.
  void reset();
  /// A person deleted a post in the platform's own app (as POST
  /// /_sandbox/delete does): its record gets fields["deleted"] = "true" and
  /// the platform answers for it as for a missing post. `platform` as in
  /// Create::platform, `id` as the record names the post. False when the
  /// record has no such post.
  bool delete_post(const std::string& platform, const std::string& id);

  // Services for the platforms.
  const Config& config() const { return config_; }
  /// Now, Unix milliseconds, from the configured clock.
  std::int64_t now_ms() const;
  /// Takes one use of the first armed fault for this path or route.
  std::optional<Fault> take_fault(const std::string& path, const std::string& route);
  /// The same, also matching faults armed as "METHOD path" or "METHOD route".
  /// A GET creates nothing, so it leaves a drop_after_create fault armed for
  /// the next request that does (where a route is shared, as WordPress's
  /// /wp/v2/posts lists and creates).
  std::optional<Fault> take_fault(const std::string& method, const std::string& path, const std::string& route);
  /// Waits `duration` or until stop(); false when stopped.
  bool hold(std::chrono::milliseconds duration);
  /// Requests being held by a delay or a drop right now (GET /_sandbox/held):
  /// a test waits for a slow request to complete by this, not by the clock.
  int held() const;
  /// Stamps `create.at_ms` (if 0) and appends it to the record; returns it.
  Create record(Create create);
  /// Applies `change` to the recorded create of `platform` with `id`, so the
  /// record shows what the platform holds now (a draft published, a post
  /// trashed); false when there is none.
  bool update_record(const std::string& platform, const std::string& id, const std::function<void(Create&)>& change);

 private:
  void routes();
  bool control_allowed(const httplib::Request& req, httplib::Response& res) const;

  Config config_;
  std::unique_ptr<httplib::Server> server_;
  /// Each platform module, by the name its records carry ("x", "facebook", ...).
  std::vector<std::pair<std::string, std::unique_ptr<SandboxPlatform>>> platforms_;
  std::vector<Create> creates_;
  std::vector<Fault> faults_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable stopping_cv_;
  bool stopping_ = false;
  int held_ = 0;
};

/// Whether a peer address (as cpp-httplib reports it) is a loopback address.
bool is_loopback_address(std::string_view address);

/// Parses a fault mode name ("rate_limit", ...); std::nullopt if unknown.
std::optional<Sandbox::FaultMode> parse_fault_mode(std::string_view name);

/// FNV-1a 64-bit of `bytes` as 16 hex digits: how a record names uploaded
/// bytes (a photo, a blob), so tests can check the bytes arrived intact.
std::string fnv1a64_hex(std::string_view bytes);

/// Reads the sandbox YAML (see sandbox.example.yaml). Throws on a bad file.
Sandbox::Config load_sandbox_config(const std::string& path);

}  // namespace herald
