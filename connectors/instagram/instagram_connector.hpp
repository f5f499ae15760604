#pragma once
// The `instagram` channel: an Instagram professional account through the
// Instagram Graph API (Instagram API with Facebook Login), with a user access
// token. A post is a container, `POST /{version}/{ig-user-id}/media` (an
// image_url, a video_url as a Reel, or carousel items and a CAROUSEL
// container), which Instagram fetches and prepares; once its status_code is
// FINISHED, `POST /{ig-user-id}/media_publish` makes it public. The container
// id is kept in the ConnectorState and is the idempotency key: Instagram
// publishes a container once, so a repeat after a lost answer finds it
// PUBLISHED (and its media among the account's recent media) instead of
// making a second post. While the container is IN_PROGRESS publish answers
// Processing and the dispatcher calls again later. Before a container is made
// the account's content_publishing_limit is read.

#include "config/local_time.hpp"
#include "config/settings.hpp"
#include "connectors/connector.hpp"
#include "connectors/connector_state.hpp"
#include "connectors/credentials.hpp"
#include "connectors/http_client.hpp"
#include "connectors/secret.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

/// What the instagram connector needs from its credential file.
struct InstagramCredentials {
  Secret access_token;
  std::optional<Instant> expires_at;  ///< the file's `expires_at` (Credentials::expires_at)
};

/// Reads InstagramCredentials from a file loaded with
/// credential_keys(ChannelKind::instagram).
InstagramCredentials instagram_credentials(const Credentials& file);

/// Where the connector remembers a delivery's container in the
/// ConnectorState: "instagram:<ig-user-id>:<delivery key>".
std::string instagram_state_key(const std::string& account_id, const std::string& delivery_key);

/// How long to wait before asking again about a container that is still
/// IN_PROGRESS, by how long ago it was made: 5 s at first, growing with its
/// age, at most 60 s.
std::chrono::seconds instagram_processing_wait(std::chrono::seconds since_created);

/// What to do next with a remembered container, by its status_code and age
/// (the decision of InstagramConnector::publish, apart from any I/O).
enum class ContainerStep {
  publish,     ///< FINISHED: media_publish it
  find_media,  ///< PUBLISHED: an earlier request published it; find its media
  wait,        ///< IN_PROGRESS within the bound: Processing
  give_up,     ///< IN_PROGRESS past the bound: Failed, and forget it
  fail,        ///< ERROR: Failed with its status, and forget it
  make_new,    ///< EXPIRED: forget it and make a new container
  ask_later,   ///< a status herald does not know: RetryLater
};

/// The step for `status_code` of a container made `age` ago; `bound` is how
/// long it may stay IN_PROGRESS.
ContainerStep instagram_container_step(std::string_view status_code, std::chrono::seconds age,
                                       std::chrono::seconds bound);

/// Graph's IG timestamp, 2026-12-02T19:45:00+0000; nullopt if it is not one.
std::optional<Instant> parse_graph_timestamp(std::string_view text);

/// Publishes to an Instagram professional account.
class InstagramConnector : public Connector {
 public:
  using Clock = std::function<Instant()>;

  /// `channel.account_id` names the IG user, `channel.api_version` the Graph
  /// version in every path; `channel.api_base`, if set, replaces
  /// https://graph.facebook.com. `state` keeps each delivery's container
  /// until it is published (durable in the daemon). `clock` dates waits and
  /// the containers' age.
  InstagramConnector(ChannelSettings channel, InstagramCredentials credentials, HttpClient& http,
                     ConnectorState& state, Clock clock);
  /// The same with containers remembered in memory only: a repeat after a
  /// restart would not find its container, so settle_policy() says a repeat
  /// is not safe and the dispatcher settles by lookups.
  InstagramConnector(ChannelSettings channel, InstagramCredentials credentials, HttpClient& http, Clock clock);
  ~InstagramConnector() override;
  InstagramConnector(InstagramConnector&&) noexcept;

  /// A repeat is safe when the container id is kept durably.
  SettlePolicy settle_policy() const override;
  /// Goes on from the remembered container, or makes one (after checking
  /// the publishing limit): IN_PROGRESS is Processing (for at most
  /// kProcessingBound since it was made), ERROR is Failed, EXPIRED makes a
  /// new one, FINISHED is published, PUBLISHED is found among the recent
  /// media. Only media_publish can end Unsure.
  /// With request.comment_on: the text as the account's comment on that
  /// media (POST /{ig-media-id}/comments), looked for first when an earlier
  /// attempt lost its answer; a media Graph no longer has is Failed.
  PublishResult publish(const PublishRequest& request) override;
  /// With a remembered container: Found if it is PUBLISHED (its media by
  /// caption among the recent media), else Absent. Without: Found if one of
  /// the account's last 50 media has exactly composed.text as its caption.
  /// For a first comment: Found if one of the media's comments is the
  /// account's with exactly composed.text; Absent if none is, or the media is gone.
  LookupResult lookup(const PublishRequest& request) override;
  /// Instagram counts the likes and comments of every media, and keeps
  /// insights for a token that may read them.
  bool reads_counters() const override { return true; }
  /// GET /{media-id}?fields=like_count,comments_count: like_count (likes),
  /// comments_count (replies). Then GET /{media-id}/insights?metric=reach,saved:
  /// reach (views), saved (none), where the token may read insights; a
  /// refusal there (a permission error, "not enough viewers", a metric Graph
  /// no longer offers) leaves them out and keeps the rest. A media Graph does
  /// not have (code 100, subcode 33) is Gone.
  CountersResult read_counters(const CountersRequest& request) override;
  /// From the credential `expires_at`, if given.
  std::optional<std::chrono::system_clock::time_point> credentials_expire_at() const override;

  /// How long Graph may go on with a request after herald stopped waiting.
  static constexpr std::chrono::seconds kSettleMargin{120};
  /// How long a container may stay IN_PROGRESS before herald gives up on it.
  static constexpr std::chrono::seconds kProcessingBound{30 * 60};
  /// The wait at the publishing limit when the oldest post of the window is not known.
  static constexpr std::chrono::seconds kLimitDefaultWait{3600};

 private:
  InstagramConnector(ChannelSettings channel, InstagramCredentials credentials, HttpClient& http,
                     ConnectorState* state, Clock clock);
  struct Item;
  struct Remembered;
  struct Status;
  struct MediaFound;
  std::optional<PublishResult> check_limit();
  std::optional<PublishResult> create_containers(const std::vector<Item>& items, const std::string& caption,
                                                 std::string& container_id);
  std::optional<PublishResult> create_one(const std::string& body, const std::string& what, std::string& id);
  Status read_status(const std::string& container_id);
  std::optional<PublishResult> advance(const std::string& key, const Remembered& remembered);
  PublishResult publish_container(const std::string& key, const Remembered& remembered);
  PublishResult published_already(const std::string& key, const Remembered& remembered);
  MediaFound find_media(const std::string& caption, std::optional<Instant> not_before);
  std::string permalink(const std::string& media_id);
  PublishResult publish_comment(const PublishRequest& request);
  LookupResult find_comment(const CommentOn& on, const std::string& text);
  HttpRequest request(std::string method, const std::string& path_and_query);
  PublishResult graph_problem(const HttpResponse& response, const std::string& what);
  void forget(const std::string& key);

  ChannelSettings channel_;
  InstagramCredentials credentials_;
  HttpClient& http_;
  std::unique_ptr<MemoryConnectorState> own_state_;  ///< set when no durable state was given
  ConnectorState* state_;
  Clock clock_;
  std::string base_;  ///< base URL with the version: https://graph.facebook.com/v21.0
};

}  // namespace herald
