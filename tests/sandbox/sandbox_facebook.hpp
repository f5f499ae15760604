#pragma once
// The Facebook Graph API part of herald-sandbox: Page feed posts (published,
// or unpublished until `POST /{post-id}` with is_published), Page photos
// (a photo post, or an unpublished photo to attach with attached_media), the
// Page's post lists, one post's fields (is_published, permalink_url, and the
// engagement fields reactions, comments and shares, growing with the post's
// age on the sandbox clock), its insights (post_impressions; refused with a
// permission error to a Page whose token may not read insights), and
// deleting a post, under a /vMAJOR.MINOR/ prefix, with Page access tokens
// checked against the page in the path. The record of creates keeps each
// post's fields["published"] ("true"/"false") and fields["deleted"] current,
// so a test can count the PUBLIC posts.

#include "tests/sandbox/sandbox_platform.hpp"

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
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
    /// The token may read insights (read_insights, and the ANALYZE task on
    /// the Page); false: /{post-id}/insights answers a permission error.
    bool insights = true;
  };
  std::vector<Page> pages;
  /// The Graph API versions the sandbox answers; any other is an unknown path.
  std::vector<std::string> versions{"v20.0", "v21.0", "v22.0", "v23.0"};
};

/// Reads the `facebook:` section of the sandbox YAML.
FacebookSandboxConfig load_facebook_sandbox_config(const YAML::Node& node, const std::string& file);

class FacebookSandbox : public SandboxPlatform {
 public:
  explicit FacebookSandbox(Sandbox& sandbox);
  void install(httplib::Server& server) override;
  void reset() override;
  void remove_post(const std::string& id) override;

 private:
  using Page = FacebookSandboxConfig::Page;
  /// Checks the version and the token; answers the error and returns nullopt
  /// when either is wrong. `page_id` empty: any known token will do.
  std::optional<Page> authenticate(const httplib::Request& req, httplib::Response& res, const std::string& version,
                                   const std::string& page_id);
  void create(const httplib::Request& req, httplib::Response& res, bool photo);
  void list(const httplib::Request& req, httplib::Response& res);
  void post(const httplib::Request& req, httplib::Response& res);
  void update(const httplib::Request& req, httplib::Response& res);
  void remove(const httplib::Request& req, httplib::Response& res);
  void insights(const httplib::Request& req, httplib::Response& res);
  void create_comment(const httplib::Request& req, httplib::Response& res);
  void list_comments(const httplib::Request& req, httplib::Response& res);
  void not_found(const std::string& id, httplib::Response& res);
  std::string trace_id();

  /// A Page post as Graph holds it (what the record shows, and its state).
  struct Post {
    std::string id, account, text;
    std::map<std::string, std::string> fields;  ///< link, photo, ...
    std::int64_t at_ms = 0;
    bool published = true;
    bool deleted = false;
    std::int64_t published_order = 0;  ///< when it went on the Page, in order of publishing
  };
  /// A photo uploaded with published=false, waiting to be attached.
  struct Photo {
    std::string page_id;
    std::map<std::string, std::string> fields;  ///< photo, photo_filename or photo_url
  };
  Post* find(const std::string& post_id, const std::string& page_id);
  /// The comments made on a post (mutex_ held).
  std::int64_t comment_count(const std::string& post_id) const;
  /// Whether a status with this message and link would repeat the Page's
  /// latest published one; answers Graph's 506 when it would.
  bool refuse_duplicate(const std::string& page_id, const std::string& text, const std::string& link,
                        httplib::Response& res);

  Sandbox& sandbox_;
  const FacebookSandboxConfig& config_;
  std::mutex mutex_;
  std::int64_t last_id_ = 0;
  std::int64_t published_order_ = 0;
  std::vector<Post> posts_;  // oldest first
  std::unordered_map<std::string, std::size_t> post_at_;  // id -> place in posts_
  std::map<std::string, Photo> photos_;
  /// A comment on a Page post (POST /{post-id}/comments).
  struct Comment {
    std::string id, post_id, from_id, from_name, message;
    std::int64_t at_ms = 0;
  };
  std::vector<Comment> comments_;  // oldest first
  std::atomic<std::int64_t> traces_{0};
};

}  // namespace herald
