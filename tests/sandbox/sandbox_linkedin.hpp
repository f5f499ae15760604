#pragma once
// The LinkedIn part of herald-sandbox: the versioned REST API under /rest/
// (Posts API: create, and the author finder; Images API and Videos API
// uploads; a post's social actions summary, and an organization's share
// statistics, whose counts grow with the post's age on the sandbox clock)
// with Bearer tokens checked against the author they may act for,
// the LinkedIn-Version and X-Restli-Protocol-Version headers required, and
// LinkedIn's error bodies. The record of creates keeps each post's
// commentary as sent and, in fields["rendered"], what a reader sees of it
// (compose/little_text's render_little_text), so a test can check that what
// arrives is what was written.

#include "tests/sandbox/sandbox_platform.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib
namespace YAML {
class Node;
}  // namespace YAML

namespace herald {

struct LinkedinSandboxConfig {
  /// An organization (urn:li:organization:N) or a member (urn:li:person:ID)
  /// and the access token that may post as it.
  struct Author {
    std::string urn, name, access_token;
    /// Unix seconds after which the token is refused as expired (0: never).
    std::int64_t expires_at = 0;
    /// Programmatic refresh: the refresh token and the app it was granted
    /// to (empty: this author's token cannot be refreshed).
    std::string refresh_token, client_id, client_secret;
    /// For an organization: the token's member is one of its ADMINISTRATORs
    /// (rw_organization_admin), so organizationalEntityShareStatistics
    /// answers; false: 403.
    bool admin = true;
  };
  std::vector<Author> authors;
  /// The LinkedIn-Version values answered (YYYYMM); any other is
  /// NONEXISTENT_VERSION. Empty: every month from 202510 to 202612.
  std::vector<std::string> versions;
  /// How long the same author may not post the same commentary again.
  std::int64_t duplicate_window_seconds = 24 * 3600;
};

/// Reads the `linkedin:` section of the sandbox YAML.
LinkedinSandboxConfig load_linkedin_sandbox_config(const YAML::Node& node, const std::string& file);

/// The size of each part LinkedIn's Videos API asks for (4 MiB).
inline constexpr std::int64_t kLinkedinVideoPartBytes = 4 * 1024 * 1024;

class LinkedinSandbox : public SandboxPlatform {
 public:
  explicit LinkedinSandbox(Sandbox& sandbox);
  void install(httplib::Server& server) override;
  void reset() override;
  void remove_post(const std::string& id) override;

 private:
  using Author = LinkedinSandboxConfig::Author;
  /// Checks token, version and protocol headers; answers the error and
  /// returns nullopt when one is wrong.
  std::optional<Author> authenticate(const httplib::Request& req, httplib::Response& res, bool versioned);
  void create_post(const httplib::Request& req, httplib::Response& res);
  void find_posts(const httplib::Request& req, httplib::Response& res);
  void social_actions(const httplib::Request& req, httplib::Response& res);
  void create_comment(const httplib::Request& req, httplib::Response& res);
  void list_comments(const httplib::Request& req, httplib::Response& res);
  void share_statistics(const httplib::Request& req, httplib::Response& res);
  void images_action(const httplib::Request& req, httplib::Response& res);
  void put_image(const httplib::Request& req, httplib::Response& res);
  void videos_action(const httplib::Request& req, httplib::Response& res);
  void put_video_part(const httplib::Request& req, httplib::Response& res);
  void introspect(const httplib::Request& req, httplib::Response& res);
  void refresh(const httplib::Request& req, httplib::Response& res);
  /// The author a token acts for, and until when (0: no expiry); nullopt
  /// for an unknown token.
  std::optional<std::pair<Author, std::int64_t>> token_owner(const std::string& token);

  struct Post {
    std::string urn, author, commentary;
    std::int64_t at_ms = 0;
  };
  struct Image {
    std::string owner;
    bool uploaded = false;
    std::string hash;  ///< fnv1a64 of the bytes
    std::size_t size = 0;
  };
  struct Video {
    std::string owner;
    std::int64_t size = 0;
    std::string upload_token;
    std::vector<std::string> etags;  ///< per part; empty until the part arrives
    std::string bytes;               ///< the parts, in place
    bool available = false;
    std::string hash;
  };

  Sandbox& sandbox_;
  const LinkedinSandboxConfig& config_;
  std::vector<std::string> versions_;
  std::mutex mutex_;
  std::int64_t last_post_ = 0;
  std::int64_t last_asset_ = 0;
  std::vector<Post> posts_;  // oldest first
  /// A comment on a post (POST /rest/socialActions/{URN}/comments).
  struct Comment {
    std::string urn, id, target, actor, text;
    std::int64_t at_ms = 0;
  };
  std::vector<Comment> comments_;  // oldest first
  std::int64_t last_comment_ = 0;
  std::map<std::string, Image> images_;  // by numeric id in the upload path
  std::map<std::string, std::string> image_ids_;  // urn -> upload id
  std::map<std::string, Video> videos_;  // by numeric id
  std::map<std::string, std::string> video_ids_;  // urn -> upload id
  std::map<std::string, std::pair<std::size_t, std::int64_t>> issued_;  // refreshed token -> (author index, expiry)
};

}  // namespace herald
