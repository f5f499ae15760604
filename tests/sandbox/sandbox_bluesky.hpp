#pragma once
// The Bluesky part of herald-sandbox: a PDS's XRPC endpoints for posting
// (com.atproto.server.createSession and refreshSession,
// com.atproto.repo.createRecord, getRecord and uploadBlob), with
// JWT-shaped session tokens that expire by the sandbox clock, refresh
// tokens that rotate, app.bsky.feed.post records validated against their
// lexicons (and the facets against the text), record-key conflicts, blobs,
// XRPC error bodies and the RateLimit-* headers; and, as the PDS proxies
// it to the AppView, app.bsky.feed.getPosts, whose post views carry
// likeCount, repostCount, quoteCount and replyCount growing with the post's
// age on the sandbox clock (a deleted post is left out of `posts`). Each
// accepted post is
// recorded with its record key, createdAt, langs, facets (as JSON), embed
// and card, and alt texts, so a test can check what a reader would see.
//
// Not Bluesky's API but a test aid: GET /bluesky-sandbox/page serves a web
// page with the og: tags its query asks for, and /bluesky-sandbox/image.png
// an image of a given size, for link cards made from the linked page.

#include "tests/sandbox/sandbox_platform.hpp"

#include <boost/json/object.hpp>

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

struct BlueskySandboxConfig {
  /// An account on the emulated PDS and the app password that logs it in.
  struct Account {
    std::string handle;        ///< example.bsky.social
    std::string did;           ///< did:plc:...
    std::string app_password;  ///< xxxx-xxxx-xxxx-xxxx
  };
  std::vector<Account> accounts;
  /// Lifetime of an access JWT, in sandbox-clock seconds (the reference PDS: 120 minutes).
  std::int64_t access_jwt_seconds = 2 * 3600;
  /// Lifetime of a refresh JWT (the reference PDS: 90 days).
  std::int64_t refresh_jwt_seconds = 90 * 24 * 3600;
  /// How long a refresh JWT still works after its first use (the reference
  /// PDS: 2 hours, answering the same next token); 0: refused once used.
  std::int64_t refresh_grace_seconds = 2 * 3600;
  /// Largest uploadBlob body (the lexicons' image limit herald keeps; a
  /// PDS's own is its operator's PDS_BLOB_UPLOAD_LIMIT, 5 MB by default).
  std::int64_t blob_upload_limit = 1'000'000;
  /// What a create at a taken record key answers: "internal_server_error"
  /// (500, what the reference PDS answers today) or "record_already_exists"
  /// (400 RecordAlreadyExists, the error its lexicon is gaining).
  std::string duplicate_rkey = "internal_server_error";
  /// createSession per identifier per window (Bluesky: 30 per 5 minutes).
  std::int64_t session_limit = 30;
  std::int64_t session_window_seconds = 300;
  /// Record write points per account per hour; a create costs 3 (Bluesky: 5,000).
  std::int64_t write_points_per_hour = 5000;
};

/// Reads the `bluesky:` section of the sandbox YAML.
BlueskySandboxConfig load_bluesky_sandbox_config(const YAML::Node& node, const std::string& file);

class BlueskySandbox : public SandboxPlatform {
 public:
  explicit BlueskySandbox(Sandbox& sandbox);
  void install(httplib::Server& server) override;
  void reset() override;
  void remove_post(const std::string& id) override;

  /// The CIDv1 (base32, "b...") of raw bytes (codec raw) or of a record
  /// (codec dag-cbor; the sandbox hashes the record's JSON, not its CBOR).
  static std::string blob_cid(std::string_view bytes);
  static std::string record_cid(std::string_view json);

 private:
  using Account = BlueskySandboxConfig::Account;
  struct Window {
    std::int64_t start_ms = 0;
    std::int64_t used = 0;
  };
  struct RefreshToken {
    std::string did;
    std::int64_t expires_ms = 0;
    std::string next_id;         ///< set at first use
    std::int64_t grace_until_ms = 0;
  };
  struct Blob {
    std::string mime;
    std::int64_t size = 0;
    std::string hash;  ///< fnv1a64 of the bytes
  };
  struct Record {
    std::string uri, cid;
    boost::json::object value;
    std::int64_t created_ms = 0;  ///< when the PDS stored it, on the sandbox clock
  };

  void create_session(const httplib::Request& req, httplib::Response& res);
  void refresh_session(const httplib::Request& req, httplib::Response& res);
  void create_record(const httplib::Request& req, httplib::Response& res);
  void get_record(const httplib::Request& req, httplib::Response& res);
  void get_posts(const httplib::Request& req, httplib::Response& res);
  void upload_blob(const httplib::Request& req, httplib::Response& res);
  void page(const httplib::Request& req, httplib::Response& res);
  void image(const httplib::Request& req, httplib::Response& res);

  /// The account an access JWT acts for; answers the XRPC error and returns nullopt otherwise.
  std::optional<Account> authenticate(const httplib::Request& req, httplib::Response& res);
  const Account* account_by(const std::string& handle_or_did) const;
  /// New access and refresh JWTs for `did`, the refresh one with id `jti`.
  std::pair<std::string, std::string> issue(const std::string& did, const std::string& jti);
  /// Counts `cost` in `window` (of `limit` per `seconds`) and sets the
  /// RateLimit-* headers; false (and a 429) when over.
  bool rate(Window& window, std::int64_t limit, std::int64_t seconds, std::int64_t cost, httplib::Response& res);
  /// An XRPC error answer.
  struct Refusal {
    int status = 400;
    std::string error = "InvalidRequest";
    std::string message;
  };
  /// Why `record` cannot be stored for `did`, or nullopt; `image_cids` gets
  /// the CIDs of its images, in order. Called with mutex_ held (it reads the blobs).
  std::optional<Refusal> validate(const boost::json::object& record, const std::string& did,
                                  std::vector<std::string>& image_cids) const;

  Sandbox& sandbox_;
  const BlueskySandboxConfig& config_;
  std::mutex mutex_;
  std::int64_t last_id_ = 0;
  std::map<std::string, RefreshToken> refresh_tokens_;          // by jti
  std::map<std::string, Window> session_windows_;                // by lower-case identifier
  std::map<std::string, Window> write_windows_;                  // by did
  std::map<std::string, std::map<std::string, Blob>> blobs_;     // did -> cid -> blob
  std::map<std::string, std::map<std::string, Record>> records_;  // did -> rkey -> record
};

}  // namespace herald
