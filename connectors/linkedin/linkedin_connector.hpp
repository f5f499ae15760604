#pragma once
// The `linkedin` channel: posts as an organization (urn:li:organization:N)
// or a member (urn:li:person:ID) through LinkedIn's versioned REST API with
// an OAuth 2.0 access token. Images go up first through the Images API
// (initializeUpload, then PUT of the bytes), a video through the Videos API
// (initializeUpload, PUT of each part, finalizeUpload); each uploaded asset's
// URN is kept in the ConnectorState under the delivery and the file's
// SHA-256, so a retry does not upload it again. Then one `POST /rest/posts`
// makes the post public; its URN comes back in `x-restli-id`.
//
// LinkedIn has no idempotency key, so a repeat of a create whose answer was
// lost could make a second post: settle_policy() says so, and the
// dispatcher settles by lookup (the author's recent posts, by exact
// commentary) before anything is sent again. LinkedIn's own refusal of the
// same commentary again (422 DUPLICATE_POST) is Duplicate.

#include "config/local_time.hpp"
#include "config/settings.hpp"
#include "connectors/connector.hpp"
#include "connectors/connector_state.hpp"
#include "connectors/credentials.hpp"
#include "connectors/http_client.hpp"
#include "connectors/secret.hpp"
#include "connectors/oauth2_session.hpp"

#include <chrono>
#include <cstddef>
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace herald {

/// What the linkedin connector needs from its credential file.
struct LinkedinCredentials {
  Secret access_token;
  /// When the access token stops working (the file's `expires_at`), if known.
  std::optional<Instant> expires_at;
  /// LinkedIn's programmatic refresh (approved partners): all three, or none.
  std::optional<Secret> refresh_token;
  std::string client_id;
  std::optional<Secret> client_secret;
};

/// Reads LinkedinCredentials from a file loaded with
/// credential_keys(ChannelKind::linkedin). Throws CredentialError naming the
/// file and the key (never a value) when `expires_at` is neither RFC 3339
/// with an offset nor Unix seconds, or when refresh_token comes without
/// client_id and client_secret (LinkedIn's refresh needs both).
LinkedinCredentials linkedin_credentials(const Credentials& file);

/// Where the connector remembers an uploaded image or video in the
/// ConnectorState: "linkedin:<author>:<delivery key>:<sha256 of the file>".
std::string linkedin_media_state_key(const std::string& author, const std::string& delivery_key,
                                     const std::string& sha256_hex);

/// Largest file the connector reads: LinkedIn's video limit (compose/media.cpp
/// checks each type's own limit before publishing).
inline constexpr std::size_t kLinkedinMaxFileBytes = 500u * 1024 * 1024;

/// Publishes to LinkedIn.
class LinkedinConnector : public Connector {
 public:
  using Clock = std::function<Instant()>;

  /// `channel.author` is the URN posted as, `channel.api_version` the
  /// LinkedIn-Version header (YYYYMM), `channel.api_base`, if set, replaces
  /// https://api.linkedin.com (and https://www.linkedin.com for the token
  /// endpoint). `state` keeps uploaded media and a rotated refresh token
  /// (durable in the daemon). `clock` dates the rate-limit waits. With a
  /// refresh token, a 401 makes the connector refresh (POST
  /// /oauth/v2/accessToken) and send once more, and it uses refreshed
  /// tokens from then on.
  LinkedinConnector(ChannelSettings channel, LinkedinCredentials credentials, HttpClient& http, ConnectorState& state,
                    Clock clock);
  ~LinkedinConnector() override;

  /// A repeat is never safe: LinkedIn has no idempotency key.
  SettlePolicy settle_policy() const override;
  /// Uploads the media (or reuses what an earlier attempt uploaded), then
  /// creates the post: commentary as composed (already in little text
  /// format), an article card for the link when there is no media, one
  /// image or video as `media`, 2 to 20 images as `multiImage`. Only the
  /// create can end Unsure.
  /// With request.comment_on: the text as the author's comment on that post
  /// (POST /rest/socialActions/{URN}/comments); a post LinkedIn no longer
  /// has (404) is Failed.
  PublishResult publish(const PublishRequest& request) override;
  /// Found when one of the author's 100 most recently modified posts has
  /// exactly composed.text as its commentary; Unknown when they cannot be read.
  /// For a first comment: the author's comment with that text among the
  /// post's first 100 comments (Absent when the post is gone).
  LookupResult lookup(const PublishRequest& request) override;
  /// LinkedIn keeps a summary of the likes and comments of every post, and
  /// statistics of an organization's posts.
  bool reads_counters() const override { return true; }
  /// GET /rest/socialActions/{encoded URN}: likesSummary.totalLikes (likes),
  /// commentsSummary.aggregatedTotalComments (replies). For an organization
  /// author, also GET /rest/organizationalEntityShareStatistics for the
  /// post: impressionCount (views), uniqueImpressionsCount (none),
  /// shareCount (shares), clickCount (clicks); a refusal there (the token's
  /// member is not an administrator) keeps the summary. A member's posts
  /// have no views, shares or clicks here (memberCreatorPostAnalytics needs
  /// r_member_postAnalytics, which herald does not ask for). A 404 (the post
  /// was deleted) is Gone.
  CountersResult read_counters(const CountersRequest& request) override;
  /// The credential file's `expires_at`, if it has one and no refresh token.
  std::optional<std::chrono::system_clock::time_point> credentials_expire_at() const override;

  /// How long LinkedIn may go on with a create after herald stopped waiting.
  static constexpr std::chrono::seconds kSettleMargin{120};

 private:
  std::variant<std::string, PublishResult> upload(const std::string& delivery_key, const std::string& path,
                                                  std::string& state_key);
  std::variant<std::string, PublishResult> upload_image(const std::string& bytes);
  std::variant<std::string, PublishResult> upload_video(const std::string& bytes);
  std::optional<PublishResult> put_bytes(const std::string& url, std::string_view bytes, const std::string& what,
                                         std::string* etag);
  HttpRequest request(std::string method, const std::string& path_and_query);
  PublishResult publish_comment(const PublishRequest& request);
  LookupResult find_comment(const CommentOn& on, const std::string& text);
  /// An answer, or why no request could be made (the token refresh failed).
  struct Sent {
    HttpResponse response;
    std::optional<PublishResult> token_problem;
  };
  /// Sends with the current access token; `with_token` false sends none.
  /// After a 401, with a refresh token: refreshes and sends once more.
  Sent send(HttpRequest request, bool with_token = true);
  bool may_carry_token(const std::string& url) const;

  ChannelSettings channel_;
  LinkedinCredentials credentials_;
  HttpClient& http_;
  ConnectorState& state_;
  Clock clock_;
  std::string base_;  ///< https://api.linkedin.com, or the override
  std::string version_;
  std::string credential_name_;
  std::unique_ptr<OAuth2Session> session_;  ///< set when the file has a refresh token
  std::atomic<bool> refreshed_{false};      ///< the file's access token was refused: use the session's
};

}  // namespace herald
