#pragma once
// The X API v2 part of herald-sandbox: create post, post lookup by ids (with
// public_metrics that grow on the sandbox clock), user post timeline, and
// the chunked media upload (initialize, append, finalize, status), with
// OAuth 1.0a user-context signatures or OAuth 2.0 user Bearer tokens checked;
// the OAuth 2.0 token endpoint (POST /2/oauth2/token, refresh-token grant,
// always rotating the refresh token). GET /_sandbox/x/media lists the media
// sessions (loopback only) so tests can see what arrived.

#include "tests/sandbox/sandbox_platform.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
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

struct XSandboxConfig {
  /// One X account: the app's consumer pair and the user's access token pair.
  struct Account {
    std::string consumer_key, consumer_secret, access_token, access_token_secret, user_id, username;
    /// The OAuth 2.0 client the refresh_tokens were granted to.
    std::string oauth2_client_id = {};
    /// Refresh tokens this user granted (offline.access); each works once.
    std::vector<std::string> refresh_tokens = {};
  };
  /// An OAuth 2.0 client (an app's "Client ID"): confidential with a secret
  /// (HTTP Basic at the token endpoint), public without one.
  struct OAuth2Client {
    std::string client_id;
    std::string client_secret = {};
  };
  std::vector<Account> accounts;
  std::vector<OAuth2Client> oauth2_clients;
  /// expires_in of issued OAuth 2.0 access tokens (X: two hours).
  int access_token_seconds = 7200;
  /// Creates allowed per account per window before a genuine 429.
  int create_limit = 100;
  /// Timeline reads allowed per account per window.
  int timeline_limit = 900;
  /// Post lookups (GET /2/tweets?ids=...) allowed per account per window.
  int lookup_limit = 900;
  /// Media upload requests (initialize, append, finalize, status together)
  /// allowed per account per window.
  int media_limit = 1000;
  /// STATUS polls a video or GIF takes to process: the polls before the last
  /// report in_progress, the last one succeeded (or failed).
  int media_processing_polls = 2;
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
  /// One media upload session, from INITIALIZE on.
  struct Media {
    enum class State { uploading, pending, in_progress, succeeded, failed };
    std::string id, media_key, account, media_type, category;
    std::int64_t total_bytes = 0, received_bytes = 0;
    int segments = 0;                          // APPENDs taken, also the next segment_index
    std::uint64_t digest = 14695981039346656037ull;  // FNV-1a 64 of the bytes, in order
    std::string head;                          // the first bytes, to judge the format
    State state = State::uploading;
    int polls = 0;                             // STATUS requests after FINALIZE
    std::string failure;                       // why processing fails, if it will
    std::string auth;                          // "oauth1" or "oauth2": how INITIALIZE was authorized
    std::int64_t expires_at_ms = 0;
  };
  /// Whose refresh token it is, and which client may spend it.
  struct Grant {
    std::string user_id, client_id;
  };
  /// An issued OAuth 2.0 access token.
  struct Bearer {
    std::string user_id;
    std::int64_t expires_ms = 0;
  };
  /// An authenticated account and how: "oauth1" or "oauth2".
  struct Caller : Account {
    std::string auth;
  };
  /// OAuth 1.0a or a Bearer token; the caller, or nothing when a 401 was sent.
  std::optional<Caller> authenticate(const httplib::Request& req, httplib::Response& res);
  std::optional<Caller> authenticate_bearer(std::string_view token, httplib::Response& res);
  void load_grants_locked();
  void token(const httplib::Request& req, httplib::Response& res);
  bool rate_limited(const Account& account, const std::string& route, int limit, httplib::Response& res);
  /// Auth, faults and the rate limit of one media route; the account, or
  /// nothing when the request was answered already.
  std::optional<Caller> media_gate(const httplib::Request& req, httplib::Response& res, std::string_view route);
  std::string next_id_locked();
  void create(const httplib::Request& req, httplib::Response& res);
  void timeline(const httplib::Request& req, httplib::Response& res);
  void lookup(const httplib::Request& req, httplib::Response& res);
  void media_initialize(const httplib::Request& req, httplib::Response& res);
  void media_append(const httplib::Request& req, httplib::Response& res);
  void media_finalize(const httplib::Request& req, httplib::Response& res);
  void media_status(const httplib::Request& req, httplib::Response& res);
  void media_list(const httplib::Request& req, httplib::Response& res);

  Sandbox& sandbox_;
  const XSandboxConfig& config_;
  std::mutex mutex_;
  std::set<std::string> nonces_;
  std::set<std::pair<std::string, std::string>> posted_;  // (account, text) of each create, for the duplicate check
  std::map<std::string, Window> windows_;  // by user id + route
  std::map<std::string, Media> media_;     // by media id
  std::map<std::string, Grant> refresh_tokens_;   // live refresh tokens
  std::map<std::string, Bearer> access_tokens_;   // issued access tokens
  std::int64_t issued_ = 0;                       // tokens issued, for unique values
  std::int64_t last_id_ = 0;
};

}  // namespace herald
