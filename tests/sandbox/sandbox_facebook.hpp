#pragma once
// The Facebook Graph API part of herald-sandbox: Page feed posts, Page photos,
// the Page's post list and a post's permalink, under a /vMAJOR.MINOR/ prefix,
// with Page access tokens checked against the page in the path.

#include "tests/sandbox/sandbox_platform.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
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

struct FacebookSandboxConfig {
  /// One Facebook Page and the Page access token that may post to it.
  struct Page {
    std::string page_id, name, page_token;
  };
  std::vector<Page> pages;
  /// The Graph API versions the sandbox answers; any other is an unknown path.
  std::vector<std::string> versions{"v20.0", "v21.0", "v22.0", "v23.0"};
};

/// Reads the `facebook:` section of the sandbox YAML.
FacebookSandboxConfig load_facebook_sandbox_config(const YAML::Node& node, const std::string& file);

/// The access token of a Graph request: `Authorization: Bearer|OAuth TOKEN`,
/// else the `access_token` query or form parameter; empty when none.
std::string graph_access_token(const httplib::Request& req);

/// FNV-1a 64-bit of `bytes` as 16 hex digits: how the record names an
/// uploaded image, so tests can check the bytes arrived intact.
std::string fnv1a64_hex(std::string_view bytes);

class FacebookSandbox : public SandboxPlatform {
 public:
  explicit FacebookSandbox(Sandbox& sandbox);
  void install(httplib::Server& server) override;
  void reset() override;

 private:
  using Page = FacebookSandboxConfig::Page;
  /// Checks the version and the token; answers the error and returns nullopt
  /// when either is wrong. `page_id` empty: any known token will do.
  std::optional<Page> authenticate(const httplib::Request& req, httplib::Response& res, const std::string& version,
                                   const std::string& page_id);
  void create(const httplib::Request& req, httplib::Response& res, bool photo);
  void list(const httplib::Request& req, httplib::Response& res);
  void post(const httplib::Request& req, httplib::Response& res);
  std::string trace_id();

  Sandbox& sandbox_;
  const FacebookSandboxConfig& config_;
  std::mutex mutex_;
  std::int64_t last_id_ = 0;
  std::atomic<std::int64_t> traces_{0};
};

}  // namespace herald
