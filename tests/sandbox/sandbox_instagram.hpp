#pragma once
// The Instagram Graph API (Instagram API with Facebook Login) part of
// herald-sandbox: content publishing through containers, under a
// /vMAJOR.MINOR/ prefix, with user access tokens checked against the IG user
// in the path. `POST /{ig-user-id}/media` makes a container (an image, a
// Reel, a carousel item, a carousel of 2 to 10 items); `GET /{container-id}`
// tells its status_code (IN_PROGRESS, FINISHED, ERROR, EXPIRED, PUBLISHED);
// `POST /{ig-user-id}/media_publish` makes it a post, once; the account's
// media list, one media's fields (like_count and comments_count growing
// with its age on the sandbox clock), its insights (reach, saved, views;
// refused with a permission error to an account whose token may not read
// insights), and `content_publishing_limit` with its
// rolling 24-hour limit enforced. The sandbox fetches nothing: it accepts
// any http(s) media URL, refuses an image URL that does not name a JPEG, and
// records the URL. Processing is counted on the sandbox's clock and in
// status reads, never in wall-clock sleeps. The record of creates gets one
// entry per PUBLISHED media (not per container).

#include "tests/sandbox/sandbox_platform.hpp"

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib
namespace YAML {
class Node;
}  // namespace YAML

namespace herald {

struct InstagramSandboxConfig {
  /// One Instagram professional account and the user access token that may publish to it.
  struct Account {
    std::string account_id, username, access_token;
    /// The token has instagram_manage_insights; false: /{media-id}/insights
    /// answers a permission error.
    bool insights = true;
  };
  std::vector<Account> accounts;
  /// The Graph API versions the sandbox answers; any other is an unknown path.
  std::vector<std::string> versions{"v20.0", "v21.0", "v22.0", "v23.0"};
  /// How long a container is IN_PROGRESS after it is made, on the sandbox's
  /// clock: image (and carousel) containers, and video containers.
  std::int64_t image_processing_ms = 0;
  std::int64_t video_processing_ms = 0;
  /// How many status reads (GET /{container-id}) answer IN_PROGRESS before
  /// the container can finish, counted per container, besides the time above.
  int image_processing_polls = 0;
  int video_processing_polls = 2;
  /// A media URL containing one of these ends its container in ERROR once
  /// processed (a video Instagram cannot use), with `error_status` as status.
  std::vector<std::string> failing_urls;
  std::string error_status = "ERROR: 2207026: unsupported video format";
  /// Published posts allowed per account in a rolling window.
  int publishing_limit = 50;
  std::int64_t publishing_window_s = 86400;
  /// A container not published this long after it was made is EXPIRED.
  std::int64_t container_lifetime_s = 86400;
};

/// Reads the `instagram:` section of the sandbox YAML.
InstagramSandboxConfig load_instagram_sandbox_config(const YAML::Node& node, const std::string& file);

class InstagramSandbox : public SandboxPlatform {
 public:
  explicit InstagramSandbox(Sandbox& sandbox);
  void install(httplib::Server& server) override;
  void reset() override;
  void remove_post(const std::string& id) override;

 private:
  using Account = InstagramSandboxConfig::Account;
  /// A container as Instagram holds it until it is published or expires.
  struct Container {
    std::string id, account, media_type;  ///< IMAGE, VIDEO (carousel item), REELS, CAROUSEL
    std::string caption, url;
    bool carousel_item = false;
    std::vector<std::string> children;
    std::int64_t created_ms = 0;
    std::int64_t ready_ms = 0;
    int polls_left = 0;
    bool fails = false;
    std::string media_id;  ///< set once published
  };
  /// A published media object.
  struct Media {
    std::string id, account, media_type, caption, permalink, container_id;
    std::vector<std::string> urls;
    std::int64_t at_ms = 0;
  };

  std::optional<Account> authenticate(const httplib::Request& req, httplib::Response& res, const std::string& version,
                                      const std::string& account_id);
  void create(const httplib::Request& req, httplib::Response& res);
  void publish(const httplib::Request& req, httplib::Response& res);
  void object(const httplib::Request& req, httplib::Response& res);
  void media_list(const httplib::Request& req, httplib::Response& res);
  void limit(const httplib::Request& req, httplib::Response& res);
  void insights(const httplib::Request& req, httplib::Response& res);
  void create_comment(const httplib::Request& req, httplib::Response& res);
  void list_comments(const httplib::Request& req, httplib::Response& res);
  /// IN_PROGRESS, FINISHED, ERROR, EXPIRED or PUBLISHED now; `poll` counts a status read.
  std::string status_of(Container& c, std::int64_t now_ms, bool poll);
  int published_in_window(const std::string& account, std::int64_t now_ms, std::int64_t* oldest_ms) const;
  void not_found(const std::string& id, httplib::Response& res);
  std::string trace_id();

  Sandbox& sandbox_;
  const InstagramSandboxConfig& config_;
  std::mutex mutex_;
  std::int64_t last_id_ = 0;
  std::map<std::string, Container> containers_;
  std::vector<Media> media_;  // oldest first
  /// A comment on a media object (POST /{ig-media-id}/comments).
  struct Comment {
    std::string id, media_id, account_id, username, text;
    std::int64_t at_ms = 0;
  };
  std::vector<Comment> comments_;  // oldest first
  std::atomic<std::int64_t> traces_{0};
};

}  // namespace herald
