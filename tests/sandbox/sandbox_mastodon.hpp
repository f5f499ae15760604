#pragma once
// The Mastodon part of herald-sandbox: one instance's REST API under /api/,
// with user access tokens (Bearer) and their OAuth scopes. `POST
// /api/v1/statuses` creates a status, measured as Mastodon counts
// (compose's mastodon_length against the configured limit), rendered to
// HTML as Mastodon renders it, and made idempotent by the Idempotency-Key
// header for `idempotency_seconds` on the sandbox clock (the same key of the
// same account answers the first status and creates nothing); `POST
// /api/v2/media` takes an attachment (200 when processed at once, 202 while
// it processes for `*_processing_seconds` of sandbox time) and `GET
// /api/v1/media/:id` tells how it is getting on (206, then 200); `GET
// /api/v2/instance` tells the limits; `GET /api/v1/accounts/verify_credentials`
// and `GET /api/v1/accounts/:id/statuses` list what the account posted.
// A status's replies_count, reblogs_count, favourites_count and
// quotes_count grow with its age on the sandbox clock (sandbox_engagement);
// a status a person deleted (Sandbox::delete_post) is 404 Record not found.
// Every answer carries X-RateLimit-Limit, -Remaining and -Reset, and a
// request past the limit is 429. The record of creates gets one entry per
// status created (none for an idempotent repeat).

#include "tests/sandbox/sandbox_platform.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
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

struct MastodonSandboxConfig {
  /// An account on the instance and the access token that acts for it.
  struct Account {
    std::string id;  ///< digits, as Mastodon's ids
    std::string username, access_token;
    /// The token's OAuth scopes (docs.joinmastodon.org api/oauth-scopes):
    /// "read" and "write" cover every read:... and write:... scope.
    std::vector<std::string> scopes{"read", "write"};
  };
  std::vector<Account> accounts;
  /// The instance's public host, in status and account URLs.
  std::string domain = "mastodon.example";
  /// configuration.statuses of GET /api/v2/instance, enforced on create.
  std::size_t max_characters = 500;
  std::size_t characters_reserved_per_url = 23;
  std::size_t max_media_attachments = 4;
  /// configuration.media_attachments.description_limit (alt text, characters).
  std::size_t description_limit = 1500;
  /// How long, on the sandbox clock, an image and a video (or GIF, which
  /// Mastodon makes a video) are processed after the upload; 0 answers the
  /// upload 200, processed, else 202 and GET 206 until the time has passed.
  std::int64_t image_processing_seconds = 0;
  std::int64_t video_processing_seconds = 10;
  /// Requests per account (or per IP without a token) per window, as
  /// X-RateLimit-* report them.
  int rate_limit = 300;
  std::int64_t rate_window_seconds = 300;
  /// Media uploads per account per window (Mastodon's own upload bucket).
  int media_limit = 30;
  std::int64_t media_window_seconds = 1800;
  /// How long an Idempotency-Key names its status.
  std::int64_t idempotency_seconds = 3600;
};

/// Reads the `mastodon:` section of the sandbox YAML.
MastodonSandboxConfig load_mastodon_sandbox_config(const YAML::Node& node, const std::string& file);

/// A status text as Mastodon's TextFormatter renders it to `content`:
/// escaped, links in invisible/ellipsis spans, hashtags and mentions as
/// links on `domain`, paragraphs and <br />.
std::string mastodon_render_html(std::string_view text, const std::string& domain);

class MastodonSandbox : public SandboxPlatform {
 public:
  explicit MastodonSandbox(Sandbox& sandbox);
  void install(httplib::Server& server) override;
  void reset() override;
  void remove_post(const std::string& id) override;

 private:
  using Account = MastodonSandboxConfig::Account;
  struct Status {
    std::string id, account_id, text, spoiler_text, visibility, language, content, url, uri, idempotency_key;
    std::vector<std::string> media_ids;
    std::string in_reply_to_id = {}, in_reply_to_account_id = {};  ///< empty when not a reply
    std::int64_t created_ms = 0;
  };
  struct Media {
    std::string id, account_id, type, mime, description, hash, extension;
    std::size_t size = 0;
    std::int64_t created_ms = 0, ready_ms = 0;
    std::string status_id;  ///< empty while unattached
  };
  struct Window {
    std::int64_t index = -1;
    int count = 0;
  };
  /// What a request is: who sent it (nullopt: no token), and whether it is
  /// past a rate limit. Sets the rate-limit headers.
  struct Caller {
    std::optional<Account> account;
    bool token_invalid = false;
  };

  Caller caller(const httplib::Request& req);
  /// Counts the request against its bucket(s) and sets X-RateLimit-*; true
  /// (and a 429 answered) when it is over a limit.
  bool throttled(const httplib::Request& req, httplib::Response& res, const Caller& who, bool media_upload);
  /// Answers an injected fault that ends the request here.
  bool fault(const std::string& method, const httplib::Request& req, httplib::Response& res, const char* route,
             std::optional<int>* drop_delay_ms);
  /// The caller's account if the token is valid and has `scope`; answers 401 or 403 otherwise.
  std::optional<Account> authorize(const Caller& who, httplib::Response& res, std::string_view scope);
  void create_status(const httplib::Request& req, httplib::Response& res);
  void get_status(const httplib::Request& req, httplib::Response& res);
  void status_context(const httplib::Request& req, httplib::Response& res);
  void upload_media(const httplib::Request& req, httplib::Response& res);
  void get_media(const httplib::Request& req, httplib::Response& res);
  void instance(const httplib::Request& req, httplib::Response& res);
  void verify_credentials(const httplib::Request& req, httplib::Response& res);
  void account_statuses(const httplib::Request& req, httplib::Response& res);
  std::string next_id();
  std::string status_json(const Status& status) const;
  std::string account_json(const Account& account, bool credential) const;
  std::string media_json(const Media& media, std::int64_t now_ms) const;
  const Account* account_by_id(const std::string& id) const;

  Sandbox& sandbox_;
  const MastodonSandboxConfig& config_;
  mutable std::mutex mutex_;
  std::int64_t last_id_ = 0;
  std::vector<Status> statuses_;  // oldest first
  std::map<std::string, Media> media_;
  /// account id + "\n" + Idempotency-Key -> (status id, when it was made)
  std::map<std::string, std::pair<std::string, std::int64_t>> idempotency_;
  std::map<std::string, Window> windows_;  // rate-limit bucket -> its current window
};

}  // namespace herald
