#pragma once
// The X API v2 part of herald-sandbox: create post, user post timeline, with
// OAuth 1.0a user-context signatures checked.

#include "tests/sandbox/sandbox_platform.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib
namespace YAML {
class Node;
}  // namespace YAML

namespace herald {

struct XSandboxConfig {
  /// One X account: the app's consumer pair and the user's access token pair.
  struct Account {
    std::string consumer_key, consumer_secret, access_token, access_token_secret, user_id, username;
  };
  std::vector<Account> accounts;
  /// Creates allowed per account per window before a genuine 429.
  int create_limit = 100;
  /// Timeline reads allowed per account per window.
  int timeline_limit = 900;
  /// Length of a rate-limit window (X: 15 minutes).
  std::chrono::seconds rate_window{900};
};

/// Reads the `x:` section of the sandbox YAML.
XSandboxConfig load_x_sandbox_config(const YAML::Node& node, const std::string& file);

/// The parameters of an "OAuth k=\"v\", ..." Authorization header, decoded;
/// std::nullopt when the header is not of that form.
std::optional<std::map<std::string, std::string>> parse_oauth_header(std::string_view header);

class XSandbox : public SandboxPlatform {
 public:
  explicit XSandbox(Sandbox& sandbox);
  void install(httplib::Server& server) override;
  void reset() override;

 private:
  using Account = XSandboxConfig::Account;
  struct Window {
    std::int64_t reset_s = 0;
    int used = 0;
  };
  std::optional<Account> authenticate(const httplib::Request& req, httplib::Response& res);
  bool rate_limited(const Account& account, const std::string& route, int limit, httplib::Response& res);
  void create(const httplib::Request& req, httplib::Response& res);
  void timeline(const httplib::Request& req, httplib::Response& res);

  Sandbox& sandbox_;
  const XSandboxConfig& config_;
  std::mutex mutex_;
  std::set<std::string> nonces_;
  std::map<std::string, Window> windows_;  // by user id + route
  std::int64_t last_id_ = 0;
};

}  // namespace herald
