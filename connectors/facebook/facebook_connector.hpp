#pragma once
// The `facebook` channel: a Facebook Page through the Graph API, with a Page
// access token. A post is made unpublished, `POST /{version}/{page-id}/feed`
// with published=false (message and link; or, with one image, the photo
// uploaded unpublished to `/photos` first and attached as attached_media),
// its id kept in the ConnectorState, and then published by id, `POST
// /{version}/{post-id}` with is_published=true. A repeat after a lost answer
// publishes the remembered post again (idempotent) instead of making another,
// so no lost answer can make a second public post. Its URL is read back as
// `permalink_url`. A lookup asks about the remembered post, else reads the
// Page's recent posts.

#include "config/local_time.hpp"
#include "config/settings.hpp"
#include "connectors/connector.hpp"
#include "connectors/connector_state.hpp"
#include "connectors/credentials.hpp"
#include "connectors/http_client.hpp"
#include "connectors/secret.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace herald {

/// What the facebook connector needs from its credential file.
struct FacebookCredentials {
  Secret page_token;
  std::optional<Instant> expires_at = {};  ///< the file's `expires_at`, when the token expires
};

/// Reads FacebookCredentials from a file loaded with
/// credential_keys(ChannelKind::facebook).
FacebookCredentials facebook_credentials(const Credentials& file);

/// One part of a multipart/form-data body (RFC 7578).
struct FormPart {
  std::string name;
  std::string content;
  std::string filename;      ///< set for a file part
  std::string content_type;  ///< set for a file part
};

/// A multipart/form-data body of `parts` separated by `boundary`, which must
/// not occur in any part.
std::string multipart_body(const std::vector<FormPart>& parts, const std::string& boundary);

/// Largest image file the connector reads (Facebook's photo limit is 4 MB;
/// compose/media.cpp checks that before publishing).
inline constexpr std::size_t kFacebookMaxImageBytes = 10 * 1024 * 1024;

/// Where the connector remembers the unpublished post of a delivery in the
/// ConnectorState: "facebook:<page-id>:<delivery key>".
std::string facebook_state_key(const std::string& page_id, const std::string& delivery_key);

/// Publishes to a Facebook Page.
class FacebookConnector : public Connector {
 public:
  using Clock = std::function<Instant()>;

  /// `channel.page_id` names the Page, `channel.api_version` the Graph
  /// version in every path; `channel.api_base`, if set, replaces
  /// https://graph.facebook.com. `state` keeps each delivery's unpublished
  /// post until it is published (durable in the daemon). `clock` dates the
  /// rate-limit waits.
  FacebookConnector(ChannelSettings channel, FacebookCredentials credentials, HttpClient& http,
                    ConnectorState& state, Clock clock);
  /// The same with the unpublished posts remembered in memory only: a repeat
  /// after a restart would not find its post, so settle_policy() says a
  /// repeat is not safe and the dispatcher settles by lookups.
  FacebookConnector(ChannelSettings channel, FacebookCredentials credentials, HttpClient& http, Clock clock);
  ~FacebookConnector() override;
  FacebookConnector(FacebookConnector&&) noexcept;

  /// A repeat is safe when the unpublished post's id is kept durably.
  SettlePolicy settle_policy() const override;
  /// With a remembered post for this delivery: Published if it is public
  /// already; else publishes it, or, when it was made with another message,
  /// link or image, deletes it and starts over. Otherwise creates the post
  /// unpublished (with one image: the photo unpublished first, then the post
  /// with it attached), remembers its id, and publishes it. Only the publish
  /// request can end Unsure. Reads the permalink at the end; a failed read
  /// falls back to https://www.facebook.com/{post-id}, never to a failure.
  /// With request.comment_on: the text as a comment of the Page on that
  /// post (POST /{post-id}/comments), looked for first when an earlier
  /// attempt lost its answer; a post Graph no longer has is Failed.
  PublishResult publish(const PublishRequest& request) override;
  /// For a first comment: Found if one of the post's newest 100 comments is
  /// the Page's with exactly composed.text; Absent if none is, or the post
  /// is gone. Otherwise, with a remembered post: Found if it is published, else Absent. Without
  /// (or if it is gone): Found if one of the Page's last 100 posts has
  /// exactly composed.text as its message.
  LookupResult lookup(const PublishRequest& request) override;
  /// The file's `expires_at`, where the Page token expires (the daemon warns a week ahead).
  std::optional<std::chrono::system_clock::time_point> credentials_expire_at() const override;
  /// A Page keeps the reactions, comments and shares of every post, and
  /// insights for a token that may read them.
  bool reads_counters() const override { return true; }
  /// GET /{post-id}?fields=reactions.summary(total_count).limit(0),
  /// comments.summary(total_count).limit(0),shares: reactions (likes),
  /// comments (replies), shares (shares; 0 when Graph leaves the field out,
  /// as it does for a post nobody shared). Then GET
  /// /{post-id}/insights?metric=post_impressions: post_impressions (views),
  /// where the token may read insights; a refusal there (a permission error,
  /// code 10 or 200, or a metric Graph no longer offers) leaves views out
  /// and keeps the rest. A post Graph does not have (code 100, subcode 33)
  /// is Gone.
  CountersResult read_counters(const CountersRequest& request) override;

  /// How long Graph may go on with a request after herald stopped waiting.
  static constexpr std::chrono::seconds kSettleMargin{120};

 private:
  FacebookConnector(ChannelSettings channel, FacebookCredentials credentials, HttpClient& http,
                    ConnectorState* state, Clock clock);
  struct Create;
  struct Image;
  struct Remembered;
  struct PostState;
  Create create_feed(const Composed& composed);
  Create create_photo(const Composed& composed, const Image& image);
  Create created(const HttpResponse& response, const std::string& what);
  PostState read_post(const std::string& post_id);
  PublishResult publish_post(const std::string& state_key, const std::string& post_id);
  std::optional<PublishResult> delete_post(const std::string& post_id);
  std::string permalink(const std::string& post_id);
  PublishResult publish_comment(const PublishRequest& request);
  LookupResult find_comment(const CommentOn& on, const std::string& text);
  HttpRequest request(std::string method, const std::string& path_and_query);
  ConnectorState& state();
  void forget(const std::string& state_key);

  ChannelSettings channel_;
  FacebookCredentials credentials_;
  HttpClient& http_;
  std::unique_ptr<MemoryConnectorState> own_state_;  ///< set when no durable state was given
  ConnectorState* state_;
  Clock clock_;
  std::string base_;  ///< base URL with the version: https://graph.facebook.com/v21.0
};

}  // namespace herald
